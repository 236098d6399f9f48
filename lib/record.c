/* record.c - formatting and parsing one metadata record: its fields, xattrs and extents. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"
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
	struct bs_cursor c = { p, p + n };
	const char *f;
	size_t fl;
	uint64_t v, tlen;
	const char *comma;

#define FIELD(what) \
	do { if (bs_cursor_field(&c, &f, &fl) < 0) goto bad; } while (0)
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

