/*
 * store.h - where a repository keeps its chunks: the chunk-store interface.
 *
 * A store holds stored chunks (codec.h: tag byte and bytes) by digest, each
 * with a last-referenced time (its stamp).  It knows nothing of codecs or
 * digests' meaning; chunk.h's bs_chunk_* functions sit on top of it.  The
 * local directory store (store_local.c, REPO/chunks/abc/<hex>) is the one
 * implementation; an ssh- or object-store-backed one is another ops table.
 *
 *   bs_store_local_open(&s, dirfd, path, e)  the store of the repository
 *                                   whose top directory is dirfd (kept
 *                                   open by the caller); path for messages
 *   bs_store_close(s)               free it (NULL is fine)
 *
 * Operations, s->ops->op(s, ...); all may be called from several threads
 * at once unless said otherwise:
 *   has(s, digest)                  1 present and not empty, 0 no, -1 error
 *   stat(s, digest, &size, &mtime, e)  1 present, 0 missing, -1 error
 *   touch(s, digest, t, e)          set the stamp to t, never moving it back
 *                                   (a backup whose clock is behind another's
 *                                   must not shorten a chunk's life): 0 done,
 *                                   BS_STORE_EMPTY when the chunk is an empty
 *                                   (damaged) file, BS_STORE_MISSING, or -1
 *   put(s, digest, stored, n, t, &stored_now, e)
 *       store n bytes stamped t, atomically: a temporary file in the same
 *       place (".tmp-HOST-PID-SEQ"), written, fsynced, linked into place
 *       without replacing, unlinked.  A chunk already there is touched
 *       instead (*stored_now = 0); an empty one is replaced (rename).  0 or -1
 *   stage(s, digest, stored, n, t, st, e)
 *       the first half of a put, for a batch of chunks (bs-store): write n
 *       bytes stamped t to a temporary file of the store, not yet flushed
 *       to disk, and note it in *st (its digest and temporary name).  0 or
 *       -1 (nothing left behind)
 *   commit(s, st, count, t, e)
 *       the second half, for `count` staged chunks at once: flush their
 *       temporary files to disk (all of them, before any is linked), link
 *       each into place without replacing (a chunk already there is
 *       touched with t instead and its temporary removed; an empty one is
 *       replaced), then make the new names durable.  st[i].stored says
 *       which this call stored.  0, or -1: the staged files not yet
 *       linked are removed, those linked stay (they are whole)
 *   discard(s, st)                  remove a staged chunk's temporary file
 *   get(s, digest, out, max, e)     append the stored bytes to out; BS_INPUT
 *                                   when missing or larger than max
 *   list(s, fn, dir_done, arg, e)   fn(arg, f, e) for every file of the store,
 *                                   chunks and temporaries (struct
 *                                   bs_chunk_file), a directory at a time;
 *                                   dir_done(arg, dir) after each (may be NULL).
 *                                   fn returns 0 to go on, -1 to stop
 *   remove(s, relpath, e)           remove a file list() showed (its f->path);
 *                                   a missing one is fine
 *   prune(s, dir)                   remove the directory list() named when it
 *                                   is empty; quietly keeps a busy one
 *   sync(s, e)                      make new chunks and refreshed stamps
 *                                   durable: call before a backup is recorded
 *                                   as complete
 *   close(s)                        what bs_store_close() calls
 */
#ifndef BS_STORE_H
#define BS_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "io.h"

#ifndef BS_DIGEST_LEN
#define BS_DIGEST_LEN 32
#define BS_HEX_LEN 64
#endif

enum { BS_STORE_EMPTY = 1, BS_STORE_MISSING = 2 };

struct bs_chunk_file {
	char path[16 + 256];		/* chunks/abc/<name> */
	const char *name;		/* the last component */
	int is_chunk, is_temp;
	unsigned char digest[BS_DIGEST_LEN];
	uint64_t size;
	struct bs_time mtime;
};

/* A chunk written to a temporary file, waiting for commit(). */
struct bs_store_staged {
	unsigned char digest[BS_DIGEST_LEN];
	char tmp[96];			/* the store's name for it */
	int stored;			/* after commit(): 1 when linked by it */
};

typedef int bs_chunk_visit(void *arg, const struct bs_chunk_file *f, struct bs_err *e);

struct bs_store;

struct bs_store_ops {
	const char *name;
	int (*has)(struct bs_store *s, const unsigned char *digest);
	int (*stat)(struct bs_store *s, const unsigned char *digest, uint64_t *size, struct bs_time *mtime,
		    struct bs_err *e);
	int (*touch)(struct bs_store *s, const unsigned char *digest, struct bs_time t, struct bs_err *e);
	int (*put)(struct bs_store *s, const unsigned char *digest, const void *stored, size_t n, struct bs_time t,
		   int *stored_now, struct bs_err *e);
	int (*stage)(struct bs_store *s, const unsigned char *digest, const void *stored, size_t n,
		     struct bs_time t, struct bs_store_staged *st, struct bs_err *e);
	int (*commit)(struct bs_store *s, struct bs_store_staged *st, size_t count, struct bs_time t,
		      struct bs_err *e);
	void (*discard)(struct bs_store *s, struct bs_store_staged *st);
	int (*get)(struct bs_store *s, const unsigned char *digest, struct bs_buf *out, size_t max,
		   struct bs_err *e);
	int (*list)(struct bs_store *s, bs_chunk_visit *fn, void (*dir_done)(void *arg, const char *dir), void *arg,
		    struct bs_err *e);
	int (*remove)(struct bs_store *s, const char *relpath, struct bs_err *e);
	void (*prune)(struct bs_store *s, const char *dir);
	int (*sync)(struct bs_store *s, struct bs_err *e);
	void (*close)(struct bs_store *s);
};

struct bs_store {
	const struct bs_store_ops *ops;
};

int bs_store_local_open(struct bs_store **s, int dirfd, const char *path, struct bs_err *e);
/* The store of a client's mirror of a repository over ssh (store_mirror.c,
 * bs-remote.1): a directory with a file "mirror-missing" is one. */
int bs_store_mirror_open(struct bs_store **s, int dirfd, const char *path, struct bs_err *e);
void bs_store_close(struct bs_store *s);

#endif
