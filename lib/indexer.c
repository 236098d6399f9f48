/* indexer.c - a manifest stream into a backup: metadata, counters, checkpoints, summary. */
#include <stdio.h>
#include <string.h>
#include "indexer.h"

#define CHECKPOINT_FILES 5000
#define CHECKPOINT_SECONDS 300

static const char *const counted[BS_INDEXER_NCOUNTED] = {
	"unchanged", "read-files", "read-bytes", "new-files", "present-files", "new-chunks",
	"new-bytes", "stored-bytes", "sockets", "vanished", "denied", "unreadable", "changed",
};

uint64_t bs_indexer_count(const struct bs_indexer *x, const char *key)
{
	for (size_t i = 0; i < BS_INDEXER_NCOUNTED; i++)
		if (!strcmp(counted[i], key))
			return x->counts[i];
	return 0;
}

uint64_t bs_indexer_problems(const struct bs_indexer *x)
{
	return bs_indexer_count(x, "vanished") + bs_indexer_count(x, "denied") + bs_indexer_count(x, "unreadable") +
	       bs_indexer_count(x, "changed");
}

static void warn(struct bs_indexer *x, const char *msg, const char *what)
{
	struct bs_buf line = BS_BUF_INIT;

	if (!x->warn)
		return;
	bs_buf_adds(&line, msg);
	bs_buf_adds(&line, what);
	x->warn(x->arg, line.p);
	bs_buf_release(&line);
}

