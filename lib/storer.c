/* storer.c - the chunk stream in, chunks into the repository on several threads, the manifest out in order. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "chunker.h"
#include "storer.h"

/*
 * How it works.  The main thread reads the stream and writes the manifest
 * into a held-back buffer in memory (an R line's text does not depend on
 * what storing its chunk finds).  Each C item's bytes go to a ring of job
 * slots, at most 2 * jobs + 2 of them, which the worker threads take in
 * turn: digest checked, an existing chunk touched, a new one compressed
 * and written to a temporary file (bs_chunk_stage).  The main thread
 * retires finished jobs in input order into the current batch; a batch
 * (BATCH_CHUNKS chunks or BATCH_BYTES stored bytes, or the end) is made
 * durable and linked into place at once (bs_chunk_commit); only then is
 * the manifest that refers to its chunks passed on.  The counters are
 * taken in input order as events are applied, so they, like the manifest,
 * are the same whatever the number of threads.
 *
 * Memory: the ring's buffers (each up to a chunk's size), one coder
 * context and one output buffer a worker, and the held-back manifest
 * (forced out past HELD_MAX).
 *
 * Locking: one mutex guards the ring's counters and the jobs' states; a
 * job's other fields belong to the main thread while it is free or done,
 * and to the worker that took it while it runs.  Events, the held
 * manifest and the counters belong to the main thread.
 */

#define BATCH_CHUNKS 1024
#define BATCH_BYTES ((uint64_t)256 << 20)
#define HELD_MAX ((size_t)8 << 20)

enum { JOB_FREE, JOB_QUEUED, JOB_DONE };
enum { EV_CHUNK, EV_RECORD, EV_ABANDON };
enum { CH_PENDING, CH_STAGED, CH_DONE, CH_FAILED };

struct job {
	int state;
	unsigned char digest[BS_DIGEST_LEN];
	struct bs_buf data;
	uint64_t ev;			/* its event's number */
	int rc, staged;
	uint64_t disk_bytes;
	struct bs_store_staged st;
	struct bs_err err;
};

struct event {
	int kind, state, stored;
	unsigned char digest[BS_DIGEST_LEN];	/* chunks */
	uint64_t size, disk_bytes;
	uint64_t out_pos;		/* where its R line starts in the manifest */
	struct bs_store_staged st;
};

struct bs_storer_pool {
	struct bs_storer *s;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct job *jobs;
	size_t q;
	uint64_t next, take, retired;	/* jobs submitted, taken, retired */
	int stop;
	pthread_t *threads;
	int nthreads;

	struct event *ev;		/* events not applied yet */
	size_t nev, evcap;
	uint64_t ev_base;		/* the number of ev[0] */
	struct bs_writer held;		/* the manifest not passed on yet */
	uint64_t held_base;		/* its offset in the manifest */
	size_t staged_count;
	uint64_t staged_bytes;
	int failed;			/* a job (or a commit) failed at fail_ev */
	uint64_t fail_ev;
	struct bs_err fail_err;
	int file_new, has_chunks;	/* of the file whose events come next */
	struct bs_store_staged *batch;
};

void bs_storer_init(struct bs_storer *s, struct bs_repo *repo, struct bs_writer *out)
{
	memset(s, 0, sizeof(*s));
	s->repo = repo;
	s->out = out;
	s->jobs = 1;
	/* Every chunk this run refers to is stamped with a time no earlier
	 * than this one, which the manifest carries to bs-index as the
	 * backup's start: backups and chunks expire on one clock. */
	s->now = bs_now();
}

void bs_storer_release(struct bs_storer *s)
{
	bs_buf_release(&s->scratch);
}

static void *worker(void *arg)
{
	struct bs_storer_pool *p = arg;
	struct bs_storer *s = p->s;
	struct bs_codec_ctx ctx;
	struct bs_buf z = BS_BUF_INIT;
	struct job *j;

	bs_codec_ctx_init(&ctx);
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
		j->state = JOB_DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	bs_buf_release(&z);
	bs_codec_ctx_release(&ctx);
	return NULL;
}

