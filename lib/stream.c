/* stream.c - reading and writing the streams between the tools (man/bs-formats.5). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"
#include "stream.h"

void bs_item_init(struct bs_item *it)
{
	memset(it, 0, sizeof(*it));
	bs_rec_init(&it->rec);
	bs_buf_init(&it->data);
	bs_buf_init(&it->dir);
	bs_buf_init(&it->dirs);
}

void bs_item_release(struct bs_item *it)
{
	bs_rec_release(&it->rec);
	bs_buf_release(&it->data);
	bs_buf_release(&it->dir);
	bs_buf_release(&it->dirs);
}

static const char *kind_names[] = { "walk", "chunks", "manifest" };

/* Version 2 of chunk and manifest streams brought F lines and L items;
 * walk 2, chunks 3 and manifest 3 the flags, xattrs and extents fields,
 * and chunks 3 and manifest 3 P items (packed small files). */
static unsigned stream_version(int kind)
{
	return kind == BS_STREAM_WALK ? 2 : 3;
}

const char *bs_stream_name(int kind)
{
	for (int i = 0; i < 3; i++)
		if (kind == 1 << i)
			return kind_names[i];
	return "unknown";
}

static int expected(int kinds, struct bs_buf *b)
{
	const char *sep = "";
	bs_buf_reset(b);
	for (int i = 0; i < 3; i++)
		if (kinds & (1 << i)) {
			bs_buf_addf(b, "%s%s", sep, kind_names[i]);
			sep = " or ";
		}
	return 0;
}

int bs_stream_open(struct bs_stream *s, struct bs_reader *r, int kinds, struct bs_err *e)
{
	struct bs_buf want = BS_BUF_INIT;
	char kind[16];
	unsigned version;
	int c, rc;

	memset(s, 0, sizeof(*s));
	s->r = r;
	s->max_chunk = 64u << 20;
	bs_buf_init(&s->line);
	c = bs_reader_peek(r, e);
	if (c < 0) {
		if (e && e->code)
			return -1;
		return bs_err_set(e, BS_INPUT, "%s is empty: no stream header", r->what);
	}
	if (c != 'B')
		return bs_err_set(e, BS_INPUT, "%s is not a backshift stream", r->what);
	r->max_record = 256;
	rc = bs_reader_until(r, '\n', &s->line, e);
	r->max_record = 16u << 20;
	if (rc <= 0)
		return rc < 0 ? bs_err_set(e, BS_INPUT, "%s is not a backshift stream", r->what)
			      : bs_err_set(e, BS_INPUT, "%s is empty", r->what);
	if (sscanf(s->line.p, "B %15s %u", kind, &version) != 2)
		return bs_err_set(e, BS_INPUT, "%s has a malformed stream header", r->what);
	{
		/* exactly "B kind version": no trailing bytes, no leading zeros */
		char again[64];
		int n = snprintf(again, sizeof(again), "B %s %u", kind, version);
		if (n < 0 || (size_t)n != s->line.len || memcmp(again, s->line.p, s->line.len))
			return bs_err_set(e, BS_INPUT, "%s has a malformed stream header", r->what);
	}
	for (int i = 0; i < 3; i++)
		if (!strcmp(kind, kind_names[i]))
			s->kind = 1 << i;
	if (!(s->kind & kinds)) {
		expected(kinds, &want);
		bs_err_set(e, BS_INPUT, "%s is a %s stream, not a %s stream", r->what,
			   s->kind ? kind : "unknown", want.p);
		bs_buf_release(&want);
		return -1;
	}
	if (version != stream_version(s->kind))
		return bs_err_set(e, BS_INPUT, "%s: %s stream version %u is not supported: this tool reads version %u",
				  r->what, kind, version, stream_version(s->kind));
	if (s->kind == BS_STREAM_MANIFEST && bs_reader_peek(r, e) == 'T') {
		if (bs_reader_until(r, '\n', &s->line, e) <= 0 ||
		    s->line.len < 3 || s->line.p[1] != ' ' ||
		    bs_time_parse(&s->time, s->line.p + 2, s->line.len - 2) < 0)
			return bs_err_set(e, BS_INPUT, "%s has a malformed T line", r->what);
		s->has_time = 1;
	}
	if (s->kind != BS_STREAM_WALK && bs_reader_peek(r, e) == 'F') {
		if (bs_reader_until(r, '\n', &s->line, e) <= 0 ||
		    s->line.len < 3 || s->line.p[1] != ' ' ||
		    bs_time_parse(&s->floor, s->line.p + 2, s->line.len - 2) < 0)
			return bs_err_set(e, BS_INPUT, "%s has a malformed F line", r->what);
		s->has_floor = 1;
	}
	return 0;
}

