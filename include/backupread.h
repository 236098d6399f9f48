/*
 * backupread.h - turn stat records into the chunk stream (bs-chunk's work).
 *
 * A bs_backupread takes the records of a walk, in order, and writes to
 * its writer, for each: a regular file's chunks (read with bs_fileread),
 * or, for a file smaller than the chunker's minimum, its pieces of the
 * pack (see below),
 * or the references of an earlier backup's entry when the file has not
 * changed (bs_priors), or those of a hard link's first name met in this
 * run; then the record itself.  With earlier backups, each directory's run
 * of records (up to BS_BACKUPREAD_GROUP_MAX) is gathered, as text, and,
 * when it is the same as an earlier listing, written as one L item.  It is
 * not shared between threads.
 *
 * Small files are packed (backuppack.c): their bytes go, in order, into
 * one stream cut by a second chunker with the same sizes, and each such
 * file becomes P items (pieces of those pack chunks).  A pack chunk's C
 * item is written when the pack chunker cuts (or at the end), followed by
 * the P items and records of the files now whole in written chunks;
 * records that come after a file still in the open pack chunk wait behind
 * it (at most BS_BACKUPREAD_QUEUE_MAX of them; past that, the ready ones
 * go out of order), except a big file's, which goes out at once, just
 * after its C items.  A pack chunk holds at most BS_BACKUPREAD_PACK_FILES
 * small files: the pack is cut after that many, as after chunk-max bytes,
 * so that the records waiting are bounded however small the files (a
 * count of the run of small files, so the same run still gives the same
 * chunks).  Waiting records are kept as their text.  Memory therefore
 * does not grow with the number of files (hard links aside: each group's
 * chunks are remembered for its later names).
 *
 *   bs_backupread_init(b, out, ck, priors)
 *       out: the chunk stream, its header (and F line) already written;
 *       ck: the chunker; priors: earlier backups, or NULL.  Set b->hooks
 *       after this.
 *   bs_backupread_take(b, rec, e)
 *       One record (rec->path absolute and clean); rec may be changed.
 *       Returns 0, or -1 with e when the output cannot be written.
 *   bs_backupread_count(b, kind)
 *       Count a path the caller could not stat (BS_WARN_ kind).
 *   bs_backupread_flush(b, e)
 *       The input has ended: write the records held back.  0, or -1.
 *   bs_backupread_finish(b, e)
 *       The input has ended: the records held back, then the counters as
 *       S lines (unchanged, read-files, read-bytes, sockets, vanished,
 *       denied, unreadable, changed) and the trailer.  0, or -1 with e.
 *   bs_backupread_abort(b)
 *       Bad input: write what was complete, without a trailer (the stages
 *       after then keep an unfinished backup).
 *   bs_backupread_problems(b)   files not saved as they are (exit 1)
 *   bs_backupread_release(b)
 *
 * Hooks (each may be NULL), called with hooks.arg:
 *   warn(arg, msg)           a file skipped or saved as read, a backup dropped
 *   file(arg, path, size)    a record begins (size: a regular file's)
 *   bytes(arg, n)            n bytes read
 *   skip(arg, n)             n bytes not read: an unchanged file
 */
#ifndef BS_BACKUPREAD_H
#define BS_BACKUPREAD_H

#include <stdint.h>
#include "buf.h"
#include "chunker.h"
#include "fileread.h"
#include "incremental.h"
#include "linkmap.h"
#include "record.h"

/* a directory with more entries goes a file at a time */
#define BS_BACKUPREAD_GROUP_MAX 50000
/* records ready but waiting behind a small file in the open pack chunk */
#define BS_BACKUPREAD_QUEUE_MAX 4096
/* small files in one pack chunk */
#define BS_BACKUPREAD_PACK_FILES 8192

struct bs_backupread_queued;
struct bs_linked;

struct bs_backupread_hooks {
	void (*warn)(void *arg, const char *msg);
	void (*file)(void *arg, const char *path, uint64_t size);
	void (*bytes)(void *arg, uint64_t n);
	void (*skip)(void *arg, uint64_t n);
	void *arg;
};

struct bs_backupread_counts {
	uint64_t records, unchanged, read_files, read_bytes, linked, packed;
	uint64_t vanished, denied, unreadable, changed, sockets;
};

struct bs_backupread {
	struct bs_writer *out;
	struct bs_priors *priors;
	struct bs_fileread fr;
	struct bs_linkmap links;
	struct bs_entry *keep;		/* a hard-linked file's refs, being read */
	struct bs_buf scratch;
	struct {			/* small files, packed */
		struct bs_chunker ck;
		struct bs_hash hash;
		struct bs_buf buf;	/* the open pack chunk's bytes */
		size_t scanned;		/* of them, through the chunker and hash */
		struct bs_buf file;	/* a small file's bytes, read */
		size_t files;		/* small files in the open pack chunk */
		struct bs_backupread_queued *q;	/* records, in order, from q[head] */
		size_t head, n, cap;
		struct bs_buf text;	/* their text */
	} pack;
	struct bs_priors_group group;	/* one directory's records, gathered */
	int overflow;			/* too many: the rest go one by one */
	struct bs_rec rec;		/* a record of the group, decoded */
	int broken;			/* the output failed */
	struct bs_backupread_hooks hooks;
	struct bs_backupread_counts n;
};

void bs_backupread_init(struct bs_backupread *b, struct bs_writer *out, struct bs_chunker *ck,
			struct bs_priors *priors);
int bs_backupread_take(struct bs_backupread *b, struct bs_rec *rec, struct bs_err *e);
void bs_backupread_count(struct bs_backupread *b, int kind);
int bs_backupread_flush(struct bs_backupread *b, struct bs_err *e);
int bs_backupread_finish(struct bs_backupread *b, struct bs_err *e);
void bs_backupread_abort(struct bs_backupread *b);
uint64_t bs_backupread_problems(const struct bs_backupread *b);
void bs_backupread_release(struct bs_backupread *b);

#endif
