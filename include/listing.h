/*
 * listing.h - a directory's entries, and their text (listing.c).
 *
 * struct bs_entry is a record with its chunks (struct bs_ref, in file
 * order): whole chunks (R: offset 0 and the chunk's size), or pieces of
 * chunks (P: bytes [offset, offset+size) of the chunk; packed small
 * files).  struct bs_listing is a directory's entries,
 * sorted by name (bs_name_cmp) once written; entries keep their
 * allocations across bs_listing_clear() for reuse.
 *
 *   bs_entry_init/release(ent)  bs_entry_addref(ent, digest, size)
 *   bs_entry_addpiece(ent, digest, offset, length)
 *   bs_entry_copy(dst, src)     dst must have been initialised
 *   bs_listing_init/release/clear(l)
 *   bs_listing_push(l)          a new entry at the end, its refs emptied
 *   bs_listing_find(l, name, n) binary search by bare name, or NULL
 *   bs_listing_encode(l, out)   the text: each entry's R (or P) lines, then its
 *                               record (as in the manifest stream)
 *   bs_listing_decode(l, p, n, e)  the reverse; -1 (BS_INPUT) on bad text
 *   bs_name_cmp(a, an, b, bn)   names in byte order, a shorter name before
 *                               one it begins: <0, 0, >0
 */
#ifndef BS_LISTING_H
#define BS_LISTING_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "record.h"

struct bs_ref {
	unsigned char digest[BS_DIGEST_LEN];
	uint64_t offset;	/* a piece's start in its chunk; 0 for R */
	uint64_t size;		/* a whole chunk's size, or a piece's length */
	int piece;		/* a P line, not an R */
};

struct bs_entry {
	struct bs_rec rec;
	struct bs_ref *refs;
	size_t nrefs, refcap;
};

void bs_entry_init(struct bs_entry *ent);
void bs_entry_release(struct bs_entry *ent);
void bs_entry_addref(struct bs_entry *ent, const unsigned char *digest, uint64_t size);
void bs_entry_addpiece(struct bs_entry *ent, const unsigned char *digest, uint64_t offset, uint64_t length);
/* the ref's line (R or P) into b; to a stream, bs_ref_emit() */
void bs_ref_text(struct bs_buf *b, const struct bs_ref *ref);
void bs_ref_emit(struct bs_writer *w, const struct bs_ref *ref);
void bs_entry_copy(struct bs_entry *dst, const struct bs_entry *src);

struct bs_listing {
	struct bs_entry *v;
	size_t n, cap;
};

void bs_listing_init(struct bs_listing *l);
void bs_listing_release(struct bs_listing *l);
void bs_listing_clear(struct bs_listing *l);
struct bs_entry *bs_listing_push(struct bs_listing *l);
struct bs_entry *bs_listing_find(struct bs_listing *l, const char *name, size_t n);
void bs_listing_encode(struct bs_listing *l, struct bs_buf *out);
int bs_listing_decode(struct bs_listing *l, const char *p, size_t n, struct bs_err *e);
int bs_name_cmp(const char *a, size_t an, const char *b, size_t bn);

#endif