static struct bs_storer_pool *pool_new(struct bs_storer *s, struct bs_err *e)
{
	struct bs_storer_pool *p = bs_xcalloc(1, sizeof(*p));
	int n = s->jobs < 1 ? 1 : s->jobs;

	p->s = s;
	p->q = 2 * (size_t)n + 2;
	p->jobs = bs_xcalloc(p->q, sizeof(*p->jobs));
	for (size_t i = 0; i < p->q; i++)
		bs_buf_init(&p->jobs[i].data);
	p->batch = bs_xcalloc(BATCH_CHUNKS + p->q, sizeof(*p->batch));
	bs_writer_init_mem(&p->held, "the manifest");
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	p->threads = bs_xcalloc((size_t)n, sizeof(*p->threads));
	for (; p->nthreads < n; p->nthreads++)
		if (pthread_create(&p->threads[p->nthreads], NULL, worker, p)) {
			if (p->nthreads > 0)
				break;	/* fewer threads will do */
			bs_err_set(e, BS_SYS, "cannot start a thread");
			return p;
		}
	return p;
}

static void pool_free(struct bs_storer_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	for (size_t i = 0; i < p->q; i++)
		bs_buf_release(&p->jobs[i].data);
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

static struct event *add_event(struct bs_storer_pool *p, int kind)
{
	struct event *ev;

	if (p->nev == p->evcap) {
		p->evcap = p->evcap ? 2 * p->evcap : 256;
		p->ev = bs_xrealloc(p->ev, p->evcap * sizeof(*p->ev));
	}
	ev = &p->ev[p->nev++];
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->out_pos = p->held_base + p->held.len;
	return ev;
}

static void set_failed(struct bs_storer_pool *p, uint64_t evno, const struct bs_err *why)
{
	if (p->failed && p->fail_ev <= evno)
		return;
	p->failed = 1;
	p->fail_ev = evno;
	p->fail_err = *why;
}

/* Wait for the oldest job in flight and take its result into its event. */
static void retire_one(struct bs_storer_pool *p)
{
	struct job *j = &p->jobs[p->retired % p->q];
	struct event *ev;

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
		ev->st = j->st;
		ev->disk_bytes = j->disk_bytes;
		p->staged_count++;
		p->staged_bytes += j->disk_bytes;
	} else {
		ev->state = CH_DONE;
	}
	j->state = JOB_FREE;
	p->retired++;
}

/* Make the staged chunks durable and link them, as one batch; those
 * after a failure are dropped instead. */
static void commit(struct bs_storer_pool *p)
{
	struct bs_storer *s = p->s;
	size_t n = 0, first = p->nev;
	struct bs_err e;

	for (size_t i = 0; i < p->nev; i++) {
		struct event *ev = &p->ev[i];
		if (ev->kind != EV_CHUNK || ev->state != CH_STAGED)
			continue;
		if (p->failed && p->ev_base + i > p->fail_ev) {
			bs_chunk_discard(s->repo, &ev->st);
			ev->state = CH_FAILED;
			continue;
		}
		if (first == p->nev)
			first = i;
		p->batch[n++] = ev->st;
	}
	p->staged_count = 0;
	p->staged_bytes = 0;
	if (n == 0)
		return;
	if (bs_chunk_commit(s->repo, p->batch, n, s->now, &e) < 0)
		set_failed(p, p->ev_base + first, &e);
	n = 0;
	for (size_t i = first; i < p->nev; i++) {
		struct event *ev = &p->ev[i];
		if (ev->kind != EV_CHUNK || ev->state != CH_STAGED)
			continue;
		ev->stored = p->batch[n++].stored;
		ev->state = p->failed && p->ev_base + i >= p->fail_ev ? CH_FAILED : CH_DONE;
	}
}

/* Take the events whose chunks are settled, in order: the counters, and
 * the manifest up to the first chunk not yet durable goes out. */
