/* meta.c - a backup's metadata: per-directory listings in one gdbm file. */
#include <errno.h>
#include <fcntl.h>
#include <gdbm.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "hash.h"
#include "meta.h"
#include "xz.h"

#define LISTING_XZ_PRESET 1
#define LISTING_XZ_DICT (64u * 1024)
#define LISTING_MAX ((size_t)INT32_MAX)	/* a gdbm value's size is an int */
#define LISTING_RAW_MAX 256	/* smaller listings are not worth compressing */

void bs_entry_init(struct bs_entry *ent)
{
	memset(ent, 0, sizeof(*ent));
	bs_rec_init(&ent->rec);
}

void bs_entry_release(struct bs_entry *ent)
{
	bs_rec_release(&ent->rec);
	free(ent->refs);
	ent->refs = NULL;
	ent->nrefs = ent->refcap = 0;
}

void bs_entry_addref(struct bs_entry *ent, const unsigned char *digest, uint64_t size)
{
	if (ent->nrefs == ent->refcap) {
		ent->refcap = ent->refcap ? ent->refcap * 2 : 4;
		ent->refs = bs_xrealloc(ent->refs, ent->refcap * sizeof(*ent->refs));
	}
	memcpy(ent->refs[ent->nrefs].digest, digest, BS_DIGEST_LEN);
	ent->refs[ent->nrefs].size = size;
	ent->nrefs++;
}

void bs_entry_copy(struct bs_entry *dst, const struct bs_entry *src)
{
	bs_rec_copy(&dst->rec, &src->rec);
	dst->nrefs = 0;
	for (size_t i = 0; i < src->nrefs; i++)
		bs_entry_addref(dst, src->refs[i].digest, src->refs[i].size);
}

void bs_listing_init(struct bs_listing *l)
{
	memset(l, 0, sizeof(*l));
}

void bs_listing_clear(struct bs_listing *l)
{
	/* entries keep their allocations for reuse */
	l->n = 0;
}

void bs_listing_release(struct bs_listing *l)
{
	for (size_t i = 0; i < l->cap; i++)
		bs_entry_release(&l->v[i]);
	free(l->v);
	bs_listing_init(l);
}

static struct bs_entry *listing_push(struct bs_listing *l)
{
	if (l->n == l->cap) {
		size_t old = l->cap;
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = bs_xrealloc(l->v, l->cap * sizeof(*l->v));
		for (size_t i = old; i < l->cap; i++)
			bs_entry_init(&l->v[i]);
	}
	l->v[l->n].nrefs = 0;
	return &l->v[l->n++];
}

int bs_name_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	if (c)
		return c;
	return an < bn ? -1 : an > bn;
}

struct bs_entry *bs_listing_find(struct bs_listing *l, const char *name, size_t n)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = bs_name_cmp(l->v[mid].rec.path.p, l->v[mid].rec.path.len, name, n);
		if (c == 0)
			return &l->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void bs_listing_encode(struct bs_listing *l, struct bs_buf *out)
{
	for (size_t i = 0; i < l->n; i++) {
		struct bs_entry *ent = &l->v[i];
		for (size_t j = 0; j < ent->nrefs; j++)
			bs_ref_format(out, 'R', ent->refs[j].digest, ent->refs[j].size);
		bs_rec_format(out, &ent->rec);
	}
}

int bs_listing_decode(struct bs_listing *l, const char *p, size_t n, struct bs_err *e)
{
	const char *end = p + n;
	struct bs_entry *ent = NULL;

	bs_listing_clear(l);
	while (p < end) {
		if (!ent)
			ent = listing_push(l);
		if (*p == 'R') {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			unsigned char d[BS_DIGEST_LEN];
			uint64_t size;
			if (!nl || nl - p < 3 + BS_HEX_LEN + 1 || p[1] != ' ' || p[2 + BS_HEX_LEN] != ' ' ||
			    bs_unhex(d, p + 2, BS_HEX_LEN) < 0 ||
			    bs_parse_u64(p + 3 + BS_HEX_LEN, (size_t)(nl - p) - 3 - BS_HEX_LEN, &size) < 0 ||
			    size == 0 || size > (1ull << 40))
				goto bad;
			bs_entry_addref(ent, d, size);
			p = nl + 1;
		} else {
			const char *nul = memchr(p, '\0', (size_t)(end - p));
			if (!nul || bs_rec_parse(&ent->rec, p, (size_t)(nul - p), e) < 0)
				goto bad;
			p = nul + 1;
			ent = NULL;
		}
	}
	if (ent)
		goto bad;
	return 0;
bad:
	l->n = 0;
	return bs_err_set(e, BS_INPUT, "malformed directory listing");
}

