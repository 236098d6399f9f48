/* restore.c - a backup's entries as tar members: hard links, chunks, size checks. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
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
	for (int i = 0; i < BS_RESTORE_CACHE; i++)
		bs_buf_release(&r->data[i]);
}

/* The cache's bookkeeping, the same for the reader and the producer that
 * reads ahead for it, so that both agree on which chunks are decoded
 * again: an index, or -1. */
static int lru_find(struct bs_restore_lru *l, const unsigned char *digest)
{
	for (int i = 0; i < BS_RESTORE_CACHE; i++)
		if (l->used[i] && !memcmp(l->digest[i], digest, BS_DIGEST_LEN)) {
			l->stamp[i] = ++l->clock;
			return i;
		}
	return -1;
}

static int lru_insert(struct bs_restore_lru *l, const unsigned char *digest)
{
	int v = 0;

	for (int i = 0; i < BS_RESTORE_CACHE; i++) {
		if (!l->used[i]) {
			v = i;
			break;
		}
		if (l->stamp[i] < l->stamp[v])
			v = i;
	}
	memcpy(l->digest[v], digest, BS_DIGEST_LEN);
	l->used[v] = 1;
	l->stamp[v] = ++l->clock;
	return v;
}

/* A chunk's bytes: from the cache, from the read-ahead (when its next
 * chunk is this one), or read and decoded here.  NULL with e on failure. */
static const struct bs_buf *chunk_of(struct bs_restore *r, const unsigned char *digest, struct bs_err *e)
{
	struct bs_readahead_slot *slot;
	int i = lru_find(&r->lru, digest);

	if (i >= 0)
		return &r->data[i];
	if (r->ahead.on && (slot = bs_readahead_next(&r->ahead.ra)) && !memcmp(slot->digest, digest, BS_DIGEST_LEN)) {
		struct bs_buf t;
		if (slot->rc < 0) {
			*e = slot->err;
			bs_readahead_pop(&r->ahead.ra);
			return NULL;
		}
		i = lru_insert(&r->lru, digest);
		t = r->data[i];
		r->data[i] = slot->data;
		slot->data = t;
		bs_readahead_pop(&r->ahead.ra);
		return &r->data[i];
	}
	/* not read ahead (the producer went another way): read it here, and
	 * leave the read-ahead as it is, for what comes next */
	i = lru_insert(&r->lru, digest);
	bs_buf_reset(&r->data[i]);
	if (bs_chunk_get(r->repo, digest, &r->data[i], e) < 0) {
		r->lru.used[i] = 0;
		return NULL;
	}
	return &r->data[i];
}

/* A regular file's bytes, chunk by chunk or piece by piece, each checked
 * against its chunk. */
static int write_data(struct bs_restore *r, const struct bs_entry *ent, const struct bs_buf *path, struct bs_err *e)
{
	uint64_t done = 0;

	for (size_t i = 0; i < ent->nrefs; i++) {
		const struct bs_ref *ref = &ent->refs[i];
		const struct bs_buf *data;
		struct bs_err why;
		if (!(data = chunk_of(r, ref->digest, &why)))
			return bs_err_set(e, why.code, "'%.200s': %s", path->p, why.msg);
		if (!ref->piece && data->len != ref->size)
			return bs_err_set(e, BS_INPUT, "'%.200s': chunk %zu holds %zu bytes, not %" PRIu64, path->p, i,
					  data->len, ref->size);
		if (ref->piece && (ref->offset > data->len || ref->size > data->len - ref->offset))
			return bs_err_set(e, BS_INPUT, "'%.200s': piece %zu (%" PRIu64 " bytes at %" PRIu64
					  ") lies beyond the end of its chunk (%zu bytes)", path->p, i, ref->size,
					  ref->offset, data->len);
		bs_writer_add(r->out, data->p + ref->offset, ref->size);
		done += ref->size;
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

/* The producer that reads ahead: the same walk as the restore's, naming
 * the chunks of the files whose data will be written, each once among the
 * last few (the restore's cache keeps those). */
static int ahead_visit(void *arg, const struct bs_entry *ent, const struct bs_buf *path, struct bs_err *e)
{
	struct bs_restore *r = arg;

	(void)path;
	if (ent->rec.kind != 'f')
		return 0;
	if (ent->rec.nlink > 1) {
		if (bs_linkmap_get(&r->ahead.links, ent->rec.dev, ent->rec.ino))
			return 0;
		bs_linkmap_put(&r->ahead.links, ent->rec.dev, ent->rec.ino, (void *)1);
	}
	for (size_t i = 0; i < ent->nrefs; i++) {
		if (lru_find(&r->ahead.lru, ent->refs[i].digest) >= 0)
			continue;
		lru_insert(&r->ahead.lru, ent->refs[i].digest);
		if (bs_readahead_submit(&r->ahead.ra, ent->refs[i].digest) < 0)
			return bs_err_set(e, BS_SYS, "stopped");
	}
	return 0;
}

static void *ahead_main(void *arg)
{
	struct bs_restore *r = arg;
	struct bs_err e;

	for (int i = 0; i < r->ahead.nroots; i++)
		if (r->ahead.roots[i][0] &&
		    bs_meta_walk(&r->ahead.meta, r->ahead.roots[i], strlen(r->ahead.roots[i]), ahead_visit, r, &e) < 0)
			break;
	bs_readahead_end(&r->ahead.ra);
	return NULL;
}

/* Reading ahead is an optimisation: when it cannot start, the restore
 * goes on without it. */
static void ahead_start(struct bs_restore *r, char **roots, int nroots)
{
	struct bs_err ignored;
	size_t window = 2 * r->threads + 2;

	if (r->threads < 2 || bs_meta_open(&r->ahead.meta, r->repo, r->meta->id, &ignored) < 0)
		return;
	if (bs_readahead_start(&r->ahead.ra, r->repo, r->threads, window > 64 ? 64 : window) < 0) {
		bs_meta_release(&r->ahead.meta);
		return;
	}
	bs_linkmap_init(&r->ahead.links);
	memset(&r->ahead.lru, 0, sizeof(r->ahead.lru));
	r->ahead.roots = roots;
	r->ahead.nroots = nroots;
	if (pthread_create(&r->ahead.thread, NULL, ahead_main, r) != 0) {
		bs_readahead_release(&r->ahead.ra);
		bs_meta_release(&r->ahead.meta);
		return;
	}
	r->ahead.on = 1;
}

static void ahead_stop(struct bs_restore *r)
{
	if (!r->ahead.on)
		return;
	bs_readahead_stop(&r->ahead.ra);
	pthread_join(r->ahead.thread, NULL);
	bs_readahead_release(&r->ahead.ra);
	bs_meta_release(&r->ahead.meta);
	bs_linkmap_release(&r->ahead.links, NULL);
	r->ahead.on = 0;
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
	for (int i = 0; i < nroots; i++) {
		int inside = 0;
		for (int j = 0; j < i && !inside; j++)
			inside = roots[j][0] && bs_path_covers(roots[j], strlen(roots[j]), roots[i], strlen(roots[i]));
		if (inside)
			roots[i][0] = '\0';	/* not a root any more */
	}
	ahead_start(r, roots, nroots);
	for (int i = 0; i < nroots && rc == 0; i++)
		if (roots[i][0] && bs_meta_walk(r->meta, roots[i], strlen(roots[i]), visit, r, e) < 0)
			rc = -1;
	ahead_stop(r);
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
