/*
 * meta.h - a backup's metadata: one gdbm database, one value a directory.
 *
 * REPO/backups/<id>/metadata is a gdbm file.  Its key is a directory's
 * absolute path ("/", "/usr", ...); its value is that directory's listing:
 * one byte saying how the rest is stored ('x' xz, 'r' raw), the 32-byte
 * SHA-256 of the listing's text (checked by readers), then the text: the
 * entries sorted by name, each written as in the manifest stream (its
 * R lines, then its record with the bare name as path).  A directory that
 * was not itself backed up but lies above one that was appears in its
 * parent's listing with kind 'i' (implicit).  The key "" holds the record
 * of "/" itself, when "/" was backed up.  A partial listing or restore
 * reads only the values it needs.
 *
 * struct bs_entry is a record with its chunks.  struct bs_listing is a
 * directory's entries, sorted by name.
 *
 * Writer (bs-index).  Records may come in any order; a directory's listing
 * is kept in memory while the walk is inside it, as the text it will hold
 * (metaframe.h), and written out when the walk leaves it (merged with what
 * was written before, when a walk comes back), so memory follows the depth
 * of the tree and the size of its directories' texts, not its size.
 *   bs_meta_create(w, repo, id, e)
 *   w->reuse, w->nreuse           optional: readers of earlier backups; a
 *                                 listing identical to one of theirs (same
 *                                 digest) is copied from it, not compressed
 *   bs_meta_add(w, entry, e)      the entry's rec.path is an absolute path
 *   bs_meta_add_listing(w, dir, dirlen, head, entries, bytes, subdirs, n, e)
 *                                 the whole listing of dir as an earlier
 *                                 backup stored it (head from
 *                                 bs_meta_peek()), copied as it is unless
 *                                 more entries of dir come; entries and
 *                                 bytes are its counts; subdirs (n bytes)
 *                                 the names of its directories, each ended
 *                                 by a NUL, which need no implicit entries
 *   bs_meta_sync(w, e)            write every open listing and sync the
 *                                 database: what is there is readable
 *   bs_meta_close(w, e)           sync and close; bs_meta_abort() frees
 *                                 without writing
 *   w->entries, w->bytes          the entries (implicit ones aside) and the
 *                                 bytes of regular files in what was
 *                                 written: a path given twice counts once
 *
 * Reader (bs-ls, bs-cat, bs-chunk's incremental lookups, bs-check).
 *   bs_meta_open(m, repo, id, e)
 *   bs_meta_listing(m, dir, len, l, e)  the listing of dir into l; returns
 *                                       1, 0 when the backup has no such
 *                                       directory, -1 on error
 *   bs_meta_lookup(m, path, len, &ent, e)  the entry of one path; returns 1
 *                                       (ent is valid until the next call),
 *                                       0, or -1.  The last BS_META_CACHE
 *                                       listings looked in are kept as their
 *                                       text with an index of names, each
 *                                       entry decoded when it is asked for:
 *                                       a directory of many entries costs
 *                                       its text, not that many records
 *   bs_meta_root(m, ent, e)             the record of "/": 1, 0 or -1
 *   bs_meta_peek(m, dir, len, head, e)  the head of dir's stored listing,
 *                                       not decompressed: 1, 0 or -1;
 *                                       bs_meta_sealed(head) says whether
 *                                       the value is as it was written:
 *                                       ask before trusting it
 *   bs_meta_walk(m, path, len, fn, arg, e)
 *       visit path and everything below it, a directory before its entries;
 *       of its entries, in byte order, those that are not directories,
 *       then each directory followed by everything below it (files in
 *       bs-walk's order): fn(arg, ent, fullpath, e) for each, the implicit
 *       directories included (kind 'i'); fn returns 0 to go on or -1 to
 *       stop.  Returns 1, 0 when the backup does not hold path, or -1.
 *       With m->on_damage set, a directory below path whose listing is
 *       damaged is told to it and skipped rather than ending the walk.
 *       Each level of the walk holds its directory's text and decodes an
 *       entry at a time (ent is valid during fn's call), so memory follows
 *       the depth of the tree and the size of its directories' texts.
 *   bs_meta_release(m)
 *
 * Files: metawrite.c (the writer), metaframe.c (a directory's entries
 * while it is written), metaread.c (the reader and its cache);
 * a listing's entries are listing.h, a stored value value.h, paths path.h.
 * A writer or a reader belongs to one thread at a time.
 */
