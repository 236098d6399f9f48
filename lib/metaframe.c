/* metaframe.c - a directory's entries as their listing's text while the writer is inside it; sorted and made a value when it leaves. */
#include <stdlib.h>
#include <string.h>
#include "hash.h"
#include "meta.h"
#include "metaframe.h"
#include "parse.h"
#include "value.h"

void bs_meta_frame_init(struct bs_meta_frame *f)
{
	memset(f, 0, sizeof(*f));
	bs_buf_init(&f->dir);
	bs_buf_init(&f->text);
	bs_buf_init(&f->base);
	bs_buf_init(&f->subs);
	bs_listing_init(&f->one);
}

void bs_meta_frame_release(struct bs_meta_frame *f)
{
	bs_buf_release(&f->dir);
	bs_buf_release(&f->text);
	bs_buf_release(&f->base);
	bs_buf_release(&f->subs);
	bs_listing_release(&f->one);
	free(f->v);
	free(f->order);
	free(f->suboff);
	memset(f, 0, sizeof(*f));
}

void bs_meta_frame_clear(struct bs_meta_frame *f)
{
	bs_buf_reset(&f->text);
	f->n = 0;
}

/* The entry just written at text[off, text.len) (its record from rec) into
 * the index. */
static void index_last(struct bs_meta_frame *f, size_t off, size_t rec, size_t namelen, int kind, uint64_t size)
{
	struct bs_meta_fent *x;

	if (f->text.len > BS_VALUE_MAX)
		return;		/* refused when encoded */

	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 64;
		f->v = bs_xrealloc(f->v, f->cap * sizeof(*f->v));
	}
	x = &f->v[f->n++];
	x->off = (uint32_t)off;
	x->rec = (uint32_t)rec;
	x->end = (uint32_t)(f->text.len - 1);
	x->name = (uint32_t)(x->end - namelen);
	x->kind = (char)kind;
	x->size = size;
}

void bs_meta_frame_add(struct bs_meta_frame *f, const struct bs_entry *ent, const char *name, size_t n)
{
	size_t off = f->text.len, rec;

	for (size_t i = 0; i < ent->nrefs; i++)
		bs_ref_text(&f->text, &ent->refs[i]);
	rec = f->text.len;
	bs_rec_format_as(&f->text, &ent->rec, name, n);
	index_last(f, off, rec, n, ent->rec.kind, ent->rec.size);
}

void bs_meta_frame_add_implicit(struct bs_meta_frame *f, const char *name, size_t n)
{
	struct bs_entry ent;

	bs_entry_init(&ent);
	ent.rec.kind = 'i';
	bs_meta_frame_add(f, &ent, name, n);
	bs_entry_release(&ent);
}

int bs_meta_frame_add_text(struct bs_meta_frame *f, const struct bs_buf *text, int before, uint64_t *entries,
			   uint64_t *bytes, struct bs_err *e)
{
	size_t had = f->n, off = 0;
	uint64_t k = 0, b = 0;
	int rc;

	while ((rc = bs_meta_next_entry(&f->one, text, &off, e)) > 0) {
		const struct bs_entry *ent = &f->one.v[0];
		bs_meta_frame_add(f, ent, ent->rec.path.p, ent->rec.path.len);
		if (ent->rec.kind != 'i') {
			k++;
			if (ent->rec.kind == 'f')
				b += ent->rec.size;
		}
	}
	if (rc < 0) {
		f->n = had;
		return -1;
	}
	if (before && had && f->n > had) {
		/* the index in the order added is the order of precedence */
		size_t m = f->n - had;
		struct bs_meta_fent *tmp = bs_xmalloc(m * sizeof(*tmp));
		memcpy(tmp, f->v + had, m * sizeof(*tmp));
		memmove(f->v + m, f->v, had * sizeof(*tmp));
		memcpy(f->v, tmp, m * sizeof(*tmp));
		free(tmp);
	}
	if (entries)
		*entries = k;
	if (bytes)
		*bytes = b;
	return 0;
}

/* By name, and among equal names in the order added. */
static int by_name_seq(const void *a, const void *b, void *arg)
{
	const struct bs_meta_frame *f = arg;
	const uint32_t *x = a, *y = b;
	const struct bs_meta_fent *p = &f->v[*x], *q = &f->v[*y];
	int c = bs_name_cmp(f->text.p + p->name, p->end - p->name, f->text.p + q->name, q->end - q->name);

	if (c)
		return c;
	return *x < *y ? -1 : *x > *y;
}

/* Sort the index by name into f->order and keep one entry a name there:
 * the last real one, or an implicit one when there is no real one.
 * Returns how many are kept, or -1 when a name is given both as a
 * directory and as something else (input the format forbids). */
