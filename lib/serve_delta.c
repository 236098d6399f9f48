/* serve_delta.c - a backup's metadata read for a client's mirror: the chunks it refers to, and what differs from a backup the client holds (serve.h). */
#include <fcntl.h>
#include <gdbm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "repo.h"
#include "record.h"
#include "serve.h"
#include "value.h"

/*
 * Backup id's metadata, read through here rather than metaread.c: mapped,
 * as these passes read every value once (a reader of listings reads some,
 * and maps nothing lest its memory grow with the file); not mapped, and
 * unlocked, while a backup is still writing it.
 */
static GDBM_FILE open_meta(struct bs_repo *repo, const char *id, struct bs_err *e)
{
	char path[300];
	int fd;
	GDBM_FILE db;

	snprintf(path, sizeof(path), "backups/%.255s/metadata", id);
	fd = openat(repo->dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bs_err_sys(e, "cannot open the metadata of '%s'", id), NULL;
	db = gdbm_fd_open(fd, path, 0, GDBM_READER, NULL);
	if (!db && gdbm_errno == GDBM_CANT_BE_READER)
		db = gdbm_fd_open(fd, path, 0, GDBM_READER | GDBM_NOLOCK | GDBM_NOMMAP, NULL);
	if (!db) {
		close(fd);
		bs_err_set(e, BS_INPUT, "cannot read the metadata of '%s': %s", id, gdbm_strerror(gdbm_errno));
	}
	return db;
}

/* The chunks a stored listing refers to, when it is as it was written. */
static void add_refs(const char *p, size_t n, struct bs_buf *digests)
{
	struct bs_meta_head h;

	if (bs_value_parse(p, n, &h) == 0 && bs_meta_sealed(&h))
		bs_buf_add(digests, h.refs, h.nrefs * BS_DIGEST_LEN);
}

int bs_serve_refs(struct bs_repo *repo, const char *id, struct bs_buf *digests, struct bs_err *e)
{
	GDBM_FILE db = open_meta(repo, id, e);
	datum key, next;

	if (!db)
		return -1;
	for (key = gdbm_firstkey(db); key.dptr; key = next) {
		datum v = gdbm_fetch(db, key);
		if (v.dptr)
			add_refs(v.dptr, (size_t)v.dsize, digests);
		free(v.dptr);
		next = gdbm_nextkey(db, key);
		free(key.dptr);
	}
	gdbm_close(db);
	return 0;
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
	GDBM_FILE p, c;
	struct bs_buf out = BS_BUF_INIT, body = BS_BUF_INIT;
	char name[300];
	uint64_t count;
	int rc = -1;

	if (!(p = open_meta(repo, id, e)))
		return -1;
	if (!(c = open_meta(repo, base, e))) {
		gdbm_close(p);
		return -1;
	}
	diff(p, c, &body, digests, &count);
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
	gdbm_close(p);
	gdbm_close(c);
	return rc;
}
