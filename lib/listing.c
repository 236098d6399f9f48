/* listing.c - a directory's entries (records with their chunks) and their text. */
#include <stdlib.h>
#include <string.h>
#include "listing.h"

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
	ent->refs[ent->nrefs].offset = 0;
	ent->refs[ent->nrefs].size = size;
	ent->refs[ent->nrefs].piece = 0;
	ent->nrefs++;
}

void bs_entry_addpiece(struct bs_entry *ent, const unsigned char *digest, uint64_t offset, uint64_t length)
{
	bs_entry_addref(ent, digest, length);
	ent->refs[ent->nrefs - 1].offset = offset;
	ent->refs[ent->nrefs - 1].piece = 1;
}

void bs_ref_text(struct bs_buf *b, const struct bs_ref *ref)
{
	if (ref->piece)
		bs_piece_format(b, ref->digest, ref->offset, ref->size);
	else
		bs_ref_format(b, 'R', ref->digest, ref->size);
}

void bs_ref_emit(struct bs_writer *w, const struct bs_ref *ref)
{
	if (ref->piece)
		bs_stream_piece(w, ref->digest, ref->offset, ref->size);
	else
		bs_stream_ref(w, ref->digest, ref->size);
}

void bs_entry_copy(struct bs_entry *dst, const struct bs_entry *src)
{
	bs_rec_copy(&dst->rec, &src->rec);
	dst->nrefs = 0;
	for (size_t i = 0; i < src->nrefs; i++) {
		bs_entry_addref(dst, src->refs[i].digest, src->refs[i].size);
		dst->refs[i] = src->refs[i];
	}
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

struct bs_entry *bs_listing_push(struct bs_listing *l)
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
			bs_ref_text(out, &ent->refs[j]);
		bs_rec_format(out, &ent->rec);
	}
}

static int name_ok(const struct bs_listing *l, const struct bs_entry *ent)
{
	const struct bs_buf *n = &ent->rec.path;
	const struct bs_buf *prev = l->n > 1 ? &l->v[l->n - 2].rec.path : NULL;

	if (n->len == 1 && n->p[0] == '/')
		return l->n == 1;
	if (n->len == 0 || memchr(n->p, '/', n->len) || (n->len == 1 && n->p[0] == '.') ||
	    (n->len == 2 && n->p[0] == '.' && n->p[1] == '.'))
		return 0;
	if (prev && (prev->len == 1 && prev->p[0] == '/'))
		return 0;
	return !prev || bs_name_cmp(prev->p, prev->len, n->p, n->len) < 0;
}

int bs_listing_decode(struct bs_listing *l, const char *p, size_t n, struct bs_err *e)
{
	const char *end = p + n;
	struct bs_entry *ent = NULL;

	bs_listing_clear(l);
	while (p < end) {
		if (!ent)
			ent = bs_listing_push(l);
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
		} else if (*p == 'P') {
			/* P <hex> <offset> <length> */
			const char *nl = memchr(p, '\n', (size_t)(end - p)), *sp;
			unsigned char d[BS_DIGEST_LEN];
			uint64_t off, len;
			if (!nl || nl - p < 3 + BS_HEX_LEN + 3 || p[1] != ' ' || p[2 + BS_HEX_LEN] != ' ' ||
			    bs_unhex(d, p + 2, BS_HEX_LEN) < 0 ||
			    !(sp = memchr(p + 3 + BS_HEX_LEN, ' ', (size_t)(nl - p) - 3 - BS_HEX_LEN)) ||
			    bs_parse_u64(p + 3 + BS_HEX_LEN, (size_t)(sp - p) - 3 - BS_HEX_LEN, &off) < 0 ||
			    bs_parse_u64(sp + 1, (size_t)(nl - sp - 1), &len) < 0 ||
			    len == 0 || len > (1ull << 40) || off > (1ull << 40))
				goto bad;
			bs_entry_addpiece(ent, d, off, len);
			p = nl + 1;
		} else {
			const char *nul = memchr(p, '\0', (size_t)(end - p));
			if (!nul || bs_rec_parse(&ent->rec, p, (size_t)(nul - p), e) < 0)
				goto bad;
			/* a bare name, once, in order ("/" alone: the root's record) */
			if (!name_ok(l, ent))
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
