/* value.c - a listing as the metadata stores it: head, compressed text, seal. */
#include <stdlib.h>
#include <string.h>
#include "codec.h"
#include "hash.h"
#include "value.h"

/*
 * A listing as gdbm holds it (bs-formats.5):
 *   tag byte          how the text below is stored (codec.h: 'r', 'x', 'z')
 *   32 bytes          SHA-256 of the rest of the head and of the text
 *   32 bytes          SHA-256 of its records alone, the text without its
 *                     R lines: what bs-chunk compares a directory's walk
 *                     records with to take the whole listing unchanged
 *   4 bytes           n, big-endian
 *   n x 32 bytes      the chunks the listing refers to, sorted, each once,
 *                     so that they can be checked without decompressing
 *   the text
 *   32 bytes          the seal: SHA-256 of all the value before it
 * The first digest lets a reader check what it decompressed, and lets a
 * writer whose listing is the same as an earlier backup's take that value
 * as it is, without compressing.  The seal lets a reader see damage
 * before it trusts the head or copies the value.
 */

static int by_digest(const void *a, const void *b)
{
	return memcmp(a, b, BS_DIGEST_LEN);
}

size_t bs_digests_unique(unsigned char *d, size_t n)
{
	size_t kept = 0;

	if (!n)
		return 0;
	qsort(d, n, BS_DIGEST_LEN, by_digest);
	kept = 1;
	for (size_t i = 1; i < n; i++)
		if (memcmp(d + i * BS_DIGEST_LEN, d + (kept - 1) * BS_DIGEST_LEN, BS_DIGEST_LEN))
			memmove(d + kept++ * BS_DIGEST_LEN, d + i * BS_DIGEST_LEN, BS_DIGEST_LEN);
	return kept;
}

/* The seal: a value damaged since it was written is not trusted, nor
 * copied into another backup, nor decompressed.  Checked after the cheap
 * comparisons that decide whether the value is wanted at all. */
int bs_meta_sealed(const struct bs_meta_head *h)
{
	unsigned char seal[BS_DIGEST_LEN];

	bs_sha256(h->value, h->len - BS_DIGEST_LEN, seal);
	return !memcmp(seal, h->value + h->len - BS_DIGEST_LEN, BS_DIGEST_LEN);
}

int bs_value_parse(const char *p, size_t n, struct bs_meta_head *h)
{
	const unsigned char *u = (const unsigned char *)p;
	uint32_t k;


	if (n < BS_VALUE_HEAD_FIXED + BS_DIGEST_LEN || !bs_codec_known(p[0]))
		return -1;
	k = (uint32_t)u[65] << 24 | (uint32_t)u[66] << 16 | (uint32_t)u[67] << 8 | u[68];
	if ((n - BS_VALUE_HEAD_FIXED - BS_DIGEST_LEN) / BS_DIGEST_LEN < k)
		return -1;
	h->value = p;
	h->len = n;
	h->digest = u + 1;
	h->stat = u + 1 + BS_DIGEST_LEN;
	h->refs = u + BS_VALUE_HEAD_FIXED;
	h->nrefs = k;
	return 0;
}

void bs_stat_digest_add(struct bs_hash *h, const struct bs_rec *rec, const char *name, size_t n,
			struct bs_buf *scratch)
{
	bs_buf_reset(scratch);
	bs_rec_format_as(scratch, rec, name, n);
	bs_hash_update(h, scratch->p, scratch->len);
}

int bs_value_seal(struct bs_codec_ctx *ctx, const struct bs_buf *text, struct bs_buf *out, struct bs_err *e)
{
	struct bs_codec_cfg cfg;
	unsigned char seal[BS_DIGEST_LEN];
	int tag;

	bs_codec_cfg_listing(&cfg);
	tag = bs_codec_encode_body(ctx, &cfg, text->p, text->len, out, e);
	if (tag < 0)
		return -1;
	out->p[0] = (char)tag;
	bs_sha256(out->p, out->len, seal);
	bs_buf_add(out, seal, BS_DIGEST_LEN);
	return 0;
}

int bs_value_agrees(const struct bs_meta_head *h, const unsigned char *stat, unsigned char *refs, size_t n,
		    struct bs_err *e)
{
	size_t kept = bs_digests_unique(refs, n);

	if (memcmp(stat, h->stat, BS_DIGEST_LEN) || kept != h->nrefs ||
	    (kept && memcmp(refs, h->refs, kept * BS_DIGEST_LEN)))
		return bs_err_set(e, BS_INPUT, "directory listing disagrees with its head");
	return 0;
}

int bs_value_text(struct bs_codec_ctx *ctx, const char *p, size_t n, struct bs_buf *text, struct bs_meta_head *h,
		  struct bs_err *e)
{
	unsigned char digest[BS_DIGEST_LEN];
	struct bs_hash hh;
	size_t headlen;

	if (bs_value_parse(p, n, h) < 0 || !bs_meta_sealed(h))
		return bs_err_set(e, BS_INPUT, "malformed or damaged directory listing");
	headlen = BS_VALUE_HEAD_FIXED + h->nrefs * BS_DIGEST_LEN;
	n -= BS_DIGEST_LEN;	/* the seal */
	bs_buf_reset(text);
	if (bs_codec_decode_body(ctx, (unsigned char)p[0], p + headlen, n - headlen, BS_VALUE_MAX, text, e) < 0)
		return -1;
	bs_hash_init(&hh);
	bs_hash_update(&hh, p + 1 + BS_DIGEST_LEN, headlen - 1 - BS_DIGEST_LEN);
	bs_hash_update(&hh, text->p, text->len);
	bs_hash_final(&hh, digest);
	bs_hash_release(&hh);
	if (memcmp(digest, h->digest, BS_DIGEST_LEN))
		return bs_err_set(e, BS_INPUT, "directory listing does not match its digest");
	return 0;
}

/* The head says what the decoded listing says.  (The digest covers both,
 * so this catches a writer's mistake, not damage.) */
static int check_head(const struct bs_meta_head *h, const struct bs_listing *l, struct bs_buf *scratch,
		      struct bs_err *e)
{
	unsigned char stat[BS_DIGEST_LEN];
	struct bs_buf refs = BS_BUF_INIT;
	struct bs_hash ctx;
	int rc;

	bs_hash_init(&ctx);
	for (size_t i = 0; i < l->n; i++) {
		bs_stat_digest_add(&ctx, &l->v[i].rec, l->v[i].rec.path.p, l->v[i].rec.path.len, scratch);
		for (size_t j = 0; j < l->v[i].nrefs; j++)
			bs_buf_add(&refs, l->v[i].refs[j].digest, BS_DIGEST_LEN);
	}
	bs_hash_final(&ctx, stat);
	bs_hash_release(&ctx);
	rc = bs_value_agrees(h, stat, (unsigned char *)refs.p, refs.len / BS_DIGEST_LEN, e);
	bs_buf_release(&refs);
	return rc;
}

int bs_value_unpack(struct bs_codec_ctx *ctx, const char *p, size_t n, struct bs_buf *raw, struct bs_listing *l,
		    int strict, struct bs_err *e)
{
	struct bs_meta_head h;

	if (bs_value_text(ctx, p, n, raw, &h, e) < 0 || bs_listing_decode(l, raw->p, raw->len, e) < 0)
		return -1;
	return strict ? check_head(&h, l, raw, e) : 0;
}
