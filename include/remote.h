/*
 * remote.h - repositories on another machine, reached over ssh: their
 * names (remote_url.c), and a session with bs-serve(1) there (remote.c;
 * what is said in it is wire.h's).
 *
 * Naming (bs-serve.1, REPOSITORY NAMES):
 *   ssh://[user@]host[:port]/path    path absolute on the server
 *   [user@]host:path                 scp style: only when the part before
 *                                    the first ':' is not empty and holds
 *                                    no '/' ("./a:b" is a local path);
 *                                    path relative to the login directory
 *                                    unless it starts with '/'
 *
 *   bs_remote_parse(name, url, e)   1 and *url filled when name is remote,
 *                                   0 when it is a local path, -1 (BS_USAGE)
 *                                   when it is a malformed ssh:// name
 *   bs_remote_start(url, c, e)      run $BACKSHIFT_RSH (split into words as
 *                                   a shell would, without expansions;
 *                                   "ssh" when unset) [-p port] [user@]host
 *                                   $BACKSHIFT_SERVE (default "bs-serve"):
 *                                   c->to (write) and c->from (read) are
 *                                   its stdin and stdout, c->pid its pid
 *                                   (zero *c first)
 *                                   (-1 when it cannot be started)
 *   bs_remote_request(c, verb, path, argc, argv, e)
 *                                   send the request that opens a session
 *                                   (bs_wire_request)
 *   bs_remote_finish(c, e)          close both ends and wait: the exit
 *                                   status of the ssh command (255 and a
 *                                   BS_SYS error when ssh itself failed or
 *                                   a signal killed it)
 *   bs_remote_run(url, verb, argc, argv, e)
 *                                   a request whose answer is the output of
 *                                   a tool run on the server: its stdout
 *                                   and stderr are ours; returns its exit
 *                                   status, or -1
 *   bs_remote_divert(argc, argv, verb, e)
 *                                   for a tool's main: when its -r names a
 *                                   remote repository, run the tool there
 *                                   (bs_remote_run, the -r option left out)
 *                                   and return its status; -2 when -r is
 *                                   local (or absent), -1 on error
 *   bs_shell_split(s, out, &nwords, e)
 *                                   split a command line into words as
 *                                   sh(1) would, quotes and backslashes
 *                                   included but no expansions; the words
 *                                   are NUL-separated in out
 */
#ifndef BS_REMOTE_H
#define BS_REMOTE_H

#include <stdint.h>
#include <sys/types.h>
#include "buf.h"
#include "err.h"
#include "io.h"

struct bs_remote_url {
	char user[128];
	char host[256];
	char port[16];			/* "" for the default */
	char path[4096];
};

struct bs_remote_conn {
	pid_t pid;
	int to, from;
	int inherit_stdout;		/* set before start: ssh writes to our
					   stdout, and from is -1 */
};

int bs_remote_parse(const char *name, struct bs_remote_url *url, struct bs_err *e);
int bs_remote_start(const struct bs_remote_url *url, struct bs_remote_conn *c, struct bs_err *e);
int bs_remote_request(struct bs_remote_conn *c, const char *verb, const char *path, int argc,
		      char *const *argv, struct bs_err *e);
int bs_remote_finish(struct bs_remote_conn *c, struct bs_err *e);
int bs_remote_run(const struct bs_remote_url *url, const char *verb, int argc, char *const *argv,
		  struct bs_err *e);
int bs_remote_divert(int argc, char **argv, const char *verb, struct bs_err *e);
int bs_shell_split(const char *s, struct bs_buf *out, size_t *nwords, struct bs_err *e);

#endif
