/*
 * xz.h - whole-buffer xz compression through liblzma.
 *
 *   bs_xz_compress(in, n, preset, dict, out, e)
 *       append the .xz stream of in to out; 0 or -1.  dict, when not 0,
 *       caps the preset's dictionary size: buffers no larger than it
 *       compress as well, and faster and in less memory, since the encoder
 *       clears tables sized by it for every buffer.  The encoders of the
 *       last two settings are kept for reuse.
 *   bs_xz_decompress(in, n, limit, out, e)   append the decompressed bytes to
 *                                             out; fails (BS_INPUT) on corrupt
 *                                             data, trailing garbage, or more
 *                                             than `limit` bytes of output
 * Compression uses CRC32 checks; the preset is 0..9.
 */
#ifndef BS_XZ_H
#define BS_XZ_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"

int bs_xz_compress(const void *in, size_t n, int preset, uint32_t dict, struct bs_buf *out, struct bs_err *e);
int bs_xz_decompress(const void *in, size_t n, size_t limit, struct bs_buf *out, struct bs_err *e);

#endif
