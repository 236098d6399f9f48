/*
 * storepool.h - bs-store's threads: chunks compressed and written on
 * workers, made durable in batches, the manifest passed on in order.
 *
 * The half of storer.h that runs in parallel (storer.c reads the stream
 * and decides; this file stores).  The main thread writes the manifest
 * into p->held, a buffer in memory, and notes an event for each item the
 * counters or the order depend on: a chunk (submitted to the workers), a
 * record, a piece, an abandon, the start of a file's pieces.  Workers
 * take the submitted chunks from a ring: digest checked, an existing
 * chunk touched, a new one compressed and written to a temporary file
 * (chunk.h's bs_chunk_stage).  Finished jobs are retired in input order
 * into the current batch, which is made durable and linked into place at
 * once (bs_chunk_commit) when it reaches BS_STOREPOOL_BATCH_CHUNKS chunks
 * or BS_STOREPOOL_BATCH_BYTES stored bytes, or sooner when the manifest
 * held back behind it grows past BS_STOREPOOL_HELD_MAX bytes or
 * BS_STOREPOOL_EVENTS_MAX events; only then is the manifest that refers
 * to its chunks passed on.  The counters are taken as events are applied,
 * in input order, so they, like the manifest, are the same whatever the
 * number of threads.
 *
 * Memory is bounded in bytes, not by the number of files: the chunk
 * buffers are units of the budget (budget.h: one for the chunk being
 * read, one each worker's output and its encoder's share, the rest a pool
 * for the chunks submitted, at least one a worker).  A chunk's buffer
 * goes back to the pool as soon as it is staged, not when its job is
 * retired in order: a slow chunk at the head of the ring of jobs (twice
 * the pool, at least BS_STOREPOOL_RING) holds only its own buffer.  The
 * manifest and events held are bounded as above.
 *
 *   bs_storepool_new(s, e)     the pool of s (s->jobs workers at most,
 *                              fewer when the budget says so); check
 *                              e->code after it, and free it either way
 *   bs_storepool_free(p)       stop and join the workers, free
 *   bs_storepool_submit(p, digest, data)
 *                              hand a chunk to the workers: its bytes are
 *                              taken from data, which gets an empty buffer
 *                              (with room for a chunk) in their place
 *   bs_storepool_event(p, kind)
 *                              note an event (BS_EV_*) at the current end
 *                              of p->held; set its digest for a piece
 *   bs_storepool_in_flight(p, digest)
 *                              is the chunk submitted by this run and not
 *                              yet settled (nor failed)?
 *   bs_storepool_step(p)       after an item: pass on what is settled, and
 *                              commit early when what is held is too much
 *   bs_storepool_settle(p)     everything in flight settled, committed and
 *                              applied
 *   p->failed, p->fail_err     a job or a commit failed: the earliest
 *                              error in the stream's order
 *
 * Locking: one mutex guards the ring's counters, the jobs' states and
 * the pool of free buffers; a job's other fields belong to the main
 * thread while it is free or done, and to the worker that took it while
 * it runs.  Events, the held manifest, the batch and the counters belong
 * to the main thread.
 */
#ifndef BS_STOREPOOL_H
#define BS_STOREPOOL_H

#include <pthread.h>
#include <stdint.h>
#include "io.h"
#include "record.h"
#include "store.h"

#define BS_STOREPOOL_BATCH_CHUNKS 1024
#define BS_STOREPOOL_BATCH_BYTES ((uint64_t)256 << 20)
#define BS_STOREPOOL_HELD_MAX ((size_t)2 << 20)
#define BS_STOREPOOL_EVENTS_MAX 16384
/* the ring of jobs at least (a job's chunk is in a buffer of the pool
 * only until it is staged) */
#define BS_STOREPOOL_RING 64
/* the pool's buffers at most, beyond two a worker: a large -m with small
 * chunks would otherwise make a ring, and a pool, of millions of jobs
 * that only wait */
#define BS_STOREPOOL_BUFS 64

enum { BS_EV_CHUNK, BS_EV_RECORD, BS_EV_ABANDON, BS_EV_PACKED, BS_EV_PIECE };

struct bs_storer;
struct bs_storepool_job;

struct bs_storepool_event {
	unsigned char kind, state, stored;
	unsigned char digest[BS_DIGEST_LEN];	/* chunks and pieces */
	uint32_t batch;			/* a staged chunk: its place in the batch */
	uint64_t size, disk_bytes;
	uint64_t out_pos;		/* where its R line starts in the manifest */
};

struct bs_storepool {
	struct bs_storer *s;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct bs_storepool_job *jobs;
	size_t q;			/* the ring's slots */
	struct bs_buf *free;		/* the pool: chunk buffers not in use */
	size_t nfree, nbufs;
	uint64_t next, take, retired;	/* jobs submitted, taken, retired */
	int stop;
	pthread_t *threads;
	int nthreads;
	size_t chunk_max;		/* the size its buffers are reserved at */

	struct bs_storepool_event *ev;	/* events not applied yet */
	size_t nev, evcap;
	uint64_t ev_base;		/* the number of ev[0] */
	struct bs_writer held;		/* the manifest not passed on yet */
	uint64_t held_base;		/* its offset in the manifest */
	struct bs_store_staged *batch;	/* staged chunks, in input order */
	size_t nbatch;
	uint64_t staged_bytes;
	int failed;			/* a job (or a commit) failed at fail_ev */
	uint64_t fail_ev;
	struct bs_err fail_err;
	int file_new, has_chunks;	/* of the file whose events come next */
	unsigned char newest[16][BS_DIGEST_LEN];	/* the last chunks stored new */
	unsigned nnewest;			/* (pieces of them make new files) */
};

struct bs_storepool *bs_storepool_new(struct bs_storer *s, struct bs_err *e);
void bs_storepool_free(struct bs_storepool *p);
void bs_storepool_submit(struct bs_storepool *p, const unsigned char *digest, struct bs_buf *data);
struct bs_storepool_event *bs_storepool_event(struct bs_storepool *p, int kind);
int bs_storepool_in_flight(struct bs_storepool *p, const unsigned char *digest);
void bs_storepool_step(struct bs_storepool *p);
void bs_storepool_settle(struct bs_storepool *p);

#endif
