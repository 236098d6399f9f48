/* metawrite.c - writing a backup's metadata: a gdbm file, one listing a directory (its entries gathered in metaframe.c). */
#include <errno.h>
#include <fcntl.h>
#include <gdbm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "meta.h"
#include "metaframe.h"

/* A listing's value into w->packed, from a frame's entries: the same
 * value of an earlier backup when one has it (no compression), else a new
 * one; *entries and *bytes say what it holds. */
static int pack(struct bs_meta_writer *w, struct bs_meta_frame *f, const char *key, size_t keylen,
		uint64_t *entries, uint64_t *bytes, struct bs_err *e)
{
	struct bs_buf *out = &w->packed;

	if (bs_meta_frame_encode(f, key, keylen, &w->scratch, out, entries, bytes, e) < 0)
		return -1;
	for (size_t i = 0; i < w->nreuse; i++) {
		datum k = { (char *)key, (int)keylen }, v = gdbm_fetch(w->reuse[i]->db, k);
		struct bs_meta_head old;
		if (!v.dptr)
			continue;
		if (bs_value_parse(v.dptr, (size_t)v.dsize, &old) == 0 &&
		    !memcmp(old.digest, out->p + 1, BS_DIGEST_LEN) && bs_meta_sealed(&old)) {
			bs_buf_reset(out);
			bs_buf_add(out, v.dptr, (size_t)v.dsize);
			free(v.dptr);
			return 0;
		}
		free(v.dptr);
	}
	return bs_value_seal(&w->codec, &w->scratch, out, e);
}