void bs_stream_release(struct bs_stream *s)
{
	bs_buf_release(&s->line);
}

static int bad_line(struct bs_stream *s, struct bs_err *e, const char *what)
{
	return bs_err_set(e, BS_INPUT, "%s: malformed %s line after record %" PRIu64,
			  s->r->what, what, s->records);
}

static int parse_chunk_line(struct bs_stream *s, struct bs_item *it, struct bs_err *e)
{
	const char *p = s->line.p;
	uint64_t size;

	if (s->line.len < 2 + BS_HEX_LEN + 2 || p[1] != ' ' || p[2 + BS_HEX_LEN] != ' ' ||
	    bs_unhex(it->digest, p + 2, BS_HEX_LEN) < 0 ||
	    bs_parse_u64(p + 3 + BS_HEX_LEN, s->line.len - 3 - BS_HEX_LEN, &size) < 0)
		return bad_line(s, e, p[0] == 'C' ? "chunk" : "reference");
	if (size == 0 || size > s->max_chunk)
		return bs_err_set(e, BS_INPUT, "%s: chunk of %" PRIu64 " bytes after record %" PRIu64
				  " is out of range", s->r->what, size, s->records);
	it->size = size;
	return 0;
}

/* "P <digest> <offset> <length>": a piece lies within a chunk, so within
 * the largest chunk accepted */
static int parse_piece_line(struct bs_stream *s, struct bs_item *it, struct bs_err *e)
{
	const char *p = s->line.p, *end = p + s->line.len, *sp;
	uint64_t off, len;

	if (s->line.len < 2 + BS_HEX_LEN + 4 || p[1] != ' ' || p[2 + BS_HEX_LEN] != ' ' ||
	    bs_unhex(it->digest, p + 2, BS_HEX_LEN) < 0 ||
	    !(sp = memchr(p + 3 + BS_HEX_LEN, ' ', (size_t)(end - p - 3 - BS_HEX_LEN))) ||
	    bs_parse_u64(p + 3 + BS_HEX_LEN, (size_t)(sp - p - 3 - BS_HEX_LEN), &off) < 0 ||
	    bs_parse_u64(sp + 1, (size_t)(end - sp - 1), &len) < 0)
		return bad_line(s, e, "piece");
	if (len == 0 || len > s->max_chunk || off > s->max_chunk - len)
		return bs_err_set(e, BS_INPUT, "%s: piece of %" PRIu64 " bytes at %" PRIu64 " after record %" PRIu64
				  " is out of range", s->r->what, len, off, s->records);
	it->offset = off;
	it->size = len;
	return 0;
}

#define LISTING_DIRS_MAX 10000000u

static int parse_listing(struct bs_stream *s, struct bs_item *it, struct bs_err *e)
{
	struct bs_reader *r = s->r;
	struct bs_cursor c;
	const char *f;
	size_t n;
	int rc;

	rc = bs_reader_until(r, '\0', &s->line, e);
	if (rc <= 0)
		return rc < 0 ? -1 : bs_err_set(e, BS_INPUT, "%s is truncated", r->what);
	c.p = s->line.p + 2;
	c.end = s->line.p + s->line.len;
	if (s->pending || s->pieces)
		return bs_err_set(e, BS_INPUT, "%s: chunks before a listing, after record %" PRIu64, r->what,
				  s->records);
	if (s->line.len < 2 || s->line.p[1] != ' ' ||
	    bs_cursor_field(&c, &f, &n) < 0 || n != BS_HEX_LEN || bs_unhex(it->digest, f, n) < 0 ||
	    bs_cursor_field(&c, &f, &n) < 0 || bs_parse_u64(f, n, &it->entries) < 0 ||
	    bs_cursor_field(&c, &f, &n) < 0 || bs_parse_u64(f, n, &it->files) < 0 || it->files > it->entries ||
	    bs_cursor_field(&c, &f, &n) < 0 || bs_parse_u64(f, n, &it->bytes) < 0 ||
	    bs_cursor_field(&c, &f, &n) < 0 || bs_parse_u64(f, n, &it->ndirs) < 0 || it->ndirs > LISTING_DIRS_MAX ||
	    bs_cursor_field(&c, &f, &n) < 0 || n >= sizeof(it->id) || c.p == c.end || *c.p != '/')
		return bad_line(s, e, "listing");
	memcpy(it->id, f, n);
	it->id[n] = '\0';
	bs_buf_reset(&it->dir);
	bs_buf_add(&it->dir, c.p, (size_t)(c.end - c.p));
	bs_buf_reset(&it->dirs);
	for (uint64_t i = 0; i < it->ndirs; i++) {
		rc = bs_reader_until(r, '\0', &s->line, e);
		if (rc <= 0)
			return rc < 0 ? -1 : bs_err_set(e, BS_INPUT, "%s is truncated", r->what);
		if (s->line.len == 0 || memchr(s->line.p, '/', s->line.len))
			return bad_line(s, e, "listing");
		bs_buf_add(&it->dirs, s->line.p, s->line.len + 1);
	}
	it->type = BS_ITEM_LISTING;
	s->records++;
	return 1;
}

