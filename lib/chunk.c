/* chunk.c - a repository's chunks: digests checked, codec applied, kept in the repository's store. */
#include <errno.h>
#include <string.h>
#include "chunker.h"
#include "codec.h"
#include "hash.h"
#include "repo.h"
#include "store.h"

int bs_chunk_exists(struct bs_repo *repo, const unsigned char *digest)
{
	return repo->store->ops->has(repo->store, digest) == 1;
}

static int touch_failed(int rc, const unsigned char *digest, struct bs_err *e)
{
	char hex[BS_HEX_LEN + 1];

	bs_hex(hex, digest);
	return bs_err_set(e, BS_INPUT, "chunk '%s' is %s", hex,
			  rc == BS_STORE_EMPTY ? "empty in the repository" : "missing from the repository");
}

int bs_chunk_touch(struct bs_repo *repo, const unsigned char *digest, struct bs_time t, struct bs_err *e)
{
	int rc = repo->store->ops->touch(repo->store, digest, t, e);

	if (rc > 0)
		return touch_failed(rc, digest, e);
	return rc;
}

static int check_digest(const unsigned char *digest, const void *p, size_t n, struct bs_err *e)
{
	unsigned char check[BS_DIGEST_LEN];

	bs_sha256(p, n, check);
	if (memcmp(check, digest, BS_DIGEST_LEN)) {
		char want[BS_HEX_LEN + 1], got[BS_HEX_LEN + 1];
		bs_hex(want, digest);
		bs_hex(got, check);
		return bs_err_set(e, BS_INPUT, "chunk '%s' has the digest '%s': refused", want, got);
	}
	return 0;
}

int bs_chunk_put(struct bs_repo *repo, const unsigned char *digest, const void *p, size_t n,
		 struct bs_time t, struct bs_chunk_info *info, struct bs_err *e)
{
	struct bs_buf *z = &repo->scratch;
	int rc, stored = 0;

	if (info) {
		info->stored = 0;
		info->disk_bytes = 0;
	}
	if (check_digest(digest, p, n, e) < 0)
		return -1;
	/* an existing chunk is only touched, without compressing */
	rc = repo->store->ops->touch(repo->store, digest, t, e);
	if (rc <= 0)
		return rc;
	bs_buf_reset(z);
	if (bs_codec_encode(&repo->codec, &repo->chunk_cfg, p, n, z, e) < 0)
		return -1;
	if (repo->store->ops->put(repo->store, digest, z->p, z->len, t, &stored, e) < 0)
		return -1;
	if (info && stored) {
		info->stored = 1;
		info->disk_bytes = z->len;
	}
	return 0;
}

/* What bs_chunk_put() does up to the link, with the caller's coders and
 * buffer: safe on several threads at once. */
int bs_chunk_stage(struct bs_repo *repo, struct bs_codec_ctx *ctx, struct bs_buf *z, const unsigned char *digest,
		   const void *p, size_t n, struct bs_time t, struct bs_store_staged *st, int *staged,
		   uint64_t *disk_bytes, struct bs_err *e)
{
	int rc;

	*staged = 0;
	*disk_bytes = 0;
	if (check_digest(digest, p, n, e) < 0)
		return -1;
	rc = repo->store->ops->touch(repo->store, digest, t, e);
	if (rc <= 0)
		return rc;
	bs_buf_reset(z);
	if (bs_codec_encode(ctx, &repo->chunk_cfg, p, n, z, e) < 0)
		return -1;
	if (repo->store->ops->stage(repo->store, digest, z->p, z->len, t, st, e) < 0)
		return -1;
	*staged = 1;
	*disk_bytes = z->len;
	return 0;
}

int bs_chunk_commit(struct bs_repo *repo, struct bs_store_staged *st, size_t count, struct bs_time t,
		    struct bs_err *e)
{
	return repo->store->ops->commit(repo->store, st, count, t, e);
}

void bs_chunk_discard(struct bs_repo *repo, struct bs_store_staged *st)
{
	repo->store->ops->discard(repo->store, st);
}

int bs_repo_sync(struct bs_repo *repo, struct bs_err *e)
{
	return repo->store->ops->sync(repo->store, e);
}

/* Decode with a context of the caller's: what bs_chunk_decode() does on
 * the repository's, for threads that each keep one. */
int bs_chunk_decode_ctx(struct bs_codec_ctx *ctx, const void *file, size_t n, const unsigned char *digest,
			size_t limit, struct bs_buf *out, struct bs_err *e)
{
	unsigned char check[BS_DIGEST_LEN];
	char hex[BS_HEX_LEN + 1];
	size_t start = out->len;
	struct bs_err why;

	bs_hex(hex, digest);
	if (n < 2)
		return bs_err_set(e, BS_INPUT, "chunk '%s' is %s", hex, n ? "truncated" : "empty");
	if (bs_codec_decode(ctx, file, n, limit, out, &why) < 0) {
		bs_buf_setlen(out, start);
		return bs_err_set(e, BS_INPUT, "chunk '%s' is damaged: %s", hex, why.msg);
	}
	bs_sha256(out->p + start, out->len - start, check);
	if (memcmp(check, digest, BS_DIGEST_LEN)) {
		bs_buf_setlen(out, start);
		return bs_err_set(e, BS_INPUT, "chunk '%s' is damaged: its content does not match its name", hex);
	}
	return 0;
}

/* No repository, so no kept coders: a context for the one call (a caller
 * that decodes many chunks keeps its own and calls bs_chunk_decode_ctx()). */
int bs_chunk_decode(const void *file, size_t n, const unsigned char *digest, size_t limit,
		    struct bs_buf *out, struct bs_err *e)
{
	struct bs_codec_ctx ctx;
	int rc;

	bs_codec_ctx_init(&ctx);
	rc = bs_chunk_decode_ctx(&ctx, file, n, digest, limit, out, e);
	bs_codec_ctx_release(&ctx);
	return rc;
}

int bs_chunk_get(struct bs_repo *repo, const unsigned char *digest, struct bs_buf *out, struct bs_err *e)
{
	struct bs_buf *raw = &repo->scratch;

	bs_buf_reset(raw);
	if (repo->store->ops->get(repo->store, digest, raw, 2 * (size_t)BS_CHUNK_MAX_LIMIT, e) < 0)
		return -1;
	return bs_chunk_decode_ctx(&repo->codec, raw->p, raw->len, digest, BS_CHUNK_MAX_LIMIT, out, e);
}

int bs_chunks_each(struct bs_repo *repo, bs_chunk_visit *fn, void (*dir_done)(void *arg, const char *dir),
		   void *arg, struct bs_err *e)
{
	return repo->store->ops->list(repo->store, fn, dir_done, arg, e);
}