static long normalise(struct bs_meta_frame *f, const char *dir, size_t dirlen, struct bs_err *e)
{
	size_t out = 0;
	int clash = 0;

	if (f->ordercap < f->n) {
		f->ordercap = f->n;
		f->order = bs_xrealloc(f->order, f->ordercap * sizeof(*f->order));
	}
	for (size_t i = 0; i < f->n; i++)
		f->order[i] = (uint32_t)i;
	qsort_r(f->order, f->n, sizeof(*f->order), by_name_seq, f);
	for (size_t i = 0; i < f->n;) {
		const struct bs_meta_fent *first = &f->v[f->order[i]];
		uint32_t pick = f->order[i];
		size_t j = i;
		int dirs = 0, others = 0;
		while (j < f->n) {
			const struct bs_meta_fent *x = &f->v[f->order[j]];
			if (bs_name_cmp(f->text.p + x->name, x->end - x->name, f->text.p + first->name,
					first->end - first->name))
				break;
			if (x->kind != 'i')
				pick = f->order[j];
			dirs += x->kind == 'd';
			others += x->kind != 'd' && x->kind != 'i';
			j++;
		}
		if (dirs && others && !clash) {
			clash = 1;
			bs_err_set(e, BS_INPUT, "'%.200s%s%.*s' is given both as a directory and as another kind of file",
				   dir, dirlen > 1 ? "/" : "", (int)(first->end - first->name > 200 ? 200 : first->end - first->name),
				   f->text.p + first->name);
		}
		f->order[out++] = pick;
		i = j;
	}
	return clash ? -1 : (long)out;
}

/* The chunk digests of an entry's R and P lines, text[from, to), appended
 * to refs; how many. */
static size_t refs_of(const char *text, size_t from, size_t to, struct bs_buf *refs)
{
	unsigned char d[BS_DIGEST_LEN];
	size_t n = 0;

	while (from < to) {
		const char *nl = memchr(text + from, '\n', to - from);
		if (to - from > 2 + BS_HEX_LEN && bs_unhex(d, text + from + 2, BS_HEX_LEN) == 0) {
			bs_buf_add(refs, d, BS_DIGEST_LEN);
			n++;
		}
		from = nl ? (size_t)(nl - text) + 1 : to;
	}
	return n;
}

int bs_meta_frame_encode(struct bs_meta_frame *f, const char *key, size_t keylen, struct bs_buf *text,
			 struct bs_buf *head, uint64_t *entries, uint64_t *bytes, struct bs_err *e)
{
	unsigned char digest[BS_DIGEST_LEN], stat[BS_DIGEST_LEN], *count;
	struct bs_hash h;
	size_t nrefs = 0, kept = 0, refs_at;
	long n;

	/* offsets in the frame are 32 bits, as a value's size is */
	if (f->text.len > BS_VALUE_MAX)
		return bs_err_set(e, BS_INPUT, "directory '%.200s' has too many entries for one listing", key);
	n = normalise(f, key, keylen, e);
	if (n < 0)
		return -1;
	*entries = *bytes = 0;
	bs_buf_reset(text);
	bs_buf_reset(head);
	/* the head, its tag and first digest left for last; the chunks it
	 * refers to gathered after it, then sorted, each once */
	bs_buf_addc(head, 0);
	bs_buf_add(head, stat, BS_DIGEST_LEN);	/* placeholders */
	bs_buf_add(head, stat, BS_DIGEST_LEN);
	bs_buf_add(head, "\0\0\0\0", 4);
	refs_at = head->len;
	bs_hash_init(&h);
	for (long i = 0; i < n; i++) {
		const struct bs_meta_fent *x = &f->v[f->order[i]];
		bs_buf_add(text, f->text.p + x->off, x->end + 1 - x->off);
		bs_hash_update(&h, f->text.p + x->rec, x->end + 1 - x->rec);
		nrefs += refs_of(f->text.p, x->off, x->rec, head);
		if (x->kind != 'i') {
			(*entries)++;
			if (x->kind == 'f')
				*bytes += x->size;
		}
	}
	bs_hash_final(&h, stat);
	if (text->len > BS_VALUE_MAX - BS_VALUE_HEAD_FIXED - BS_DIGEST_LEN ||
	    nrefs > (BS_VALUE_MAX - BS_VALUE_HEAD_FIXED - BS_DIGEST_LEN - text->len) / BS_DIGEST_LEN) {
		bs_hash_release(&h);
		return bs_err_set(e, BS_INPUT, "directory '%.200s' has too many entries for one listing", key);
	}
	kept = bs_digests_unique((unsigned char *)head->p + refs_at, nrefs);
	bs_buf_setlen(head, refs_at + kept * BS_DIGEST_LEN);
	memcpy(head->p + 1 + BS_DIGEST_LEN, stat, BS_DIGEST_LEN);
	count = (unsigned char *)head->p + refs_at - 4;
	count[0] = (unsigned char)(kept >> 24);
	count[1] = (unsigned char)(kept >> 16);
	count[2] = (unsigned char)(kept >> 8);
	count[3] = (unsigned char)kept;
	/* bs_hash_final() made h ready for the next digest */
	bs_hash_update(&h, head->p + 1 + BS_DIGEST_LEN, head->len - 1 - BS_DIGEST_LEN);
	bs_hash_update(&h, text->p, text->len);
	bs_hash_final(&h, digest);
	bs_hash_release(&h);
	memcpy(head->p + 1, digest, BS_DIGEST_LEN);
	return 0;
}
