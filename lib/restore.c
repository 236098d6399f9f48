/* restore.c - a backup's entries as tar members: hard links, chunks, size checks. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "budget.h"
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
	r->opts = BS_TAR_PAX;
	bs_linkmap_init(&r->links);
}

void bs_restore_release(struct bs_restore *r)
{
	bs_linkmap_release(&r->links, free);
	for (size_t i = 0; i < r->ndone; i++)
		free(r->done[i]);
	free(r->done);
	bs_buf_release(&r->name);
	for (int i = 0; i < BS_RESTORE_HELD; i++)
		bs_buf_release(&r->data[i]);
}

/* The account of the chunks held, the same for the reader and for the
 * producer that reads ahead for it, so that both agree on which chunks
 * are decoded again: where a reference's chunk is held, or -1.  Pieces
 * look among the pack chunks, a whole chunk at the last whole one (which
 * a piece forgets: held_piece()). */
static int held_find(struct bs_restore_held *h, const struct bs_ref *ref)
{
	int from = ref->piece ? 0 : BS_RESTORE_PACKS, to = ref->piece ? BS_RESTORE_PACKS : BS_RESTORE_HELD;

	for (int i = from; i < to; i++)
		if (h->used[i] && !memcmp(h->digest[i], ref->digest, BS_DIGEST_LEN)) {
			h->stamp[i] = ++h->clock;
			return i;
		}
	return -1;
}

/* Where a reference's chunk goes: the pack chunk used least lately, or
 * the one place of whole chunks. */
static int held_put(struct bs_restore_held *h, const struct bs_ref *ref)
{
	int v = BS_RESTORE_PACKS;

	if (ref->piece) {
		v = 0;
		for (int i = 0; i < BS_RESTORE_PACKS; i++) {
			if (!h->used[i]) {
				v = i;
				break;
			}
			if (h->stamp[i] < h->stamp[v])
				v = i;
		}
	}
	memcpy(h->digest[v], ref->digest, BS_DIGEST_LEN);
	h->used[v] = 1;
	h->stamp[v] = ++h->clock;
	return v;
}

/* A piece: the whole chunk held is let go (reading ahead, its slot goes
 * back to the window). */
static void held_piece(struct bs_restore_held *h)
{
	h->used[BS_RESTORE_PACKS] = 0;
}

static void let_go_whole(struct bs_restore *r)
{
	held_piece(&r->held);
	if (r->cur) {
		bs_readahead_pop(&r->ahead.ra);
		r->cur = NULL;
	}
}

/* A reference's chunk: held, from the read-ahead (when its next chunk is
 * this one), or read and decoded here.  NULL with e when it cannot be
 * had; it is held as such, so that a later reference to it says the
 * same without reading it again, as the producer expects. */
static const struct bs_buf *chunk_of(struct bs_restore *r, const struct bs_ref *ref, struct bs_err *e)
{
	struct bs_readahead_slot *slot;
	int i;

	if (ref->piece)
		let_go_whole(r);
	i = held_find(&r->held, ref);
	if (i >= 0) {
		if (r->bad[i].code) {
			*e = r->bad[i];
			return NULL;
		}
		return r->cur && i == BS_RESTORE_PACKS ? &r->cur->data : &r->data[i];
	}
	let_go_whole(r);
	i = held_put(&r->held, ref);
	r->bad[i].code = 0;
	if (r->ahead.on && (slot = bs_readahead_next(&r->ahead.ra)) &&
	    !memcmp(slot->digest, ref->digest, BS_DIGEST_LEN)) {
		if (slot->rc < 0)
			r->bad[i] = slot->err;
		if (!ref->piece) {
			/* written from its slot, which is taken when let go */
			r->cur = slot;
			if (r->bad[i].code) {
				*e = r->bad[i];
				return NULL;
			}
			return &slot->data;
		}
		{
			/* the slot takes the buffer given up, reserved already */
			struct bs_buf t = r->data[i];
			r->data[i] = slot->data;
			slot->data = t;
		}
		bs_readahead_pop(&r->ahead.ra);
	} else {
		/* not read ahead (the producer went another way): read it
		 * here, and leave the read-ahead as it is, for what comes next */
		bs_buf_reset(&r->data[i]);
		bs_budget_reserve(&r->data[i], r->repo->cfg.chunk_max);
		bs_budget_reserve(&r->repo->scratch, r->repo->cfg.chunk_max);
		if (bs_chunk_get(r->repo, ref->digest, &r->data[i], &r->bad[i]) < 0 && !r->bad[i].code)
			r->bad[i].code = BS_INPUT;
	}
	if (r->bad[i].code) {
		*e = r->bad[i];
		return NULL;
	}
	return &r->data[i];
}

