/*
 * restore.h - a backup, or some of its paths, as a GNU tar stream.
 *
 * bs-cat's work: each entry under the paths asked for becomes a tar member
 * (bs_tar_member), a regular file followed by its chunks' bytes, each
 * chunk's size and the file's total checked against the metadata (the
 * header's size is exactly what follows, or the restore fails); a file,
 * FIFO or device with other hard links is written once, its later names
 * as links to the first.  When paths are given, the directories above
 * each that the backup recorded ("/" aside) come first, once each, so that
 * tar gives them their recorded mode, owner and times.  A file's content is
 * whole chunks (R) or pieces of chunks (P: packed small files).  The last
 * BS_RESTORE_PACKS chunks that pieces came from are kept, so a pack chunk
 * that holds many small files is decoded once even when big files come
 * between them, or the pieces of an earlier backup's packs between those
 * of this one's (a re-backup's unchanged and changed small files); a
 * whole chunk is kept while the references that follow are to it (a file
 * that repeats a chunk).  With r->threads > 1 (set it after init), chunks
 * are read and decoded ahead, in order, on up to that many worker threads
 * (readahead.h): a second reader of the backup walks the same paths on a
 * thread of its own and names the chunks that will be wanted, keeping the
 * same account of what the restore holds (not with BS_RESTORE_DIRONLY).
 * Memory for chunks is bounded in bytes (budget.h): the pack chunks kept,
 * the read-ahead window (the whole chunk being written among it) and its
 * workers' buffers are BS_RESTORE_BUDGET at most, or r->memory when set.
 * A bs_restore itself belongs to one thread.
 *
 * r->opts, set after bs_restore_init(): BS_TAR_PAX (the default: pax
 * extended headers for nanoseconds, xattrs, ACLs, sparse files; 0 for
 * plain GNU tar), BS_TAR_FFLAGS (inode flags as SCHILY.fflags), and
 * BS_RESTORE_DIRONLY (each path itself, without what is below it).
 *
 *   bs_restore_init(r, repo, meta, out)
 *       meta: the backup, open; out: where the archive goes.
 *   bs_restore_tar(r, paths, n, e)
 *       Write the members under paths[0..n) (all of the backup when n is
 *       0) and the end of the archive.  Every path must be absolute
 *       ("'%s': paths in a backup are absolute", BS_USAGE) and in the
 *       backup ("'%s' is not in backup '%s'", BS_INPUT), checked before
 *       a byte is written; a path inside another one given is written
 *       once.  Returns 0, or -1 with e.
 *   bs_restore_chunk(repo, hex, out, e)
 *       One chunk's bytes, named by its digest in hex.
 *   bs_restore_release(r)
 *   r->members: the members written.
 *   r->damaged: chunks written as zeros (see r->warn): a damaged chunk
 *   (missing, unreadable, failing its digest) does not end the restore;
 *   its file gets zeros of the chunk's length, so every later member is
 *   whole, and the message names the file and the chunk.
 */
#ifndef BS_RESTORE_H
#define BS_RESTORE_H

#include <stdint.h>
#include "buf.h"
#include "io.h"
#include "linkmap.h"
#include "meta.h"
#include "readahead.h"
#include "repo.h"
#include "tar.h"

enum { BS_RESTORE_DIRONLY = 0x100 };

#define BS_RESTORE_PACKS 4
#define BS_RESTORE_HELD (BS_RESTORE_PACKS + 1)
/* the pack chunks kept and the read-ahead: 10 chunks of 4 MiB */
#define BS_RESTORE_BUDGET ((size_t)40 << 20)

/* The chunks held, by digest: [0, BS_RESTORE_PACKS) the last pack chunks
 * (pieces), least recently used first out; BS_RESTORE_PACKS the whole
 * chunk of the last reference, while the references after it are to it
 * (a piece forgets it).  The restore and its read-ahead producer each keep
 * one and update it alike, so that they agree on which chunks are decoded
 * again.  Reading ahead, the whole chunk stays in its read-ahead slot
 * (r->cur) rather than in data[]. */
struct bs_restore_held {
	unsigned char digest[BS_RESTORE_HELD][BS_DIGEST_LEN];
	unsigned long stamp[BS_RESTORE_HELD];
	int used[BS_RESTORE_HELD];
	unsigned long clock;
};

struct bs_restore {
	struct bs_repo *repo;
	struct bs_meta_reader *meta;
	struct bs_writer *out;
	struct bs_linkmap links;
	struct bs_buf name;
	uint64_t members;
	int opts;		/* BS_TAR_PAX, BS_TAR_FFLAGS, BS_RESTORE_DIRONLY */
	char **done;		/* ancestors (and -d paths) written */
	size_t ndone;
	size_t threads;			/* > 1: read ahead on that many */
	size_t memory;			/* for chunks; 0: BS_RESTORE_BUDGET */
	struct bs_restore_held held;	/* the chunks in data[] */
	struct bs_buf data[BS_RESTORE_HELD];
	struct bs_err bad[BS_RESTORE_HELD];	/* code set: could not be had, why */
	struct bs_readahead_slot *cur;	/* the whole chunk held, reading ahead */
	struct {			/* reading ahead */
		int on;
		struct bs_readahead ra;
		struct bs_meta_reader meta;	/* the producer's own reader */
		struct bs_linkmap links;
		struct bs_restore_held held;
		char **roots;
		int nroots;
		pthread_t thread;
	} ahead;
	/* damage: a chunk that cannot be read or fails its digest is written
	 * as zeros of its length, told to warn(arg, msg) and counted */
	void (*warn)(void *arg, const char *msg);
	void *arg;
	uint64_t damaged;
};

void bs_restore_init(struct bs_restore *r, struct bs_repo *repo, struct bs_meta_reader *meta,
		     struct bs_writer *out);
int bs_restore_tar(struct bs_restore *r, char *const *paths, int n, struct bs_err *e);
int bs_restore_chunk(struct bs_repo *repo, const char *hex, struct bs_writer *out, struct bs_err *e);
void bs_restore_release(struct bs_restore *r);

#endif
