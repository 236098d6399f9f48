/* readahead.c - chunks fetched and decoded ahead on worker threads, taken in order. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "budget.h"
#include "chunk.h"
#include "chunker.h"
#include "readahead.h"

size_t bs_ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (size_t)n : 1;
}

/* A worker: the next queued chunk, fetched and decoded into its slot with
 * this thread's own buffer and codec context; the slot is the worker's
 * alone until it is marked done. */
static void *worker(void *arg)
{
	struct bs_readahead *ra = arg;
	struct bs_codec_ctx ctx;
	struct bs_buf raw = BS_BUF_INIT;

	bs_codec_ctx_init(&ctx);
	pthread_mutex_lock(&ra->lock);
	for (;;) {
		struct bs_readahead_slot *slot;
		struct bs_err e;
		int rc;

		while (!ra->stopped && ra->assigned == ra->submitted && !ra->ended)
			pthread_cond_wait(&ra->work, &ra->lock);
		if (ra->stopped || ra->assigned == ra->submitted)
			break;
		slot = &ra->ring[ra->assigned++ % ra->window];
		pthread_mutex_unlock(&ra->lock);

		e.code = 0;
		bs_buf_reset(&raw);
		bs_buf_reset(&slot->data);
		bs_budget_reserve(&raw, ra->chunk_max);
		bs_budget_reserve(&slot->data, ra->chunk_max);
		rc = ra->repo->store->ops->get(ra->repo->store, slot->digest, &raw, 2 * (size_t)BS_CHUNK_MAX_LIMIT, &e);
		if (rc == 0)
			rc = bs_chunk_decode_ctx(&ctx, raw.p, raw.len, slot->digest, BS_CHUNK_MAX_LIMIT, &slot->data, &e);

		pthread_mutex_lock(&ra->lock);
		slot->rc = rc < 0 ? -1 : 0;
		slot->err = e;
		slot->done = 1;
		pthread_cond_broadcast(&ra->ready);
	}
	pthread_mutex_unlock(&ra->lock);
	bs_buf_release(&raw);
	bs_codec_ctx_release(&ctx);
	return NULL;
}

int bs_readahead_start(struct bs_readahead *ra, struct bs_repo *repo, size_t threads, size_t units)
{
	memset(ra, 0, sizeof(*ra));
	ra->repo = repo;
	ra->chunk_max = repo->cfg.chunk_max;
	/* a worker's buffer and at least one slot to fill each; no more
	 * workers than the window's slots */
	threads = bs_budget_threads(threads, units, 0);
	if (threads > BS_READAHEAD_WINDOW_MAX)
		threads = BS_READAHEAD_WINDOW_MAX;
	ra->window = units > threads ? units - threads : 1;
	if (ra->window < threads)
		ra->window = threads;
	if (ra->window > BS_READAHEAD_WINDOW_MAX)
		ra->window = BS_READAHEAD_WINDOW_MAX;
	ra->ring = bs_xcalloc(ra->window, sizeof(*ra->ring));
	for (size_t i = 0; i < ra->window; i++)
		bs_buf_init(&ra->ring[i].data);
	pthread_mutex_init(&ra->lock, NULL);
	pthread_cond_init(&ra->work, NULL);
	pthread_cond_init(&ra->ready, NULL);
	pthread_cond_init(&ra->room, NULL);
	ra->threads = bs_xcalloc(threads, sizeof(*ra->threads));
	for (size_t i = 0; i < threads; i++) {
		if (pthread_create(&ra->threads[i], NULL, worker, ra) != 0)
			break;
		ra->nthreads++;
	}
	if (!ra->nthreads) {
		bs_readahead_release(ra);
		return -1;
	}
	return 0;
}

int bs_readahead_submit(struct bs_readahead *ra, const unsigned char *digest)
{
	struct bs_readahead_slot *slot;

	pthread_mutex_lock(&ra->lock);
	while (!ra->stopped && ra->submitted - ra->taken == ra->window)
		pthread_cond_wait(&ra->room, &ra->lock);
	if (ra->stopped || ra->ended) {
		pthread_mutex_unlock(&ra->lock);
		return -1;
	}
	slot = &ra->ring[ra->submitted % ra->window];
	memcpy(slot->digest, digest, BS_DIGEST_LEN);
	slot->done = 0;
	ra->submitted++;
	pthread_cond_signal(&ra->work);
	pthread_mutex_unlock(&ra->lock);
	return 0;
}

void bs_readahead_end(struct bs_readahead *ra)
{
	pthread_mutex_lock(&ra->lock);
	ra->ended = 1;
	pthread_cond_broadcast(&ra->work);
	pthread_cond_broadcast(&ra->ready);
	pthread_mutex_unlock(&ra->lock);
}

size_t bs_readahead_queued(struct bs_readahead *ra)
{
	size_t n;

	pthread_mutex_lock(&ra->lock);
	n = (size_t)(ra->submitted - ra->taken);
	pthread_mutex_unlock(&ra->lock);
	return n;
}

struct bs_readahead_slot *bs_readahead_next(struct bs_readahead *ra)
{
	struct bs_readahead_slot *slot = NULL;

	pthread_mutex_lock(&ra->lock);
	while (!ra->stopped && ra->taken == ra->submitted && !ra->ended)
		pthread_cond_wait(&ra->ready, &ra->lock);
	if (!ra->stopped && ra->taken < ra->submitted) {
		slot = &ra->ring[ra->taken % ra->window];
		while (!slot->done && !ra->stopped)
			pthread_cond_wait(&ra->ready, &ra->lock);
		if (!slot->done)
			slot = NULL;
	}
	pthread_mutex_unlock(&ra->lock);
	return slot;
}

void bs_readahead_pop(struct bs_readahead *ra)
{
	pthread_mutex_lock(&ra->lock);
	if (ra->taken < ra->submitted && ra->ring[ra->taken % ra->window].done) {
		ra->taken++;
		pthread_cond_signal(&ra->room);
	}
	pthread_mutex_unlock(&ra->lock);
}

void bs_readahead_stop(struct bs_readahead *ra)
{
	pthread_mutex_lock(&ra->lock);
	ra->stopped = 1;
	pthread_cond_broadcast(&ra->work);
	pthread_cond_broadcast(&ra->ready);
	pthread_cond_broadcast(&ra->room);
	pthread_mutex_unlock(&ra->lock);
}

void bs_readahead_release(struct bs_readahead *ra)
{
	if (!ra->ring)
		return;
	bs_readahead_stop(ra);
	for (size_t i = 0; i < ra->nthreads; i++)
		pthread_join(ra->threads[i], NULL);
	for (size_t i = 0; i < ra->window; i++)
		bs_buf_release(&ra->ring[i].data);
	free(ra->ring);
	free(ra->threads);
	pthread_mutex_destroy(&ra->lock);
	pthread_cond_destroy(&ra->work);
	pthread_cond_destroy(&ra->ready);
	pthread_cond_destroy(&ra->room);
	memset(ra, 0, sizeof(*ra));
}
