/*
 * chunker.h - content-defined chunking (a FastCDC-style gear hash).
 *
 * A push-style chunker: feed it any buffer and it says where the current
 * chunk ends.  Boundaries depend only on the content (a 64-byte window),
 * so an insertion early in a file changes only the chunks near it.
 *
 *   bs_chunker_init(c, min, avg, max)  sizes in bytes; avg a power of two,
 *                                      min <= avg <= max.  Returns 0, or -1
 *                                      when the sizes are unusable.
 *   bs_chunker_find(c, p, n)           scan n bytes that continue the
 *                                      current chunk.  Returns the number of
 *                                      bytes of p that end the chunk (a cut
 *                                      after p[k-1]) and resets the chunker
 *                                      for the next one; or -1 when the
 *                                      chunk goes on past p (all n bytes
 *                                      belong to it).
 *   bs_chunker_reset(c)                forget the current chunk (new file)
 *
 * Normalised chunking: before `avg` bytes a cut needs one more zero bit
 * than after it, which narrows the spread of sizes around `avg`.  No cut
 * is made before `min` bytes; one is forced at `max`.
 */
#ifndef BS_CHUNKER_H
#define BS_CHUNKER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BS_CHUNK_MIN_DEFAULT (256u * 1024)
#define BS_CHUNK_AVG_DEFAULT (1024u * 1024)
#define BS_CHUNK_MAX_DEFAULT (4096u * 1024)
#define BS_CHUNK_MAX_LIMIT (64u * 1024 * 1024)

struct bs_chunker {
	uint64_t h;
	size_t n;		/* bytes in the current chunk so far */
	size_t min, avg, max;
	uint64_t mask_s, mask_l;
};

int bs_chunker_init(struct bs_chunker *c, size_t min, size_t avg, size_t max);
void bs_chunker_reset(struct bs_chunker *c);
ssize_t bs_chunker_find(struct bs_chunker *c, const unsigned char *p, size_t n);

#endif
