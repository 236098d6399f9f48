/*
 * serve.h - the server end of a repository reached over ssh: what
 * bs-serve(1) decides and does for the client at the other end of its
 * standard input and output.
 *
 * A session is one request (wire.h) and its answer.  The server's own
 * settings come from its command line (an authorized_keys line), never
 * from the client:
 *
 *   s->append_only   expire is refused
 *   s->pinned        --host: the only host this key is (NULL: any)
 *   bs_serve_restrict(s, path, e)
 *                    --restrict-to-path: serve only repositories at the
 *                    real path of path or below it (may be repeated)
 *
 *   bs_serve_init(s, in, out)   reading requests and frames from fd in,
 *                               answering on fd out
 *   bs_serve_read_request(s, rq, e)
 *                    the request (bs_wire_read_request), and the real path
 *                    of its repository in s->real, if this key may use it
 *   bs_serve_tool(s, rq, x, e)
 *                    ls, cat, check and expire run the tool itself on the
 *                    repository: 1 and x->tool, x->argv (the client's
 *                    options that are allowed, in their full names, then
 *                    "--" and the operands; -r and, for a pinned key, -H
 *                    of the server's choosing) for the caller to exec with
 *                    standard input from /dev/null; 0 when the verb is not
 *                    one of those; -1 when the request is refused
 *   bs_serve_session(s, rq, e)
 *                    mirror, save or backup (the two in one): the exit
 *                    status (bs-index's for a save), or -1
 *   bs_serve_check_host(s, host, e)
 *                    0 when a pinned key may act as host, else -1
 *   bs_serve_release(s)
 *
 * The parts of a session (serve_mirror.c, serve_save.c), for the above:
 *   bs_serve_mirror(s, host, subset, pairs, npairs, e)
 *                    what bs-chunk reads of the repository, sent as F, G,
 *                    M and E frames: the config, the expiry record, the
 *                    summaries of the earlier backups of host and subset,
 *                    their metadata unless the client has it (pairs: id
 *                    and SHA-256 of the copy the client holds, 2 * npairs
 *                    strings), and the chunks they refer to that are gone
 *   bs_serve_refs(repo, id, digests, e)
 *                    the chunks backup id's sealed listings refer to, added
 *                    to digests (serve_delta.c)
 *   bs_serve_delta(s, repo, id, base, hex, digests, e)
 *                    for the mirror: backup id's metadata sent as a G frame,
 *                    what differs from backup base's, which the client
 *                    holds (hex: the SHA-256 of id's file here, for it to
 *                    name its copy by); the chunks id refers to added to
 *                    digests (serve_delta.c)
 *   bs_serve_save(s, host, subset, quiet, e)
 *                    bs-store | bs-index, fed from the client's frames
 *                    (F floor, D stream, H which chunks are here, T
 *                    stamps, Z end), answered with h and z frames
 *
 * Nothing is printed: errors come back in e; a connection lost after the
 * stream's trailer, which leaves a finished backup, is said through
 * s->warn(s->warn_arg, msg) before the status is returned.
 */
#ifndef BS_SERVE_H
#define BS_SERVE_H

#include <limits.h>
#include <stddef.h>
#include "err.h"
#include "io.h"
#include "wire.h"

struct bs_serve {
	char **restrict_to;
	size_t nrestrict;
	int append_only;
	const char *pinned;
	void (*warn)(void *arg, const char *msg);
	void *warn_arg;
	/* private */
	struct bs_reader in;
	int out;
	char real[PATH_MAX];
	struct bs_buf payload;
};

/* A tool to run for the client, and its arguments. */
struct bs_serve_exec {
	const char *tool;
	char **argv;
	/* private: what argv points to */
	char **owned;
	size_t nowned;
};

void bs_serve_init(struct bs_serve *s, int in, int out);
int bs_serve_restrict(struct bs_serve *s, const char *path, struct bs_err *e);
int bs_serve_read_request(struct bs_serve *s, struct bs_wire_request *rq, struct bs_err *e);
int bs_serve_tool(struct bs_serve *s, const struct bs_wire_request *rq, struct bs_serve_exec *x, struct bs_err *e);
void bs_serve_exec_release(struct bs_serve_exec *x);
int bs_serve_session(struct bs_serve *s, struct bs_wire_request *rq, struct bs_err *e);
int bs_serve_check_host(struct bs_serve *s, const char *host, struct bs_err *e);
void bs_serve_release(struct bs_serve *s);

int bs_serve_mirror(struct bs_serve *s, const char *host, const char *subset, char *const *pairs, int npairs,
		    struct bs_err *e);
struct bs_repo;
int bs_serve_refs(struct bs_repo *repo, const char *id, struct bs_buf *digests, struct bs_err *e);
int bs_serve_delta(struct bs_serve *s, struct bs_repo *repo, const char *id, const char *base, const char *hex,
		   struct bs_buf *digests, struct bs_err *e);
int bs_serve_save(struct bs_serve *s, const char *host, const char *subset, int quiet, struct bs_err *e);

#endif
