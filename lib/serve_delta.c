/* serve_delta.c - a backup's metadata sent to a client's mirror as what differs from a backup it holds (serve.h). */
#include <gdbm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "meta.h"
#include "record.h"
#include "serve.h"
#include "value.h"

/* The chunks a stored listing refers to, when it is as it was written. */
static void add_refs(const char *p, size_t n, struct bs_buf *digests)
{
	struct bs_meta_head h;

	if (bs_value_parse(p, n, &h) == 0 && bs_meta_sealed(&h))
		bs_buf_add(digests, h.refs, h.nrefs * BS_DIGEST_LEN);
}

/* P's keys and values against C's: S for each set, D for each gone; *count: P's keys. */
static void diff(GDBM_FILE p, GDBM_FILE c, struct bs_buf *out, struct bs_buf *digests, uint64_t *count)
{
	gdbm_count_t nc = 0;
	uint64_t shared = 0;
	datum key, next;

	*count = 0;
	for (key = gdbm_firstkey(p); key.dptr; key = next) {
		datum v = gdbm_fetch(p, key), w = gdbm_fetch(c, key);
		if (v.dptr) {
			(*count)++;
			add_refs(v.dptr, (size_t)v.dsize, digests);
			if (w.dptr)
				shared++;
			if (!w.dptr || w.dsize != v.dsize || memcmp(w.dptr, v.dptr, (size_t)v.dsize)) {
				bs_buf_addf(out, "S %d %d\n", key.dsize, v.dsize);
				bs_buf_add(out, key.dptr, (size_t)key.dsize);
				bs_buf_add(out, v.dptr, (size_t)v.dsize);
			}
		}
		free(v.dptr);
		free(w.dptr);
		next = gdbm_nextkey(p, key);
		free(key.dptr);
	}
	/* C's keys that P lacks: none when it has as many as P shares */
	if (gdbm_count(c, &nc) == 0 && nc == shared)
		return;
	for (key = gdbm_firstkey(c); key.dptr; key = next) {
		if (!gdbm_exists(p, key)) {
			bs_buf_addf(out, "D %d\n", key.dsize);
			bs_buf_add(out, key.dptr, (size_t)key.dsize);
		}
		next = gdbm_nextkey(c, key);
		free(key.dptr);
	}
}

/*
 * The metadata of backup id as a G frame: what differs from that of
 * backup base, which the client holds (the SHA-256 of its copy matched the
 * file here); hex is the SHA-256 of id's file here, for the client to name
 * it by next time.  The chunks id refers to are added to digests.
 *
 *   payload = name base NUL hex NUL count NUL *entry
 *   entry   = "S" SP klen SP vlen LF key value / "D" SP klen LF key
 */
int bs_serve_delta(struct bs_serve *s, struct bs_repo *repo, const char *id, const char *base, const char *hex,
		   struct bs_buf *digests, struct bs_err *e)
{
	struct bs_meta_reader p, c;
	struct bs_buf out = BS_BUF_INIT, body = BS_BUF_INIT;
	char name[300];
	uint64_t count;
	int rc = -1;

	if (bs_meta_open(&p, repo, id, e) < 0)
		return -1;
	if (bs_meta_open(&c, repo, base, e) < 0) {
		bs_meta_release(&p);
		return -1;
	}
	diff(p.db, c.db, &body, digests, &count);
	snprintf(name, sizeof(name), "backups/%.255s/metadata", id);
	bs_buf_adds(&out, name);
	bs_buf_add(&out, base, strlen(base) + 1);
	bs_buf_add(&out, hex, strlen(hex) + 1);
	bs_buf_addf(&out, "%llu", (unsigned long long)count);
	bs_buf_addc(&out, '\0');
	bs_buf_add(&out, body.p, body.len);
	bs_buf_release(&body);
	if (out.len > BS_FRAME_MAX)
		bs_err_set(e, BS_SYS, "the metadata of backup '%s' differs from '%s' by more than a frame holds", id, base);
	else if (bs_frame_write(s->out, 'G', strlen(name), out.p, out.len) < 0)
		bs_err_sys(e, "cannot write to the client");
	else
		rc = 0;
	bs_buf_release(&out);
	bs_meta_release(&p);
	bs_meta_release(&c);
	return rc;
}
