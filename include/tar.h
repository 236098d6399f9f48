/*
 * tar.h - writing GNU tar.
 *
 *   bs_tar_name(path, n, out, e)  the archive name of an absolute path:
 *                                 "/usr/bin" -> "usr/bin", "/" -> "./";
 *                                 refuses (BS_INPUT) a path with a "." or
 *                                 ".." component or an empty one
 *   bs_tar_header(w, rec, name, n, link, linkn, e)
 *       the header block(s) of one member: a GNU long-name record ('L') when
 *       the name does not fit in 100 bytes, a long-link record ('K') when the
 *       link target does not, then the ustar/GNU header.  `link` is the
 *       earlier archive name of a hard link (the member then carries no
 *       data, type '1'), or NULL.  Directories get a trailing '/'.  Numbers
 *       too large (or negative) for octal are written in base-256.  Sockets
 *       and unknown kinds are refused.  A regular file's data, rec->size
 *       bytes, must follow, then bs_tar_pad().
 *   bs_tar_member(w, rec, name, n, link, linkn, opts, e)
 *       the same, and with BS_TAR_PAX in opts a POSIX pax extended header
 *       ('x' member) before it for what a GNU header cannot carry: "mtime"
 *       when it has nanoseconds, each xattr as SCHILY.xattr.NAME (the
 *       binary system.posix_acl_access and _default as SCHILY.acl.access and
 *       SCHILY.acl.default in text instead), with BS_TAR_FFLAGS the inode
 *       flags as SCHILY.fflags, and a sparse file in GNU sparse format 1.0
 *       (GNU.sparse.* records; the header, named
 *       ./GNUSparseFile.0/BASE, is followed by the map, padded to a block).
 *       `link` may name the first member of any kind with several links
 *       (f, p, c, b): the member is then a hard link ('1'), with no data and
 *       no pax header.
 *       What follows: a regular file's data, bs_rec_datasize(rec) bytes
 *       (only the extents' bytes, concatenated) when bs_tar_sparse(rec,
 *       opts), else rec->size bytes, then bs_tar_pad() of that count.
 *   bs_tar_sparse(rec, opts)  is the member written in sparse format?
 *   bs_acl_text(p, n, out)  a binary POSIX ACL as "user::rw-,user:1000:r--,
 *                           group::r--,mask::r--,other::r--"; 0, or -1
 *   bs_fflags_text(flags, out)  the flags' libarchive names, comma
 *                           separated; 1, or 0 when none has a name
 *   bs_tar_data_begin(d, w, rec, opts), bs_tar_data_add(d, p, n),
 *   bs_tar_data_end(d, e)   a regular file's data after its header: the
 *                           bytes of its chunks in order (its extents'
 *                           bytes, for a sparse file), written as they come
 *                           or, for a sparse file not written sparse, with
 *                           its holes filled with zeros; _end checks that
 *                           they were bs_rec_datasize(rec) bytes (else -1,
 *                           BS_INPUT) and pads the member
 *   bs_tar_pad(w, size)     zeros to the next 512-byte boundary after size
 *   bs_tar_end(w)           two zero blocks, then zeros to a 10240-byte record
 *
 * Errors from the writer are sticky in `w` (io.h).
 */
#ifndef BS_TAR_H
#define BS_TAR_H

#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "io.h"
#include "record.h"

int bs_tar_name(const char *path, size_t n, struct bs_buf *out, struct bs_err *e);
int bs_tar_header(struct bs_writer *w, const struct bs_rec *rec, const char *name, size_t n,
		  const char *link, size_t linkn, struct bs_err *e);
enum { BS_TAR_PAX = 1, BS_TAR_FFLAGS = 2 };
int bs_tar_member(struct bs_writer *w, const struct bs_rec *rec, const char *name, size_t n,
		  const char *link, size_t linkn, int opts, struct bs_err *e);
int bs_tar_sparse(const struct bs_rec *rec, int opts);
int bs_acl_text(const unsigned char *p, size_t n, struct bs_buf *out);
int bs_fflags_text(uint64_t flags, struct bs_buf *out);
struct bs_tar_data {
	struct bs_writer *w;
	const struct bs_rec *rec;
	int expand;		/* fill the holes with zeros */
	size_t ext;		/* the extent being written */
	uint64_t done;		/* bytes of it written */
	uint64_t pos;		/* offset in the file reached */
	uint64_t total;		/* data bytes taken */
};

void bs_tar_data_begin(struct bs_tar_data *d, struct bs_writer *w, const struct bs_rec *rec, int opts);
void bs_tar_data_add(struct bs_tar_data *d, const void *p, size_t n);
int bs_tar_data_end(struct bs_tar_data *d, struct bs_err *e);
void bs_tar_pad(struct bs_writer *w, uint64_t size);
void bs_tar_end(struct bs_writer *w);

#endif
