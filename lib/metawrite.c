/* metawrite.c - writing a backup's metadata: a gdbm file, one listing a directory. */
#include <errno.h>
#include <fcntl.h>
#include <gdbm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "meta.h"

struct bs_meta_frame {
	struct bs_buf dir;
	struct bs_listing l;
	struct bs_buf base;		/* a listing taken whole, as stored; or empty */
	uint64_t base_entries, base_bytes;
	struct bs_buf subs;		/* the names of its directories, NUL-ended */
	size_t *suboff, nsub, subcap;
};

/* A listing's value into w->packed: the same value of an earlier backup
 * when one has it (no compression), else a new one. */
static int pack(struct bs_meta_writer *w, struct bs_listing *l, const char *key, size_t keylen, struct bs_err *e)
{
	struct bs_buf *out = &w->packed;

	if (bs_value_head(l, &w->scratch, out, key, e) < 0)
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

/* Put the entries of `first` before those of l: l's win where both have a name. */
static void prepend(struct bs_listing *l, const struct bs_listing *first)
{
	size_t had = l->n;
	struct bs_entry *tmp;

	for (size_t i = 0; i < first->n; i++)
		bs_entry_copy(bs_listing_push(l), &first->v[i]);
	tmp = bs_xmalloc(l->n * sizeof(*tmp));
	memcpy(tmp, l->v + had, (l->n - had) * sizeof(*tmp));
	memcpy(tmp + (l->n - had), l->v, had * sizeof(*tmp));
	memcpy(l->v, tmp, l->n * sizeof(*tmp));
	free(tmp);
}

/* Turn a frame's listing taken whole into entries, before its others. */
static int materialise(struct bs_meta_writer *w, struct bs_meta_frame *f, struct bs_err *e)
{
	struct bs_listing prev;
	int rc;

	bs_listing_init(&prev);
	rc = bs_value_unpack(&w->codec, f->base.p, f->base.len, &w->scratch, &prev, 0, e);
	if (rc == 0) {
		prepend(&f->l, &prev);
	} else {
		char why[sizeof(e->msg)];
		memcpy(why, e->msg, sizeof(why));
		bs_err_set(e, e->code, "the listing of '%.200s' taken from an earlier backup: %.200s", f->dir.p, why);
	}
	bs_listing_release(&prev);
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
	return 0;
}

/* Sort by name, keeping input order among equals; then keep one entry a
 * name: the last real one, or an implicit one when there is no real one. */
static int by_name_seq(const void *a, const void *b, void *arg)
{
	const struct bs_listing *l = arg;
	const size_t *x = a, *y = b;
	const struct bs_entry *p = &l->v[*x], *q = &l->v[*y];
	int c = bs_name_cmp(p->rec.path.p, p->rec.path.len, q->rec.path.p, q->rec.path.len);
	if (c)
		return c;
	return *x < *y ? -1 : *x > *y;
}

static int normalise(struct bs_listing *l, const struct bs_buf *dir, struct bs_err *e)
{
	size_t *ix, out = 0, k;
	unsigned char *kept;
	struct bs_entry *v;
	int clash = 0;

	if (l->n < 2)
		return 0;
	ix = bs_xmalloc(l->n * sizeof(*ix));
	kept = bs_xcalloc(l->n, 1);
	for (size_t i = 0; i < l->n; i++)
		ix[i] = i;
	qsort_r(ix, l->n, sizeof(*ix), by_name_seq, l);
	v = bs_xmalloc(l->cap * sizeof(*v));
	for (size_t i = 0; i < l->n;) {
		size_t j = i, pick = ix[i];
		const struct bs_rec *first = &l->v[ix[i]].rec;
		int dirs = 0, others = 0;
		while (j < l->n && !bs_name_cmp(l->v[ix[j]].rec.path.p, l->v[ix[j]].rec.path.len,
					      first->path.p, first->path.len)) {
			if (l->v[ix[j]].rec.kind != 'i')
				pick = ix[j];
			dirs += l->v[ix[j]].rec.kind == 'd';
			others += l->v[ix[j]].rec.kind != 'd' && l->v[ix[j]].rec.kind != 'i';
			j++;
		}
		/* a path given twice is kept once; as a directory and as
		 * something else, it is input the format forbids */
		if (dirs && others && !clash) {
			clash = 1;
			bs_err_set(e, BS_INPUT, "'%.200s%s%.200s' is given both as a directory and as another kind of file",
				   dir->p, dir->len > 1 ? "/" : "", first->path.p);
		}
		v[out++] = l->v[pick];
		kept[pick] = 1;
		i = j;
	}
	/* the dropped entries and the unused tail keep their allocations */
	k = out;
	for (size_t i = 0; i < l->cap; i++)
		if (i >= l->n || !kept[i])
			v[k++] = l->v[i];
	free(ix);
	free(kept);
	free(l->v);
	l->v = v;
	l->n = out;
	return clash ? -1 : 0;
}

/* The real entries of a listing and their bytes, for the summary. */
static void tally(const struct bs_listing *l, uint64_t *entries, uint64_t *bytes)
{
	*entries = *bytes = 0;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].rec.kind != 'i') {
			(*entries)++;
			if (l->v[i].rec.kind == 'f')
				*bytes += l->v[i].rec.size;
		}
}

