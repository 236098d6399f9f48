/* record.c - formatting and parsing one metadata record. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"
#include "record.h"

void bs_rec_init(struct bs_rec *r)
{
	memset(r, 0, sizeof(*r));
	bs_buf_init(&r->target);
	bs_buf_init(&r->path);
}

void bs_rec_release(struct bs_rec *r)
{
	bs_buf_release(&r->target);
	bs_buf_release(&r->path);
}

void bs_rec_copy(struct bs_rec *dst, const struct bs_rec *src)
{
	struct bs_buf t = dst->target, p = dst->path;

	*dst = *src;
	dst->target = t;
	dst->path = p;
	bs_buf_reset(&dst->target);
	bs_buf_add(&dst->target, src->target.p, src->target.len);
	bs_buf_reset(&dst->path);
	bs_buf_add(&dst->path, src->path.p, src->path.len);
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

	bs_buf_grow(b, 160 + r->target.len + pathlen);
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
	bs_buf_addc(b, ' ');
	bs_buf_add(b, path, pathlen);
	bs_buf_addc(b, '\0');
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
	if (c.p >= c.end || memchr(c.p, '\0', (size_t)(c.end - c.p)))
		goto bad;
	bs_buf_reset(&r->path);
	bs_buf_add(&r->path, c.p, (size_t)(c.end - c.p));
	if ((r->kind == 'l') != (tlen > 0))
		goto bad;
	return 0;
bad:
	return bs_err_set(e, BS_INPUT, "malformed record");
#undef FIELD
#undef NUM
}

