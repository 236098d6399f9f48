/* bcj.c - the x86 branch filter (CALL/JMP rel32 made absolute within a buffer) before compression. */
#include <stdint.h>
#include "bcj.h"

#define SPAN 0x2000000u		/* displacements are taken mod 2^25 */

/* 1 when the byte is the high byte of a displacement the filter takes */
static int near(unsigned char b)
{
	return b == 0x00 || b == 0xFF;
}

/*
 * One pass, forward, for all three: `dir` +1 encodes, -1 decodes, 0
 * counts only.  The decisions depend on bytes that encoding leaves as
 * they were (the opcode bytes, the high byte's nearness, and which
 * earlier candidates were converted), so the decoder makes the same ones.
 */
static size_t pass(unsigned char *p, size_t n, int dir)
{
	size_t i = 0, done = 0, blocked_until = 0;

	if (n < 5)
		return 0;
	while (i <= n - 5) {
		if ((p[i] & 0xFE) != 0xE8) {
			i++;
			continue;
		}
		if (i < blocked_until || !near(p[i + 4])) {
			/* left alone: the next 3 bytes may not be converted */
			blocked_until = i + 4;
			i++;
			continue;
		}
		if (dir) {
			uint32_t v = (uint32_t)p[i + 1] | (uint32_t)p[i + 2] << 8 | (uint32_t)p[i + 3] << 16 |
				     (uint32_t)p[i + 4] << 24;
			uint32_t at = (uint32_t)((i + 5) % SPAN);
			v = (dir > 0 ? v + at : v - at) & (SPAN - 1);
			if (v & (SPAN >> 1))
				v |= ~(SPAN - 1);
			p[i + 1] = (unsigned char)v;
			p[i + 2] = (unsigned char)(v >> 8);
			p[i + 3] = (unsigned char)(v >> 16);
			p[i + 4] = (unsigned char)(v >> 24);
		}
		done++;
		i += 5;
	}
	return done;
}

size_t bs_bcj_x86_encode(unsigned char *p, size_t n)
{
	return pass(p, n, 1);
}

size_t bs_bcj_x86_decode(unsigned char *p, size_t n)
{
	return pass(p, n, -1);
}

size_t bs_bcj_x86_count(const unsigned char *p, size_t n)
{
	return pass((unsigned char *)p, n, 0);
}
