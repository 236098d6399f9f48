/*
 * metakeys.h - every directory a backup's metadata holds a listing of.
 *
 *   bs_meta_keys(m, &v, &n, e)
 *       the keys of m's database (directory paths; "" is the record of "/"
 *       itself), sorted with bs_path_order(), in one array of n bs_bufs
 *       (free with bs_meta_keys_free(v, n)).  Reads the database whole,
 *       decompressing nothing.
 *   bs_path_order(a, an, b, bn)
 *       paths compared component by component, names in byte order: a
 *       directory sorts before everything below it, and "/a/b" before "/a.b"
 */
#ifndef BS_METAKEYS_H
#define BS_METAKEYS_H

#include <stddef.h>
#include "buf.h"
#include "err.h"
#include "meta.h"

int bs_meta_keys(struct bs_meta_reader *m, struct bs_buf **v, size_t *n, struct bs_err *e);
void bs_meta_keys_free(struct bs_buf *v, size_t n);
int bs_path_order(const char *a, size_t an, const char *b, size_t bn);

#endif