/*
 * A listing as gdbm holds it (bs-formats.5):
 *   'r' or 'x'        the text below is raw or xz-compressed
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
#define HEAD_FIXED (1 + 2 * BS_DIGEST_LEN + 4)

static int by_digest(const void *a, const void *b)
{
	return memcmp(a, b, BS_DIGEST_LEN);
}

/* Append the chunks l refers to, sorted, each once; returns how many. */
static size_t refs_table(const struct bs_listing *l, struct bs_buf *out)
{
	size_t start = out->len, n = 0, kept = 0;
	unsigned char *refs;

	for (size_t i = 0; i < l->n; i++)
		for (size_t j = 0; j < l->v[i].nrefs; j++, n++)
			bs_buf_add(out, l->v[i].refs[j].digest, BS_DIGEST_LEN);
	refs = (unsigned char *)out->p + start;
	if (n) {
		qsort(refs, n, BS_DIGEST_LEN, by_digest);
		kept = 1;
		for (size_t i = 1; i < n; i++)
			if (memcmp(refs + i * BS_DIGEST_LEN, refs + (kept - 1) * BS_DIGEST_LEN, BS_DIGEST_LEN))
				memmove(refs + kept++ * BS_DIGEST_LEN, refs + i * BS_DIGEST_LEN, BS_DIGEST_LEN);
	}
	bs_buf_setlen(out, start + kept * BS_DIGEST_LEN);
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

static int head_parse(const char *p, size_t n, struct bs_meta_head *h)
{
	const unsigned char *u = (const unsigned char *)p;
	uint32_t k;


	if (n < HEAD_FIXED + BS_DIGEST_LEN || (p[0] != 'r' && p[0] != 'x'))
		return -1;
	k = (uint32_t)u[65] << 24 | (uint32_t)u[66] << 16 | (uint32_t)u[67] << 8 | u[68];
	if ((n - HEAD_FIXED - BS_DIGEST_LEN) / BS_DIGEST_LEN < k)
		return -1;
	h->value = p;
	h->len = n;
	h->digest = u + 1;
	h->stat = u + 1 + BS_DIGEST_LEN;
	h->refs = u + HEAD_FIXED;
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

static int pack(struct bs_listing *l, struct bs_buf *text, struct bs_buf *out,
		struct bs_meta_reader **reuse, size_t nreuse, const char *key, size_t keylen, struct bs_err *e)
{
	unsigned char digest[BS_DIGEST_LEN], stat[BS_DIGEST_LEN], *refs;
	struct bs_hash h;
	size_t nrefs = 0, kept = 0;

	bs_buf_reset(text);
	bs_hash_init(&h);
	for (size_t i = 0; i < l->n; i++) {
		struct bs_entry *ent = &l->v[i];
		size_t off;
		for (size_t j = 0; j < ent->nrefs; j++)
			bs_ref_format(text, 'R', ent->refs[j].digest, ent->refs[j].size);
		nrefs += ent->nrefs;
		off = text->len;
		bs_rec_format(text, &ent->rec);
		bs_hash_update(&h, text->p + off, text->len - off);
	}
	bs_hash_final(&h, stat);
	if (text->len > LISTING_MAX - HEAD_FIXED - BS_DIGEST_LEN ||
	    nrefs > (LISTING_MAX - HEAD_FIXED - BS_DIGEST_LEN - text->len) / BS_DIGEST_LEN) {
		bs_hash_release(&h);
		return bs_err_set(e, BS_INPUT, "directory '%.200s' has too many entries for one listing", key);
	}
	/* the head, its first digest left for last */
	bs_buf_reset(out);
	bs_buf_addc(out, text->len <= LISTING_RAW_MAX ? 'r' : 'x');
	bs_buf_add(out, stat, BS_DIGEST_LEN);	/* a placeholder for the digest */
	bs_buf_add(out, stat, BS_DIGEST_LEN);
	bs_buf_add(out, "\0\0\0\0", 4);
	kept = refs_table(l, out);
	refs = (unsigned char *)out->p + HEAD_FIXED - 4;
	refs[0] = (unsigned char)(kept >> 24);
	refs[1] = (unsigned char)(kept >> 16);
	refs[2] = (unsigned char)(kept >> 8);
	refs[3] = (unsigned char)kept;
	bs_hash_init(&h);
	bs_hash_update(&h, out->p + 1 + BS_DIGEST_LEN, out->len - 1 - BS_DIGEST_LEN);
	bs_hash_update(&h, text->p, text->len);
	bs_hash_final(&h, digest);
	bs_hash_release(&h);
	memcpy(out->p + 1, digest, BS_DIGEST_LEN);
	for (size_t i = 0; i < nreuse; i++) {
		datum k = { (char *)key, (int)keylen }, v = gdbm_fetch(reuse[i]->db, k);
		struct bs_meta_head old;
		if (!v.dptr)
			continue;
		if (head_parse(v.dptr, (size_t)v.dsize, &old) == 0 && !memcmp(old.digest, digest, BS_DIGEST_LEN) &&
		    bs_meta_sealed(&old)) {
			bs_buf_reset(out);
			bs_buf_add(out, v.dptr, (size_t)v.dsize);
			free(v.dptr);
			return 0;
		}
		free(v.dptr);
	}
	if (text->len <= LISTING_RAW_MAX)
		bs_buf_add(out, text->p, text->len);
	else if (bs_xz_compress(text->p, text->len, LISTING_XZ_PRESET, LISTING_XZ_DICT, out, e) < 0)
		return -1;
	bs_sha256(out->p, out->len, digest);
	bs_buf_add(out, digest, BS_DIGEST_LEN);
	return 0;
}

/* The head says what the text says: the same records digest and chunks.
 * (The digest covers both, so this catches a writer's mistake, not damage.) */
static int check_head(const struct bs_meta_head *h, const struct bs_listing *l, struct bs_buf *scratch,
		      struct bs_err *e)
{
	unsigned char stat[BS_DIGEST_LEN];
	struct bs_hash ctx;
	size_t kept;
	int ok;

	bs_hash_init(&ctx);
	for (size_t i = 0; i < l->n; i++)
		bs_stat_digest_add(&ctx, &l->v[i].rec, l->v[i].rec.path.p, l->v[i].rec.path.len, scratch);
	bs_hash_final(&ctx, stat);
	bs_hash_release(&ctx);
	bs_buf_reset(scratch);
	kept = refs_table(l, scratch);
	ok = !memcmp(stat, h->stat, BS_DIGEST_LEN) && kept == h->nrefs &&
	     (kept == 0 || !memcmp(scratch->p, h->refs, kept * BS_DIGEST_LEN));
	return ok ? 0 : bs_err_set(e, BS_INPUT, "directory listing disagrees with its head");
}

/* Decompress and check a stored listing into l; with `strict`, check
 * its head against its text too (bs-check). */
static int unpack(const char *p, size_t n, struct bs_buf *raw, struct bs_listing *l, int strict,
		  struct bs_err *e)
{
	unsigned char digest[BS_DIGEST_LEN];
	struct bs_meta_head h;
	struct bs_hash ctx;
	size_t headlen;

	if (head_parse(p, n, &h) < 0 || !bs_meta_sealed(&h))
		return bs_err_set(e, BS_INPUT, "malformed or damaged directory listing");
	headlen = HEAD_FIXED + h.nrefs * BS_DIGEST_LEN;
	n -= BS_DIGEST_LEN;	/* the seal */
	bs_buf_reset(raw);
	if (p[0] == 'r')
		bs_buf_add(raw, p + headlen, n - headlen);
	else if (bs_xz_decompress(p + headlen, n - headlen, LISTING_MAX, raw, e) < 0)
		return -1;
	bs_hash_init(&ctx);
	bs_hash_update(&ctx, p + 1 + BS_DIGEST_LEN, headlen - 1 - BS_DIGEST_LEN);
	bs_hash_update(&ctx, raw->p, raw->len);
	bs_hash_final(&ctx, digest);
	bs_hash_release(&ctx);
	if (memcmp(digest, h.digest, BS_DIGEST_LEN))
		return bs_err_set(e, BS_INPUT, "directory listing does not match its digest");
	if (bs_listing_decode(l, raw->p, raw->len, e) < 0)
		return -1;
	return strict ? check_head(&h, l, raw, e) : 0;
}

static int gdbm_fail(struct bs_err *e, const char *what, const char *id)
{
	int code = gdbm_check_syserr(gdbm_errno) ? BS_SYS : BS_INPUT;

	return bs_err_set(e, code, "cannot %s the metadata of '%s': %s", what, id,
			  gdbm_strerror(gdbm_errno));
}

/* ---- writer ---- */

struct bs_meta_frame {
	struct bs_buf dir;
	struct bs_listing l;
	struct bs_buf base;		/* a listing taken whole, as stored; or empty */
	uint64_t base_entries, base_bytes;
	struct bs_buf subs;		/* the names of its directories, NUL-ended */
	size_t *suboff, nsub, subcap;
};

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
		bs_entry_copy(listing_push(l), &first->v[i]);
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
	rc = unpack(f->base.p, f->base.len, &w->scratch, &prev, 0, e);
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
	w->repo = repo;
	w->file = bs_xstrdup(id);
	snprintf(path, sizeof(path), "backups/%s/metadata", id);
	fd = openat(repo->dirfd, path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return bs_err_sys(e, "cannot create the metadata of '%s'", id);
	w->db = gdbm_fd_open(fd, path, 0, GDBM_NEWDB | GDBM_CLOERROR | GDBM_NOMMAP, NULL);
	if (!w->db) {
		gdbm_fail(e, "create", id);
		free(w->file);
		return -1;
	}
	return 0;
}

/* Sort by name, keeping input order among equals; then keep one entry a
 * name: the last real one, or an implicit one when there is no real one. */
static struct bs_listing *sort_listing;
static int by_name_seq(const void *a, const void *b)
{
	const size_t *x = a, *y = b;
	const struct bs_entry *p = &sort_listing->v[*x], *q = &sort_listing->v[*y];
	int c = bs_name_cmp(p->rec.path.p, p->rec.path.len, q->rec.path.p, q->rec.path.len);
	if (c)
		return c;
	return *x < *y ? -1 : *x > *y;
}

static void normalise(struct bs_listing *l)
{
	size_t *ix, out = 0, k;
	unsigned char *kept;
	struct bs_entry *v;

	if (l->n < 2)
		return;
	ix = bs_xmalloc(l->n * sizeof(*ix));
	kept = bs_xcalloc(l->n, 1);
	for (size_t i = 0; i < l->n; i++)
		ix[i] = i;
	sort_listing = l;
	qsort(ix, l->n, sizeof(*ix), by_name_seq);
	v = bs_xmalloc(l->cap * sizeof(*v));
	for (size_t i = 0; i < l->n;) {
		size_t j = i, pick = ix[i];
		const struct bs_rec *first = &l->v[ix[i]].rec;
		while (j < l->n && !bs_name_cmp(l->v[ix[j]].rec.path.p, l->v[ix[j]].rec.path.len,
					      first->path.p, first->path.len)) {
			if (l->v[ix[j]].rec.kind != 'i')
				pick = ix[j];
			j++;
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
				return gdbm_fail(e, "write", w->file);
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
		if (unpack(old.dptr, (size_t)old.dsize, &w->scratch, &prev, 0, e) < 0) {
			free(old.dptr);
			bs_listing_release(&prev);
			return -1;
		}
		free(old.dptr);
		tally(&prev, &old_entries, &old_bytes);
		prepend(&f->l, &prev);
		bs_listing_release(&prev);
	}
	normalise(&f->l);
	tally(&f->l, &new_entries, &new_bytes);
	w->entries += new_entries - old_entries;
	w->bytes += new_bytes - old_bytes;
	if (pack(&f->l, &w->scratch, &w->packed, w->reuse, w->nreuse, f->dir.p, f->dir.len, e) < 0)
		return -1;
	val.dptr = w->packed.p;
	val.dsize = (int)w->packed.len;
	if (gdbm_store(w->db, key, val, GDBM_REPLACE) != 0)
		return gdbm_fail(e, "write", w->file);
	bs_listing_clear(&f->l);
	return 0;
}

static void add_implicit(struct bs_meta_frame *f, const char *name, size_t n)
{
	struct bs_entry *ent;

	if (f->base.len && base_covers(f, name, n))
		return;
	ent = listing_push(&f->l);
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

/* Is a (a directory) the same as d or above it? */
int bs_path_covers(const char *a, size_t an, const char *d, size_t dn)
{
	if (an == 1)
		return 1;
	return an <= dn && !memcmp(a, d, an) && (an == dn || d[an] == '/');
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
		rc = unpack(h->value, h->len, &w->scratch, &l, 0, e);
		for (size_t i = 0; rc == 0 && i < l.n; i++)
			bs_entry_copy(listing_push(&top->l), &l.v[i]);
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
		bs_entry_copy(listing_push(&one), ent);
		if (pack(&one, &w->scratch, &w->packed, w->reuse, w->nreuse, "", 0, e) < 0) {
			bs_listing_release(&one);
			return -1;
		}
		bs_listing_release(&one);
		val.dptr = w->packed.p;
		val.dsize = (int)w->packed.len;
		if (!gdbm_exists(w->db, key))
			w->entries++;
		if (gdbm_store(w->db, key, val, GDBM_REPLACE) != 0)
			return gdbm_fail(e, "write", w->file);
		return 0;
	}
	bs_path_split(path, len, &dirlen, &base, &baselen);
	if (!(top = enter(w, path, dirlen, e)))
		return -1;
	dst = listing_push(&top->l);
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
		return gdbm_fail(e, "sync", w->file);
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
		rc = gdbm_fail(e, "sync", w->file);
	if (gdbm_close(w->db) != 0 && rc == 0)
		rc = gdbm_fail(e, "close", w->file);
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

/* ---- reader ---- */

int bs_meta_open(struct bs_meta_reader *m, struct bs_repo *repo, const char *id, struct bs_err *e)
{
	char path[300];
	int fd;

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "backups/%s/metadata", id);
	fd = openat(repo->dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return bs_err_set(e, BS_INPUT, "backup '%s' has no metadata", id);
		return bs_err_sys(e, "cannot open the metadata of '%s'", id);
	}
	/* not mapped: a mapping of an earlier backup's whole file would make
	 * a reader's memory grow with the number of files */
	m->db = gdbm_fd_open(fd, path, 0, GDBM_READER | GDBM_NOMMAP, NULL);
	if (!m->db && gdbm_errno == GDBM_CANT_BE_READER) {
		/* a backup is still writing it: read what it has synced */
		m->db = gdbm_fd_open(fd, path, 0, GDBM_READER | GDBM_NOLOCK | GDBM_NOMMAP, NULL);
	}
	if (!m->db) {
		close(fd);
		return gdbm_fail(e, "open", id);
	}
	m->id = bs_xstrdup(id);
	bs_entry_init(&m->root);
	for (int i = 0; i < BS_META_CACHE; i++) {
		bs_buf_init(&m->cache[i].dir);
		bs_listing_init(&m->cache[i].l);
	}
	return 0;
}

static int fetch(struct bs_meta_reader *m, const char *key, size_t n, struct bs_listing *l, struct bs_err *e)
{
	datum k, v;
	int rc;

	k.dptr = (char *)key;
	k.dsize = (int)n;
	v = gdbm_fetch(m->db, k);
	if (!v.dptr) {
		if (gdbm_errno == GDBM_ITEM_NOT_FOUND)
			return 0;
		return gdbm_fail(e, "read", m->id);
	}
	rc = unpack(v.dptr, (size_t)v.dsize, &m->raw, l, m->strict, e);
	free(v.dptr);
	if (rc < 0)
		return bs_err_set(e, BS_INPUT, "the metadata of '%s' is damaged at '%.200s'", m->id,
				  n ? key : "/");
	return 1;
}

int bs_meta_listing(struct bs_meta_reader *m, const char *dir, size_t len, struct bs_listing *l, struct bs_err *e)
{
	return fetch(m, dir, len, l, e);
}

int bs_meta_peek(struct bs_meta_reader *m, const char *dir, size_t len, struct bs_meta_head *h, struct bs_err *e)
{
	datum k, v;

	k.dptr = (char *)dir;
	k.dsize = (int)len;
	v = gdbm_fetch(m->db, k);
	if (!v.dptr) {
		if (gdbm_errno == GDBM_ITEM_NOT_FOUND)
			return 0;
		return gdbm_fail(e, "read", m->id);
	}
	free(m->peeked);
	m->peeked = v.dptr;
	if (head_parse(v.dptr, (size_t)v.dsize, h) < 0)
		return bs_err_set(e, BS_INPUT, "the metadata of '%s' is damaged at '%.200s'", m->id, len ? dir : "/");
	return 1;
}

int bs_meta_root(struct bs_meta_reader *m, struct bs_entry *ent, struct bs_err *e)
{
	struct bs_listing l;
	int rc;

	bs_listing_init(&l);
	rc = fetch(m, "", 0, &l, e);
	if (rc == 1) {
		if (l.n != 1) {
			bs_listing_release(&l);
			return bs_err_set(e, BS_INPUT, "the metadata of '%s' is damaged at '/'", m->id);
		}
		bs_entry_copy(ent, &l.v[0]);
		bs_buf_reset(&ent->rec.path);
		bs_buf_addc(&ent->rec.path, '/');
	}
	bs_listing_release(&l);
	return rc;
}

int bs_meta_lookup(struct bs_meta_reader *m, const char *path, size_t len, struct bs_entry **ent, struct bs_err *e)
{
	const char *base;
	size_t dirlen, baselen;
	int slot = -1, rc;

	*ent = NULL;
	if (len == 1 && path[0] == '/') {
		rc = bs_meta_root(m, &m->root, e);
		if (rc == 1)
			*ent = &m->root;
		return rc;
	}
	bs_path_split(path, len, &dirlen, &base, &baselen);
	for (int i = 0; i < BS_META_CACHE; i++)
		if (m->cache[i].stamp && m->cache[i].dir.len == dirlen && !memcmp(m->cache[i].dir.p, path, dirlen)) {
			slot = i;
			break;
		}
	if (slot < 0) {
		slot = 0;
		for (int i = 1; i < BS_META_CACHE; i++)
			if (m->cache[i].stamp < m->cache[slot].stamp)
				slot = i;
		m->cache[slot].stamp = 0;
		rc = fetch(m, path, dirlen, &m->cache[slot].l, e);
		if (rc < 0)
			return -1;
		m->cache[slot].present = rc;
		bs_buf_reset(&m->cache[slot].dir);
		bs_buf_add(&m->cache[slot].dir, path, dirlen);
	}
	m->cache[slot].stamp = ++m->clock;
	if (!m->cache[slot].present)
		return 0;
	*ent = bs_listing_find(&m->cache[slot].l, base, baselen);
	return *ent != NULL;
}

static int walk_below(struct bs_meta_reader *m, struct bs_buf *path, bs_meta_visit *fn, void *arg,
		      struct bs_err *e)
{
	struct bs_listing l;
	size_t base = path->len;
	int rc;

	bs_listing_init(&l);
	rc = fetch(m, path->p, path->len, &l, e);
	if (rc <= 0) {
		bs_listing_release(&l);
		return rc;
	}
	for (size_t i = 0; i < l.n && rc >= 0; i++) {
		struct bs_entry *ent = &l.v[i];
		bs_buf_setlen(path, base);
		if (base > 1)
			bs_buf_addc(path, '/');
		bs_buf_add(path, ent->rec.path.p, ent->rec.path.len);
		if (fn(arg, ent, path, e) < 0)
			rc = -1;
		else if ((ent->rec.kind == 'd' || ent->rec.kind == 'i') && walk_below(m, path, fn, arg, e) < 0)
			rc = -1;
	}
	bs_buf_setlen(path, base);
	bs_listing_release(&l);
	return rc < 0 ? -1 : 1;
}

int bs_meta_walk(struct bs_meta_reader *m, const char *p, size_t len, bs_meta_visit *fn, void *arg,
		 struct bs_err *e)
{
	struct bs_buf path = BS_BUF_INIT;
	struct bs_entry *found, ent;
	int rc;

	bs_entry_init(&ent);
	bs_buf_add(&path, p, len);
	rc = bs_meta_lookup(m, p, len, &found, e);
	if (rc < 0)
		goto out;
	if (rc == 1) {
		bs_entry_copy(&ent, found);
		if (fn(arg, &ent, &path, e) < 0) {
			rc = -1;
			goto out;
		}
		if (ent.rec.kind == 'd' || ent.rec.kind == 'i')
			rc = walk_below(m, &path, fn, arg, e) < 0 ? -1 : 1;
	} else if (len == 1 && p[0] == '/') {
		/* "/" was not itself backed up, but what is under it may be */
		rc = walk_below(m, &path, fn, arg, e);
	}
out:
	bs_entry_release(&ent);
	bs_buf_release(&path);
	return rc;
}

void bs_meta_release(struct bs_meta_reader *m)
{
	if (m->db)
		gdbm_close(m->db);
	m->db = NULL;
	for (int i = 0; i < BS_META_CACHE; i++) {
		bs_buf_release(&m->cache[i].dir);
		bs_listing_release(&m->cache[i].l);
	}
	bs_buf_release(&m->key);
	free(m->peeked);
	m->peeked = NULL;
	bs_buf_release(&m->raw);
	bs_entry_release(&m->root);
	free(m->id);
	m->id = NULL;
}

/* ---- paths ---- */

void bs_path_split(const char *p, size_t n, size_t *dirlen, const char **base, size_t *baselen)
{
	size_t i = n;

	while (i > 0 && p[i - 1] != '/')
		i--;
	*base = p + i;
	*baselen = n - i;
	/* the directory of "/x" is "/" */
	*dirlen = i > 1 ? i - 1 : (i == 1 ? 1 : 0);
}

int bs_path_clean(const char *in, size_t n, struct bs_buf *out, struct bs_err *e)
{
	size_t i = 0;

	bs_buf_reset(out);
	if (n == 0)
		return bs_err_set(e, BS_INPUT, "empty path");
	if (in[0] != '/') {
		char cwd[8192];
		if (!getcwd(cwd, sizeof(cwd)))
			return bs_err_sys(e, "cannot find the current directory");
		bs_buf_adds(out, cwd);
	}
	while (i < n) {
		size_t j;
		while (i < n && in[i] == '/')
			i++;
		j = i;
		while (j < n && in[j] != '/')
			j++;
		if (j == i)
			break;
		if (j - i == 1 && in[i] == '.') {
			/* skip */
		} else if (j - i == 2 && in[i] == '.' && in[i + 1] == '.') {
			while (out->len > 0 && out->p[out->len - 1] != '/')
				out->len--;
			if (out->len > 0)
				out->len--;
			out->p[out->len] = '\0';
		} else {
			bs_buf_addc(out, '/');
			bs_buf_add(out, in + i, j - i);
		}
		i = j;
	}
	if (out->len == 0)
		bs_buf_addc(out, '/');
	return 0;
}
