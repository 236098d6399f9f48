/* record.c - formatting and parsing records, and reading and writing streams. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "record.h"

static const char hexdigits[] = "0123456789abcdef";

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void bs_rec_init(struct bs_rec *r)
{
	memset(r, 0, sizeof(*r));
	bs_buf_init(&r->target);
	bs_buf_init(&r->xattrs);
	bs_buf_init(&r->extents);
	bs_buf_init(&r->path);
}

void bs_rec_release(struct bs_rec *r)
{
	bs_buf_release(&r->target);
	bs_buf_release(&r->xattrs);
	bs_buf_release(&r->extents);
	bs_buf_release(&r->path);
}

void bs_rec_copy(struct bs_rec *dst, const struct bs_rec *src)
{
	struct bs_buf t = dst->target, p = dst->path, x = dst->xattrs, x2 = dst->extents;

	*dst = *src;
	dst->target = t;
	dst->path = p;
	dst->xattrs = x;
	dst->extents = x2;
	bs_buf_reset(&dst->target);
	bs_buf_add(&dst->target, src->target.p, src->target.len);
	bs_buf_reset(&dst->xattrs);
	bs_buf_add(&dst->xattrs, src->xattrs.p, src->xattrs.len);
	bs_buf_reset(&dst->extents);
	bs_buf_add(&dst->extents, src->extents.p, src->extents.len);
	bs_buf_reset(&dst->path);
	bs_buf_add(&dst->path, src->path.p, src->path.len);
}

void bs_xattr_add(struct bs_rec *r, const char *name, size_t nlen, const void *value, size_t vlen)
{
	const unsigned char *v = value;

	bs_buf_grow(&r->xattrs, 2 * (nlen + vlen) + 2);
	if (r->xattrs.len)
		bs_buf_addc(&r->xattrs, ',');
	for (size_t i = 0; i < nlen; i++) {
		bs_buf_addc(&r->xattrs, hexdigits[(unsigned char)name[i] >> 4]);
		bs_buf_addc(&r->xattrs, hexdigits[(unsigned char)name[i] & 15]);
	}
	bs_buf_addc(&r->xattrs, '=');
	for (size_t i = 0; i < vlen; i++) {
		bs_buf_addc(&r->xattrs, hexdigits[v[i] >> 4]);
		bs_buf_addc(&r->xattrs, hexdigits[v[i] & 15]);
	}
}


/* Decode the hex in p[0, n) into out, with a NUL after it; -1 if not hex. */
static int unhex_into(struct bs_buf *out, const char *p, size_t n)
{
	bs_buf_reset(out);
	if (n % 2)
		return -1;
	bs_buf_grow(out, n / 2);
	for (size_t i = 0; i < n; i += 2) {
		int hi = hexval((unsigned char)p[i]), lo = hexval((unsigned char)p[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		bs_buf_addc(out, hi << 4 | lo);
	}
	return 0;
}

int bs_xattr_next(const struct bs_rec *r, size_t *pos, struct bs_buf *name, struct bs_buf *value)
{
	const char *p = r->xattrs.p + *pos, *end = r->xattrs.p + r->xattrs.len, *eq, *comma;

	if (p >= end)
		return 0;
	comma = memchr(p, ',', (size_t)(end - p));
	if (!comma)
		comma = end;
	eq = memchr(p, '=', (size_t)(comma - p));
	if (!eq)
		eq = comma;
	unhex_into(name, p, (size_t)(eq - p));
	unhex_into(value, eq < comma ? eq + 1 : comma, eq < comma ? (size_t)(comma - eq - 1) : 0);
	*pos = (size_t)(comma - r->xattrs.p) + (comma < end);
	return 1;
}

int bs_xattr_get(const struct bs_rec *r, const char *name, struct bs_buf *value)
{
	struct bs_buf n = BS_BUF_INIT;
	size_t pos = 0;
	int found = 0;

	while (!found && bs_xattr_next(r, &pos, &n, value))
		found = !strcmp(n.p, name) && n.len == strlen(name);
	bs_buf_release(&n);
	return found;
}

size_t bs_rec_nextents(const struct bs_rec *r)
{
	return r->extents.len / (2 * sizeof(uint64_t));
}

void bs_rec_extent(const struct bs_rec *r, size_t i, uint64_t *off, uint64_t *len)
{
	uint64_t v[2];

	memcpy(v, r->extents.p + i * sizeof(v), sizeof(v));
	*off = v[0];
	*len = v[1];
}

void bs_rec_extent_add(struct bs_rec *r, uint64_t off, uint64_t len)
{
	uint64_t v[2] = { off, len };

	bs_buf_add(&r->extents, v, sizeof(v));
}

uint64_t bs_rec_datasize(const struct bs_rec *r)
{
	uint64_t sum = 0, off, len;
	size_t n = bs_rec_nextents(r);

	if (!n)
		return r->size;
	for (size_t i = 0; i < n; i++) {
		bs_rec_extent(r, i, &off, &len);
		sum += len;
	}
	return sum;
}

int bs_kind_ok(int c)
{
	return c && strchr("fdlpcb", c) != NULL;
}

static int name_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 0;
	return 1;
}

/* Decimal digits of v at the end of buf[24]; returns where they start. */
static char *digits(char *end, uint64_t v)
{
	do
		*--end = (char)('0' + v % 10);
	while (v /= 10);
	return end;
}

/* " v" in decimal, or " -v", or with `frac`, " v.nnnnnnnnn". */
static void add_num(struct bs_buf *b, uint64_t v, int neg)
{
	char tmp[24], *p = digits(tmp + sizeof(tmp), v);

	bs_buf_addc(b, ' ');
	if (neg)
		bs_buf_addc(b, '-');
	bs_buf_add(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void add_time(struct bs_buf *b, struct bs_time t)
{
	char frac[9];
	uint32_t n = t.nsec;

	add_num(b, t.sec < 0 ? (uint64_t)0 - (uint64_t)t.sec : (uint64_t)t.sec, t.sec < 0);
	for (int i = 8; i >= 0; i--, n /= 10)
		frac[i] = (char)('0' + n % 10);
	bs_buf_addc(b, '.');
	bs_buf_add(b, frac, 9);
}

void bs_ref_format(struct bs_buf *b, int type, const unsigned char *digest, uint64_t size)
{
	char hex[BS_HEX_LEN + 1];

	bs_buf_grow(b, BS_HEX_LEN + 26);
	bs_buf_addc(b, type);
	bs_buf_addc(b, ' ');
	bs_hex(hex, digest);
	bs_buf_add(b, hex, BS_HEX_LEN);
	add_num(b, size, 0);
	bs_buf_addc(b, '\n');
}

void bs_piece_format(struct bs_buf *b, const unsigned char *digest, uint64_t offset, uint64_t length)
{
	char hex[BS_HEX_LEN + 1];

	bs_buf_grow(b, BS_HEX_LEN + 48);
	bs_buf_addc(b, 'P');
	bs_buf_addc(b, ' ');
	bs_hex(hex, digest);
	bs_buf_add(b, hex, BS_HEX_LEN);
	add_num(b, offset, 0);
	add_num(b, length, 0);
	bs_buf_addc(b, '\n');
}

/* The same text as this format, without printf's cost in the hot path:
 * "%c %04o %u %u %s %s %u %d.%09u %d.%09u %u %u %u %u,%u %zu:" */
void bs_rec_format(struct bs_buf *b, const struct bs_rec *r)
{
	bs_rec_format_as(b, r, r->path.p, r->path.len);
}

void bs_rec_format_as(struct bs_buf *b, const struct bs_rec *r, const char *path, size_t pathlen)
{
	char mode[5];
	unsigned m = r->mode & 07777;

	bs_buf_grow(b, 200 + r->target.len + r->xattrs.len + r->extents.len * 3 + pathlen);
	bs_buf_addc(b, r->kind);
	for (int i = 3; i >= 0; i--, m >>= 3)
		mode[i] = (char)('0' + (m & 7));
	bs_buf_addc(b, ' ');
	bs_buf_add(b, mode, 4);
	add_num(b, r->uid, 0);
	add_num(b, r->gid, 0);
	bs_buf_addc(b, ' ');
	bs_buf_adds(b, name_ok(r->uname) ? r->uname : "-");
	bs_buf_addc(b, ' ');
	bs_buf_adds(b, name_ok(r->gname) ? r->gname : "-");
	add_num(b, r->size, 0);
	add_time(b, r->mtime);
	add_time(b, r->ctime);
	add_num(b, r->dev, 0);
	add_num(b, r->ino, 0);
	add_num(b, r->nlink, 0);
	add_num(b, r->rmajor, 0);
	bs_buf_addc(b, ',');
	{
		char tmp[24], *p = digits(tmp + sizeof(tmp), r->rminor);
		bs_buf_add(b, p, (size_t)(tmp + sizeof(tmp) - p));
	}
	add_num(b, r->target.len, 0);
	bs_buf_addc(b, ':');
	bs_buf_add(b, r->target.p, r->target.len);
	add_num(b, r->flags, 0);
	bs_buf_addc(b, ' ');
	if (r->xattrs.len)
		bs_buf_add(b, r->xattrs.p, r->xattrs.len);
	else
		bs_buf_addc(b, '-');
	bs_buf_addc(b, ' ');
	if (r->extents.len) {
		size_t n = bs_rec_nextents(r);
		for (size_t i = 0; i < n; i++) {
			uint64_t off, len;
			char tmp[24], *q;
			bs_rec_extent(r, i, &off, &len);
			if (i)
				bs_buf_addc(b, ',');
			q = digits(tmp + sizeof(tmp), off);
			bs_buf_add(b, q, (size_t)(tmp + sizeof(tmp) - q));
			bs_buf_addc(b, '+');
			q = digits(tmp + sizeof(tmp), len);
			bs_buf_add(b, q, (size_t)(tmp + sizeof(tmp) - q));
		}
	} else {
		bs_buf_addc(b, '-');
	}
	bs_buf_addc(b, ' ');
	bs_buf_add(b, path, pathlen);
	bs_buf_addc(b, '\0');
}

struct cursor {
	const char *p, *end;
};

/* The next SP-terminated field; returns its length or -1. */
static int field(struct cursor *c, const char **f, size_t *n)
{
	const char *sp = memchr(c->p, ' ', (size_t)(c->end - c->p));

	if (!sp || sp == c->p)
		return -1;
	*f = c->p;
	*n = (size_t)(sp - c->p);
	c->p = sp + 1;
	return 0;
}

static int parse_xattrs(struct bs_rec *r, const char *f, size_t n)
{
	const char *p = f, *end = f + n, *prev = NULL;
	size_t prevlen = 0;

	bs_buf_reset(&r->xattrs);
	if (n == 1 && f[0] == '-')
		return 0;
	while (p < end) {
		const char *name = p;
		size_t nl, vl = 0;
		while (p < end && hexval((unsigned char)*p) >= 0)
			p++;
		nl = (size_t)(p - name);
		if (nl == 0 || nl % 2 || p == end || *p != '=')
			return -1;
		p++;
		while (p < end && hexval((unsigned char)*p) >= 0)
			p++, vl++;
		if (vl % 2 || (p < end && (*p != ',' || p + 1 == end)))
			return -1;
		if (prev) {
			int c = memcmp(prev, name, prevlen < nl ? prevlen : nl);
			if (c > 0 || (c == 0 && prevlen >= nl))
				return -1;
		}
		prev = name;
		prevlen = nl;
		if (p < end)
			p++;
	}
	bs_buf_add(&r->xattrs, f, n);
	return 0;
}

/* off+len,... ascending and not overlapping, or "-" */
static int parse_extents(struct bs_rec *r, const char *f, size_t n)
{
	const char *p = f, *end = f + n;
	uint64_t next = 0;

	bs_buf_reset(&r->extents);
	if (n == 1 && f[0] == '-')
		return 0;
	while (p < end) {
		const char *plus = memchr(p, '+', (size_t)(end - p)), *comma;
		uint64_t off, len;
		if (!plus)
			return -1;
		comma = memchr(plus, ',', (size_t)(end - plus));
		if (!comma)
			comma = end;
		if (bs_parse_u64(p, (size_t)(plus - p), &off) < 0 ||
		    bs_parse_u64(plus + 1, (size_t)(comma - plus - 1), &len) < 0 ||
		    off < next || len > UINT64_MAX - off)
			return -1;
		bs_rec_extent_add(r, off, len);
		next = off + len;
		p = comma;
		if (p < end && ++p == end)
			return -1;
	}
	return 0;
}

int bs_rec_parse(struct bs_rec *r, const char *p, size_t n, struct bs_err *e)
{
	struct cursor c = { p, p + n };
	const char *f;
	size_t fl;
	uint64_t v, tlen;
	const char *comma;

#define FIELD(what) \
	do { if (field(&c, &f, &fl) < 0) goto bad; } while (0)
#define NUM(dst) \
	do { FIELD(); if (bs_parse_u64(f, fl, &v) < 0) goto bad; dst = v; } while (0)

	FIELD();
	if (fl != 1 || !(bs_kind_ok(f[0]) || f[0] == 'i'))
		goto bad;
	r->kind = f[0];
	FIELD();
	v = 0;
	if (fl > 6)
		goto bad;
	for (size_t i = 0; i < fl; i++) {
		if (f[i] < '0' || f[i] > '7')
			goto bad;
		v = v * 8 + (uint64_t)(f[i] - '0');
	}
	if (v > 07777)
		goto bad;
	r->mode = (unsigned)v;
	NUM(r->uid);
	NUM(r->gid);
	FIELD();
	if (fl >= sizeof(r->uname))
		goto bad;
	memcpy(r->uname, f, fl);
	r->uname[fl] = '\0';
	if (!strcmp(r->uname, "-"))
		r->uname[0] = '\0';
	FIELD();
	if (fl >= sizeof(r->gname))
		goto bad;
	memcpy(r->gname, f, fl);
	r->gname[fl] = '\0';
	if (!strcmp(r->gname, "-"))
		r->gname[0] = '\0';
	NUM(r->size);
	FIELD();
	if (bs_time_parse(&r->mtime, f, fl) < 0)
		goto bad;
	FIELD();
	if (bs_time_parse(&r->ctime, f, fl) < 0)
		goto bad;
	NUM(r->dev);
	NUM(r->ino);
	NUM(r->nlink);
	FIELD();
	comma = memchr(f, ',', fl);
	if (!comma || bs_parse_u64(f, (size_t)(comma - f), &v) < 0 || v > UINT32_MAX)
		goto bad;
	r->rmajor = (uint32_t)v;
	if (bs_parse_u64(comma + 1, (size_t)(f + fl - comma - 1), &v) < 0 || v > UINT32_MAX)
		goto bad;
	r->rminor = (uint32_t)v;
	/* target: length ':' bytes SP */
	f = c.p;
	while (c.p < c.end && *c.p != ':')
		c.p++;
	if (c.p == c.end || bs_parse_u64(f, (size_t)(c.p - f), &tlen) < 0)
		goto bad;
	c.p++;
	if (tlen >= (uint64_t)(c.end - c.p) || c.p[tlen] != ' ')
		goto bad;
	bs_buf_reset(&r->target);
	bs_buf_add(&r->target, c.p, (size_t)tlen);
	c.p += tlen + 1;
	NUM(r->flags);
	FIELD();
	if (parse_xattrs(r, f, fl) < 0)
		goto bad;
	FIELD();
	if (parse_extents(r, f, fl) < 0)
		goto bad;
	if (c.p >= c.end || memchr(c.p, '\0', (size_t)(c.end - c.p)))
		goto bad;
	bs_buf_reset(&r->path);
	bs_buf_add(&r->path, c.p, (size_t)(c.end - c.p));
	if ((r->kind == 'l') != (tlen > 0))
		goto bad;
	if (r->extents.len) {
		uint64_t off, len;
		bs_rec_extent(r, bs_rec_nextents(r) - 1, &off, &len);
		if (r->kind != 'f' || off + len > r->size)
			goto bad;
	}
	return 0;
bad:
	return bs_err_set(e, BS_INPUT, "malformed record");
#undef FIELD
#undef NUM
}

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
	struct cursor c;
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
	    field(&c, &f, &n) < 0 || n != BS_HEX_LEN || bs_unhex(it->digest, f, n) < 0 ||
	    field(&c, &f, &n) < 0 || bs_parse_u64(f, n, &it->entries) < 0 ||
	    field(&c, &f, &n) < 0 || bs_parse_u64(f, n, &it->files) < 0 || it->files > it->entries ||
	    field(&c, &f, &n) < 0 || bs_parse_u64(f, n, &it->bytes) < 0 ||
	    field(&c, &f, &n) < 0 || bs_parse_u64(f, n, &it->ndirs) < 0 || it->ndirs > LISTING_DIRS_MAX ||
	    field(&c, &f, &n) < 0 || n >= sizeof(it->id) || c.p == c.end || *c.p != '/')
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
