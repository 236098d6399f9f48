/*
 * storer.h - store a chunk stream's chunks; pass on the manifest stream.
 *
 * bs-store's work: each C item's chunk is written into the repository
 * (its digest checked by bs_chunk_put) and replaced by an R line; R lines
 * are stamped (or, after an F line, checked to exist); records, L items,
 * S lines and abandons are passed on; the counters of new and present
 * files and of new chunks and bytes are added as S lines, and the names of
 * new chunks made durable before the trailer.  New chunks are compressed
 * and written on s->jobs threads, at most 2 * jobs + 2 chunks in flight;
 * they reach the disk in batches (chunk.h's bs_chunk_stage and
 * bs_chunk_commit), and the manifest that refers to a batch's chunks is
 * passed on only once they are durable.  The manifest and the counters
 * are the same whatever the number of threads.
 *
 *   bs_storer_init(s, repo, out)
 *       repo: open and locked shared; out: where the manifest goes.
 *       s->now is the backup's start (bs_now()), which every chunk is
 *       stamped with and the T line carries.  s->jobs is 1: set it
 *       before the run for more threads.
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
#include "record.h"
#include "repo.h"

struct bs_storer_counts {
	uint64_t records, new_chunks, new_bytes, stored_bytes, new_files, present_files;
};

struct bs_storer {
	struct bs_repo *repo;
	struct bs_writer *out;
	struct bs_time now;
	struct bs_buf scratch;
	struct bs_storer_counts n;
	int jobs;			/* compressing threads */
	void (*warn)(void *arg, const char *msg);
	void *arg;
};

void bs_storer_init(struct bs_storer *s, struct bs_repo *repo, struct bs_writer *out);
int bs_storer_run(struct bs_storer *s, struct bs_reader *in, struct bs_err *e);
void bs_storer_release(struct bs_storer *s);

#endif
