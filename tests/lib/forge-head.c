/* forge-head.c - give the first listing in a backup's metadata a head that disagrees with its text (a wrong records digest), its digest and seal made right again: what only a writer's mistake makes. */
#include <gdbm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "value.h"

int main(int argc, char **argv)
{
	struct bs_codec_ctx ctx;
	struct bs_buf text = BS_BUF_INIT;
	struct bs_meta_head h;
	struct bs_hash hh;
	struct bs_err e;
	GDBM_FILE db;
	datum k, v;

	if (argc != 2 || !(db = gdbm_open(argv[1], 0, GDBM_WRITER, 0, NULL)))
		return fprintf(stderr, "usage: forge-head METADATA (writable)\n"), 3;
	bs_codec_ctx_init(&ctx);
	for (k = gdbm_firstkey(db); k.dptr; ) {
		unsigned char *p;
		size_t headlen;
		datum next;
		v = gdbm_fetch(db, k);
		if (!v.dptr || bs_value_text(&ctx, v.dptr, (size_t)v.dsize, &text, &h, &e) < 0) {
			free(v.dptr);
			next = gdbm_nextkey(db, k);
			free(k.dptr);
			k = next;
			continue;
		}
		p = (unsigned char *)v.dptr;
		headlen = BS_VALUE_HEAD_FIXED + h.nrefs * BS_DIGEST_LEN;
		p[1 + BS_DIGEST_LEN] ^= 1;	/* the records digest */
		bs_hash_init(&hh);
		bs_hash_update(&hh, p + 1 + BS_DIGEST_LEN, headlen - 1 - BS_DIGEST_LEN);
		bs_hash_update(&hh, text.p, text.len);
		bs_hash_final(&hh, p + 1);
		bs_hash_release(&hh);
		bs_sha256(p, (size_t)v.dsize - BS_DIGEST_LEN, p + v.dsize - BS_DIGEST_LEN);
		if (gdbm_store(db, k, v, GDBM_REPLACE))
			return fprintf(stderr, "forge-head: cannot store\n"), 3;
		printf("%.*s\n", k.dsize, k.dptr);
		free(v.dptr);
		free(k.dptr);
		bs_buf_release(&text);
		bs_codec_ctx_release(&ctx);
		gdbm_close(db);
		return 0;
	}
	fprintf(stderr, "forge-head: no listing\n");
	return 3;
}
