/* serve_save.c - bs-serve's save: bs-store | bs-index fed from the client's frames (serve.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "chunk.h"
#include "record.h"
#include "repo.h"
#include "serve.h"
#include "spawn.h"
#include "stream.h"

struct save {
	struct bs_serve *s;
	struct bs_repo repo;
	struct bs_time start;
	int to_store, from_index;	/* bs-store's input, bs-index's output */
	pid_t store, index;
	int header, broken;
	struct bs_buf answer;
};

/* The client's floor ("-": none), then the stream's header and floor for bs-store. */
static int floor_frame(struct save *v, const struct bs_buf *p, struct bs_err *e)
{
	struct bs_time floor = v->start;
	struct bs_writer head;
	struct bs_err ignored;

	if (strcmp(p->p, "-")) {
		struct bs_time f;
		if (bs_time_parse(&f, p->p, p->len) < 0)
			return bs_err_set(e, BS_INPUT, "bad floor '%s'", p->p);
		if (bs_time_cmp(f, floor) < 0)
			floor = f;
	}
	bs_writer_init(&head, v->to_store, "bs-store's input");
	bs_stream_header(&head, BS_STREAM_CHUNKS);
	bs_stream_floor(&head, floor);
	if (bs_writer_flush(&head, &ignored) < 0)
		v->broken = 1;
	free(head.buf);
	v->header = 1;
	return 0;
}

/* H: which of these chunks are here?  Those that are are stamped now. */
static int has_frame(struct save *v, const struct bs_buf *p, struct bs_err *e)
{
	struct bs_time now = bs_now();
	struct bs_err why;

	if (p->len % BS_DIGEST_LEN)
		return bs_err_set(e, BS_INPUT, "malformed H frame");
	bs_buf_reset(&v->answer);
	for (size_t i = 0; i < p->len; i += BS_DIGEST_LEN) {
		int rc = bs_chunk_touch(&v->repo, (unsigned char *)p->p + i, now, &why);
		if (rc < 0 && why.code != BS_INPUT) {
			*e = why;
			return -1;
		}
		bs_buf_addc(&v->answer, rc == 0 ? '1' : '0');
	}
	if (bs_frame_write(v->s->out, 'h', 0, v->answer.p, v->answer.len) < 0)
		return bs_err_sys(e, "cannot write to the client");
	return 0;
}

/* T: stamp these chunks (bs-chunk refreshed them in the mirror) with this time. */
static int touch_frame(struct save *v, const struct bs_buf *p, struct bs_err *e)
{
	struct bs_time t;
	char *nl = memchr(p->p, '\n', p->len);
	size_t off = nl ? (size_t)(nl - p->p) + 1 : 0;

	if (!nl || bs_time_parse(&t, p->p, (size_t)(nl - p->p)) < 0 || (p->len - off) % BS_DIGEST_LEN)
		return bs_err_set(e, BS_INPUT, "malformed T frame");
	for (size_t i = off; i < p->len; i += BS_DIGEST_LEN) {
		if (bs_chunk_touch(&v->repo, (unsigned char *)p->p + i, t, e) < 0) {
			/* the backup must not be recorded complete */
			kill(v->store, SIGTERM);
			return -1;
		}
	}
	return 0;
}

/* The client's frames up to Z: 1 at Z, 0 when the connection was lost first, -1. */
static int frames(struct save *v, struct bs_err *e)
{
	struct bs_buf *p = &v->s->payload;
	struct bs_err ignored;
	uint64_t n, count;
	int type, rc;

	while (!v->broken) {
		rc = bs_frame_read(&v->s->in, &type, &n, &count, p, &ignored);
		if (rc <= 0)
			return 0;
		if (type == 'Z')
			return 1;
		if (type == 'F' && !v->header) {
			rc = floor_frame(v, p, e);
		} else if (!v->header) {
			kill(v->store, SIGTERM);
			rc = bs_err_set(e, BS_INPUT, "the client sent '%c' before its floor", type);
		} else if (type == 'D') {
			v->broken = bs_write_full(v->to_store, p->p, p->len) < 0;
		} else if (type == 'H') {
			rc = has_frame(v, p, e);
		} else if (type == 'T') {
			rc = touch_frame(v, p, e);
		} else {
			kill(v->store, SIGTERM);
			rc = bs_err_set(e, BS_INPUT, "unknown frame '%c'", type);
		}
		if (rc < 0)
			return -1;
	}
	return 1;
}

