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
void bs_tar_pad(struct bs_writer *w, uint64_t size);
void bs_tar_end(struct bs_writer *w);

#endif