int bs_stream_next(struct bs_stream *s, struct bs_item *it, struct bs_err *e)
{
	struct bs_reader *r = s->r;
	int c, rc;
	uint64_t count;

	if (s->done)
		return 0;
	c = bs_reader_peek(r, e);
	if (c < 0) {
		if (e && e->code)
			return -1;
		return bs_err_set(e, BS_INPUT, "%s is truncated: it ends after %" PRIu64
				  " records without a trailer", r->what, s->records);
	}
	if (c == 'L') {
		if (s->kind == BS_STREAM_WALK)
			return bs_err_set(e, BS_INPUT, "%s: a listing in a walk stream", r->what);
		return parse_listing(s, it, e);
	}
	if (c >= 'a' && c <= 'z') {
		rc = bs_reader_until(r, '\0', &s->line, e);
		if (rc <= 0)
			return rc < 0 ? -1 : bs_err_set(e, BS_INPUT, "%s is truncated", r->what);
		if (bs_rec_parse(&it->rec, s->line.p, s->line.len, e) < 0 || it->rec.kind == 'i')
			return bs_err_set(e, BS_INPUT, "%s: malformed record after record %" PRIu64,
					  r->what, s->records);
		/* (a walk stream has no chunks at all; after a P item, pending
		 * is 0: a C or R item after pieces is refused) */
		if (it->rec.kind != 'f' && (s->pending || s->pieces))
			return bs_err_set(e, BS_INPUT, "%s: chunks before '%.200s', which is not a regular file",
					  r->what, it->rec.path.p);
		if (it->rec.kind == 'f' && s->kind != BS_STREAM_WALK &&
		    s->pending + s->pieces != bs_rec_datasize(&it->rec))
			return bs_err_set(e, BS_INPUT, "%s: the chunks of '%.200s' add up to %" PRIu64
					  " bytes, not %" PRIu64, r->what, it->rec.path.p, s->pending + s->pieces,
					  bs_rec_datasize(&it->rec));
		s->pending = s->pieces = 0;
		it->type = BS_ITEM_RECORD;
		s->records++;
		return 1;
	}
	rc = bs_reader_until(r, '\n', &s->line, e);
	if (rc <= 0)
		return rc < 0 ? -1 : bs_err_set(e, BS_INPUT, "%s is truncated", r->what);
	switch (c) {
	case 'C':
		if (s->kind != BS_STREAM_CHUNKS)
			return bs_err_set(e, BS_INPUT, "%s: chunk data in a %s stream", r->what,
					  bs_stream_name(s->kind));
		if (s->pieces)
			return bs_err_set(e, BS_INPUT, "%s: a chunk after pieces, after record %" PRIu64, r->what,
					  s->records);
		if (parse_chunk_line(s, it, e) < 0)
			return -1;
		bs_buf_reset(&it->data);
		bs_buf_grow(&it->data, it->size);
		if (bs_reader_exact(r, it->data.p, it->size, e) < 0)
			return -1;
		it->data.len = it->size;
		it->type = BS_ITEM_CHUNK;
		s->pending += it->size;
		return 1;
	case 'R':
		if (s->kind == BS_STREAM_WALK)
			return bs_err_set(e, BS_INPUT, "%s: chunk reference in a walk stream", r->what);
		if (s->pieces)
			return bs_err_set(e, BS_INPUT, "%s: a chunk reference after pieces, after record %" PRIu64,
					  r->what, s->records);
		if (parse_chunk_line(s, it, e) < 0)
			return -1;
		it->type = BS_ITEM_REF;
		s->pending += it->size;
		return 1;
	case 'P':
		if (s->kind == BS_STREAM_WALK)
			return bs_err_set(e, BS_INPUT, "%s: a piece in a walk stream", r->what);
		if (parse_piece_line(s, it, e) < 0)
			return -1;
		it->type = BS_ITEM_PIECE;
		/* C or R items just before a file's first piece are pack chunks */
		it->packed = !s->pieces && s->pending;
		s->pending = 0;
		s->pieces += it->size;
		return 1;
	case 'A':
		if (s->line.len != 1)
			return bad_line(s, e, "abandon");
		it->type = BS_ITEM_ABANDON;
		s->pending = s->pieces = 0;
		return 1;
	case 'S': {
		const char *sp;
		size_t kl;
		if (s->line.len < 5 || s->line.p[1] != ' ' ||
		    !(sp = memchr(s->line.p + 2, ' ', s->line.len - 2)))
			return bad_line(s, e, "count");
		kl = (size_t)(sp - (s->line.p + 2));
		if (kl == 0 || kl >= sizeof(it->key) ||
		    bs_parse_u64(sp + 1, (size_t)(s->line.p + s->line.len - sp - 1), &it->value) < 0)
			return bad_line(s, e, "count");
		memcpy(it->key, s->line.p + 2, kl);
		it->key[kl] = '\0';
		it->type = BS_ITEM_STAT;
		return 1;
	}
	case 'E':
		if (s->line.len < 3 || s->line.p[1] != ' ' ||
		    bs_parse_u64(s->line.p + 2, s->line.len - 2, &count) < 0)
			return bad_line(s, e, "trailer");
		if (s->pending || s->pieces)
			return bs_err_set(e, BS_INPUT, "%s: chunks at the end belong to no file", r->what);
		if (count != s->records)
			return bs_err_set(e, BS_INPUT, "%s: the trailer counts %" PRIu64
					  " records but %" PRIu64 " came", r->what, count, s->records);
		if (bs_reader_peek(r, e) >= 0)
			return bs_err_set(e, BS_INPUT, "%s: data after the trailer", r->what);
		if (e && e->code)
			return -1;
		s->done = 1;
		return 0;
	}
	return bs_err_set(e, BS_INPUT, "%s: unexpected byte 0x%02x after record %" PRIu64,
			  r->what, c, s->records);
}

