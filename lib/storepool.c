/* storepool.c - bs-store's workers: chunks staged on threads, committed in batches, the manifest passed on in order. */
#include <stdlib.h>
#include <string.h>
#include "budget.h"
#include "chunk.h"
#include "storepool.h"
#include "storer.h"

enum { JOB_FREE, JOB_QUEUED, JOB_DONE };
enum { CH_PENDING, CH_STAGED, CH_DONE, CH_FAILED };

struct bs_storepool_job {
	int state;
	unsigned char digest[BS_DIGEST_LEN];
	struct bs_buf data;
	uint64_t ev;			/* its event's number */
	int rc, staged;
	uint64_t disk_bytes;
	struct bs_store_staged st;
	struct bs_err err;
};

static void *worker(void *arg)
{
	struct bs_storepool *p = arg;
	struct bs_storer *s = p->s;
	struct bs_codec_ctx ctx;
	struct bs_buf z = BS_BUF_INIT;
	struct bs_storepool_job *j;

	bs_codec_ctx_init(&ctx);
	bs_budget_reserve(&z, p->chunk_max);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->take == p->next && !p->stop)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->take == p->next)
			break;
		j = &p->jobs[p->take++ % p->q];
		pthread_mutex_unlock(&p->mu);
		j->rc = bs_chunk_stage(s->repo, &ctx, &z, j->digest, j->data.p, j->data.len, s->now, &j->st,
				       &j->staged, &j->disk_bytes, &j->err);
		pthread_mutex_lock(&p->mu);
		/* the chunk's bytes are not needed once it is staged: its buffer
		 * goes back at once, whatever the jobs before it are doing */
		p->free[p->nfree++] = j->data;
		bs_buf_init(&j->data);
		j->state = JOB_DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	bs_buf_release(&z);
	bs_codec_ctx_release(&ctx);
	return NULL;
}

struct bs_storepool *bs_storepool_new(struct bs_storer *s, struct bs_err *e)
{
	struct bs_storepool *p = bs_xcalloc(1, sizeof(*p));
	size_t chunk_max = s->repo->cfg.chunk_max, mem = bs_codec_encoder_mem(&s->repo->chunk_cfg, chunk_max);
	/* -m: half for chunk buffers, half for encoders */
	size_t buffers = s->memory ? s->memory / 2 : BS_CHUNK_BUDGET, coders = s->memory ? s->memory / 2 : BS_CODER_BUDGET;
	size_t units = bs_budget_units(buffers, chunk_max), n, spent;

	/* units of the budget: the chunk being read, each worker's output
	 * and its encoder, and the pool of buffers for chunks submitted, at
	 * least one a worker.  A buffer is back in the pool as soon as its
	 * chunk is staged, so the ring of jobs holds no chunk bytes and can be
	 * long: a worker done with a small chunk takes the next while the
	 * oldest, a large one, is still being compressed.  With a pool of one
	 * a worker, a worker done waits only while the main thread swaps the
	 * buffer it gave back for the chunk already read (xz on every 8th
	 * file of /usr: cores 1.99 busy, against 1.93 with buffers kept in a
	 * queue of four slots until retired in order, and two buffers fewer).
	 * The ring holds twice the pool's buffers, and at least
	 * BS_STOREPOOL_RING jobs: room for every buffer to be in flight and as
	 * many jobs done behind a slow one at the head.  A pool larger than
	 * BS_STOREPOOL_BUFS and two buffers a worker (-m large, chunks small)
	 * would only hold chunks that wait. */
	n = bs_budget_threads(s->jobs < 1 ? 1 : (size_t)s->jobs, units, 1);
	n = bs_budget_coders(n, mem, coders);
	spent = 1 + n + n * mem / chunk_max;
	p->s = s;
	p->chunk_max = chunk_max;
	p->nbufs = units > spent + n ? units - spent : n;
	if (p->nbufs > 2 * n && p->nbufs > BS_STOREPOOL_BUFS)
		p->nbufs = 2 * n > BS_STOREPOOL_BUFS ? 2 * n : BS_STOREPOOL_BUFS;
	p->free = bs_xcalloc(p->nbufs, sizeof(*p->free));
	for (; p->nfree < p->nbufs; p->nfree++)
		bs_buf_init(&p->free[p->nfree]);
	p->q = 2 * p->nbufs > BS_STOREPOOL_RING ? 2 * p->nbufs : BS_STOREPOOL_RING;
	p->jobs = bs_xcalloc(p->q, sizeof(*p->jobs));
	for (size_t i = 0; i < p->q; i++)
		bs_buf_init(&p->jobs[i].data);
	p->batch = bs_xcalloc(BS_STOREPOOL_BATCH_CHUNKS + p->q, sizeof(*p->batch));
	bs_writer_init_mem(&p->held, "the manifest");
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	p->threads = bs_xcalloc(n, sizeof(*p->threads));
	for (; p->nthreads < (int)n; p->nthreads++)
		if (pthread_create(&p->threads[p->nthreads], NULL, worker, p)) {
			if (p->nthreads > 0)
				break;	/* fewer threads will do */
			bs_err_set(e, BS_SYS, "cannot start a thread");
			return p;
		}
	return p;
}

