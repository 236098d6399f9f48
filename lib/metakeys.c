/* metakeys.c - the directories a backup's metadata holds, in path order. */
#include <gdbm.h>
#include <stdlib.h>
#include <string.h>
#include "metakeys.h"

int bs_path_order(const char *a, size_t an, const char *b, size_t bn)
{
	size_t n = an < bn ? an : bn;

	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x == y)
			continue;
		/* '/' ends a component: it sorts before every other byte */
		if (x == '/')
			return -1;
		if (y == '/')
			return 1;
		return x < y ? -1 : 1;
	}
	return an < bn ? -1 : an > bn;
}

static int by_path(const void *x, const void *y)
{
	const struct bs_buf *a = x, *b = y;
	return bs_path_order(a->p, a->len, b->p, b->len);
}

int bs_meta_keys(struct bs_meta_reader *m, struct bs_buf **out, size_t *nout, struct bs_err *e)
{
	GDBM_FILE db = m->db;
	struct bs_buf *v = NULL;
	size_t n = 0, cap = 0;
	datum k, next;

	*out = NULL;
	*nout = 0;
	k = gdbm_firstkey(db);
	while (k.dptr) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = bs_xrealloc(v, cap * sizeof(*v));
		}
		bs_buf_init(&v[n]);
		bs_buf_add(&v[n], k.dptr, (size_t)k.dsize);
		n++;
		next = gdbm_nextkey(db, k);
		free(k.dptr);
		k = next;
	}
	if (gdbm_errno != GDBM_ITEM_NOT_FOUND && gdbm_errno != GDBM_NO_ERROR) {
		bs_meta_keys_free(v, n);
		return bs_err_set(e, BS_INPUT, "cannot read the metadata of '%s': %s", m->id, gdbm_strerror(gdbm_errno));
	}
	if (n)
		qsort(v, n, sizeof(*v), by_path);
	*out = v;
	*nout = n;
	return 0;
}

void bs_meta_keys_free(struct bs_buf *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bs_buf_release(&v[i]);
	free(v);
}
