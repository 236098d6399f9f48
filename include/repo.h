/*
 * repo.h - the repository: its config, its lock, and its chunks.
 *
 * Layout (see bs-formats.5):
 *   REPO/config               text, "key value" lines
 *   REPO/lock                 flock(2)ed: shared by backups, exclusive by
 *                             expiry, so a chunk a backup relies on is never
 *                             removed under it; released by the kernel when
 *                             a process dies, so a crash leaves no stale lock
 *   REPO/chunks/abc/<hex>     a chunk named by the SHA-256 of its bytes,
 *                             under the first three hex digits; its mtime is
 *                             the last time a backup referred to it
 *   REPO/backups/<id>/        one backup (backup.h, meta.h)
 *
 *   bs_repo_create(path, cfg, e)  make a new repository; refuses an existing
 *                                 path.  Files are private to the owner.
 *   bs_repo_open(repo, path, e)   open and read the config
 *   bs_repo_close(repo)
 *   bs_repo_lock(repo, how, e)    BS_LOCK_SHARED or BS_LOCK_EXCLUSIVE, with
 *                                 BS_LOCK_NOWAIT to fail (BS_SYS, "busy")
 *                                 rather than wait, and BS_LOCK_READER for a
 *                                 tool that only reads: it goes on without
 *                                 a lock on a read-only repository
 *   bs_config_save(repo, e)       rewrite the config (temp file + rename)
 *
 * Chunks:
 *   bs_chunk_path(repo, digest, buf)     "chunks/abc/<hex>" (relative)
 *   bs_chunk_exists(repo, digest)        1 yes, 0 no
 *   bs_chunk_touch(repo, digest, t, e)   set its last-referenced time to t;
 *                                        0, or -1 (BS_INPUT "missing" when it
 *                                        does not exist)
 *   bs_chunk_put(repo, digest, p, n, t, info, e)
 *       store n bytes under digest, compressed when that makes them smaller,
 *       atomically: temporary file, fsync, link into place (never replacing),
 *       unlink.  An existing chunk is only touched.  The digest is recomputed
 *       first and a mismatch is refused (BS_INPUT).  `info`, if not NULL,
 *       says whether it was new and how many bytes it took on disk.
 *   bs_chunk_get(repo, digest, out, e)   read, decompress and verify a chunk;
 *                                        its bytes are appended to out
 *   bs_chunk_decode(file, n, digest, out, e)
 *                                        the same on a chunk file's bytes
 *   bs_repo_sync(repo, e)                make the new chunks' names and the
 *                                        refreshed times durable (syncfs);
 *                                        call before a backup can be
 *                                        recorded as complete
 *
 * Scanning (bs-expire, bs-check):
 *   bs_chunks_each(repo, fn, arg, e)
 *       call fn(arg, ent, e) for every file under chunks/, directory by
 *       directory; ent says its relative path, whether its name is a chunk
 *       name (then ent->digest is set) or a temporary file, and its stat.
 *       fn returns 0 to go on, -1 to stop.  After each directory,
 *       ent->dir_done is called with the directory's name so a caller can
 *       try to remove it when empty.
 *   bs_repo_unlink(repo, relpath, e)     remove a file (ENOENT is fine)
 */
#ifndef BS_REPO_H
#define BS_REPO_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "io.h"
#include "record.h"

#define BS_REPO_VERSION 3

struct bs_config {
	unsigned version;
	size_t chunk_min, chunk_avg, chunk_max;
	int xz_preset;
	int64_t max_age;		/* seconds, or -1: none set */
	int64_t metadata_max_age;	/* seconds, or -1: same as max_age */
	int64_t refresh;		/* seconds a backup trusts an earlier
					   one's chunk stamps (bs-formats.5) */
};

#define BS_REFRESH_DEFAULT (7 * 86400)

void bs_config_default(struct bs_config *c);

struct bs_repo {
	char *path;
	int dirfd;
	int lockfd;
	int chunksfd;			/* chunks/, opened when first needed */
	struct bs_config cfg;
	unsigned char made[4096 / 8];	/* chunk dirs known to exist */
	struct bs_buf scratch;
};

enum { BS_LOCK_SHARED = 1, BS_LOCK_EXCLUSIVE = 2, BS_LOCK_NOWAIT = 4, BS_LOCK_READER = 8 };

int bs_repo_create(const char *path, const struct bs_config *cfg, struct bs_err *e);
int bs_repo_open(struct bs_repo *repo, const char *path, struct bs_err *e);
void bs_repo_close(struct bs_repo *repo);
int bs_repo_lock(struct bs_repo *repo, int how, struct bs_err *e);
int bs_config_save(struct bs_repo *repo, struct bs_err *e);
/* REPO/expiry: the highest stamp below which an expiry removed chunks
 * (INT64_MIN seconds when none did); written only ever upward */
int bs_expiry_read(struct bs_repo *repo, struct bs_time *t, struct bs_err *e);
int bs_expiry_write(struct bs_repo *repo, struct bs_time t, struct bs_err *e);
/* Is a stream whose floor is `floor` safe from the last expiry?  0 yes;
 * -1 no (BS_INPUT) or an error; 1 when the record is later than `now`, a
 * sign of clocks that disagree, and is not held against the stream. */
int bs_expiry_check(struct bs_repo *repo, struct bs_time floor, struct bs_time now, struct bs_err *e);
int bs_repo_sync(struct bs_repo *repo, struct bs_err *e);

struct bs_chunk_info {
	int stored;			/* 1 when this call wrote it */
	uint64_t disk_bytes;		/* its size in the repository */
};

void bs_chunk_path(const unsigned char *digest, char *out);	/* 75 bytes */
int bs_chunk_exists(struct bs_repo *repo, const unsigned char *digest);
int bs_chunk_touch(struct bs_repo *repo, const unsigned char *digest, struct bs_time t, struct bs_err *e);
int bs_chunk_put(struct bs_repo *repo, const unsigned char *digest, const void *p, size_t n,
		 struct bs_time t, struct bs_chunk_info *info, struct bs_err *e);
int bs_chunk_get(struct bs_repo *repo, const unsigned char *digest, struct bs_buf *out, struct bs_err *e);
int bs_chunk_decode(const void *file, size_t n, const unsigned char *digest, size_t limit,
		    struct bs_buf *out, struct bs_err *e);

struct bs_chunk_file {
	char path[16 + 256];		/* chunks/abc/<name> */
	const char *name;		/* the last component */
	int is_chunk, is_temp;
	unsigned char digest[BS_DIGEST_LEN];
	uint64_t size;
	struct bs_time mtime;
};

typedef int bs_chunk_visit(void *arg, const struct bs_chunk_file *f, struct bs_err *e);
int bs_chunks_each(struct bs_repo *repo, bs_chunk_visit *fn, void (*dir_done)(void *arg, const char *dir),
		   void *arg, struct bs_err *e);
int bs_repo_unlink(struct bs_repo *repo, const char *relpath, struct bs_err *e);

/* Parse a size ("1048576", "1M", "64K") or an age ("90d", "2y", "12h", "3600"). */
int bs_parse_size(const char *s, uint64_t *out);
int bs_parse_age(const char *s, int64_t *out);

#endif
