/*
 * xz.h - whole-buffer xz compression through liblzma; used by codec.c only.
 *
 * struct bs_xz holds reusable liblzma coders: one decoder and one encoder
 * (liblzma reuses an encoder's buffers across streams while the settings
 * stay the same, and allocates them again when they change, as between
 * bs-store's quick probe and the repository's preset: one encoder, not
 * one for each, keeps a thread's memory to one dictionary's worth).  It
 * belongs to one thread at a time; several threads each use their own.
 *
 *   bs_xz_new()                 an empty set of coders (allocated lazily)
 *   bs_xz_free(x)               free them (NULL is fine)
 *   bs_xz_compress(x, in, n, preset, dict, x86, out, e)
 *       append the .xz stream of in to out; 0 or -1.  dict, when not 0,
 *       caps the preset's dictionary size: buffers no larger than it
 *       compress as well, and faster and in less memory, since the encoder
 *       clears tables sized by it for every buffer.  x86: when not 0, the
 *       stream's filter chain starts with liblzma's x86 (BCJ) filter,
 *       which makes machine code smaller; the decoder needs no telling.
 *   bs_xz_encoder_mem(preset, dict)
 *       the bytes an encoder of that preset and dictionary cap takes (the
 *       x86 filter included); 0 for a preset liblzma refuses
 *   bs_xz_decompress(x, in, n, limit, out, e)
 *       append the decompressed bytes to out; fails (BS_INPUT) on corrupt
 *       data, trailing garbage, or more than `limit` bytes of output
 * Compression uses CRC32 checks; the preset is 0..9.
 */
#ifndef BS_XZ_H
#define BS_XZ_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"

struct bs_xz;

struct bs_xz *bs_xz_new(void);
void bs_xz_free(struct bs_xz *x);
size_t bs_xz_encoder_mem(int preset, uint32_t dict);
int bs_xz_compress(struct bs_xz *x, const void *in, size_t n, int preset, uint32_t dict, int x86,
		   struct bs_buf *out, struct bs_err *e);
int bs_xz_decompress(struct bs_xz *x, const void *in, size_t n, size_t limit, struct bs_buf *out,
		     struct bs_err *e);

#endif
