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
 *   bs_repo_sync(repo, e)         make the new chunks' names and the
 *                                 refreshed times durable; call before a
 *                                 backup can be recorded as complete
 *   bs_repo_unlink(repo, relpath, e)  remove a file (ENOENT is fine): one a
 *                                 chunk scan showed, or one under the top
 *   bs_expiry_read/write/check    REPO/expiry, the last expiry's cut-off
 *
 * What the repository owns:
 *   repo->store     its chunk store (store.h); the chunk functions in
 *                   chunk.h go through it
 *   repo->codec     coders for single-threaded callers of chunk.h
 *   repo->chunk_cfg how its chunks are compressed (codec.h)
 *   repo->dirfd     its top directory: for the library only (backup.c,
 *                   the metadata files); tools never use it
 *
 * Files: repo.c (open, create, config), lock.c, expiry.c, chunk.c,
 * store_local.c, parse.c (bs_parse_size, bs_parse_age).
 */
#ifndef BS_REPO_H
#define BS_REPO_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "io.h"
#include "chunk.h"
#include "codec.h"
#include "parse.h"
#include "record.h"
#include "store.h"

#define BS_REPO_VERSION 3
#define BS_CONFIG_KEEP 6

/* the config keys of the keep rules: "keep-last", ... "keep-yearly" */
extern const char *const bs_config_keep_keys[BS_CONFIG_KEEP];

/* How new chunks are compressed unless bs-init says otherwise: see
 * bench/CODECS.md for the measurements behind the choice. */
#define BS_CODEC_DEFAULT BS_CODEC_ZSTD
#define BS_LEVEL_DEFAULT 3

struct bs_config {
	unsigned version;
	size_t chunk_min, chunk_avg, chunk_max;
	int codec;			/* enum bs_codec_tag: new chunks' codec */
	int level;			/* and its level */
	int64_t max_age;		/* seconds, or -1: none set */
	int64_t metadata_max_age;	/* seconds, or -1: same as max_age */
	int64_t refresh;		/* seconds a backup trusts an earlier
					   one's chunk stamps (bs-formats.5) */
	int64_t keep[BS_CONFIG_KEEP];	/* the keep rules, in retain.h's
					   order (last, hourly, daily, weekly,
					   monthly, yearly); 0 when off */
};

#define BS_REFRESH_DEFAULT (7 * 86400)

void bs_config_default(struct bs_config *c);

struct bs_repo {
	char *path;
	int dirfd;
	int lockfd;
	struct bs_config cfg;
	struct bs_store *store;		/* its chunks (store.h) */
	struct bs_codec_ctx codec;	/* coders for chunk.h's functions */
	struct bs_codec_cfg chunk_cfg;	/* how its chunks are compressed */
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

int bs_repo_unlink(struct bs_repo *repo, const char *relpath, struct bs_err *e);

#endif