void bs_storepool_free(struct bs_storepool *p)
{
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	for (size_t i = 0; i < p->q; i++)
		bs_buf_release(&p->jobs[i].data);
	for (size_t i = 0; i < p->nfree; i++)
		bs_buf_release(&p->free[i]);
	free(p->free);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p->jobs);
	free(p->threads);
	free(p->ev);
	free(p->batch);
	free(p->held.buf);
	free(p);
}

struct bs_storepool_event *bs_storepool_event(struct bs_storepool *p, int kind)
{
	struct bs_storepool_event *ev;

	if (p->nev == p->evcap) {
		p->evcap = p->evcap ? 2 * p->evcap : 256;
		p->ev = bs_xrealloc(p->ev, p->evcap * sizeof(*p->ev));
	}
	ev = &p->ev[p->nev++];
	memset(ev, 0, sizeof(*ev));
	ev->kind = (unsigned char)kind;
	ev->out_pos = p->held_base + p->held.len;
	return ev;
}

static void set_failed(struct bs_storepool *p, uint64_t evno, const struct bs_err *why)
{
	if (p->failed && p->fail_ev <= evno)
		return;
	p->failed = 1;
	p->fail_ev = evno;
	p->fail_err = *why;
}

/* Wait for the oldest job in flight and take its result into its event;
 * a staged chunk joins the batch, in input order. */
static void retire_one(struct bs_storepool *p)
{
	struct bs_storepool_job *j = &p->jobs[p->retired % p->q];
	struct bs_storepool_event *ev;

	pthread_mutex_lock(&p->mu);
	while (j->state != JOB_DONE)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
	ev = &p->ev[j->ev - p->ev_base];
	if (j->rc < 0) {
		ev->state = CH_FAILED;
		set_failed(p, j->ev, &j->err);
	} else if (j->staged) {
		ev->state = CH_STAGED;
		ev->disk_bytes = j->disk_bytes;
		ev->batch = (uint32_t)p->nbatch;
		p->batch[p->nbatch++] = j->st;
		p->staged_bytes += j->disk_bytes;
	} else {
		ev->state = CH_DONE;
	}
	j->state = JOB_FREE;
	p->retired++;
}

/* Make the batch durable and link it, as one; the chunks staged after a
 * failure are dropped instead. */
static void commit(struct bs_storepool *p)
{
	struct bs_storer *s = p->s;
	size_t keep = 0, first = p->nev;
	struct bs_err e;

	if (!p->nbatch)
		return;
	for (size_t i = 0; i < p->nev; i++) {
		struct bs_storepool_event *ev = &p->ev[i];
		if (ev->kind != BS_EV_CHUNK || ev->state != CH_STAGED)
			continue;
		if (first == p->nev)
			first = i;
		if (p->failed && p->ev_base + i > p->fail_ev) {
			bs_chunk_discard(s->repo, &p->batch[ev->batch]);
			ev->state = CH_FAILED;
		} else {
			keep = ev->batch + 1;	/* the batch is in input order */
		}
	}
	if (keep && bs_chunk_commit(s->repo, p->batch, keep, s->now, &e) < 0)
		set_failed(p, p->ev_base + first, &e);
	for (size_t i = first; i < p->nev; i++) {
		struct bs_storepool_event *ev = &p->ev[i];
		if (ev->kind != BS_EV_CHUNK || ev->state != CH_STAGED)
			continue;
		ev->stored = (unsigned char)p->batch[ev->batch].stored;
		ev->state = p->failed && p->ev_base + i >= p->fail_ev ? CH_FAILED : CH_DONE;
	}
	p->nbatch = 0;
	p->staged_bytes = 0;
}

/* Take the events whose chunks are settled, in order: the counters, and
 * the manifest up to the first chunk not yet durable goes out. */
