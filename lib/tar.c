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

/* One pax record, "LEN key=value\n", LEN counting itself. */
static void pax_add(struct bs_buf *b, const char *key, const char *v, size_t vn)
{
	size_t body = 1 + strlen(key) + 1 + vn + 1, len = body, digits;
	char tmp[24];

	for (;;) {
		digits = (size_t)snprintf(tmp, sizeof(tmp), "%zu", len);
		if (body + digits == len)
			break;
		len = body + digits;
	}
	bs_buf_addf(b, "%zu %s=", len, key);
	bs_buf_add(b, v, vn);
	bs_buf_addc(b, '\n');
}

static void pax_adds(struct bs_buf *b, const char *key, const char *v)
{
	pax_add(b, key, v, strlen(v));
}

/* sec.nsec as a decimal number, negative times included */
static void pax_time(struct bs_buf *b, const char *key, struct bs_time t)
{
	char v[48];

	if (t.sec < 0 && t.nsec)
		snprintf(v, sizeof(v), "-%" PRIu64 ".%09" PRIu32, (uint64_t)(-(t.sec + 1)), 1000000000u - t.nsec);
	else
		snprintf(v, sizeof(v), "%" PRId64 ".%09" PRIu32, t.sec, t.nsec);
	pax_adds(b, key, v);
}

/*
 * A POSIX ACL in its binary xattr form (system.posix_acl_access or
 * _default: a version, then tag, permissions and id for each entry) in the
 * short text form GNU tar and bsdtar both read:
 * "user::rw-,user:1000:r--,group::r--,mask::r--,other::r--".  Ids stay
 * numbers.  Returns 0, or -1 when the value is not such an ACL.
 */
int bs_acl_text(const unsigned char *p, size_t n, struct bs_buf *out)
{
	bs_buf_reset(out);
	if (n < 4 || (n - 4) % 8 || (p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24) != 2)
		return -1;
	for (size_t i = 4; i < n; i += 8) {
		unsigned tag = p[i] | p[i + 1] << 8, perm = p[i + 2] | p[i + 3] << 8;
		uint32_t id = p[i + 4] | p[i + 5] << 8 | p[i + 6] << 16 | (uint32_t)p[i + 7] << 24;
		const char *name;
		int qual = 0;

		switch (tag) {
		case 0x01: name = "user"; break;
		case 0x02: name = "user"; qual = 1; break;
		case 0x04: name = "group"; break;
		case 0x08: name = "group"; qual = 1; break;
		case 0x10: name = "mask"; break;
		case 0x20: name = "other"; break;
		default: return -1;
		}
		if (out->len)
			bs_buf_addc(out, ',');
		bs_buf_adds(out, name);
		bs_buf_addc(out, ':');
		if (qual)
			bs_buf_addf(out, "%" PRIu32, id);
		bs_buf_addf(out, ":%c%c%c", perm & 4 ? 'r' : '-', perm & 2 ? 'w' : '-', perm & 1 ? 'x' : '-');
	}
	return 0;
}

/* Linux inode flags by the names libarchive gives them (SCHILY.fflags) */
static const struct {
	uint32_t bit;
	const char *name;
} fflag_names[] = {
	{ 0x00000020, "sappnd" },	/* FS_APPEND_FL */
	{ 0x00000010, "schg" },		/* FS_IMMUTABLE_FL */
	{ 0x00000040, "nodump" },	/* FS_NODUMP_FL */
	{ 0x00000080, "noatime" },	/* FS_NOATIME_FL */
	{ 0x00000008, "sync" },		/* FS_SYNC_FL */
	{ 0x00010000, "dirsync" },	/* FS_DIRSYNC_FL */
	{ 0x00000001, "secdel" },	/* FS_SECRM_FL */
	{ 0x00000002, "undel" },	/* FS_UNRM_FL */
	{ 0x00020000, "topdir" },	/* FS_TOPDIR_FL */
	{ 0x20000000, "projinherit" },	/* FS_PROJINHERIT_FL */
};

int bs_fflags_text(uint64_t flags, struct bs_buf *out)
{
	bs_buf_reset(out);
	for (size_t i = 0; i < sizeof(fflag_names) / sizeof(*fflag_names); i++)
		if (flags & fflag_names[i].bit) {
			if (out->len)
				bs_buf_addc(out, ',');
			bs_buf_adds(out, fflag_names[i].name);
		}
	return out->len ? 1 : 0;
}

int bs_tar_sparse(const struct bs_rec *rec, int opts)
{
	return (opts & BS_TAR_PAX) && rec->kind == 'f' && rec->extents.len;
}