/* bs-store -r path | bs-index -r path -H host -s subset [-q], their ends in v. */
static int start_tools(struct save *v, const char *host, const char *subset, int quiet, struct bs_err *e)
{
	char *store_argv[] = { "bs-store", "-r", v->s->real, NULL };
	char *index_argv[] = { "bs-index", "-r", v->s->real, "-H", (char *)host, "-s", (char *)subset,
			       quiet ? "-q" : NULL, NULL };
	int p1[2], p2[2], p3[2];

	if (pipe2(p1, O_CLOEXEC) < 0)
		return bs_err_sys(e, "cannot make a pipe");
	if (pipe2(p2, O_CLOEXEC) < 0) {
		close(p1[0]);
		close(p1[1]);
		return bs_err_sys(e, "cannot make a pipe");
	}
	if (pipe2(p3, O_CLOEXEC) < 0) {
		close(p1[0]);
		close(p1[1]);
		close(p2[0]);
		close(p2[1]);
		return bs_err_sys(e, "cannot make a pipe");
	}
	v->store = bs_spawn("bs-store", store_argv, p1[0], p2[1], e);
	v->index = v->store < 0 ? -1 : bs_spawn("bs-index", index_argv, p2[0], p3[1], e);
	close(p1[0]);
	close(p2[0]);
	close(p2[1]);
	close(p3[1]);
	v->to_store = p1[1];
	v->from_index = p3[0];
	return v->index < 0 ? -1 : 0;
}

/* The last line of bs-index's output: the backup's id. */
static void last_line(const struct bs_buf *out, const char **id, int *len)
{
	size_t n = out->len;

	*id = out->len ? out->p : "";
	while (n && out->p[n - 1] == '\n')
		n--;
	*len = (int)n;
	for (size_t i = n; i > 0; i--)
		if (out->p[i - 1] == '\n') {
			*id = out->p + i;
			*len = (int)(n - i);
			break;
		}
}

/* Reading what bs-index writes, waiting for both tools: their status; then z, or the lost connection said. */
static int finish(struct save *v, int lost, struct bs_err *e)
{
	struct bs_buf out = BS_BUF_INIT;
	char buf[4096];
	const char *id;
	int status, len;
	ssize_t got;

	close(v->to_store);
	v->to_store = -1;
	while ((got = read(v->from_index, buf, sizeof(buf))) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		bs_buf_add(&out, buf, (size_t)got);
	}
	status = bs_spawn_worst(bs_spawn_wait(v->store), bs_spawn_wait(v->index));
	if (lost) {
		/* what bs-index made of it: the trailer (and the stamps before
		 * it) may have come before the connection went */
		if (status > BS_PARTIAL) {
			status = bs_err_set(e, BS_SYS, "the connection was lost: the backup is left unfinished");
		} else if (v->s->warn) {
			struct bs_buf msg = BS_BUF_INIT;
			last_line(&out, &id, &len);
			bs_buf_addf(&msg, "the connection was lost after the stream's end: backup '%.*s' is recorded finished",
				    len, id);
			v->s->warn(v->s->warn_arg, msg.p);
			bs_buf_release(&msg);
		}
	} else if (bs_frame_write(v->s->out, 'z', (uint64_t)status + 1, out.p, out.len) < 0) {
		status = bs_err_sys(e, "cannot write to the client");
	}
	bs_buf_release(&out);
	return status;
}

/*
 * save HOST SUBSET [-q]: bs-store | bs-index here, fed with the chunk
 * stream the client sends in D frames, after a header and an F line
 * written here when the client's F frame gives its floor.  H frames ask
 * which chunks are here (and stamp those that are: the client then sends
 * an R line instead of the bytes); T frames stamp chunks that bs-chunk
 * refreshed on the client.  Z ends it.  A connection lost before the
 * stream's trailer leaves bs-store a stream cut short, so bs-index
 * records the backup as unfinished; one lost after it, before Z, leaves a
 * finished backup, and bs-index's status.
 */
int bs_serve_save(struct bs_serve *s, const char *host, const char *subset, int quiet, struct bs_err *e)
{
	struct save v;
	int rc;

	memset(&v, 0, sizeof(v));
	v.s = s;
	v.to_store = v.from_index = -1;
	bs_buf_init(&v.answer);
	if (bs_serve_check_host(s, host, e) < 0 || bs_repo_open(&v.repo, s->real, e) < 0)
		return -1;
	rc = bs_repo_lock(&v.repo, BS_LOCK_SHARED, e);
	/* Chunks found here are stamped with the time of the asking, no
	 * earlier than this start: the floor written for bs-store is no later
	 * than it, nor than the client's (its F frame). */
	v.start = bs_now();
	if (rc == 0)
		rc = start_tools(&v, host, subset, quiet, e);
	if (rc == 0)
		rc = frames(&v, e);
	if (rc >= 0)
		rc = finish(&v, rc == 0, e);
	if (v.to_store >= 0)
		close(v.to_store);
	if (v.from_index >= 0)
		close(v.from_index);
	bs_buf_release(&v.answer);
	bs_repo_close(&v.repo);
	return rc;
}