static void apply(struct bs_storepool *p)
{
	struct bs_storer *s = p->s;
	uint64_t upto;
	size_t i;

	for (i = 0; i < p->nev; i++) {
		struct bs_storepool_event *ev = &p->ev[i];
		if (ev->kind == BS_EV_CHUNK) {
			if (ev->state != CH_DONE)
				break;
			if (ev->stored) {
				s->n.new_chunks++;
				s->n.new_bytes += ev->size;
				s->n.stored_bytes += ev->disk_bytes;
				p->file_new = 1;
				memcpy(p->newest[p->nnewest++ % 16], ev->digest, BS_DIGEST_LEN);
			}
			p->has_chunks = 1;
		} else if (ev->kind == BS_EV_PIECE) {
			p->has_chunks = 1;
			for (unsigned k = 0; k < 16 && k < p->nnewest; k++)
				if (!memcmp(p->newest[k], ev->digest, BS_DIGEST_LEN))
					p->file_new = 1;
		} else if (ev->kind == BS_EV_RECORD) {
			if (p->has_chunks)
				p->file_new ? s->n.new_files++ : s->n.present_files++;
			p->file_new = p->has_chunks = 0;
		} else {
			p->file_new = p->has_chunks = 0;
		}
	}
	upto = i < p->nev ? p->ev[i].out_pos : p->held_base + p->held.len;
	if (upto > p->held_base) {
		size_t k = (size_t)(upto - p->held_base);
		bs_writer_add(s->out, p->held.buf, k);
		memmove(p->held.buf, p->held.buf + k, p->held.len - k);
		p->held.len -= k;
		p->held_base = upto;
	}
	if (i) {
		memmove(p->ev, p->ev + i, (p->nev - i) * sizeof(*p->ev));
		p->nev -= i;
		p->ev_base += i;
	}
}

void bs_storepool_settle(struct bs_storepool *p)
{
	while (p->retired < p->next)
		retire_one(p);
	commit(p);
	apply(p);
}

static int too_much(const struct bs_storepool *p)
{
	return p->held.len > BS_STOREPOOL_HELD_MAX || p->nev >= BS_STOREPOOL_EVENTS_MAX;
}

void bs_storepool_step(struct bs_storepool *p)
{
	if (too_much(p)) {
		/* what waits for the batch is bounded: commit it early (the
		 * chunks still on the workers are few) */
		commit(p);
		apply(p);
		if (too_much(p))
			bs_storepool_settle(p);
		return;
	}
	apply(p);
}

void bs_storepool_submit(struct bs_storepool *p, const unsigned char *digest, struct bs_buf *data)
{
	struct bs_storepool_event *ev;
	struct bs_buf tmp;
	struct bs_storepool_job *j;

	while (p->next - p->retired == p->q)
		retire_one(p);
	/* settled jobs at the head go into the batch at once */
	for (;;) {
		int done;
		if (p->retired == p->next)
			break;
		pthread_mutex_lock(&p->mu);
		done = p->jobs[p->retired % p->q].state == JOB_DONE;
		pthread_mutex_unlock(&p->mu);
		if (!done)
			break;
		retire_one(p);
	}
	if (p->nbatch >= BS_STOREPOOL_BATCH_CHUNKS || p->staged_bytes >= BS_STOREPOOL_BATCH_BYTES)
		commit(p);
	j = &p->jobs[p->next % p->q];
	memcpy(j->digest, digest, BS_DIGEST_LEN);
	/* the reader gets a buffer from the pool (a worker gives one back
	 * when it has staged its chunk), with room for a chunk, never grown by
	 * doubling past it (budget.h) */
	pthread_mutex_lock(&p->mu);
	while (!p->nfree)
		pthread_cond_wait(&p->done, &p->mu);
	tmp = p->free[--p->nfree];
	pthread_mutex_unlock(&p->mu);
	bs_budget_reserve(&tmp, p->chunk_max);
	j->data = *data;
	*data = tmp;
	bs_buf_reset(data);
	ev = bs_storepool_event(p, BS_EV_CHUNK);
	ev->size = j->data.len;
	memcpy(ev->digest, digest, BS_DIGEST_LEN);
	j->ev = p->ev_base + p->nev - 1;
	j->rc = j->staged = 0;
	j->st.tmp[0] = '\0';
	pthread_mutex_lock(&p->mu);
	j->state = JOB_QUEUED;
	p->next++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
}

int bs_storepool_in_flight(struct bs_storepool *p, const unsigned char *digest)
{
	for (size_t i = 0; i < p->nev; i++)
		if (p->ev[i].kind == BS_EV_CHUNK && p->ev[i].state != CH_FAILED &&
		    !memcmp(p->ev[i].digest, digest, BS_DIGEST_LEN))
			return 1;
	return 0;
}
