/*
 * storer.h - store a chunk stream's chunks; pass on the manifest stream.
 *
 * bs-store's work: each C item's chunk is written into the repository
 * (its digest checked by bs_chunk_put) and replaced by an R line; R lines
 * are stamped (or, after an F line, checked to exist); P items (pieces of
 * pack chunks) are checked like R lines, and a piece of a chunk stored
 * by this stream to lie within it; records, L items,
 * S lines and abandons are passed on; the counters of new and present
 * files and of new chunks and bytes are added as S lines, and the names of
 * new chunks made durable before the trailer.  New chunks are compressed
 * and written on up to s->jobs threads (storepool.h), as many chunks in
 * flight as the memory budget allows (budget.h); they reach the disk in
 * batches (chunk.h's bs_chunk_stage and bs_chunk_commit), and the
 * manifest that refers to a batch's chunks is passed on only once they
 * are durable.  The manifest and the counters are the same whatever the
 * number of threads.  Memory does not grow with the number of files: the
 * manifest held back behind a batch is bounded (a batch is committed
 * early rather than hold more), and so are the chunks (in bytes).
 *
 * Files: storer.c (the items: R lines, P items, records, the F line),
 * storepool.c (the workers, the batches, the order of the manifest).
 *
 *   bs_storer_init(s, repo, out)
 *       repo: open and locked shared; out: where the manifest goes.
 *       s->now is the backup's start (bs_now()), which every chunk is
 *       stamped with and the T line carries.  s->jobs is 1: set it
 *       before the run for more threads; s->memory is 0, the budget of
 *       budget.h (BS_CHUNK_BUDGET of chunk buffers, BS_CODER_BUDGET of
 *       encoders: 64 MiB): set it for half of it to each.
 *   bs_storer_run(s, in, e)
 *       Read the chunk (or manifest) stream from in to its end and write
 *       the manifest stream, trailer included (the caller closes out).
 *       Returns 0, or -1 with e.  On bad input, what was complete before
 *       it is passed on (its chunks made durable first), without a
 *       trailer, so that bs-index keeps an unfinished backup.
 *   s->warn(s->arg, msg)   a warning (the clocks disagree); may be NULL
 *   s->n                   the counters, after the run
 */
#ifndef BS_STORER_H
#define BS_STORER_H

#include <stdint.h>
#include "io.h"
#include "linkmap.h"
#include "record.h"
#include "repo.h"

struct bs_storer_counts {
	uint64_t records, new_chunks, new_bytes, stored_bytes, new_files, present_files;
};

struct bs_storer_pack {
	unsigned char digest[BS_DIGEST_LEN];
	uint64_t size;		/* 0: not known (checked to exist) */
	int stored;		/* stored new by this run */
};

struct bs_storer {
	struct bs_repo *repo;
	struct bs_writer *out;
	struct bs_time now;
	struct bs_buf scratch;
	struct bs_storer_counts n;
	int jobs;			/* compressing threads */
	size_t memory;			/* chunk buffers and encoders; 0: budget.h's */
	/* P items: the chunks of this stream's packs and those checked,
	 * by digest (bs_storer_pack), and the C and R items since the last
	 * record, which a P item after them makes pack chunks */
	struct bs_linkmap packs;
	struct bs_storer_pack *recent;
	size_t nrecent, caprecent;
	void (*warn)(void *arg, const char *msg);
	void *arg;
};

void bs_storer_init(struct bs_storer *s, struct bs_repo *repo, struct bs_writer *out);
int bs_storer_run(struct bs_storer *s, struct bs_reader *in, struct bs_err *e);
void bs_storer_release(struct bs_storer *s);

#endif
