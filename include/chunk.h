/*
 * chunk.h - a repository's chunks, by digest (chunk.c).
 *
 *   bs_chunk_path(digest, buf)           "chunks/abc/<hex>" (the local
 *                                        store's name; for messages)
 *   bs_chunk_exists(repo, digest)        1 yes (and not empty), 0 no
 *   bs_chunk_touch(repo, digest, t, e)   set its last-referenced time to t,
 *                                        never back; 0, or -1 (BS_INPUT
 *                                        "missing"/"empty" when so)
 *   bs_chunk_put(repo, digest, p, n, t, info, e)
 *       store n bytes under digest, compressed when that makes them smaller
 *       (codec.h, the repository's settings), atomically (store.h).  An
 *       existing chunk is only touched.  The digest is recomputed first and
 *       a mismatch is refused (BS_INPUT).  `info`, if not NULL, says
 *       whether it was new and how many bytes it took in the store.
 *   bs_chunk_stage(repo, ctx, scratch, digest, p, n, t, st, &staged,
 *                  &disk_bytes, e)
 *       bs_chunk_put() for a batch, up to the link, on any thread (its own
 *       coders and scratch buffer): the digest checked, an existing chunk
 *       touched (staged 0), a new one compressed and written to a
 *       temporary file of the store (staged 1, *st says which, disk_bytes
 *       its stored size).  0 or -1
 *   bs_chunk_commit(repo, st, count, t, e)
 *       make staged chunks durable and link them into place, together
 *       (store.h's commit); st[i].stored says which were new.  0 or -1
 *   bs_chunk_discard(repo, st)           drop a staged chunk
 *   bs_chunk_get(repo, digest, out, e)   read, decompress and verify a chunk;
 *                                        its bytes are appended to out
 *   bs_chunk_decode(file, n, digest, limit, out, e)
 *                                        the same on a stored chunk's bytes
 *   bs_chunk_decode_ctx(ctx, ...)        the same with the caller's coders
 *                                        (one context a thread)
 *   bs_chunks_each(repo, fn, dir_done, arg, e)
 *       fn(arg, f, e) for every file of the store, directory by directory
 *       (store.h's list): f says its relative path, whether its name is a
 *       chunk name (then f->digest is set) or a temporary file, its size
 *       and mtime; fn returns 0 to go on, -1 to stop.  dir_done(arg, dir),
 *       when not NULL, follows each directory.
 * The bs_chunk_* functions that take a repo use its scratch buffer and
 * coders: one thread a repository.
 */
#ifndef BS_CHUNK_H
#define BS_CHUNK_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "codec.h"
#include "err.h"
#include "io.h"
#include "store.h"

struct bs_repo;

struct bs_chunk_info {
	int stored;			/* 1 when this call wrote it */
	uint64_t disk_bytes;		/* its size in the repository */
};

void bs_chunk_path(const unsigned char *digest, char *out);	/* 75 bytes */
int bs_chunk_exists(struct bs_repo *repo, const unsigned char *digest);
int bs_chunk_touch(struct bs_repo *repo, const unsigned char *digest, struct bs_time t, struct bs_err *e);
int bs_chunk_put(struct bs_repo *repo, const unsigned char *digest, const void *p, size_t n,
		 struct bs_time t, struct bs_chunk_info *info, struct bs_err *e);
int bs_chunk_stage(struct bs_repo *repo, struct bs_codec_ctx *ctx, struct bs_buf *scratch,
		   const unsigned char *digest, const void *p, size_t n, struct bs_time t,
		   struct bs_store_staged *st, int *staged, uint64_t *disk_bytes, struct bs_err *e);
int bs_chunk_commit(struct bs_repo *repo, struct bs_store_staged *st, size_t count, struct bs_time t,
		    struct bs_err *e);
void bs_chunk_discard(struct bs_repo *repo, struct bs_store_staged *st);
int bs_chunk_get(struct bs_repo *repo, const unsigned char *digest, struct bs_buf *out, struct bs_err *e);
int bs_chunk_decode(const void *file, size_t n, const unsigned char *digest, size_t limit,
		    struct bs_buf *out, struct bs_err *e);
int bs_chunk_decode_ctx(struct bs_codec_ctx *ctx, const void *file, size_t n, const unsigned char *digest,
			size_t limit, struct bs_buf *out, struct bs_err *e);
int bs_chunks_each(struct bs_repo *repo, bs_chunk_visit *fn, void (*dir_done)(void *arg, const char *dir),
		   void *arg, struct bs_err *e);

#endif