/* Does the listing taken whole hold a directory of this name? */
static int base_covers(const struct bs_meta_frame *f, const char *name, size_t n)
{
	size_t lo = 0, hi = f->nsub;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *s = f->subs.p + f->suboff[mid];
		int c = bs_name_cmp(s, strlen(s), name, n);
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Turn a frame's listing taken whole into entries, before its others. */
static int materialise(struct bs_meta_writer *w, struct bs_meta_frame *f, struct bs_err *e)
{
	struct bs_meta_head h;
	int rc;

	rc = bs_value_text(&w->codec, f->base.p, f->base.len, &w->text, &h, e);
	if (rc == 0)
		rc = bs_meta_frame_add_text(f, &w->text, 1, NULL, NULL, e);
	if (rc < 0) {
		char why[sizeof(e->msg)];
		memcpy(why, e->msg, sizeof(why));
		bs_err_set(e, e->code, "the listing of '%.200s' taken from an earlier backup: %.200s", f->dir.p, why);
	}
	bs_buf_reset(&f->base);
	f->nsub = 0;
	return rc;
}

int bs_meta_create(struct bs_meta_writer *w, struct bs_repo *repo, const char *id, struct bs_err *e)
{
	char path[300];
	int fd;

	memset(w, 0, sizeof(*w));
	bs_codec_ctx_init(&w->codec);
	w->repo = repo;
	w->file = bs_xstrdup(id);
	snprintf(path, sizeof(path), "backups/%s/metadata", id);
	fd = openat(repo->dirfd, path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return bs_err_sys(e, "cannot create the metadata of '%s'", id);
	w->db = gdbm_fd_open(fd, path, 0, GDBM_NEWDB | GDBM_CLOERROR | GDBM_NOMMAP, NULL);
	if (!w->db) {
		bs_meta_fail(e, "create", id);
		unlinkat(repo->dirfd, path, 0);	/* not a database: nothing may trip on it */
		free(w->file);
		return -1;
	}
	bs_meta_gdbm_cache(w->db);
	return 0;
}

static int flush_frame(struct bs_meta_writer *w, struct bs_meta_frame *f, struct bs_err *e)
{
	datum key, val, old;
	uint64_t old_entries = 0, old_bytes = 0, new_entries, new_bytes;

	key.dptr = f->dir.p;
	key.dsize = (int)f->dir.len;
	if (f->base.len) {
		if (f->n == 0 && !gdbm_exists(w->db, key)) {
			/* the listing taken whole, as it was stored */
			val.dptr = f->base.p;
			val.dsize = (int)f->base.len;
			if (gdbm_store(w->db, key, val, GDBM_REPLACE) != 0)
				return bs_meta_fail(e, "write", w->file);
			w->entries += f->base_entries;
			w->bytes += f->base_bytes;
			bs_buf_reset(&f->base);
			f->nsub = 0;
			return 0;
		}
		if (materialise(w, f, e) < 0)
			return -1;
	}
	if (f->n == 0)
		return 0;
	old = gdbm_fetch(w->db, key);
	if (old.dptr) {
		/* the walk came back to a directory it had left: merge, the
		 * entries that came later winning */
		struct bs_meta_head h;
		int rc = bs_value_text(&w->codec, old.dptr, (size_t)old.dsize, &w->text, &h, e);
		free(old.dptr);
		if (rc < 0 || bs_meta_frame_add_text(f, &w->text, 1, &old_entries, &old_bytes, e) < 0)
			return -1;
	}
	if (pack(w, f, f->dir.p, f->dir.len, &new_entries, &new_bytes, e) < 0)
		return -1;
	w->entries += new_entries - old_entries;
	w->bytes += new_bytes - old_bytes;
	val.dptr = w->packed.p;
	val.dsize = (int)w->packed.len;
	if (gdbm_store(w->db, key, val, GDBM_REPLACE) != 0)
		return bs_meta_fail(e, "write", w->file);
	bs_meta_frame_clear(f);
	return 0;
}

static void add_implicit(struct bs_meta_frame *f, const char *name, size_t n)
{
	if (f->base.len && base_covers(f, name, n))
		return;
	bs_meta_frame_add_implicit(f, name, n);
}

static int pop(struct bs_meta_writer *w, struct bs_err *e)
{
	struct bs_meta_frame *f = &w->stack[w->depth - 1];
	const char *base;
	size_t dirlen, baselen;

	if (flush_frame(w, f, e) < 0)
		return -1;
	if (w->depth > 1) {
		bs_path_split(f->dir.p, f->dir.len, &dirlen, &base, &baselen);
		add_implicit(&w->stack[w->depth - 2], base, baselen);
	}
	w->depth--;
	return 0;
}

static struct bs_meta_frame *push(struct bs_meta_writer *w, const char *dir, size_t n)
{
	struct bs_meta_frame *f;

	if (w->depth == w->cap) {
		size_t old = w->cap;
		w->cap = w->cap ? w->cap * 2 : 16;
		w->stack = bs_xrealloc(w->stack, w->cap * sizeof(*w->stack));
		for (size_t i = old; i < w->cap; i++)
			bs_meta_frame_init(&w->stack[i]);
	}
	f = &w->stack[w->depth++];
	bs_buf_reset(&f->dir);
	bs_buf_add(&f->dir, dir, n);
	bs_meta_frame_clear(f);
	bs_buf_reset(&f->base);
	f->nsub = 0;
	return f;
}

/* Make the directory path[0, dirlen) the top of the stack: leave the
 * directories that do not hold it, enter those down to it. */
static struct bs_meta_frame *enter(struct bs_meta_writer *w, const char *path, size_t dirlen, struct bs_err *e)
{
	struct bs_meta_frame *top;

	while (w->depth > 0 && !bs_path_covers(w->stack[w->depth - 1].dir.p, w->stack[w->depth - 1].dir.len, path, dirlen))
		if (pop(w, e) < 0)
			return NULL;
	if (w->depth == 0)
		push(w, "/", 1);
	for (;;) {
		top = &w->stack[w->depth - 1];
		if (top->dir.len == dirlen && !memcmp(top->dir.p, path, dirlen))
			return top;
		if (top->dir.len == 1 && dirlen == 1)
			return top;
		{
			/* descend one component toward the directory */
			size_t start = top->dir.len == 1 ? 1 : top->dir.len + 1, end = start;
			while (end < dirlen && path[end] != '/')
				end++;
			push(w, path, end);
		}
	}
}

int bs_meta_add_listing(struct bs_meta_writer *w, const char *dir, size_t dirlen, const struct bs_meta_head *h,
			uint64_t entries, uint64_t bytes, const char *subdirs, size_t subdirslen, struct bs_err *e)
{
	struct bs_meta_frame *top;

	if (dirlen == 0 || dir[0] != '/')
		return bs_err_set(e, BS_INPUT, "path '%.200s' is not absolute", dir);
	if (subdirslen && subdirs[subdirslen - 1] != '\0')
		return bs_err_set(e, BS_INPUT, "malformed names of directories under '%.200s'", dir);
	if (!(top = enter(w, dir, dirlen, e)))
		return -1;
	if (top->base.len || top->n) {
		/* entries of this directory came before: the listing's come
		 * after them, and win */
		struct bs_meta_head hh;
		if (bs_value_text(&w->codec, h->value, h->len, &w->text, &hh, e) < 0)
			return -1;
		return bs_meta_frame_add_text(top, &w->text, 0, NULL, NULL, e);
	}
	/* the names come in the listing's order, so they can be searched */
	for (size_t off = 0, prev = 0; off < subdirslen; prev = off, off += strlen(subdirs + off) + 1)
		if (off && bs_name_cmp(subdirs + prev, strlen(subdirs + prev), subdirs + off, strlen(subdirs + off)) >= 0)
			return bs_err_set(e, BS_INPUT, "the names of the directories in '%.200s' are not in order", dir);
	bs_buf_add(&top->base, h->value, h->len);
	top->base_entries = entries;
	top->base_bytes = bytes;
	bs_buf_reset(&top->subs);
	bs_buf_add(&top->subs, subdirs, subdirslen);
	top->nsub = 0;
	for (size_t off = 0; off < subdirslen; off += strlen(subdirs + off) + 1) {
		if (top->nsub == top->subcap) {
			top->subcap = top->subcap ? top->subcap * 2 : 16;
			top->suboff = bs_xrealloc(top->suboff, top->subcap * sizeof(*top->suboff));
		}
		top->suboff[top->nsub++] = off;
	}
	return 0;
}

int bs_meta_add(struct bs_meta_writer *w, const struct bs_entry *ent, struct bs_err *e)
{
	const char *path = ent->rec.path.p, *base;
	size_t len = ent->rec.path.len, dirlen, baselen;
	struct bs_meta_frame *top;

	if (len == 0 || path[0] != '/')
		return bs_err_set(e, BS_INPUT, "path '%.200s' is not absolute", path);
	if (len == 1) {
		/* "/" itself lives under the key "" */
		struct bs_meta_frame one;
		datum key = { (char *)"", 0 }, val;
		uint64_t entries, bytes;
		int rc;
		bs_meta_frame_init(&one);
		bs_meta_frame_add(&one, ent, path, len);
		rc = pack(w, &one, "", 0, &entries, &bytes, e);
		bs_meta_frame_release(&one);
		if (rc < 0)
			return -1;
		val.dptr = w->packed.p;
		val.dsize = (int)w->packed.len;
		if (!gdbm_exists(w->db, key))
			w->entries++;
		if (gdbm_store(w->db, key, val, GDBM_REPLACE) != 0)
			return bs_meta_fail(e, "write", w->file);
		return 0;
	}
	bs_path_split(path, len, &dirlen, &base, &baselen);
	if (!(top = enter(w, path, dirlen, e)))
		return -1;
	bs_meta_frame_add(top, ent, base, baselen);
	return 0;
}

int bs_meta_sync(struct bs_meta_writer *w, struct bs_err *e)
{
	for (size_t i = w->depth; i-- > 0;) {
		struct bs_meta_frame *f = &w->stack[i];
		if (i > 0) {
			const char *base;
			size_t dirlen, baselen;
			bs_path_split(f->dir.p, f->dir.len, &dirlen, &base, &baselen);
			add_implicit(&w->stack[i - 1], base, baselen);
		}
		if (flush_frame(w, f, e) < 0)
			return -1;
	}
	if (gdbm_sync(w->db) != 0)
		return bs_meta_fail(e, "sync", w->file);
	return 0;
}

static void writer_free(struct bs_meta_writer *w)
{
	for (size_t i = 0; i < w->cap; i++)
		bs_meta_frame_release(&w->stack[i]);
	free(w->stack);
	bs_buf_release(&w->scratch);
	bs_buf_release(&w->text);
	bs_buf_release(&w->packed);
	bs_codec_ctx_release(&w->codec);
	free(w->file);
	w->stack = NULL;
	w->file = NULL;
	w->depth = w->cap = 0;
}

int bs_meta_close(struct bs_meta_writer *w, struct bs_err *e)
{
	int rc = 0;

	while (w->depth > 0 && rc == 0)
		rc = pop(w, e);
	if (rc == 0 && gdbm_sync(w->db) != 0)
		rc = bs_meta_fail(e, "sync", w->file);
	if (gdbm_close(w->db) != 0 && rc == 0)
		rc = bs_meta_fail(e, "close", w->file);
	w->db = NULL;
	writer_free(w);
	return rc;
}

void bs_meta_abort(struct bs_meta_writer *w)
{
	if (w->db)
		gdbm_close(w->db);
	w->db = NULL;
	writer_free(w);
}