void bs_stream_header(struct bs_writer *w, int kind)
{
	bs_writer_addf(w, "B %s %u\n", bs_stream_name(kind), stream_version(kind));
}

void bs_stream_time(struct bs_writer *w, struct bs_time t)
{
	bs_writer_addf(w, "T %" PRId64 ".%09" PRIu32 "\n", t.sec, t.nsec);
}

void bs_stream_floor(struct bs_writer *w, struct bs_time t)
{
	bs_writer_addf(w, "F %" PRId64 ".%09" PRIu32 "\n", t.sec, t.nsec);
}

void bs_stream_listing(struct bs_writer *w, const unsigned char *digest, uint64_t entries, uint64_t files,
		       uint64_t bytes, const char *id, const char *dir, size_t dirlen, const char *dirs, size_t dirslen,
		       uint64_t ndirs)
{
	char hex[BS_HEX_LEN + 1];

	bs_hex(hex, digest);
	bs_writer_addf(w, "L %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %s ", hex, entries, files, bytes,
		       ndirs, id);
	bs_writer_add(w, dir, dirlen);
	bs_writer_add(w, "", 1);
	bs_writer_add(w, dirs, dirslen);
}

void bs_stream_record(struct bs_writer *w, const struct bs_rec *r, struct bs_buf *scratch)
{
	bs_buf_reset(scratch);
	bs_rec_format(scratch, r);
	bs_writer_add(w, scratch->p, scratch->len);
}

void bs_stream_chunk(struct bs_writer *w, const unsigned char *digest, const void *p, size_t n)
{
	/* a buffer on the stack, large enough that it never grows */
	char line[BS_HEX_LEN + 32];
	struct bs_buf b = { line, 0, sizeof(line) };

	bs_ref_format(&b, 'C', digest, n);
	bs_writer_add(w, b.p, b.len);
	bs_writer_add(w, p, n);
}

void bs_stream_ref(struct bs_writer *w, const unsigned char *digest, uint64_t n)
{
	char line[BS_HEX_LEN + 32];
	struct bs_buf b = { line, 0, sizeof(line) };

	bs_ref_format(&b, 'R', digest, n);
	bs_writer_add(w, b.p, b.len);
}

void bs_stream_piece(struct bs_writer *w, const unsigned char *digest, uint64_t offset, uint64_t length)
{
	char line[BS_HEX_LEN + 64];
	struct bs_buf b = { line, 0, sizeof(line) };

	bs_piece_format(&b, digest, offset, length);
	bs_writer_add(w, b.p, b.len);
}

void bs_stream_abandon(struct bs_writer *w)
{
	bs_writer_add(w, "A\n", 2);
}

void bs_stream_stat(struct bs_writer *w, const char *key, uint64_t value)
{
	bs_writer_addf(w, "S %s %" PRIu64 "\n", key, value);
}

void bs_stream_trailer(struct bs_writer *w, uint64_t count)
{
	bs_writer_addf(w, "E %" PRIu64 "\n", count);
}
