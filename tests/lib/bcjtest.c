/* bcjtest.c - bcj.h's x86 filter on a file of x86-like code (codecs.bats): it converts every call, to the
 * callee's absolute address, and undoes it; and on random bytes rich in its special values it is its own inverse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bcj.h"

static int fail(const char *what)
{
	fprintf(stderr, "bcjtest: %s\n", what);
	return 1;
}

int main(int argc, char **argv)
{
	static unsigned char a[1 << 20], b[1 << 20];
	unsigned long seed = 1;
	size_t n, calls = 0, count, distinct = 0;
	unsigned targets[64];
	FILE *f;

	if (argc != 2 || !(f = fopen(argv[1], "rb")))
		return fail("usage: bcjtest FILE");
	n = fread(a, 1, sizeof(a), f);
	fclose(f);
	/* the file's calls (x86_like: filler without 0xE8, 0xE9, 0x00 or 0xFF, then E8 rel32) */
	for (size_t i = 0; i + 5 <= n; i++)
		if (a[i] == 0xE8)
			calls++, i += 4;
	memcpy(b, a, n);
	count = bs_bcj_x86_count(b, n);
	if (bs_bcj_x86_encode(b, n) != count || count != calls)
		return fail("not every call was converted");
	/* converted, each displacement d is its callee's address, d + i + 5
	 * (bcj.h; the file's are all near): a dozen values */
	for (size_t i = 0; i + 5 <= n; i++) {
		unsigned v, d;
		size_t k;
		if (b[i] != 0xE8)
			continue;
		v = b[i + 1] | b[i + 2] << 8 | b[i + 3] << 16 | (unsigned)b[i + 4] << 24;
		d = a[i + 1] | a[i + 2] << 8 | a[i + 3] << 16 | (unsigned)a[i + 4] << 24;
		if (v != d + (unsigned)(i + 5))
			return fail("a call is not converted to its callee's address");
		for (k = 0; k < distinct && targets[k] != v; k++)
			;
		if (k == distinct) {
			if (distinct == 64)
				return fail("the converted calls do not name a few callees");
			targets[distinct++] = v;
		}
		i += 4;
	}
	printf("%zu calls to %zu callees\n", calls, distinct);
	if (distinct > 12)
		return fail("the converted calls do not name a few callees");
	if (bs_bcj_x86_decode(b, n) != count || memcmp(a, b, n))
		return fail("decoding does not give the file back");
	/* random buffers of every length to 64, made of 0xE8, 0xE9, 0x00, 0xFF and others */
	for (int round = 0; round < 300000; round++) {
		size_t m = 1 + round % 64;
		for (size_t i = 0; i < m; i++) {
			seed = seed * 6364136223846793005ul + 1442695040888963407ul;
			switch ((seed >> 33) % 6) {
			case 0: a[i] = 0xE8; break;
			case 1: a[i] = 0xE9; break;
			case 2: a[i] = 0x00; break;
			case 3: a[i] = 0xFF; break;
			default: a[i] = (unsigned char)(seed >> 45);
			}
		}
		memcpy(b, a, m);
		count = bs_bcj_x86_encode(b, m);
		if (count != bs_bcj_x86_count(a, m) || bs_bcj_x86_decode(b, m) != count || memcmp(a, b, m))
			return fail("not its own inverse on random bytes");
	}
	puts("random buffers: each decodes to itself");
	return 0;
}