/* The GNU sparse 1.0 map: entry count, then offset and length of each,
 * one decimal a line, padded with zeros to a whole block. */
static void sparse_map(const struct bs_rec *rec, struct bs_buf *map)
{
	size_t n = bs_rec_nextents(rec), entries = n;
	uint64_t off = 0, len = 0;

	bs_rec_extent(rec, n - 1, &off, &len);
	if (off + len < rec->size)
		entries++;	/* a hole at the end: an empty extent at the size */
	bs_buf_addf(map, "%zu\n", entries);
	for (size_t i = 0; i < n; i++) {
		bs_rec_extent(rec, i, &off, &len);
		bs_buf_addf(map, "%" PRIu64 "\n%" PRIu64 "\n", off, len);
	}
	if (entries > n)
		bs_buf_addf(map, "%" PRIu64 "\n0\n", rec->size);
	while (map->len % BLOCK)
		bs_buf_addc(map, '\0');
}

/* The last component of an archive name, without a trailing slash */
static void base_of(const char *name, size_t n, const char **b, size_t *bn)
{
	while (n > 1 && name[n - 1] == '/')
		n--;
	*b = name + n;
	while (*b > name && (*b)[-1] != '/')
		(*b)--;
	*bn = (size_t)(name + n - *b);
}

/* An extended header ('x') member carrying the pax records in `pax` */
static void pax_member(struct bs_writer *w, const struct bs_rec *rec, const char *name, size_t n,
		       const struct bs_buf *pax)
{
	char h[BLOCK];
	const char *b;
	size_t bn;

	memset(h, 0, sizeof(h));
	base_of(name, n, &b, &bn);
	memcpy(h, "./PaxHeaders/", 13);
	memcpy(h + 13, b, bn > 87 ? 87 : bn);
	number(h + 100, 8, 0644);
	number(h + 108, 8, 0);
	number(h + 116, 8, 0);
	unumber(h + 124, 12, pax->len);
	number(h + 136, 12, rec->mtime.sec);
	h[156] = 'x';
	gnu_magic(h);
	checksum(h);
	bs_writer_add(w, h, BLOCK);
	bs_writer_add(w, pax->p, pax->len);
	bs_tar_pad(w, pax->len);
}

/* The pax records a member needs beyond its GNU header; a sparse file's
 * map goes into `map`. */
static void pax_records(const struct bs_rec *rec, const char *name, size_t n, int link, int opts,
			struct bs_buf *pax, struct bs_buf *map)
{
	struct bs_buf xn = BS_BUF_INIT, xv = BS_BUF_INIT, t = BS_BUF_INIT, key = BS_BUF_INIT;
	size_t pos = 0;

	if (link)
		return;		/* a hard link takes all from its first name */
	if (rec->mtime.nsec)
		pax_time(pax, "mtime", rec->mtime);
	while (bs_xattr_next(rec, &pos, &xn, &xv)) {
		if (!strcmp(xn.p, "system.posix_acl_access") || !strcmp(xn.p, "system.posix_acl_default")) {
			if (bs_acl_text((const unsigned char *)xv.p, xv.len, &t) == 0 && t.len)
				pax_add(pax, xn.p[17] == 'a' ? "SCHILY.acl.access" : "SCHILY.acl.default", t.p, t.len);
			continue;
		}
		if (memchr(xn.p, '=', xn.len) || memchr(xn.p, '\0', xn.len) || memchr(xn.p, '\n', xn.len))
			continue;	/* no pax keyword can carry such a name */
		bs_buf_reset(&key);
		bs_buf_adds(&key, "SCHILY.xattr.");
		bs_buf_add(&key, xn.p, xn.len);
		pax_add(pax, key.p, xv.p, xv.len);
	}
	if ((opts & BS_TAR_FFLAGS) && bs_fflags_text(rec->flags, &t))
		pax_add(pax, "SCHILY.fflags", t.p, t.len);
	if (bs_tar_sparse(rec, opts)) {
		char num[24];
		pax_adds(pax, "GNU.sparse.major", "1");
		pax_adds(pax, "GNU.sparse.minor", "0");
		pax_add(pax, "GNU.sparse.name", name, n);
		snprintf(num, sizeof(num), "%" PRIu64, rec->size);
		pax_adds(pax, "GNU.sparse.realsize", num);
		sparse_map(rec, map);
	}
	bs_buf_release(&xn);
	bs_buf_release(&xv);
	bs_buf_release(&t);
	bs_buf_release(&key);
}

