/* restore.c - a backup's entries as tar members: hard links, chunks, size checks. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "parse.h"
#include "record.h"
#include "restore.h"
#include "tar.h"

void bs_restore_init(struct bs_restore *r, struct bs_repo *repo, struct bs_meta_reader *meta,
		     struct bs_writer *out)
{
	memset(r, 0, sizeof(*r));
	r->repo = repo;
	r->meta = meta;
	r->out = out;
	bs_linkmap_init(&r->links);
}

void bs_restore_release(struct bs_restore *r)
{
	bs_linkmap_release(&r->links, free);
	bs_buf_release(&r->name);
	bs_buf_release(&r->data);
}

/* A chunk that cannot be had: zeros of its length in its place, as the
 * original backshift did, so that the archive and the other files stay
 * whole; the file and the chunk are named. */
static void zeros_for(struct bs_restore *r, const struct bs_buf *path, size_t i, const unsigned char *digest,
		      uint64_t size, const char *why)
{
	static const char zero[65536];
	char hex[BS_HEX_LEN + 1], q[512], msg[2048];

	bs_hex(hex, digest);
	snprintf(msg, sizeof(msg), "'%s': chunk %zu (%s): %s; %" PRIu64 " zero bytes written in its place",
		 bs_quote(path->p, path->len, q, sizeof(q)), i, hex, why, size);
	if (r->warn)
		r->warn(r->arg, msg);
	r->damaged++;
	for (uint64_t left = size; left > 0;) {
		size_t n = left < sizeof(zero) ? (size_t)left : sizeof(zero);
		bs_writer_add(r->out, zero, n);
		left -= n;
	}
}

/* A regular file's bytes, chunk by chunk, each checked against its size. */
static int write_data(struct bs_restore *r, const struct bs_entry *ent, const struct bs_buf *path, struct bs_err *e)
{
	uint64_t done = 0;

	for (size_t i = 0; i < ent->nrefs; i++) {
		struct bs_err why;
		char msg[128];
		bs_buf_reset(&r->data);
		if (bs_chunk_get(r->repo, ent->refs[i].digest, &r->data, &why) < 0) {
			zeros_for(r, path, i, ent->refs[i].digest, ent->refs[i].size, why.msg);
		} else if (r->data.len != ent->refs[i].size) {
			snprintf(msg, sizeof(msg), "it holds %zu bytes, not %" PRIu64, r->data.len, ent->refs[i].size);
			zeros_for(r, path, i, ent->refs[i].digest, ent->refs[i].size, msg);
		} else {
			bs_writer_add(r->out, r->data.p, r->data.len);
		}
		done += ent->refs[i].size;
		if (r->out->err)
			return bs_writer_flush(r->out, e);
	}
	if (done != ent->rec.size)
		return bs_err_set(e, BS_INPUT, "'%.200s': its chunks hold %" PRIu64 " bytes, not %" PRIu64, path->p,
				  done, ent->rec.size);
	bs_tar_pad(r->out, ent->rec.size);
	return 0;
}

static int visit(void *arg, const struct bs_entry *ent, const struct bs_buf *path, struct bs_err *e)
{
	struct bs_restore *r = arg;
	const struct bs_rec *rec = &ent->rec;
	const char *link = NULL;
	char *first;

	if (rec->kind == 'i')
		return 0;	/* tar makes the directories above a member */
	if (bs_tar_name(path->p, path->len, &r->name, e) < 0)
		return -1;
	if (rec->kind == 'f' && rec->nlink > 1) {
		first = bs_linkmap_get(&r->links, rec->dev, rec->ino);
		if (first && strcmp(first, r->name.p))
			link = first;
		else if (first)
			return 0;	/* this very member was written already */
		else
			bs_linkmap_put(&r->links, rec->dev, rec->ino, bs_xstrdup(r->name.p));
	}
	if (bs_tar_header(r->out, rec, r->name.p, r->name.len, link, link ? strlen(link) : 0, e) < 0)
		return -1;
	r->members++;
	if (rec->kind == 'f' && !link && write_data(r, ent, path, e) < 0)
		return -1;
	if (r->out->err)
		return bs_writer_flush(r->out, e);
	return 0;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The paths asked for, cleaned, each checked to be in the backup. */
static char **roots_of(struct bs_restore *r, char *const *paths, int n, struct bs_err *e)
{
	struct bs_buf clean = BS_BUF_INIT;
	char **roots = bs_xcalloc((size_t)(n ? n : 1), sizeof(*roots));
	int i;

	if (n == 0)
		roots[0] = bs_xstrdup("/");
	for (i = 0; i < n; i++) {
		struct bs_entry *ent;
		if (paths[i][0] != '/') {
			bs_err_set(e, BS_USAGE, "'%s': paths in a backup are absolute", paths[i]);
			break;
		}
		if (bs_path_clean(paths[i], strlen(paths[i]), &clean, e) < 0 ||
		    bs_meta_lookup(r->meta, clean.p, clean.len, &ent, e) < 0)
			break;
		if (!ent && !(clean.len == 1)) {
			bs_err_set(e, BS_INPUT, "'%s' is not in backup '%s'", paths[i], r->meta->id);
			break;
		}
		roots[i] = bs_xstrdup(clean.p);
	}
	bs_buf_release(&clean);
	if (i < n) {
		for (int j = 0; j < i; j++)
			free(roots[j]);
		free(roots);
		return NULL;
	}
	return roots;
}

int bs_restore_tar(struct bs_restore *r, char *const *paths, int n, struct bs_err *e)
{
	char **roots = roots_of(r, paths, n, e);
	int nroots = n ? n : 1, rc = 0;

	if (!roots)
		return -1;
	/* a path inside another one given is already in that one's subtree;
	 * sorted, a path's ancestors among them come before it */
	qsort(roots, (size_t)nroots, sizeof(*roots), by_path);
	for (int i = 0; i < nroots && rc == 0; i++) {
		int inside = 0;
		for (int j = 0; j < i && !inside; j++)
			inside = roots[j][0] && bs_path_covers(roots[j], strlen(roots[j]), roots[i], strlen(roots[i]));
		if (inside) {
			roots[i][0] = '\0';	/* not a root any more */
			continue;
		}
		if (bs_meta_walk(r->meta, roots[i], strlen(roots[i]), visit, r, e) < 0)
			rc = -1;
	}
	for (int i = 0; i < nroots; i++)
		free(roots[i]);
	free(roots);
	if (rc == 0)
		bs_tar_end(r->out);
	return rc;
}

int bs_restore_chunk(struct bs_repo *repo, const char *hex, struct bs_writer *out, struct bs_err *e)
{
	unsigned char digest[BS_DIGEST_LEN];
	struct bs_buf data = BS_BUF_INIT;
	int rc;

	if (bs_unhex(digest, hex, strlen(hex)) < 0)
		return bs_err_set(e, BS_USAGE, "'%s' is not a chunk digest (64 lowercase hex digits)", hex);
	rc = bs_chunk_get(repo, digest, &data, e);
	if (rc == 0)
		bs_writer_add(out, data.p, data.len);
	bs_buf_release(&data);
	return rc;
}
