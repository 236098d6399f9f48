/*
 * metaframe.h - one directory's entries while the metadata writer is
 * inside it (metawrite.c), kept as the text its listing will hold.
 *
 * An entry is added as its text (its R or P lines, then its record under
 * its bare name, as bs_listing_encode() writes it), with a small index of
 * where each lies, its kind and size: a directory of many thousand
 * entries costs about its listing's text, not that many decoded records.
 * When the directory is left, the entries are sorted by name (the last
 * one of a name winning, an implicit one only when there is no other),
 * and the listing's text and head are made from the index (value.h).
 *
 *   bs_meta_frame_init(f)  bs_meta_frame_release(f)
 *   bs_meta_frame_clear(f)        no entries (the allocations are kept)
 *   bs_meta_frame_add(f, ent, name, n)
 *                                 ent under the bare name name[0, n)
 *   bs_meta_frame_add_implicit(f, name, n)
 *                                 a directory not backed up but above one
 *                                 that was (kind 'i')
 *   bs_meta_frame_add_text(f, text, before, &entries, &bytes, e)
 *                                 the entries of a listing's text (checked,
 *                                 as bs_value_text() gives it), one at
 *                                 a time; with `before`, placed before those
 *                                 added so far (which then win).  entries
 *                                 and bytes (may be NULL): what they hold,
 *                                 implicit ones aside.  0, or -1 (BS_INPUT)
 *   bs_meta_frame_encode(f, key, keylen, text, head, &entries, &bytes, e)
 *                                 sort and keep one entry a name; the
 *                                 listing's text into text and its head into
 *                                 head (the tag byte 0, for bs_value_seal();
 *                                 its digest at head->p + 1); what the
 *                                 listing holds, implicit entries aside.
 *                                 0, or -1: a name given both as a directory
 *                                 and as another kind of file, or a listing
 *                                 too large (BS_INPUT).  Clear f after
 */
#ifndef BS_METAFRAME_H
#define BS_METAFRAME_H

#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "listing.h"

struct bs_meta_fent {
	uint32_t off;		/* its text: [off, end], R and P lines first */
	uint32_t rec;		/* its record: [rec, end] */
	uint32_t name;		/* its bare name: [name, end) */
	uint32_t end;		/* the NUL that ends it */
	uint64_t size;
	char kind;
};

struct bs_meta_frame {
	struct bs_buf dir;
	struct bs_buf text;		/* the entries' text, as added */
	struct bs_meta_fent *v;		/* where each lies, in the order added */
	size_t n, cap;
	uint32_t *order;		/* scratch for sorting */
	size_t ordercap;
	struct bs_listing one;		/* scratch: an entry decoded */
	struct bs_buf base;		/* a listing taken whole, as stored; or empty */
	uint64_t base_entries, base_bytes;
	struct bs_buf subs;		/* the names of its directories, NUL-ended */
	size_t *suboff, nsub, subcap;
};

void bs_meta_frame_init(struct bs_meta_frame *f);
void bs_meta_frame_release(struct bs_meta_frame *f);
void bs_meta_frame_clear(struct bs_meta_frame *f);
void bs_meta_frame_add(struct bs_meta_frame *f, const struct bs_entry *ent, const char *name, size_t n);
void bs_meta_frame_add_implicit(struct bs_meta_frame *f, const char *name, size_t n);
int bs_meta_frame_add_text(struct bs_meta_frame *f, const struct bs_buf *text, int before, uint64_t *entries,
			   uint64_t *bytes, struct bs_err *e);
int bs_meta_frame_encode(struct bs_meta_frame *f, const char *key, size_t keylen, struct bs_buf *text,
			 struct bs_buf *head, uint64_t *entries, uint64_t *bytes, struct bs_err *e);

#endif
