/* tar.c - GNU tar headers: long names, base-256 numbers, padding. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "tar.h"

#define BLOCK 512
#define RECORD 10240

int bs_tar_name(const char *path, size_t n, struct bs_buf *out, struct bs_err *e)
{
	size_t i = 0;

	bs_buf_reset(out);
	if (n == 0 || path[0] != '/')
		return bs_err_set(e, BS_INPUT, "path '%.200s' is not absolute", path);
	if (n == 1) {
		bs_buf_adds(out, "./");
		return 0;
	}
	while (i < n) {
		size_t j;
		i++;	/* the slash */
		j = i;
		while (j < n && path[j] != '/')
			j++;
		if (j == i || (j - i == 1 && path[i] == '.') ||
		    (j - i == 2 && path[i] == '.' && path[i + 1] == '.'))
			return bs_err_set(e, BS_INPUT, "path '%.200s' has an empty, '.' or '..' component", path);
		if (out->len)
			bs_buf_addc(out, '/');
		bs_buf_add(out, path + i, j - i);
		i = j;
	}
	return 0;
}

/* A number in a field of w bytes: octal with a NUL when it fits in w-1
 * digits, else GNU base-256 (two's complement for negative values). */
static void number(char *field, size_t w, int64_t v)
{
	uint64_t max = 1;

	for (size_t i = 0; i < w - 1; i++)
		max *= 8;
	if (v >= 0 && (uint64_t)v < max) {
		char tmp[32];
		snprintf(tmp, sizeof(tmp), "%0*" PRIo64, (int)(w - 1), (uint64_t)v);
		memcpy(field, tmp, w - 1);
		field[w - 1] = '\0';
		return;
	}
	{
		uint64_t u = (uint64_t)v;
		for (size_t i = w; i-- > 1;) {
			field[i] = (char)(u & 0xff);
			u >>= 8;
			if (v < 0)
				u |= 0xff00000000000000ull;
		}
		field[0] = (char)(v < 0 ? 0xff : 0x80);
	}
}

static void unumber(char *field, size_t w, uint64_t v)
{
	if (v > INT64_MAX) {
		/* only base-256 can carry it; the first byte is the marker */
		memset(field, 0, w);
		field[0] = (char)0x80;
		for (size_t i = w; i-- > 1 && v;) {
			field[i] = (char)(v & 0xff);
			v >>= 8;
		}
		return;
	}
	number(field, w, (int64_t)v);
}

static void checksum(char *h)
{
	unsigned sum = 0;

	memset(h + 148, ' ', 8);
	for (int i = 0; i < BLOCK; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

static void gnu_magic(char *h)
{
	memcpy(h + 257, "ustar  ", 8);	/* "ustar " then " \0" */
}

/* A ././@LongLink member of type t carrying s (with its NUL). */
static void long_member(struct bs_writer *w, int t, const char *s, size_t n)
{
	char h[BLOCK];

	memset(h, 0, sizeof(h));
	strcpy(h, "././@LongLink");
	number(h + 100, 8, 0644);
	number(h + 108, 8, 0);
	number(h + 116, 8, 0);
	unumber(h + 124, 12, n + 1);
	number(h + 136, 12, 0);
	h[156] = (char)t;
	gnu_magic(h);
	strcpy(h + 265, "root");
	strcpy(h + 297, "root");
	checksum(h);
	bs_writer_add(w, h, BLOCK);
	bs_writer_add(w, s, n);
	bs_writer_addc(w, 0);
	bs_tar_pad(w, n + 1);
}

int bs_tar_header(struct bs_writer *w, const struct bs_rec *rec, const char *name, size_t n,
		  const char *link, size_t linkn, struct bs_err *e)
{
	char h[BLOCK], type;
	struct bs_buf full = BS_BUF_INIT;
	uint64_t size = 0;

	switch (rec->kind) {
	case 'f': type = link ? '1' : '0'; size = link ? 0 : rec->size; break;
	case 'd': type = '5'; break;
	case 'l': type = '2'; link = rec->target.p; linkn = rec->target.len; break;
	case 'p': type = '6'; break;
	case 'c': type = '3'; break;
	case 'b': type = '4'; break;
	default:
		return bs_err_set(e, BS_INPUT, "cannot put '%.200s' of kind '%c' in a tar archive", name, rec->kind);
	}
	if (link && linkn == 0)
		return bs_err_set(e, BS_INPUT, "'%.200s' has an empty link target", name);
	bs_buf_add(&full, name, n);
	if (type == '5' && (full.len == 0 || full.p[full.len - 1] != '/'))
		bs_buf_addc(&full, '/');
	if (full.len > 100)
		long_member(w, 'L', full.p, full.len);
	if (link && linkn > 100)
		long_member(w, 'K', link, linkn);

	memset(h, 0, sizeof(h));
	memcpy(h, full.p, full.len > 100 ? 100 : full.len);
	number(h + 100, 8, rec->mode & 07777);
	unumber(h + 108, 8, rec->uid);
	unumber(h + 116, 8, rec->gid);
	unumber(h + 124, 12, size);
	number(h + 136, 12, rec->mtime.sec);
	h[156] = type;
	if (link)
		memcpy(h + 157, link, linkn > 100 ? 100 : linkn);
	gnu_magic(h);
	if (strlen(rec->uname) < 32)
		memcpy(h + 265, rec->uname, strlen(rec->uname));
	if (strlen(rec->gname) < 32)
		memcpy(h + 297, rec->gname, strlen(rec->gname));
	if (type == '3' || type == '4') {
		number(h + 329, 8, rec->rmajor);
		number(h + 337, 8, rec->rminor);
	}
	checksum(h);
	bs_writer_add(w, h, BLOCK);
	bs_buf_release(&full);
	return 0;
}

void bs_tar_pad(struct bs_writer *w, uint64_t size)
{
	static const char zeros[BLOCK];
	size_t r = (size_t)(size % BLOCK);

	if (r)
		bs_writer_add(w, zeros, BLOCK - r);
}

void bs_tar_end(struct bs_writer *w)
{
	static const char zeros[RECORD];
	uint64_t total;

	bs_writer_add(w, zeros, 2 * BLOCK);
	total = w->written;
	/* zeros up to a whole record, as tar itself writes */
	if (total % RECORD)
		bs_writer_add(w, zeros, RECORD - (size_t)(total % RECORD));
}