static int flush_frame(struct bs_meta_writer *w, struct bs_meta_frame *f, struct bs_err *e)
{
	datum key, val, old;
	uint64_t old_entries = 0, old_bytes = 0, new_entries, new_bytes;

	key.dptr = f->dir.p;
	key.dsize = (int)f->dir.len;
	if (f->base.len) {
		if (f->l.n == 0 && !gdbm_exists(w->db, key)) {
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
	if (f->l.n == 0)
		return 0;
	old = gdbm_fetch(w->db, key);
	if (old.dptr) {
		/* the walk came back to a directory it had left: merge, the
		 * entries that came later winning */
		struct bs_listing prev;
		bs_listing_init(&prev);
		if (bs_value_unpack(&w->codec, old.dptr, (size_t)old.dsize, &w->scratch, &prev, 0, e) < 0) {
			free(old.dptr);
			bs_listing_release(&prev);
			return -1;
		}
		free(old.dptr);
		tally(&prev, &old_entries, &old_bytes);
		prepend(&f->l, &prev);
		bs_listing_release(&prev);
	}
	if (normalise(&f->l, &f->dir, e) < 0)
		return -1;
	tally(&f->l, &new_entries, &new_bytes);
	w->entries += new_entries - old_entries;
	w->bytes += new_bytes - old_bytes;
	if (pack(w, &f->l, f->dir.p, f->dir.len, e) < 0)
		return -1;
	val.dptr = w->packed.p;
	val.dsize = (int)w->packed.len;
	if (gdbm_store(w->db, key, val, GDBM_REPLACE) != 0)
		return bs_meta_fail(e, "write", w->file);
	bs_listing_clear(&f->l);
	return 0;
}

static void add_implicit(struct bs_meta_frame *f, const char *name, size_t n)
{
	struct bs_entry *ent;

	if (f->base.len && base_covers(f, name, n))
		return;
	ent = bs_listing_push(&f->l);
	struct bs_buf path = ent->rec.path, target = ent->rec.target;

	memset(&ent->rec, 0, sizeof(ent->rec));
	ent->rec.path = path;
	ent->rec.target = target;
	bs_buf_reset(&ent->rec.target);
	bs_buf_reset(&ent->rec.path);
	bs_buf_add(&ent->rec.path, name, n);
	ent->rec.kind = 'i';
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
		for (size_t i = old; i < w->cap; i++) {
			memset(&w->stack[i], 0, sizeof(w->stack[i]));
			bs_buf_init(&w->stack[i].dir);
			bs_listing_init(&w->stack[i].l);
			bs_buf_init(&w->stack[i].base);
			bs_buf_init(&w->stack[i].subs);
		}
	}
	f = &w->stack[w->depth++];
	bs_buf_reset(&f->dir);
	bs_buf_add(&f->dir, dir, n);
	bs_listing_clear(&f->l);
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
	if (top->base.len || top->l.n) {
		/* entries of this directory came before: the listing's come
		 * after them, and win */
		struct bs_listing l;
		int rc;
		bs_listing_init(&l);
		rc = bs_value_unpack(&w->codec, h->value, h->len, &w->scratch, &l, 0, e);
		for (size_t i = 0; rc == 0 && i < l.n; i++)
			bs_entry_copy(bs_listing_push(&top->l), &l.v[i]);
		bs_listing_release(&l);
		return rc;
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
	struct bs_entry *dst;

	if (len == 0 || path[0] != '/')
		return bs_err_set(e, BS_INPUT, "path '%.200s' is not absolute", path);
	if (len == 1) {
		/* "/" itself lives under the key "" */
		struct bs_listing one;
		datum key = { (char *)"", 0 }, val;
		bs_listing_init(&one);
		bs_entry_copy(bs_listing_push(&one), ent);
		if (pack(w, &one, "", 0, e) < 0) {
			bs_listing_release(&one);
			return -1;
		}
		bs_listing_release(&one);
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
	dst = bs_listing_push(&top->l);
	bs_entry_copy(dst, ent);
	bs_buf_reset(&dst->rec.path);
	bs_buf_add(&dst->rec.path, base, baselen);
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
	for (size_t i = 0; i < w->cap; i++) {
		bs_buf_release(&w->stack[i].dir);
		bs_listing_release(&w->stack[i].l);
		bs_buf_release(&w->stack[i].base);
		bs_buf_release(&w->stack[i].subs);
		free(w->stack[i].suboff);
	}
	free(w->stack);
	bs_buf_release(&w->scratch);
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
