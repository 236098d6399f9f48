/*
 * bcj.h - the x86 branch filter: relative CALL/JMP targets made absolute
 * within a buffer, so that the calls of one function from many places
 * read the same and compress better.
 *
 * The filter works on a buffer in place and is its own size: a byte 0xE8
 * (CALL rel32) or 0xE9 (JMP rel32) at offset i whose displacement (the 4
 * little-endian bytes after it) lies in [-2^24, 2^24) (its high byte 0x00
 * or 0xFF) has that displacement d replaced by (d + i + 5) mod 2^25, sign
 * extended from bit 24, so that the high byte stays 0x00 or 0xFF; the 4
 * bytes are then skipped.  A candidate that follows, within 3 bytes, an
 * 0xE8 or 0xE9 that was not converted is left alone: its displacement's
 * bytes could be those that decide the earlier one, which the decoder
 * reads after conversion.  Offsets are the buffer's own (a chunk's), so
 * the filter needs no state from one buffer to the next.
 *
 * No stored form uses this filter: xz chunks of machine code go through
 * liblzma's own x86 filter, inside the .xz stream (xz.c).  codec.c counts
 * with it to tell machine code from other data, and bench/codecbench.c
 * measures it before zstd (bench/CODECS.md); tests/lib/bcjtest.c pins it.
 *
 *   bs_bcj_x86_encode(p, n)   filter p[0..n) in place; returns the number
 *                             of displacements converted
 *   bs_bcj_x86_decode(p, n)   undo it in place
 *   bs_bcj_x86_count(p, n)    what encode would return, without writing
 */
#ifndef BS_BCJ_H
#define BS_BCJ_H

#include <stddef.h>

size_t bs_bcj_x86_encode(unsigned char *p, size_t n);
size_t bs_bcj_x86_decode(unsigned char *p, size_t n);
size_t bs_bcj_x86_count(const unsigned char *p, size_t n);

#endif
