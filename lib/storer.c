/* storer.c - the chunk stream in, chunks into the repository, the manifest out. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "chunk.h"
#include "chunker.h"
#include "storer.h"

void bs_storer_init(struct bs_storer *s, struct bs_repo *repo, struct bs_writer *out)
{
	memset(s, 0, sizeof(*s));
	s->repo = repo;
	s->out = out;
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

/* A P item: its chunk came earlier in this stream (then the piece must lie
 * within it) or is in the repository (checked, or stamped without an F
 * line, like an R's: once a chunk). */
static int take_piece(struct bs_storer *s, const struct bs_stream *st, const struct bs_item *it, int *file_new,
		      struct bs_err *e)
{
	struct bs_storer_pack *p;
	char hex[BS_HEX_LEN + 1];

	if (it->packed) {
		for (size_t i = 0; i < s->nrecent; i++)
			pack_put(s, &s->recent[i]);
		s->nrecent = 0;
		*file_new = 0;
	}
	if (!(p = pack_of(s, it->digest))) {
		struct bs_storer_pack v = { .size = 0, .stored = 0 };
		memcpy(v.digest, it->digest, BS_DIGEST_LEN);
		if (!st->has_floor && bs_chunk_touch(s->repo, it->digest, s->now, e) < 0)
			return -1;
		if (st->has_floor && !bs_chunk_exists(s->repo, it->digest)) {
			bs_hex(hex, it->digest);
			return bs_err_set(e, BS_INPUT, "chunk '%s' is missing from the repository", hex);
		}
		p = pack_put(s, &v);
	}
	if (p->size && it->offset + it->size > p->size) {
		bs_hex(hex, it->digest);
		return bs_err_set(e, BS_INPUT, "standard input: a piece at %" PRIu64 " of %" PRIu64
				  " bytes lies beyond the end of chunk '%s' (%" PRIu64 " bytes)", it->offset, it->size,
				  hex, p->size);
	}
	if (p->stored)
		*file_new = 1;
	return 0;
}

/* Bad input: pass on what was complete before it (its chunks made durable
 * first), without a trailer; then fail. */
static int fail(struct bs_storer *s)
{
	struct bs_err ignored;

	if (bs_repo_sync(s->repo, &ignored) == 0)
		bs_writer_flush(s->out, &ignored);
	return -1;
}

/* One item of the input, passed on; *file_new and *has_chunks follow the
 * file whose C and R items are coming. */
static int store_item(struct bs_storer *s, const struct bs_stream *st, const struct bs_item *it, int *file_new,
		      int *has_chunks, struct bs_err *e)
{
	struct bs_chunk_info info;
	struct bs_writer *out = s->out;

	switch (it->type) {
	case BS_ITEM_CHUNK:
		/* every chunk is stamped with the backup's start: no earlier than
		 * it, as expiry needs, and a chunk bs-chunk stamped since needs
		 * no second utimensat(2) */
		if (bs_chunk_put(s->repo, it->digest, it->data.p, it->data.len, s->now, &info, e) < 0)
			return -1;
		if (info.stored) {
			s->n.new_chunks++;
			s->n.new_bytes += it->size;
			s->n.stored_bytes += info.disk_bytes;
			*file_new = 1;
		}
		*has_chunks = 1;
		remember(s, it->digest, it->size, info.stored);
		bs_stream_ref(out, it->digest, it->size);
		break;
	case BS_ITEM_PIECE:
		if (take_piece(s, st, it, file_new, e) < 0)
			return -1;
		*has_chunks = 1;
		bs_stream_piece(out, it->digest, it->offset, it->size);
		break;
	case BS_ITEM_REF:
		if (!st->has_floor && bs_chunk_touch(s->repo, it->digest, s->now, e) < 0)
			return -1;
		if (st->has_floor && !bs_chunk_exists(s->repo, it->digest)) {
			char hex[BS_HEX_LEN + 1];
			bs_hex(hex, it->digest);
			return bs_err_set(e, BS_INPUT, "chunk '%s' is missing from the repository", hex);
		}
		remember(s, it->digest, it->size, 0);
		bs_stream_ref(out, it->digest, it->size);
		break;
	case BS_ITEM_ABANDON:
		*file_new = *has_chunks = 0;
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
		if (*has_chunks)
			*file_new ? s->n.new_files++ : s->n.present_files++;
		bs_stream_record(out, &it->rec, &s->scratch);
		s->n.records++;
		*file_new = *has_chunks = 0;
		s->nrecent = 0;
		break;
	}
	if (out->err && bs_writer_flush(out, e) < 0)
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
	struct bs_stream st;
	struct bs_item it;
	int rc, file_new = 0, has_chunks = 0;

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
	bs_item_init(&it);
	while ((rc = bs_stream_next(&st, &it, e)) > 0)
		if (store_item(s, &st, &it, &file_new, &has_chunks, e) < 0) {
			rc = -1;
			break;
		}
	bs_item_release(&it);
	bs_stream_release(&st);
	if (rc < 0)
		return fail(s);
	/* the names of new chunks are durable before anything refers to them */
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
