/*
 * readahead.h - chunks read and decoded ahead on worker threads, in order.
 *
 * A producer names the chunks a reader will want, in the order it will
 * want them; worker threads fetch and decode them (each with its own codec
 * context, bs_chunk_decode_ctx()), and the reader takes them in that same
 * order.  At most ra->window chunks are queued or decoded and not yet
 * taken.  Memory is bounded in bytes (budget.h): each worker's buffer for
 * a chunk as stored and each slot of the window is a unit, a buffer of
 * the repository's chunk-max; the caller says how many units it may use,
 * which set the window and the number of workers (no more than asked).
 * The producer and the reader may be two threads, or one that takes a
 * chunk whenever the window is full (bs_readahead_queued()).
 *
 *   bs_readahead_start(ra, repo, threads, units)
 *       repo: open; its store is read from several threads at once (store.h
 *       allows it), nothing else of it is touched.  threads >= 1: the most
 *       workers wanted; units: the chunk buffers it may hold, workers'
 *       and window's (bs_budget_units()).  Returns 0, or -1 (the threads
 *       could not be started; nothing to release).
 *   bs_readahead_submit(ra, digest)
 *       Queue a chunk; waits while the window is full.  0, or -1 once the
 *       read-ahead is stopped (the producer should give up).
 *   bs_readahead_end(ra)        the producer has no more chunks to name
 *   bs_readahead_queued(ra)     how many are queued and not yet taken
 *   bs_readahead_next(ra)       the oldest chunk not taken, once decoded
 *                               (waits); NULL when none is queued and the
 *                               producer has ended.  It stays queued:
 *   bs_readahead_pop(ra)        take it.  Before that, the reader may swap
 *                               slot->data with a buffer of its own (a
 *                               cache of decoded chunks), so nothing is
 *                               copied; the slot reuses whatever it gets.
 *   bs_readahead_stop(ra)       stop: a waiting submit returns -1 (join the
 *                               producer after this)
 *   bs_readahead_release(ra)    stop, join the workers and free
 *
 * A slot: digest; rc 0 and data (the chunk's bytes, verified), or rc -1
 * and err (missing, damaged: what bs_chunk_get() would say).
 */
#ifndef BS_READAHEAD_H
#define BS_READAHEAD_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "record.h"
#include "repo.h"

/* more slots would only wait (small chunks: many units) */
#define BS_READAHEAD_WINDOW_MAX 64

struct bs_readahead_slot {
	unsigned char digest[BS_DIGEST_LEN];
	int done;
	int rc;
	struct bs_err err;
	struct bs_buf data;
};

struct bs_readahead {
	struct bs_repo *repo;
	size_t chunk_max;		/* the size its buffers are reserved at */
	pthread_mutex_t lock;
	pthread_cond_t work, ready, room;
	struct bs_readahead_slot *ring;
	size_t window;
	uint64_t submitted, assigned, taken;
	int ended, stopped;
	pthread_t *threads;
	size_t nthreads;
};

int bs_readahead_start(struct bs_readahead *ra, struct bs_repo *repo, size_t threads, size_t units);
int bs_readahead_submit(struct bs_readahead *ra, const unsigned char *digest);
void bs_readahead_end(struct bs_readahead *ra);
size_t bs_readahead_queued(struct bs_readahead *ra);
struct bs_readahead_slot *bs_readahead_next(struct bs_readahead *ra);
void bs_readahead_pop(struct bs_readahead *ra);
void bs_readahead_stop(struct bs_readahead *ra);
void bs_readahead_release(struct bs_readahead *ra);

/* The number of online processors (at least 1): the default thread count. */
size_t bs_ncpus(void);

#endif
