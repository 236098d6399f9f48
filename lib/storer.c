/* storer.c - the chunk stream in, its items checked and passed to the workers (storepool.c), the manifest out. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "budget.h"
#include "chunk.h"
#include "chunker.h"
#include "storepool.h"
#include "storer.h"

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
	bs_linkmap_init(&s->packs);
}

void bs_storer_release(struct bs_storer *s)
{
	bs_buf_release(&s->scratch);
	bs_linkmap_release(&s->packs, free);
	free(s->recent);
	s->recent = NULL;
}

static uint64_t half(const unsigned char *d, int i)
{
	uint64_t v;
	memcpy(&v, d + 8 * i, 8);
	return v;
}

static struct bs_storer_pack *pack_of(struct bs_storer *s, const unsigned char *digest)
{
	struct bs_storer_pack *p = bs_linkmap_get(&s->packs, half(digest, 0), half(digest, 1));

	return p && !memcmp(p->digest, digest, BS_DIGEST_LEN) ? p : NULL;
}

static struct bs_storer_pack *pack_put(struct bs_storer *s, const struct bs_storer_pack *v)
{
	struct bs_storer_pack *p = pack_of(s, v->digest);

	if (!p) {
		p = bs_xmalloc(sizeof(*p));
		bs_linkmap_put(&s->packs, half(v->digest, 0), half(v->digest, 1), p);
	}
	*p = *v;
	return p;
}

/* A C or R item: remembered until the next record, in case P items
 * follow it (then it is a pack chunk). */
static void remember(struct bs_storer *s, const unsigned char *digest, uint64_t size, int stored)
{
	if (s->nrecent == s->caprecent) {
		s->caprecent = s->caprecent ? 2 * s->caprecent : 8;
		s->recent = bs_xrealloc(s->recent, s->caprecent * sizeof(*s->recent));
	}
	memcpy(s->recent[s->nrecent].digest, digest, BS_DIGEST_LEN);
	s->recent[s->nrecent].size = size;
	s->recent[s->nrecent].stored = stored;
	s->nrecent++;
}


/* R: stamp the chunk (or, after an F line, check it is there). */
static int pass_ref(struct bs_storer *s, struct bs_storepool *p, const struct bs_stream *st,
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
	if (rc == 0 || bs_storepool_in_flight(p, it->digest))
		return 0;
	bs_hex(hex, it->digest);
	return bs_err_set(e, BS_INPUT, "chunk '%s' is %s", hex,
			  rc == BS_STORE_EMPTY ? "empty in the repository" : "missing from the repository");
}

/* A P item: its chunk came earlier in this stream (then the piece must lie
 * within it: its size is known) or is in the repository (checked, or
 * stamped without an F line, as an R's is: once a chunk).  The C or R
 * items just before a file's first piece are pack chunks, no file's. */
static int take_piece(struct bs_storer *s, struct bs_storepool *p, const struct bs_stream *st,
		      const struct bs_item *it, struct bs_err *e)
{
	struct bs_storer_pack *k;
	struct bs_storepool_event *ev;
	char hex[BS_HEX_LEN + 1];

	if (it->packed) {
		for (size_t i = 0; i < s->nrecent; i++)
			pack_put(s, &s->recent[i]);
		s->nrecent = 0;
		bs_storepool_event(p, BS_EV_PACKED);
	}
	if (!(k = pack_of(s, it->digest))) {
		struct bs_storer_pack v = { .size = 0, .stored = 0 };
		memcpy(v.digest, it->digest, BS_DIGEST_LEN);
		if (pass_ref(s, p, st, it, e) < 0)
			return -1;
		k = pack_put(s, &v);
	}
	if (k->size && (it->offset > k->size || it->size > k->size - it->offset)) {
		bs_hex(hex, it->digest);
		return bs_err_set(e, BS_INPUT, "standard input: a piece at %" PRIu64 " of %" PRIu64
				  " bytes lies beyond the end of chunk '%s' (%" PRIu64 " bytes)", it->offset, it->size,
				  hex, k->size);
	}
	ev = bs_storepool_event(p, BS_EV_PIECE);
	memcpy(ev->digest, it->digest, BS_DIGEST_LEN);
	return 0;
}

/* One item of the input, into the held manifest. */
static int store_item(struct bs_storer *s, struct bs_storepool *p, const struct bs_stream *st,
		      struct bs_item *it, struct bs_err *e)
{
	struct bs_writer *out = &p->held;

	switch (it->type) {
	case BS_ITEM_CHUNK:
		/* every chunk is stamped with the backup's start: no earlier than
		 * it, as expiry needs, and a chunk bs-chunk stamped since needs
		 * no second utimensat(2) */
		remember(s, it->digest, it->size, 0);
		bs_storepool_submit(p, it->digest, &it->data);
		bs_stream_ref(out, it->digest, it->size);
		break;
	case BS_ITEM_PIECE:
		if (take_piece(s, p, st, it, e) < 0)
			return -1;
		bs_stream_piece(out, it->digest, it->offset, it->size);
		break;
	case BS_ITEM_REF:
		if (pass_ref(s, p, st, it, e) < 0)
			return -1;
		remember(s, it->digest, it->size, 0);
		bs_stream_ref(out, it->digest, it->size);
		break;
	case BS_ITEM_ABANDON:
		bs_storepool_event(p, BS_EV_ABANDON);
		s->nrecent = 0;
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
		bs_storepool_event(p, BS_EV_RECORD);
		bs_stream_record(out, &it->rec, &s->scratch);
		s->n.records++;
		s->nrecent = 0;
		break;
	}
	bs_storepool_step(p);
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
	struct bs_storepool *p;
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
	p = bs_storepool_new(s, e);
	if (e->code) {
		bs_storepool_free(p);
		bs_stream_release(&st);
		return -1;
	}
	bs_item_init(&it);
	bs_budget_reserve(&it.data, s->repo->cfg.chunk_max);
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
	bs_storepool_settle(p);
	if (p->failed) {
		*e = p->fail_err;	/* the earlier in the stream */
		rc = -1;
	}
	bs_storepool_free(p);
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
