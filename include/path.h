/*
 * path.h - absolute, clean paths (path.c).
 *
 *   bs_path_clean(in, n, out, e)   an absolute, clean path into out: the
 *                                  current directory is put before a
 *                                  relative one; "//", "." and ".." are
 *                                  folded lexically.  0, or -1 (an empty
 *                                  path: BS_INPUT)
 *   bs_path_split(p, n, &dirlen, &base, &baselen)
 *                                  the directory (the directory of "/x" is
 *                                  "/") and the last component
 *   bs_path_covers(a, an, d, dn)   is the directory a the same as d or
 *                                  above it?
 */
#ifndef BS_PATH_H
#define BS_PATH_H

#include <stddef.h>
#include "buf.h"
#include "err.h"

int bs_path_clean(const char *in, size_t n, struct bs_buf *out, struct bs_err *e);
void bs_path_split(const char *p, size_t n, size_t *dirlen, const char **base, size_t *baselen);
int bs_path_covers(const char *a, size_t an, const char *d, size_t dn);

#endif