/* A chunk that cannot be had: zeros of its length in its place, as the
 * original backshift did, so that the archive and the other files stay
 * whole; the file and the chunk are named. */
static void zeros_for(struct bs_restore *r, struct bs_tar_data *data, const struct bs_buf *path, size_t i,
		      const unsigned char *digest, uint64_t size, const char *why)
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
		bs_tar_data_add(data, zero, n);
		left -= n;
	}
}

/* A regular file's bytes, chunk by chunk or piece by piece, each checked
 * against its chunk (zeros, named, in place of one that cannot be had); a sparse file's extents, written sparse or with its
 * holes as zeros. */
static int write_data(struct bs_restore *r, const struct bs_entry *ent, const struct bs_buf *path, struct bs_err *e)
{
	struct bs_tar_data data;
	struct bs_err why;

	bs_tar_data_begin(&data, r->out, &ent->rec, r->opts);
	for (size_t i = 0; i < ent->nrefs; i++) {
		const struct bs_ref *ref = &ent->refs[i];
		const struct bs_buf *bytes = chunk_of(r, ref, &why);
		char msg[160];
		if (!bytes) {
			zeros_for(r, &data, path, i, ref->digest, ref->size, why.msg);
		} else if (!ref->piece && bytes->len != ref->size) {
			snprintf(msg, sizeof(msg), "it holds %zu bytes, not %" PRIu64, bytes->len, ref->size);
			zeros_for(r, &data, path, i, ref->digest, ref->size, msg);
		} else if (ref->piece && (ref->offset > bytes->len || ref->size > bytes->len - ref->offset)) {
			snprintf(msg, sizeof(msg), "the piece of %" PRIu64 " bytes at %" PRIu64
				 " lies beyond its end (%zu bytes)", ref->size, ref->offset, bytes->len);
			zeros_for(r, &data, path, i, ref->digest, ref->size, msg);
		} else {
			bs_tar_data_add(&data, bytes->p + ref->offset, ref->size);
		}
		if (r->out->err)
			return bs_writer_flush(r->out, e);
	}
	if (bs_tar_data_end(&data, &why) < 0)
		return bs_err_set(e, why.code, "'%.200s': %s", path->p, why.msg);
	return 0;
}

/* Can this record be one name of a file with several (a hard link)? */
static int linkable(const struct bs_rec *rec)
{
	return rec->nlink > 1 && strchr("fpcb", rec->kind);
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
	if (linkable(rec)) {
		first = bs_linkmap_get(&r->links, rec->dev, rec->ino);
		if (first && strcmp(first, r->name.p))
			link = first;
		else if (first)
			return 0;	/* this very member was written already */
		else
			bs_linkmap_put(&r->links, rec->dev, rec->ino, bs_xstrdup(r->name.p));
	}
	if (bs_tar_member(r->out, rec, r->name.p, r->name.len, link, link ? strlen(link) : 0, r->opts, e) < 0)
		return -1;
	r->members++;
	if (rec->kind == 'f' && !link && write_data(r, ent, path, e) < 0)
		return -1;
	if (r->out->err)
		return bs_writer_flush(r->out, e);
	return 0;
}

/* Note that `path` was written (or need not be): each once. */
static int done_before(struct bs_restore *r, const char *path, size_t n, int add)
{
	for (size_t j = 0; j < r->ndone; j++)
		if (strlen(r->done[j]) == n && !memcmp(r->done[j], path, n))
			return 1;
	if (add) {
		r->done = bs_xrealloc(r->done, (r->ndone + 1) * sizeof(*r->done));
		r->done[r->ndone++] = bs_xstrndup(path, n);
	}
	return 0;
}

/*
 * The directories above a path given, from the backup's listings, so that
 * a partial restore gives them their recorded mode, owner and times rather
 * than tar's defaults; each once, the top first.  "/" itself is left out
 * (it would be the directory restored into), and so are directories the
 * backup did not record (implicit ones).
 */