static void apply(struct bs_storer_pool *p)
{
	struct bs_storer *s = p->s;
	uint64_t upto;
	size_t i;

	for (i = 0; i < p->nev; i++) {
		struct event *ev = &p->ev[i];
		if (ev->kind == EV_CHUNK) {
			if (ev->state != CH_DONE)
				break;
			if (ev->stored) {
				s->n.new_chunks++;
				s->n.new_bytes += ev->size;
				s->n.stored_bytes += ev->disk_bytes;
				p->file_new = 1;
			}
			p->has_chunks = 1;
		} else if (ev->kind == EV_RECORD) {
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

/* Everything in flight settled, committed and applied. */
static void settle(struct bs_storer_pool *p)
{
	while (p->retired < p->next)
		retire_one(p);
	commit(p);
	apply(p);
}

/* Hand a chunk to the workers; its bytes are taken from `data` (which
 * gets an empty buffer of the ring's back). */
static void submit(struct bs_storer_pool *p, const struct bs_item *it, struct bs_buf *data)
{
	struct event *ev;
	struct bs_buf tmp;
	struct job *j;

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
	if (p->staged_count >= BATCH_CHUNKS || p->staged_bytes >= BATCH_BYTES)
		commit(p);
	j = &p->jobs[p->next % p->q];
	memcpy(j->digest, it->digest, BS_DIGEST_LEN);
	tmp = j->data;
	j->data = *data;
	*data = tmp;
	ev = add_event(p, EV_CHUNK);
	ev->size = it->size;
	memcpy(ev->digest, it->digest, BS_DIGEST_LEN);
	j->ev = p->ev_base + p->nev - 1;
	j->rc = j->staged = 0;
	j->st.tmp[0] = '\0';
	pthread_mutex_lock(&p->mu);
	j->state = JOB_QUEUED;
	p->next++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
}

/* Is a chunk on its way into the store: an earlier C item of this run,
 * not committed yet?  An R line that refers to it (a hard link's, or a
 * file's that repeats one) needs no more, since the manifest is passed on
 * only once the chunks before it are durable; should that chunk fail, the
 * R line is never passed on. */
static int in_flight(struct bs_storer_pool *p, const unsigned char *digest)
{
	for (size_t i = 0; i < p->nev; i++)
		if (p->ev[i].kind == EV_CHUNK && p->ev[i].state != CH_FAILED &&
		    !memcmp(p->ev[i].digest, digest, BS_DIGEST_LEN))
			return 1;
	return 0;
}

/* R: stamp the chunk (or, after an F line, check it is there). */
static int pass_ref(struct bs_storer *s, struct bs_storer_pool *p, const struct bs_stream *st,
		    const struct bs_item *it, struct bs_err *e)
{
	char hex[BS_HEX_LEN + 1];
	int rc;

	if (st->has_floor)
		rc = bs_chunk_exists(s->repo, it->digest) ? 0 : BS_STORE_MISSING;
	else
		rc = s->repo->store->ops->touch(s->repo->store, it->digest, s->now, e);
	if (rc < 0)
		return -1;
	if (rc == 0 || in_flight(p, it->digest))
		return 0;
	bs_hex(hex, it->digest);
	return bs_err_set(e, BS_INPUT, "chunk '%s' is %s", hex,
			  rc == BS_STORE_EMPTY ? "empty in the repository" : "missing from the repository");
}

/* One item of the input, into the held manifest. */
static int store_item(struct bs_storer *s, struct bs_storer_pool *p, const struct bs_stream *st,
		      struct bs_item *it, struct bs_err *e)
{
	struct bs_writer *out = &p->held;

	switch (it->type) {
	case BS_ITEM_CHUNK:
		/* every chunk is stamped with the backup's start: no earlier than
		 * it, as expiry needs, and a chunk bs-chunk stamped since needs
		 * no second utimensat(2) */
		submit(p, it, &it->data);
		bs_stream_ref(out, it->digest, it->size);
		break;
	case BS_ITEM_REF:
		if (pass_ref(s, p, st, it, e) < 0)
			return -1;
		bs_stream_ref(out, it->digest, it->size);
		break;
	case BS_ITEM_ABANDON:
		add_event(p, EV_ABANDON);
		bs_stream_abandon(out);
		break;
	case BS_ITEM_STAT:
		bs_stream_stat(out, it->key, it->value);
		break;
	case BS_ITEM_LISTING:
		if (!st->has_floor)
			return bs_err_set(e, BS_INPUT, "standard input: a listing of '%.200s' in a stream without an F line",
					  it->dir.p);
		bs_stream_listing(out, it->digest, it->entries, it->files, it->bytes, it->id, it->dir.p, it->dir.len,
				  it->dirs.p, it->dirs.len, it->ndirs);
		s->n.records++;
		break;
	case BS_ITEM_RECORD:
		add_event(p, EV_RECORD);
		bs_stream_record(out, &it->rec, &s->scratch);
		s->n.records++;
		break;
	}
	if (p->held.len > HELD_MAX)
		settle(p);
	else
		apply(p);
	if (s->out->err && bs_writer_flush(s->out, e) < 0)
		return -1;
	return 0;
}

/* The F line: bs-chunk's word that it refreshed, or found fresh enough,
 * the stamp of every chunk its R lines and L items refer to
 * (bs-formats.5): R lines then need only be there.  Without one, each is
 * stamped here with this run's start. */
static int pass_floor(struct bs_storer *s, const struct bs_stream *st, struct bs_err *e)
{
	int rc = bs_expiry_check(s->repo, st->floor, s->now, e);

	if (rc < 0)
		return -1;
	if (rc > 0 && s->warn) {
		struct bs_buf msg = BS_BUF_INIT;
		bs_buf_addf(&msg, "the last expiry's cut-off is later than this clock: do the clocks of the "
			    "machines that write to '%s' agree?", s->repo->path);
		s->warn(s->arg, msg.p);
		bs_buf_release(&msg);
	}
	bs_stream_floor(s->out, bs_time_cmp(st->floor, s->now) < 0 ? st->floor : s->now);
	return 0;
}

int bs_storer_run(struct bs_storer *s, struct bs_reader *in, struct bs_err *e)
{
	struct bs_storer_pool *p;
	struct bs_stream st;
	struct bs_item it;
	struct bs_err ignored;
	int rc;

	if (bs_stream_open(&st, in, BS_STREAM_CHUNKS | BS_STREAM_MANIFEST, e) < 0)
		return -1;
	/* chunk sizes matter for deduplication, not correctness: accept any
	 * chunk a chunker could make, even one with other settings */
	st.max_chunk = BS_CHUNK_MAX_LIMIT;
	bs_stream_header(s->out, BS_STREAM_MANIFEST);
	bs_stream_time(s->out, s->now);
	if (st.has_floor && pass_floor(s, &st, e) < 0) {
		bs_stream_release(&st);
		return -1;
	}
	e->code = 0;
	p = pool_new(s, e);
	if (e->code) {
		pool_free(p);
		bs_stream_release(&st);
		return -1;
	}
	bs_item_init(&it);
	while ((rc = bs_stream_next(&st, &it, e)) > 0 && !p->failed)
		if (store_item(s, p, &st, &it, e) < 0) {
			rc = -1;
			break;
		}
	bs_item_release(&it);
	bs_stream_release(&st);
	/* what was complete before a failure is passed on, its chunks made
	 * durable first; then no trailer, so that bs-index keeps an
	 * unfinished backup */
	settle(p);
	if (p->failed) {
		*e = p->fail_err;	/* the earlier in the stream */
		rc = -1;
	}
	pool_free(p);
	if (rc < 0) {
		if (bs_repo_sync(s->repo, &ignored) == 0)
			bs_writer_flush(s->out, &ignored);
		return -1;
	}
	/* refreshed stamps are durable before anything refers to them */
	if (bs_repo_sync(s->repo, e) < 0)
		return -1;
	bs_stream_stat(s->out, "new-files", s->n.new_files);
	bs_stream_stat(s->out, "present-files", s->n.present_files);
	bs_stream_stat(s->out, "new-chunks", s->n.new_chunks);
	bs_stream_stat(s->out, "new-bytes", s->n.new_bytes);
	bs_stream_stat(s->out, "stored-bytes", s->n.stored_bytes);
	bs_stream_trailer(s->out, s->n.records);
	return 0;
}
