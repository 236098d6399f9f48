/*
 * record.h - one metadata record: its text in the streams and listings.
 *
 * struct bs_rec is one record.  bs_rec_format() appends its text, NUL
 * included, to a buffer; bs_rec_parse() parses one record (the bytes
 * before the NUL) and returns 0, or -1 with a BS_INPUT error.  The path
 * and the symlink target are held in their own buffers and may contain any
 * byte but NUL.
 *
 * The streams that carry records (struct bs_stream, bs_item) are in
 * stream.h, which this header includes.
 */
#ifndef BS_RECORD_H
#define BS_RECORD_H

#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "io.h"

#define BS_DIGEST_LEN 32
#define BS_HEX_LEN 64

struct bs_rec {
	char kind;		/* f d l p c b */
	unsigned mode;		/* permission bits, 07777 */
	uint64_t uid, gid;
	char uname[33], gname[33];	/* "" when unknown */
	uint64_t size;
	struct bs_time mtime, ctime;
	uint64_t dev, ino, nlink;
	uint32_t rmajor, rminor;
	struct bs_buf target;	/* symlink target */
	uint64_t flags;		/* Linux inode flags (FS_IOC_GETFLAGS), 0 when none */
	struct bs_buf xattrs;	/* the xattrs field as written, "" for "-":
				   hexname=hexvalue,... sorted by name */
	struct bs_buf extents;	/* a sparse file's data extents: pairs of
				   uint64_t (offset, length), ascending; empty
				   when the file is not sparse */
	struct bs_buf path;
};

void bs_rec_init(struct bs_rec *r);
void bs_rec_release(struct bs_rec *r);
void bs_rec_copy(struct bs_rec *dst, const struct bs_rec *src);
void bs_rec_format(struct bs_buf *b, const struct bs_rec *r);
/* the same with another path in its place (a listing's bare names) */
void bs_rec_format_as(struct bs_buf *b, const struct bs_rec *r, const char *path, size_t pathlen);
/* "R <hex> <size>\n", or with 'C' for `type`, a chunk line */
void bs_ref_format(struct bs_buf *b, int type, const unsigned char *digest, uint64_t size);
/* "P <hex> <offset> <length>\n" */
void bs_piece_format(struct bs_buf *b, const unsigned char *digest, uint64_t offset, uint64_t length);
int bs_rec_parse(struct bs_rec *r, const char *p, size_t n, struct bs_err *e);
int bs_kind_ok(int c);

/*
 * Extended attributes and sparse extents of a record.
 *   bs_xattr_add(r, name, nlen, value, vlen)  append one xattr; names must
 *                                 come in byte order (the caller sorts)
 *   bs_xattr_next(r, &pos, name, value)  the next xattr from pos (start at
 *                                 0) decoded into name and value (a NUL is
 *                                 kept after each); 1, or 0 at the end
 *   bs_xattr_get(r, name, value)  1 and the value of `name`, or 0
 *   bs_rec_nextents(r), bs_rec_extent(r, i, &off, &len)
 *   bs_rec_extent_add(r, off, len)
 *   bs_rec_datasize(r)            the bytes a file's chunks carry: the sum
 *                                 of its extents' lengths when it is sparse,
 *                                 else its size
 */
void bs_xattr_add(struct bs_rec *r, const char *name, size_t nlen, const void *value, size_t vlen);
int bs_xattr_next(const struct bs_rec *r, size_t *pos, struct bs_buf *name, struct bs_buf *value);
int bs_xattr_get(const struct bs_rec *r, const char *name, struct bs_buf *value);
size_t bs_rec_nextents(const struct bs_rec *r);
void bs_rec_extent(const struct bs_rec *r, size_t i, uint64_t *off, uint64_t *len);
void bs_rec_extent_add(struct bs_rec *r, uint64_t off, uint64_t len);
uint64_t bs_rec_datasize(const struct bs_rec *r);

/* Parse n decimal digits (nothing else) into *out; 0, or -1 on overflow. */
int bs_parse_u64(const char *p, size_t n, uint64_t *out);
/* Parse "sec.nsec" (sec may be negative); returns 0 or -1. */
int bs_time_parse(struct bs_time *t, const char *p, size_t n);

/* Hex digests. bs_hex() writes 64 chars and a NUL; bs_unhex() returns 0 or -1. */
void bs_hex(char *out, const unsigned char *digest);
int bs_unhex(unsigned char *digest, const char *hex, size_t n);

#include "stream.h"

#endif