int bs_indexer_open(struct bs_indexer *x, struct bs_repo *repo, const char *host, const char *subset,
		    const struct bs_stream *st, struct bs_err *e)
{
	struct bs_summary prior[3];
	size_t n = 0;
	int rc;

	x->repo = repo;
	bs_linkmap_init(&x->present);
	rc = bs_expiry_check(repo, st->has_floor ? st->floor : st->time, bs_now(), e);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		struct bs_buf msg = BS_BUF_INIT;
		bs_buf_addf(&msg, "the last expiry's cut-off is later than this clock: do the clocks of the "
			    "machines that write to '%s' agree?", repo->path);
		warn(x, msg.p, "");
		bs_buf_release(&msg);
	}
	/* earlier backups of this host and subset: a directory listing the
	 * same as one of theirs is copied rather than compressed again */
	if (bs_backup_priors(repo, host, subset, prior, &n, e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (bs_meta_open(&x->priors[x->npriors], repo, prior[i].id, e) == 0)
			x->reuse[x->npriors] = &x->priors[x->npriors], x->npriors++;
	if (bs_backup_create(repo, host, subset, st->time, st->has_floor ? st->floor : st->time, &x->sum, e) < 0)
		return -1;
	if (bs_meta_create(&x->meta, repo, x->sum.id, e) < 0) {
		/* no metadata, no backup: leave nothing half made */
		bs_backup_remove(repo, x->sum.id, NULL);
		return -1;
	}
	x->meta.reuse = x->reuse;
	x->meta.nreuse = x->npriors;
	x->last_checkpoint = time(NULL);
	return 0;
}

/*
 * Every few thousand files the summary is rewritten, so a listing of the
 * backups shows how far a running or interrupted one got; every few
 * minutes (and on SIGUSR1) the metadata gathered so far is written out
 * too, which costs more: the open directories' listings are written
 * before they are whole, then again when they are.
 */
static int checkpoint(struct bs_indexer *x, int metadata, struct bs_err *e)
{
	x->files_at_checkpoint = x->sum.files;
	x->sum.problems = bs_indexer_problems(x);
	if (metadata) {
		x->last_checkpoint = time(NULL);
		if (bs_meta_sync(&x->meta, e) < 0)
			return -1;
	}
	return bs_summary_write(x->repo, &x->sum, e);
}

/* A checkpoint that fails is warned about once, not fatal: the backup
 * goes on, and its end writes everything again. */
static void checkpoint_or_warn(struct bs_indexer *x, int metadata)
{
	struct bs_err e;

	if (checkpoint(x, metadata, &e) < 0 && !x->warned) {
		warn(x, e.msg, "; going on");
		x->warned = 1;
	}
}

static void maybe_checkpoint(struct bs_indexer *x)
{
	int all = (x->flush_now && *x->flush_now) || time(NULL) - x->last_checkpoint >= CHECKPOINT_SECONDS;

	if (all || x->sum.files - x->files_at_checkpoint >= CHECKPOINT_FILES) {
		if (x->flush_now)
			*x->flush_now = 0;
		checkpoint_or_warn(x, all);
	}
}

/* SIGUSR1 while waiting for input: write out what has come so far. */
void bs_indexer_on_signal(void *arg)
{
	struct bs_indexer *x = arg;

	if (!x->flush_now || !*x->flush_now || !x->meta.db)
		return;
	*x->flush_now = 0;
	checkpoint_or_warn(x, 1);
}

/* The earlier backup an L item names, opened once. */
static struct bs_meta_reader *backup_named(struct bs_indexer *x, const char *id, struct bs_err *e)
{
	struct bs_summary sum;

	for (size_t i = 0; i < x->npriors; i++)
		if (!strcmp(x->priors[i].id, id))
			return &x->priors[i];
	for (size_t i = 0; i < x->nnamed; i++)
		if (!strcmp(x->named[i].id, id))
			return &x->named[i];
	if (x->nnamed == sizeof(x->named) / sizeof(x->named[0])) {
		bs_err_set(e, BS_INPUT, "standard input: listings of more than %zu earlier backups",
			   x->npriors + x->nnamed);
		return NULL;
	}
	if (bs_summary_read(x->repo, id, &sum, e) < 0 || bs_meta_open(&x->named[x->nnamed], x->repo, id, e) < 0)
		return NULL;
	return &x->named[x->nnamed++];
}

/* An L item: the listing an earlier backup stored, taken whole. */
static int take_listing(struct bs_indexer *x, const struct bs_item *it, struct bs_buf *clean, struct bs_err *e)
{
	struct bs_meta_reader *m;
	struct bs_meta_head h;
	int rc;

	if (bs_path_clean(it->dir.p, it->dir.len, clean, e) < 0 || clean->len != it->dir.len ||
	    memcmp(clean->p, it->dir.p, clean->len))
		return bs_err_set(e, BS_INPUT, "standard input: path '%.200s' is not absolute and clean", it->dir.p);
	if (!(m = backup_named(x, it->id, e)))
		return -1;
	rc = bs_meta_peek(m, it->dir.p, it->dir.len, &h, e);
	if (rc < 0)
		return -1;
	if (rc == 0 || memcmp(h.digest, it->digest, BS_DIGEST_LEN))
		return bs_err_set(e, BS_INPUT, "standard input: backup '%s' holds no such listing of '%.200s'",
				  it->id, it->dir.p);
	if (!bs_meta_sealed(&h))
		return bs_err_set(e, BS_INPUT, "the metadata of '%s' is damaged at '%.200s'", it->id, it->dir.p);
	if (bs_meta_add_listing(&x->meta, it->dir.p, it->dir.len, &h, it->entries, it->bytes, it->dirs.p,
				it->dirs.len, e) < 0)
		return -1;
	x->sum.files += it->entries;
	x->sum.bytes += it->bytes;
	x->others += it->entries - it->files;
	return 0;
}

/* An R line's chunk is in the repository: bs-store vouches for the chunks
 * it passes on, but a saved manifest fed to bs-index alone may name chunks
 * that have gone.  One look each distinct chunk; an unchanged tree comes
 * mostly as L items, which carry no R lines. */
static int chunk_present(struct bs_indexer *x, const unsigned char *d, struct bs_err *e)
{
	uint64_t a, b;
	char hex[BS_HEX_LEN + 1];

	memcpy(&a, d, 8);
	memcpy(&b, d + 8, 8);
	if (bs_linkmap_get(&x->present, a, b))
		return 0;
	if (!bs_chunk_exists(x->repo, d)) {
		bs_hex(hex, d);
		return bs_err_set(e, BS_INPUT, "standard input: chunk %s is not in the repository", hex);
	}
	bs_linkmap_put(&x->present, a, b, (void *)1);
	return 0;
}

/* A record, with the chunk references gathered in ent since the last one. */
static int take_record(struct bs_indexer *x, const struct bs_item *it, struct bs_entry *ent, struct bs_buf *clean,
		       struct bs_err *e)
{
	if (bs_path_clean(it->rec.path.p, it->rec.path.len, clean, e) < 0 || it->rec.path.p[0] != '/' ||
	    clean->len != it->rec.path.len || memcmp(clean->p, it->rec.path.p, clean->len))
		return bs_err_set(e, BS_INPUT, "standard input: path '%.200s' is not absolute and clean",
				  it->rec.path.p);
	bs_rec_copy(&ent->rec, &it->rec);
	/* a failure here still ends through the close, which keeps what the
	 * metadata already holds */
	if (bs_meta_add(&x->meta, ent, e) < 0)
		return -1;
	x->sum.files++;
	if (it->rec.kind == 'f')
		x->sum.bytes += it->rec.size;
	else
		x->others++;
	ent->nrefs = 0;
	return 0;
}

int bs_indexer_run(struct bs_indexer *x, struct bs_stream *st, struct bs_err *why)
{
	struct bs_item it;
	struct bs_entry ent;
	struct bs_buf clean = BS_BUF_INIT;
	int rc;

	bs_item_init(&it);
	bs_entry_init(&ent);
	why->code = 0;
	while ((rc = bs_stream_next(st, &it, why)) > 0) {
		switch (it.type) {
		case BS_ITEM_REF:
			rc = chunk_present(x, it.digest, why);
			bs_entry_addref(&ent, it.digest, it.size);
			break;
		case BS_ITEM_PIECE:
			if (it.packed)
				ent.nrefs = 0;	/* pack chunks: no file's */
			bs_entry_addpiece(&ent, it.digest, it.offset, it.size);
			break;
		case BS_ITEM_ABANDON:
			ent.nrefs = 0;
			break;
		case BS_ITEM_STAT:
			x->stats++;
			for (size_t i = 0; i < BS_INDEXER_NCOUNTED; i++)
				if (!strcmp(counted[i], it.key))
					x->counts[i] += it.value;
			break;
		case BS_ITEM_CHUNK:
			break;	/* refused by the stream reader */
		case BS_ITEM_LISTING:
			rc = take_listing(x, &it, &clean, why);
			break;
		case BS_ITEM_RECORD:
			rc = take_record(x, &it, &ent, &clean, why);
			break;
		}
		if (rc < 0)
			break;
		if (it.type == BS_ITEM_LISTING || it.type == BS_ITEM_RECORD)
			maybe_checkpoint(x);
	}
	bs_item_release(&it);
	bs_entry_release(&ent);
	bs_buf_release(&clean);
	return rc < 0 ? -1 : 0;
}

static int count_entry(void *arg, const struct bs_entry *ent, const struct bs_buf *path, struct bs_err *e)
{
	return 0;
}

/* After the metadata could not be written in full (a full disk): is what
 * is there readable, every listing of it?  Read strictly, as bs-check
 * would, so that no later tool trips on it. */
static int metadata_usable(struct bs_indexer *x)
{
	struct bs_meta_reader m;
	int rc;

	if (bs_meta_open(&m, x->repo, x->sum.id, NULL) < 0)
		return 0;
	m.strict = 1;
	rc = bs_meta_walk(&m, "/", 1, count_entry, NULL, NULL);
	bs_meta_release(&m);
	return rc >= 0;
}

int bs_indexer_close(struct bs_indexer *x, int complete, struct bs_err *e)
{
	x->sum.problems = bs_indexer_problems(x);
	if (bs_meta_close(&x->meta, e) < 0) {
		size_t len = strlen(e->msg);
		/* keep the unfinished backup if its metadata can be read (the
		 * summary of its last checkpoint stands); else remove it */
		if (metadata_usable(x)) {
			snprintf(e->msg + len, sizeof(e->msg) - len, "; backup '%s' kept as unfinished", x->sum.id);
		} else if (bs_backup_remove(x->repo, x->sum.id, NULL) == 0) {
			snprintf(e->msg + len, sizeof(e->msg) - len, "; backup '%s' removed: its metadata was unusable",
				 x->sum.id);
			x->removed = 1;
		}
		return -1;
	}
	/* what the metadata holds: a path that came twice counts once */
	x->sum.files = x->meta.entries;
	x->sum.bytes = x->meta.bytes;
	x->sum.finish = bs_now();
	x->sum.finished = complete;
	return bs_summary_write(x->repo, &x->sum, e);
}

int bs_indexer_discard(struct bs_indexer *x, struct bs_err *e)
{
	bs_meta_abort(&x->meta);
	return bs_backup_remove(x->repo, x->sum.id, e);
}

void bs_indexer_release(struct bs_indexer *x)
{
	for (size_t i = 0; i < x->npriors; i++)
		bs_meta_release(&x->priors[i]);
	for (size_t i = 0; i < x->nnamed; i++)
		bs_meta_release(&x->named[i]);
	x->npriors = x->nnamed = 0;
	bs_linkmap_release(&x->present, NULL);
}
