/* chunker.c - a FastCDC-style gear-hash chunker with normalised chunking. */
#include <pthread.h>
#include <string.h>
#include "chunker.h"

/*
 * The gear table: 256 fixed pseudo-random 64-bit values.  They are part of
 * the repository format in effect: other values would cut files elsewhere
 * and so defeat deduplication against existing chunks.  Made by splitmix64
 * from a fixed seed, once (pthread_once: safe when several threads set
 * up chunkers), then only read.
 */
static uint64_t gear[256];
static pthread_once_t gear_once = PTHREAD_ONCE_INIT;

static void gear_init(void)
{
	uint64_t x = 0x6261636b73686966ull;	/* "backshif" */

	for (int i = 0; i < 256; i++) {
		uint64_t z = (x += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		gear[i] = z ^ (z >> 31);
	}
}

/* A mask of the top `bits` bits: h & mask is zero with odds 2^-bits and
 * depends on the last 64 bytes, since each byte shifts the hash left. */
static uint64_t top_mask(unsigned bits)
{
	return bits >= 64 ? ~0ull : ~(~0ull >> bits);
}

int bs_chunker_init(struct bs_chunker *c, size_t min, size_t avg, size_t max)
{
	unsigned bits = 0;

	pthread_once(&gear_once, gear_init);
	if (avg < 64 || (avg & (avg - 1)) || min > avg || avg > max || max > BS_CHUNK_MAX_LIMIT || min < 64)
		return -1;
	while ((1ull << bits) < avg)
		bits++;
	memset(c, 0, sizeof(*c));
	c->min = min;
	c->avg = avg;
	c->max = max;
	/* Cuts before avg need one more zero bit, after it one fewer. */
	c->mask_s = top_mask(bits + 1);
	c->mask_l = top_mask(bits - 1);
	return 0;
}

void bs_chunker_reset(struct bs_chunker *c)
{
	c->h = 0;
	c->n = 0;
}

ssize_t bs_chunker_find(struct bs_chunker *c, const unsigned char *p, size_t n)
{
	size_t i = 0, lim;
	uint64_t h = c->h;

	/* Skip to min, but hash the last 64 bytes before it. */
	if (c->n < c->min) {
		size_t skip = c->min - c->n;
		if (skip > 64) {
			size_t jump = skip - 64;
			if (jump >= n) {
				c->n += n;
				return -1;
			}
			i = jump;
			h = 0;
		}
		/* hash up to min without testing */
		lim = c->min - c->n;
		if (lim > n)
			lim = n;
		for (; i < lim; i++)
			h = (h << 1) + gear[p[i]];
		if (i == n) {
			c->h = h;
			c->n += n;
			return -1;
		}
	}
	/* From min to avg, the stricter mask. */
	if (c->n + i < c->avg) {
		lim = c->avg - c->n;
		if (lim > n)
			lim = n;
		for (; i < lim; i++) {
			h = (h << 1) + gear[p[i]];
			if (!(h & c->mask_s))
				goto cut;
		}
	}
	lim = c->max - c->n;
	if (lim > n)
		lim = n;
	for (; i < lim; i++) {
		h = (h << 1) + gear[p[i]];
		if (!(h & c->mask_l))
			goto cut;
	}
	if (c->n + i >= c->max)
		goto forced;
	c->h = h;
	c->n += n;
	return -1;
cut:
	i++;
forced:
	c->h = 0;
	c->n = 0;
	return (ssize_t)i;
}