static int ancestors(struct bs_restore *r, const char *path, struct bs_err *e)
{
	size_t n = strlen(path);
	struct bs_buf p = BS_BUF_INIT;
	struct bs_entry copy;
	int rc = 0;

	bs_entry_init(&copy);
	for (size_t i = 1; i < n && rc == 0; i++) {
		struct bs_entry *ent;
		if (path[i] != '/' || done_before(r, path, i, 1))
			continue;
		if (bs_meta_lookup(r->meta, path, i, &ent, e) < 0) {
			rc = -1;
			break;
		}
		if (!ent || ent->rec.kind != 'd')
			continue;
		bs_entry_copy(&copy, ent);
		bs_buf_reset(&p);
		bs_buf_add(&p, path, i);
		rc = visit(r, &copy, &p, e);
	}
	bs_entry_release(&copy);
	bs_buf_release(&p);
	return rc;
}

/* BS_RESTORE_DIRONLY: the path itself, without what is below it */
static int visit_one(struct bs_restore *r, const char *path, struct bs_err *e)
{
	struct bs_entry copy, *ent;
	struct bs_buf p = BS_BUF_INIT;
	int rc;

	bs_entry_init(&copy);
	if (!strcmp(path, "/"))
		rc = bs_meta_root(r->meta, &copy, e);
	else if ((rc = bs_meta_lookup(r->meta, path, strlen(path), &ent, e)) > 0)
		bs_entry_copy(&copy, ent);
	if (rc > 0) {
		bs_buf_adds(&p, path);
		rc = visit(r, &copy, &p, e);
	}
	bs_entry_release(&copy);
	bs_buf_release(&p);
	return rc < 0 ? -1 : 0;
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
 * the chunks of the files whose data will be written, but those the
 * restore will hold then (its account of them is kept here alike). */
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
		if (ent->refs[i].piece)
			held_piece(&r->ahead.held);
		if (held_find(&r->ahead.held, &ent->refs[i]) >= 0)
			continue;
		held_put(&r->ahead.held, &ent->refs[i]);
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
	size_t units;

	if (r->threads < 2 || bs_meta_open(&r->ahead.meta, r->repo, r->meta->id, &ignored) < 0)
		return;
	/* the pack chunks held are units of the budget too; the whole chunk
	 * being written is held in its slot of the window */
	units = bs_budget_units(r->memory ? r->memory : BS_RESTORE_BUDGET, r->repo->cfg.chunk_max);
	units = units > BS_RESTORE_PACKS + BS_BUDGET_MIN_UNITS / 2 ? units - BS_RESTORE_PACKS : BS_BUDGET_MIN_UNITS / 2;
	if (bs_readahead_start(&r->ahead.ra, r->repo, r->threads, units) < 0) {
		bs_meta_release(&r->ahead.meta);
		return;
	}
	bs_linkmap_init(&r->ahead.links);
	memset(&r->ahead.held, 0, sizeof(r->ahead.held));
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
	let_go_whole(r);
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
	char *inside;

	if (!roots)
		return -1;
	/* a path inside another one given is already in that one's subtree;
	 * sorted, a path's ancestors among them come before it */
	qsort(roots, (size_t)nroots, sizeof(*roots), by_path);
	inside = bs_xcalloc((size_t)nroots, 1);
	for (int i = 0; i < nroots; i++) {
		for (int j = 0; j < i && !inside[i]; j++)
			inside[i] = roots[j][0] && bs_path_covers(roots[j], strlen(roots[j]), roots[i], strlen(roots[i]));
		if (inside[i] && !(r->opts & BS_RESTORE_DIRONLY))
			roots[i][0] = '\0';	/* not a root any more */
	}
	if (!(r->opts & BS_RESTORE_DIRONLY))
		ahead_start(r, roots, nroots);
	for (int i = 0; i < nroots && rc == 0; i++) {
		if (!roots[i][0])
			continue;
		if (!inside[i] && ancestors(r, roots[i], e) < 0) {
			rc = -1;
			break;
		}
		if (r->opts & BS_RESTORE_DIRONLY) {
			if (done_before(r, roots[i], strlen(roots[i]), 1))
				continue;
			rc = visit_one(r, roots[i], e);
		} else if (bs_meta_walk(r->meta, roots[i], strlen(roots[i]), visit, r, e) < 0) {
			rc = -1;
		}
	}
	ahead_stop(r);
	free(inside);
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
