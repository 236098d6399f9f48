/* rsave.c - bs-remote save: mirror, bs-chunk and push over one connection to bs-serve (rpush.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include "rfeed.h"
#include "rpush.h"
#include "spawn.h"
#include "wire.h"

/* What bs-walk writes while ssh connects, held for bs-chunk (and then the
 * walk waits, as on a pipe). */
#define FEED_CAP (64u << 20)

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The mirror, fetched over the connection of a "backup" request. */
static int fetch(struct bs_rsave *sv, struct bs_err *e)
{
	char *args[3 + 2 * BS_RCACHE_MAX] = { (char *)sv->host, (char *)sv->subset, sv->quiet ? "-q" : "-" };
	int nargs = 3, rc;

	sv->mirror.warn = sv->warn;
	sv->mirror.warn_arg = sv->warn_arg;
	/* ssh first: its handshake goes on while the cache is read */
	if (bs_rpush_start(&sv->push, sv->url, e) < 0 ||
	    bs_rmirror_prepare(&sv->mirror, sv->dir, sv->url, sv->host, sv->subset, sv->cache, args, &nargs, e) < 0 ||
	    bs_rpush_request(&sv->push, sv->url, "backup", nargs, args, e) < 0)
		return -1;
	rc = bs_wire_read_greeting(&sv->push.from, e);
	sv->push.greeted = 1;
	if (rc > 0)
		rc = bs_rmirror_receive(&sv->mirror, &sv->push.from, e);
	sv->t_mirror = since(&sv->t0);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return bs_rpush_gone(&sv->push, "the server hung up (see its message above)", e);
	return bs_rmirror_settle(&sv->mirror, e);
}

/* bs-chunk on the mirror, fed what was read ahead of our standard input: its pid, its output in *out. */
static pid_t start_chunk(struct bs_rsave *sv, struct bs_rfeed *feed, int *out, struct bs_err *e)
{
	char **argv = bs_xcalloc((size_t)sv->nchunk_args + 8, sizeof(*argv));
	int p[2], in[2];
	pid_t pid = -1;

	argv[0] = "bs-chunk";
	argv[1] = "-r";
	argv[2] = sv->dir;
	argv[3] = "-H";
	argv[4] = (char *)sv->host;
	argv[5] = "-s";
	argv[6] = (char *)sv->subset;
	for (int i = 0; i < sv->nchunk_args; i++)
		argv[7 + i] = sv->chunk_args[i];
	if (pipe2(in, O_CLOEXEC) < 0) {
		bs_err_sys(e, "cannot make a pipe");
	} else if (pipe2(p, O_CLOEXEC) < 0) {
		bs_err_sys(e, "cannot make a pipe");
		close(in[0]);
		close(in[1]);
	} else {
		pid = bs_spawn("bs-chunk", argv, in[0], p[1], e);
		close(in[0]);
		close(p[1]);
		if (pid < 0) {
			close(in[1]);
			close(p[0]);
		} else {
			*out = p[0];
			sv->held = bs_rfeed_held(feed);
			bs_rfeed_output(feed, in[1]);
		}
	}
	free(argv);
	return pid;
}

/*
 * save: mirror, bs-chunk and push in one: one connection to the server,
 * whose bs-serve backup prepares the mirror then runs the save.  bs-chunk
 * (with the caller's arguments) reads standard input against a private
 * mirror that is removed at the end.
 */
int bs_rsave(struct bs_rsave *sv, struct bs_err *e)
{
	const char *tmp = getenv("TMPDIR");
	struct bs_rfeed feed;
	struct bs_err ignored;
	int rc = -1, fd = -1, chunk_status;
	pid_t chunk;

	clock_gettime(CLOCK_MONOTONIC, &sv->t0);
	bs_rpush_init(&sv->push);
	memset(&sv->mirror, 0, sizeof(sv->mirror));
	sv->mirror.dfd = -1;
	sv->mirror.cache.fd = -1;
	snprintf(sv->dir, sizeof(sv->dir), "%s/bs-remote-mirror.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(sv->dir))
		return bs_err_sys(e, "cannot create a mirror in '%s'", tmp && *tmp ? tmp : "/tmp");
	/* the walk goes on while ssh connects and the mirror comes */
	if (bs_rfeed_start(&feed, 0, FEED_CAP, e) < 0) {
		bs_rmirror_remove(sv->dir);
		return -1;
	}
	if (fetch(sv, e) < 0 || (chunk = start_chunk(sv, &feed, &fd, e)) < 0)
		goto out;
	rc = bs_rpush_stream(&sv->push, fd, "bs-chunk's output", sv->dir, e);
	sv->t_end = since(&sv->t0);
	sv->t_sent = (double)(sv->push.sent_at.tv_sec - sv->t0.tv_sec) +
		     (double)(sv->push.sent_at.tv_nsec - sv->t0.tv_nsec) / 1e9;
	close(fd);
	chunk_status = bs_spawn_wait(chunk);
	if (chunk_status >= 128)
		chunk_status = BS_SYS;
	if (rc >= 0 && chunk_status > rc)
		rc = chunk_status;
out:
	bs_rfeed_finish(&feed, &ignored);
	bs_rmirror_release(&sv->mirror);
	bs_rmirror_remove(sv->dir);
	return rc;
}
