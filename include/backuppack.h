/*
 * backuppack.h - bs-chunk's pack of small files, and the records held
 * back behind it (backuppack.c; the half of backupread.h that packs).
 *
 * A small file's bytes go into the open pack chunk; its record waits in a
 * queue until all its bytes are in written pack chunks, and so does every
 * record that comes after it (but a big file's), so that records keep
 * their order.  A waiting record is kept as the text it will be written
 * as (its R lines when they are known, then its record), with the pieces
 * the cuts give it.  The queue is bounded: at most BS_BACKUPREAD_QUEUE_MAX
 * ready records wait (past that they go out of order), and a pack chunk
 * is cut after BS_BACKUPREAD_PACK_FILES small files, so that at most that
 * many wait for their pieces.
 *
 *   bs_backupread_out_ready(b, refs, rec, later, e)
 *       A record whose references are known: refs (or NULL for none), or
 *       those of later's first name (a later name of a hard-linked file,
 *       whose first may still wait).  Written now, or queued.  0 or -1.
 *   bs_backupread_pack_small(b, rec, hl, e)
 *       The small file rec, read whole into b->pack.file: queued, its
 *       bytes into the pack.  hl: its hard-link group, or NULL.  0 or -1.
 *   bs_backupread_pack_end(b, e)
 *       The input has ended: the last pack chunk, every record waiting.
 *   bs_backupread_pack_release(b)
 *
 * From backupread.c, for both halves:
 *   bs_backupread_check_out(b, e)   0, or -1 when the output failed
 *   bs_backupread_emit_record(b, rec, e)
 */
#ifndef BS_BACKUPPACK_H
#define BS_BACKUPPACK_H

#include "backupread.h"

/* A hard-linked file met in this run: its size and chunk references. */
struct bs_linked {
	uint64_t size;
	int waiting;		/* its first name is queued: its pieces are not all known */
	struct bs_buf extents;	/* the first name's, as read */
	struct bs_entry ent;
};

/* A record held back behind a small file of the open pack chunk. */
struct bs_backupread_queued {
	size_t text, len;		/* pack.text[text, text + len): what it is written as */
	uint64_t left;			/* its bytes not yet in a written pack chunk */
	uint64_t at;			/* where they start in the open pack chunk */
	struct bs_linked *first;	/* a small file with other links: their group */
	struct bs_linked *later;	/* a later name of a file whose first is queued */
	struct bs_ref *pieces;		/* a small file's, as the cuts give them */
	size_t npieces, piececap;
};

int bs_backupread_out_ready(struct bs_backupread *b, const struct bs_entry *refs, const struct bs_rec *rec,
			    struct bs_linked *later, struct bs_err *e);
int bs_backupread_pack_small(struct bs_backupread *b, const struct bs_rec *rec, struct bs_linked *hl,
			     struct bs_err *e);
int bs_backupread_pack_end(struct bs_backupread *b, struct bs_err *e);
void bs_backupread_pack_release(struct bs_backupread *b);

int bs_backupread_check_out(struct bs_backupread *b, struct bs_err *e);
int bs_backupread_emit_record(struct bs_backupread *b, const struct bs_rec *rec, struct bs_err *e);

#endif