#ifndef BS_META_H
#define BS_META_H

#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "hash.h"
#include "codec.h"
#include "listing.h"
#include "path.h"
#include "record.h"
#include "repo.h"
#include "value.h"

struct bs_meta_frame;

struct bs_meta_writer {
	void *db;
	struct bs_repo *repo;
	struct bs_meta_frame *stack;
	size_t depth, cap;
	struct bs_buf scratch, packed, text;
	struct bs_codec_ctx codec;	/* compresses its listings */
	char *file;
	struct bs_meta_reader **reuse;	/* earlier backups whose identical */
	size_t nreuse;			/* listings are copied, not compressed */
	uint64_t entries, bytes;	/* what the written listings hold */
};

int bs_meta_create(struct bs_meta_writer *w, struct bs_repo *repo, const char *id, struct bs_err *e);
int bs_meta_add(struct bs_meta_writer *w, const struct bs_entry *ent, struct bs_err *e);
int bs_meta_add_listing(struct bs_meta_writer *w, const char *dir, size_t dirlen, const struct bs_meta_head *h,
			uint64_t entries, uint64_t bytes, const char *subdirs, size_t subdirslen, struct bs_err *e);
int bs_meta_sync(struct bs_meta_writer *w, struct bs_err *e);
int bs_meta_close(struct bs_meta_writer *w, struct bs_err *e);
void bs_meta_abort(struct bs_meta_writer *w);

#define BS_META_CACHE 4

struct bs_meta_reader {
	void *db;
	char *id;
	struct bs_buf key, raw;
	void *peeked;		/* the value bs_meta_peek() fetched */
	int strict;		/* set: check each listing's head against its
				   text too (bs-check) */
	struct {			/* the last listings looked in */
		struct bs_buf dir;
		struct bs_buf text;	/* its text, checked */
		struct { uint32_t name, end; } *at;	/* entry i: its name at
					   text[name, end), its end (a NUL) at
					   text[end], the next entry after it */
		size_t n, cap;
		int present;
		unsigned long stamp;
	} cache[BS_META_CACHE];
	unsigned long clock;
	struct bs_listing found;	/* the entry a lookup found */
	struct bs_listing walked;	/* the entry a walk visits */
	struct bs_entry root;
	struct bs_codec_ctx codec;	/* decompresses its listings */
	/* optional: set, bs_meta_walk() skips a directory whose listing is
	 * damaged, telling on_damage(damage_arg, message), and goes on */
	void (*on_damage)(void *arg, const char *msg);
	void *damage_arg;
};

int bs_meta_open(struct bs_meta_reader *m, struct bs_repo *repo, const char *id, struct bs_err *e);
int bs_meta_listing(struct bs_meta_reader *m, const char *dir, size_t len, struct bs_listing *l, struct bs_err *e);
int bs_meta_peek(struct bs_meta_reader *m, const char *dir, size_t len, struct bs_meta_head *h, struct bs_err *e);
int bs_meta_sealed(const struct bs_meta_head *h);
int bs_meta_lookup(struct bs_meta_reader *m, const char *path, size_t len, struct bs_entry **ent, struct bs_err *e);
int bs_meta_root(struct bs_meta_reader *m, struct bs_entry *ent, struct bs_err *e);
typedef int bs_meta_visit(void *arg, const struct bs_entry *ent, const struct bs_buf *path, struct bs_err *e);
int bs_meta_walk(struct bs_meta_reader *m, const char *path, size_t len, bs_meta_visit *fn, void *arg,
		 struct bs_err *e);
void bs_meta_release(struct bs_meta_reader *m);

/* Buckets of a database kept in memory.  gdbm's own default follows the
 * size of the database (GDBM_CACHE_AUTO), so a reader's and the writer's
 * memory would grow with the number of directories; a listing is one
 * value, read once or twice, so a few buckets do. */
#define BS_META_GDBM_CACHE 64

/* used by metawrite.c, metaframe.c and metaread.c: a gdbm failure as an
 * error; the entry of a listing's text at *off, decoded into l alone and
 * *off moved past it (1, 0 at the end, -1 malformed) */
int bs_meta_fail(struct bs_err *e, const char *what, const char *id);
void bs_meta_gdbm_cache(void *db);
int bs_meta_next_entry(struct bs_listing *l, const struct bs_buf *text, size_t *off, struct bs_err *e);

#endif