int bs_tar_header(struct bs_writer *w, const struct bs_rec *rec, const char *name, size_t n,
		  const char *link, size_t linkn, struct bs_err *e)
{
	return bs_tar_member(w, rec, name, n, link, linkn, 0, e);
}

int bs_tar_member(struct bs_writer *w, const struct bs_rec *rec, const char *name, size_t n,
		  const char *link, size_t linkn, int opts, struct bs_err *e)
{
	char h[BLOCK], type;
	struct bs_buf full = BS_BUF_INIT, pax = BS_BUF_INIT, map = BS_BUF_INIT;
	uint64_t size = 0;
	int hardlink = link != NULL;

	switch (rec->kind) {
	case 'f': type = '0'; size = rec->size; break;
	case 'd': type = '5'; hardlink = 0; break;
	case 'l': type = '2'; hardlink = 0; link = rec->target.p; linkn = rec->target.len; break;
	case 'p': type = '6'; break;
	case 'c': type = '3'; break;
	case 'b': type = '4'; break;
	default:
		return bs_err_set(e, BS_INPUT, "cannot put '%.200s' of kind '%c' in a tar archive", name, rec->kind);
	}
	if (hardlink) {
		type = '1';
		size = 0;
	}
	if (link && linkn == 0)
		return bs_err_set(e, BS_INPUT, "'%.200s' has an empty link target", name);
	bs_buf_add(&full, name, n);
	if (type == '5' && (full.len == 0 || full.p[full.len - 1] != '/'))
		bs_buf_addc(&full, '/');
	if (opts & BS_TAR_PAX)
		pax_records(rec, full.p, full.len, hardlink, opts, &pax, &map);
	if (pax.len)
		pax_member(w, rec, full.p, full.len, &pax);
	if (map.len) {
		/* the real name is in GNU.sparse.name; the header's is GNU tar's
		 * placeholder, short enough for the header */
		const char *b;
		size_t bn;
		base_of(full.p, full.len, &b, &bn);
		bs_buf_reset(&full);
		bs_buf_adds(&full, "./GNUSparseFile.0/");
		bs_buf_add(&full, b, bn > 80 ? 80 : bn);
		size = map.len + bs_rec_datasize(rec);
	}
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
	if (map.len)
		memcpy(h + 257, "ustar\00000", 8);	/* GNU tar reads sparse 1.0 only from POSIX headers */
	else
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
	if (map.len)
		bs_writer_add(w, map.p, map.len);
	bs_buf_release(&full);
	bs_buf_release(&pax);
	bs_buf_release(&map);
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

static void zeros_out(struct bs_writer *w, uint64_t n)
{
	static const char zeros[65536];

	while (n) {
		size_t k = n > sizeof(zeros) ? sizeof(zeros) : (size_t)n;
		bs_writer_add(w, zeros, k);
		n -= k;
	}
}

void bs_tar_data_begin(struct bs_tar_data *d, struct bs_writer *w, const struct bs_rec *rec, int opts)
{
	memset(d, 0, sizeof(*d));
	d->w = w;
	d->rec = rec;
	d->expand = rec->extents.len && !bs_tar_sparse(rec, opts);
}

void bs_tar_data_add(struct bs_tar_data *d, const void *p, size_t n)
{
	const char *c = p;

	d->total += n;
	if (!d->expand) {
		bs_writer_add(d->w, p, n);
		return;
	}
	while (n && d->ext < bs_rec_nextents(d->rec)) {
		uint64_t off, len, k;
		bs_rec_extent(d->rec, d->ext, &off, &len);
		if (d->pos < off) {
			zeros_out(d->w, off - d->pos);
			d->pos = off;
		}
		k = len - d->done < n ? len - d->done : n;
		bs_writer_add(d->w, c, (size_t)k);
		c += k;
		n -= (size_t)k;
		d->done += k;
		d->pos += k;
		if (d->done == len) {
			d->ext++;
			d->done = 0;
		}
	}
}

int bs_tar_data_end(struct bs_tar_data *d, struct bs_err *e)
{
	uint64_t want = bs_rec_datasize(d->rec);

	if (d->total != want)
		return bs_err_set(e, BS_INPUT, "its chunks hold %" PRIu64 " bytes, not %" PRIu64, d->total, want);
	if (d->expand) {
		if (d->pos < d->rec->size)
			zeros_out(d->w, d->rec->size - d->pos);
		bs_tar_pad(d->w, d->rec->size);
	} else {
		bs_tar_pad(d->w, want);
	}
	return 0;
}
