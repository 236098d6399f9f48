/* wire.c - the request that opens a session with bs-serve, and the frames that follow (wire.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"
#include "wire.h"

#ifndef BS_VERSION
#define BS_VERSION "unknown"
#endif
#define STR2(x) #x
#define STR(x) STR2(x)
#define MAGIC BS_WIRE_MAGIC " " STR(BS_WIRE_VERSION) " " BS_VERSION
#define OURS "protocol " STR(BS_WIRE_VERSION) " (backshift " BS_VERSION ")"

int bs_wire_request(int fd, const char *verb, const char *path, int argc, char *const *argv, struct bs_err *e)
{
	struct bs_buf b = BS_BUF_INIT;
	int rc = 0;

	bs_buf_add(&b, MAGIC, sizeof(MAGIC));
	bs_buf_add(&b, verb, strlen(verb) + 1);
	bs_buf_add(&b, path, strlen(path) + 1);
	bs_buf_addf(&b, "%d", argc);
	bs_buf_addc(&b, '\0');
	for (int i = 0; i < argc; i++)
		bs_buf_add(&b, argv[i], strlen(argv[i]) + 1);
	if (bs_write_full(fd, b.p, b.len) < 0)
		rc = bs_err_sys(e, "cannot send a request to the server");
	bs_buf_release(&b);
	return rc;
}

/* One NUL-terminated field of the request, into a string of its own. */
static int field(struct bs_reader *r, char **out, const char *what, struct bs_err *e)
{
	struct bs_buf b = BS_BUF_INIT;
	int rc = bs_reader_until(r, '\0', &b, e);

	if (rc <= 0) {
		bs_buf_release(&b);
		return rc < 0 ? -1 : bs_err_set(e, BS_INPUT, "the request ends before its %s", what);
	}
	*out = b.cap ? b.p : bs_xstrdup("");
	return 0;
}

/* "version[ SP suite]": the version, the suite in *suite (or ""); -1 when it is not that. */
static long version_of(const char *p, const char **suite)
{
	long v = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((v = v * 10 + (*p - '0')) > 1000000)
			return -1;
	if (*p && *p != ' ')
		return -1;
	*suite = *p ? p + 1 : "";
	return v;
}

/* The other end's version, said with both when it is not ours. */
static int other_version(const char *who, long v, const char *suite, struct bs_err *e)
{
	const char *mine = !strcmp(who, "the client") ? "this server" : "this client";
	char q[64];

	if (v == BS_WIRE_VERSION)
		return 0;
	if (*suite)
		return bs_err_set(e, BS_INPUT, "%s speaks protocol %ld (backshift %s), %s " OURS
				  ": use the same version of backshift at both ends", who, v,
				  bs_quote(suite, strlen(suite), q, sizeof(q)), mine);
	return bs_err_set(e, BS_INPUT, "%s speaks protocol %ld (an older backshift), %s " OURS
			  ": use the same version of backshift at both ends", who, v, mine);
}

/* The request's first field: "bs-serve" SP version [SP suite]. */
static int check_magic(const char *magic, struct bs_err *e)
{
	const char *suite;
	long v;

	if (strncmp(magic, BS_WIRE_MAGIC " ", sizeof(BS_WIRE_MAGIC)) ||
	    (v = version_of(magic + sizeof(BS_WIRE_MAGIC), &suite)) < 0)
		return bs_err_set(e, BS_INPUT, "not a backshift client (its request does not start 'bs-serve VERSION')");
	return other_version("the client", v, suite, e);
}

int bs_wire_greet(int fd)
{
	char v[64];

	snprintf(v, sizeof(v), "%d %s", BS_WIRE_VERSION, BS_VERSION);
	return bs_frame_write(fd, 'V', 0, v, strlen(v));
}

int bs_wire_read_greeting(struct bs_reader *r, struct bs_err *e)
{
	struct bs_buf p = BS_BUF_INIT;
	const char *suite;
	uint64_t n, count;
	int type, rc = bs_frame_read(r, &type, &n, &count, &p, e);
	long v;

	if (rc > 0 && (type != 'V' || (v = version_of(p.p, &suite)) < 0))
		rc = bs_err_set(e, BS_INPUT, "the server did not say its protocol version: not a bs-serve of "
				OURS);
	else if (rc > 0 && other_version("the server", v, suite, e) < 0)
		rc = -1;
	bs_buf_release(&p);
	return rc;
}

int bs_wire_read_request(struct bs_reader *r, struct bs_wire_request *rq, struct bs_err *e)
{
	char *magic = NULL, *num = NULL;
	uint64_t nargs;
	int rc = -1;

	memset(rq, 0, sizeof(*rq));
	if (field(r, &magic, "header", e) < 0)
		goto out;
	if (check_magic(magic, e) < 0)
		goto out;
	if (field(r, &rq->verb, "verb", e) < 0 || field(r, &rq->path, "repository", e) < 0 ||
	    field(r, &num, "argument count", e) < 0)
		goto out;
	if (bs_parse_u64(num, strlen(num), &nargs) < 0 || nargs > 4096) {
		bs_err_set(e, BS_INPUT, "bad argument count in the request");
		goto out;
	}
	rq->args = bs_xcalloc((size_t)nargs + 1, sizeof(*rq->args));
	for (; rq->argc < (int)nargs; rq->argc++)
		if (field(r, &rq->args[rq->argc], "arguments", e) < 0)
			goto out;
	rc = 0;
out:
	free(magic);
	free(num);
	return rc;
}

void bs_wire_request_release(struct bs_wire_request *rq)
{
	for (int i = 0; i < rq->argc; i++)
		free(rq->args[i]);
	free(rq->args);
	free(rq->verb);
	free(rq->path);
	memset(rq, 0, sizeof(*rq));
}

int bs_frame_write(int fd, int type, uint64_t count, const void *p, size_t n)
{
	char head[64];
	int len = count ? snprintf(head, sizeof(head), "%c %" PRIu64 " %zu\n", type, count, n)
			: snprintf(head, sizeof(head), "%c %zu\n", type, n);

	if (bs_write_full(fd, head, (size_t)len) < 0 || (n && bs_write_full(fd, p, n) < 0))
		return -1;
	return 0;
}

int bs_frame_read(struct bs_reader *r, int *type, uint64_t *n, uint64_t *count, struct bs_buf *payload,
		  struct bs_err *e)
{
	struct bs_buf line = BS_BUF_INIT;
	char *sp, *sp2;
	int rc = bs_reader_until(r, '\n', &line, e);

	if (rc <= 0) {
		bs_buf_release(&line);
		return rc;
	}
	*n = *count = 0;
	if (line.len < 1 || (line.len > 1 && line.p[1] != ' '))
		goto bad;
	*type = (unsigned char)line.p[0];
	if (line.len > 1) {
		sp = line.p + 2;
		sp2 = strchr(sp, ' ');
		if (sp2) {
			if (bs_parse_u64(sp, (size_t)(sp2 - sp), count) < 0)
				goto bad;
			sp = sp2 + 1;
		}
		if (bs_parse_u64(sp, strlen(sp), n) < 0 || *n > BS_FRAME_MAX)
			goto bad;
	}
	bs_buf_release(&line);
	bs_buf_reset(payload);
	if (*n) {
		bs_buf_grow(payload, (size_t)*n);
		if (bs_reader_exact(r, payload->p, (size_t)*n, e) < 0)
			return -1;
		payload->len = (size_t)*n;
		payload->p[payload->len] = '\0';
	}
	return 1;
bad:
	bs_buf_release(&line);
	return bs_err_set(e, BS_INPUT, "malformed frame from the other end");
}
