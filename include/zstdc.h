/*
 * zstdc.h - whole-buffer zstd compression and decompression through
 * libzstd; used by codec.c only.  (Not "zstd.h": that name is libzstd's.)
 *
 * struct bs_zstd holds a reusable ZSTD_CCtx and ZSTD_DCtx, made when first
 * needed; libzstd reuses their tables from one buffer to the next.  It
 * belongs to one thread at a time; several threads each use their own.
 *
 *   bs_zstd_new()               an empty set of coders
 *   bs_zstd_free(z)             free them (NULL is fine)
 *   bs_zstd_compress(z, in, n, level, window, out, e)
 *       append one zstd frame of in to out (content size and a checksum
 *       recorded); 0 or -1.  window is for the codec table's sake and
 *       unused: libzstd sizes the window to the buffer, never past the
 *       level's own.
 *   bs_zstd_encoder_mem(level, n_max)
 *       the bytes a compression context takes at that level for inputs
 *       of at most n_max bytes (libzstd's estimate); 0 for a bad level
 *   bs_zstd_decompress(z, in, n, limit, out, e)
 *       append the decompressed bytes of exactly one frame to out; fails
 *       (BS_INPUT) on corrupt data, trailing garbage, or more than `limit`
 *       bytes of output
 * Levels: BS_ZSTD_LEVEL_MIN..BS_ZSTD_LEVEL_MAX.
 */
#ifndef BS_ZSTDC_H
#define BS_ZSTDC_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"

#define BS_ZSTD_LEVEL_MIN 1
#define BS_ZSTD_LEVEL_MAX 19

struct bs_zstd;

struct bs_zstd *bs_zstd_new(void);
void bs_zstd_free(struct bs_zstd *z);
size_t bs_zstd_encoder_mem(int level, size_t n_max);
int bs_zstd_compress(struct bs_zstd *z, const void *in, size_t n, int level, uint32_t window, struct bs_buf *out,
		     struct bs_err *e);
int bs_zstd_decompress(struct bs_zstd *z, const void *in, size_t n, size_t limit, struct bs_buf *out,
		       struct bs_err *e);

#endif
