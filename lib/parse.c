/* parse.c - numbers, sizes, ages, times and hex digests as text. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"
#include "record.h"

static const char hexdigits[] = "0123456789abcdef";

void bs_hex(char *out, const unsigned char *d)
{
	for (int i = 0; i < BS_DIGEST_LEN; i++) {
		out[2 * i] = hexdigits[d[i] >> 4];
		out[2 * i + 1] = hexdigits[d[i] & 15];
	}
	out[BS_HEX_LEN] = '\0';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int bs_unhex(unsigned char *d, const char *hex, size_t n)
{
	if (n != BS_HEX_LEN)
		return -1;
	for (int i = 0; i < BS_DIGEST_LEN; i++) {
		int hi = hexval((unsigned char)hex[2 * i]), lo = hexval((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		d[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int bs_parse_u64(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned char)p[i] - '0';
		if (d > 9)
			return -1;
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int bs_time_parse(struct bs_time *t, const char *p, size_t n)
{
	const char *dot = memchr(p, '.', n);
	uint64_t sec, nsec;
	int neg = 0;

	if (!dot || (size_t)(p + n - dot - 1) != 9)
		return -1;
	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (bs_parse_u64(p, (size_t)(dot - p), &sec) < 0 || sec > INT64_MAX)
		return -1;
	if (bs_parse_u64(dot + 1, 9, &nsec) < 0)
		return -1;
	t->sec = neg ? -(int64_t)sec : (int64_t)sec;
	t->nsec = (uint32_t)nsec;
	return 0;
}

void bs_time_text(char *out, struct bs_time t)
{
	snprintf(out, BS_TIME_TEXT, "%" PRId64 ".%09" PRIu32, t.sec, t.nsec);
}

int bs_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	/* digits first: strtoull would take spaces, a sign, and clamp */
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (v > (UINT64_MAX >> shift))
		return -1;
	v <<= shift;
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

int bs_parse_age(const char *s, int64_t *out)
{
	char *end;
	long long v;
	int64_t mult = 1;

	if (!*s || *s == '-')
		return -1;
	if (*s < '0' || *s > '9')
		return -1;
	v = strtoll(s, &end, 10);
	if (end == s)
		return -1;
	/* a unit is required: "90" is not ninety of anything a person meant,
	 * and m is months, as borg and restic read it, never minutes (s, seconds,
 * is unambiguous and kept for tests and fake clocks);
	 * 0 alone is the one age that needs no unit */
	if (!*end && v == 0) {
		*out = 0;
		return 0;
	}
	switch (*end) {
	case 's': mult = 1; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	case 'w': mult = 7 * 86400; break;
	case 'm': mult = 30 * 86400; break;
	case 'y': mult = 365 * 86400; break;
	default: return -1;
	}
	if (end[1])
		return -1;
	if (v < 0 || v > INT64_MAX / mult)
		return -1;
	*out = (int64_t)v * mult;
	return 0;
}

int bs_cursor_field(struct bs_cursor *c, const char **f, size_t *n)
{
	const char *sp = memchr(c->p, ' ', (size_t)(c->end - c->p));

	if (!sp || sp == c->p)
		return -1;
	*f = c->p;
	*n = (size_t)(sp - c->p);
	c->p = sp + 1;
	return 0;
}
