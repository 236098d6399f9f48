/* serve.c - bs-serve's session: the request, which repository this key may use, and which verb runs (serve.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "serve.h"

void bs_serve_init(struct bs_serve *s, int in, int out)
{
	memset(s, 0, sizeof(*s));
	bs_reader_init(&s->in, in, "the client");
	s->out = out;
	bs_buf_init(&s->payload);
}

void bs_serve_release(struct bs_serve *s)
{
	for (size_t i = 0; i < s->nrestrict; i++)
		free(s->restrict_to[i]);
	free(s->restrict_to);
	s->restrict_to = NULL;
	s->nrestrict = 0;
	bs_reader_release(&s->in);
	bs_buf_release(&s->payload);
}

int bs_serve_restrict(struct bs_serve *s, const char *path, struct bs_err *e)
{
	char r[PATH_MAX];

	if (!realpath(path, r))
		return bs_err_set(e, BS_USAGE, "cannot use '%s' for --restrict-to-path: %s", path, strerror(errno));
	s->restrict_to = bs_xrealloc(s->restrict_to, (s->nrestrict + 1) * sizeof(*s->restrict_to));
	s->restrict_to[s->nrestrict++] = bs_xstrdup(r);
	return 0;
}

/* The repository the client asked for, if this key may use it: its real path in s->real. */
static int check_path(struct bs_serve *s, const char *path, struct bs_err *e)
{
	char q[256];

	if (!realpath(path, s->real))
		return bs_err_set(e, BS_INPUT, "cannot open repository '%s': %s",
				  bs_quote(path, strlen(path), q, sizeof(q)), strerror(errno));
	if (!s->nrestrict)
		return 0;
	for (size_t i = 0; i < s->nrestrict; i++) {
		size_t n = strlen(s->restrict_to[i]);
		if (!strncmp(s->real, s->restrict_to[i], n) && (s->real[n] == '\0' || s->real[n] == '/' || n == 1))
			return 0;
	}
	return bs_err_set(e, BS_USAGE, "repository '%s' is not one this key may use (--restrict-to-path)",
			  bs_quote(path, strlen(path), q, sizeof(q)));
}

int bs_serve_read_request(struct bs_serve *s, struct bs_wire_request *rq, struct bs_err *e)
{
	if (bs_wire_read_request(&s->in, rq, e) < 0)
		return -1;
	return check_path(s, rq->path, e);
}

/* A pinned key (--host) is that host, and no other. */
int bs_serve_check_host(struct bs_serve *s, const char *host, struct bs_err *e)
{
	char q[128];

	if (s->pinned && strcmp(host, s->pinned))
		return bs_err_set(e, BS_USAGE, "this key is host '%s' (--host), not '%s'", s->pinned,
				  bs_quote(host, strlen(host), q, sizeof(q)));
	return 0;
}

/* mirror HOST SUBSET [ID SHA256]... */
static int mirror(struct bs_serve *s, int argc, char **args, struct bs_err *e)
{
	if (argc < 2 || argc % 2)
		return bs_err_set(e, BS_USAGE,
				  "mirror takes a host, a subset, and pairs of a backup's id and its metadata's digest");
	return bs_serve_mirror(s, args[0], args[1], args + 2, (argc - 2) / 2, e);
}

/* save HOST SUBSET [-q] */
static int save(struct bs_serve *s, int argc, char **args, struct bs_err *e)
{
	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(args[2], "-q")))
		return bs_err_set(e, BS_USAGE, "save takes a host, a subset and -q");
	return bs_serve_save(s, args[0], args[1], argc == 3, e);
}

int bs_serve_session(struct bs_serve *s, struct bs_wire_request *rq, struct bs_err *e)
{
	char **args = rq->args;

	/* these answer in frames: the first says this end's version */
	if ((!strcmp(rq->verb, "mirror") || !strcmp(rq->verb, "save") || !strcmp(rq->verb, "backup")) &&
	    bs_wire_greet(s->out) < 0)
		return bs_err_sys(e, "cannot write to the client");

	if (!strcmp(rq->verb, "mirror"))
		return mirror(s, rq->argc, args, e) < 0 ? -1 : 0;
	if (!strcmp(rq->verb, "save"))
		return save(s, rq->argc, args, e);
	if (!strcmp(rq->verb, "backup")) {
		/* mirror, then save, in one session: HOST SUBSET -q|- [ID SHA256]... */
		if (rq->argc < 3 || (strcmp(args[2], "-q") && strcmp(args[2], "-")))
			return bs_err_set(e, BS_USAGE, "backup takes a host, a subset, -q or -, and pairs");
		if (rq->argc % 2 == 0)
			return bs_err_set(e, BS_USAGE, "mirror takes a host, a subset, and pairs of a backup's id and "
					  "its metadata's digest");
		if (bs_serve_mirror(s, args[0], args[1], args + 3, (rq->argc - 3) / 2, e) < 0)
			return -1;
		return bs_serve_save(s, args[0], args[1], !strcmp(args[2], "-q"), e);
	}
	return bs_err_set(e, BS_USAGE, "unknown request '%s'", rq->verb);
}
