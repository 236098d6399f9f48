/*
 * value.h - a directory's listing as the metadata stores it (value.c).
 *
 * A value (bs-formats.5):
 *   tag byte          how the text is stored (codec.h: 'r' raw, 'x' xz)
 *   32 bytes          SHA-256 of the rest of the head and of the text
 *   32 bytes          SHA-256 of its records alone (bs_stat_digest_add)
 *   4 bytes           n, big-endian
 *   n x 32 bytes      the chunks the listing refers to, sorted, each once
 *   the stored text
 *   32 bytes          the seal: SHA-256 of all the value before it
 *
 *   The head and text are made from a directory's entries by metaframe.h
 *   (bs_meta_frame_encode); its head's digest lets an equal value of an
 *   earlier backup be taken instead of sealing this one.
 *
 *   bs_value_seal(ctx, text, out, e)     compress text after the head, set
 *                                   the tag, append the seal
 *   bs_value_parse(p, n, head)      the head of a stored value, without
 *                                   decompressing; 0 or -1
 *   bs_meta_sealed(head)            is the value as it was written?
 *   bs_value_text(ctx, p, n, text, head, e)
 *       check and decompress a value: its text into text, checked against
 *       the head's digest, its head into head; -1 (BS_INPUT) when damaged
 *   bs_value_unpack(ctx, p, n, raw, l, strict, e)
 *       the same, decoded into l (raw: scratch); with strict, check its
 *       head against its text too (bs-check)
 *   bs_value_agrees(head, stat, refs, n, e)
 *       does the head say what its text says: stat, the digest of its
 *       records, and refs, the n chunk digests its entries refer to (sorted
 *       in place and kept once each)?  0, or -1 (BS_INPUT)
 *   bs_digests_unique(d, n)  sort n digests at d and keep each once;
 *                            how many are kept
 *   bs_stat_digest_add(h, rec, name, n, scratch)
 *       add one record, under the bare name `name`, to the SHA-256 `h`
 *       that, over a directory's records in name order, gives its
 *       listing's `stat` digest
 */
#ifndef BS_VALUE_H
#define BS_VALUE_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "codec.h"
#include "err.h"
#include "hash.h"
#include "listing.h"

#define BS_VALUE_HEAD_FIXED (1 + 2 * BS_DIGEST_LEN + 4)
#define BS_VALUE_MAX ((size_t)INT32_MAX)	/* a gdbm value's size is an int */

/* What a stored listing says of itself without being decompressed.
 * Pointers into the value. */
struct bs_meta_head {
	const char *value;		/* the stored value, whole */
	size_t len;
	const unsigned char *digest;	/* SHA-256 of the head after it and the text */
	const unsigned char *stat;	/* SHA-256 of the listing's records alone */
	const unsigned char *refs;	/* nrefs chunk digests, sorted, each once */
	size_t nrefs;
};

int bs_value_seal(struct bs_codec_ctx *ctx, const struct bs_buf *text, struct bs_buf *out, struct bs_err *e);
int bs_value_parse(const char *p, size_t n, struct bs_meta_head *h);
int bs_meta_sealed(const struct bs_meta_head *h);
int bs_value_text(struct bs_codec_ctx *ctx, const char *p, size_t n, struct bs_buf *text, struct bs_meta_head *h,
		  struct bs_err *e);
int bs_value_unpack(struct bs_codec_ctx *ctx, const char *p, size_t n, struct bs_buf *raw, struct bs_listing *l,
		    int strict, struct bs_err *e);
int bs_value_agrees(const struct bs_meta_head *h, const unsigned char *stat, unsigned char *refs, size_t n,
		    struct bs_err *e);
size_t bs_digests_unique(unsigned char *d, size_t n);
void bs_stat_digest_add(struct bs_hash *h, const struct bs_rec *rec, const char *name, size_t n,
			struct bs_buf *scratch);

#endif
