/*
 * rpush.h - the client end of a backup over ssh: a chunk stream sent to
 * bs-serve's save (bs-remote(1) push), and mirror, bs-chunk and push over
 * one connection (bs-remote(1) save).
 *
 * Push holds up to BS_RPUSH_CHUNKS chunks or BS_RPUSH_BYTES of the stream
 * at a time, asks the server in one round trip (H, h) which of those
 * chunks it has, and sends the batch in D frames with an R line for each
 * chunk it has and the bytes of the others; a chunk sent (or found there)
 * once is not asked about again.  The stream before a batch's first chunk
 * needs no answer: it goes in BS_RPUSH_EAGER pieces as it comes (all of a
 * tree that did not change).  At the stream's end it sends the stamps
 * bs-chunk made in the mirror (T frames, from MIRROR/mirror-touched),
 * then the trailer, then Z, and reads bs-index's output and status (z).
 *
 *   bs_rpush_init(p)
 *   (the server's version, its first frame, is checked before the first
 *   answer is read: wire.h; p->greeted once it was, by whoever read it)
 *   bs_rpush_connect(p, url, verb, argc, args, e)
 *        start ssh and bs-serve (remote.h) and send the request; or the
 *        two halves: bs_rpush_start(p, url, e), then
 *        bs_rpush_request(p, url, verb, argc, args, e)
 *   bs_rpush_stream(p, fd, what, mirror, e)
 *        read a chunk stream from fd (named what in messages) and push it
 *        as above (mirror: the mirror directory whose stamps to send, or
 *        NULL); returns the status bs-serve gives, bs-index's, with what
 *        bs-index printed in p->out; or -1.  A chunk stream that ends
 *        badly is still ended cleanly (no trailer: the backup is recorded
 *        unfinished), its error kept in p->in_err (code 0: none), for the
 *        caller to report after p->out.
 *   bs_rpush_release(p)
 *
 *   bs_rsave(sv, e)
 *        bs-remote save: a private mirror in $TMPDIR (or /tmp), fetched
 *        with sv->cache (or none) over the connection of a "backup"
 *        request, bs-chunk -r MIRROR -H host -s subset sv->chunk_args on
 *        our standard input, its stream pushed; the mirror removed.  The
 *        connection starts first, and standard input is read ahead
 *        (rfeed.h) until bs-chunk runs: the walk, ssh's handshake and
 *        the mirror's fetch overlap.
 *        Returns the worse of bs-index's status and bs-chunk's, with
 *        sv->push as for bs_rpush_stream; or -1.
 *
 * When the server ended the session having said why (on its standard
 * error, which ssh carries to ours), the error's message is empty and its
 * code is the server's status: the caller exits with it, adding nothing.
 * Counters for BS_REMOTE_STATS: p->sent_chunks, p->sent_bytes,
 * p->skipped_chunks, p->skipped_bytes; p->sent_at, when the stream was all
 * sent.
 */
#ifndef BS_RPUSH_H
#define BS_RPUSH_H

#include <stdint.h>
#include <time.h>
#include "buf.h"
#include "err.h"
#include "hash.h"
#include "io.h"
#include "record.h"
#include "remote.h"
#include "rmirror.h"

#define BS_RPUSH_CHUNKS 1024
#define BS_RPUSH_BYTES (16u << 20)
#define BS_RPUSH_EAGER (64u << 10)

struct bs_rpush_piece;

struct bs_rpush {
	struct bs_remote_conn c;
	struct bs_reader from;
	uint64_t sent_chunks, skipped_chunks, sent_bytes, skipped_bytes;
	struct bs_buf out;
	struct bs_err in_err;
	struct timespec sent_at;	/* when the stream was all sent (Z) */
	/* private */
	struct bs_buf text;		/* the batch, serialized */
	struct bs_rpush_piece *v;
	size_t n, cap, nchunks;
	struct bs_buf reply;
	int greeted;			/* the server's V frame was read */
	/* digests already sent (or found there) in this run: sorted runs */
	unsigned char *known;
	size_t nknown, knowncap;
};

struct bs_rsave {
	const struct bs_remote_url *url;
	const char *host, *subset, *cache;
	int quiet;
	int nchunk_args;
	char **chunk_args;
	void (*warn)(void *arg, const char *msg);	/* the cache's trouble */
	void *warn_arg;
	struct bs_rpush push;
	/* for reports: seconds from the start to the mirror fetched, to the
	 * stream all sent, and to the server's answer; bytes of the walk read
	 * ahead by the time the mirror was there */
	double t_mirror, t_sent, t_end;
	uint64_t held;
	/* private */
	struct timespec t0;
	struct bs_rmirror mirror;
	char dir[4096];
};

void bs_rpush_init(struct bs_rpush *p);
int bs_rpush_connect(struct bs_rpush *p, const struct bs_remote_url *url, const char *verb, int argc, char **args,
		     struct bs_err *e);
int bs_rpush_start(struct bs_rpush *p, const struct bs_remote_url *url, struct bs_err *e);
int bs_rpush_request(struct bs_rpush *p, const struct bs_remote_url *url, const char *verb, int argc, char **args,
		     struct bs_err *e);
int bs_rpush_stream(struct bs_rpush *p, int fd, const char *what, const char *mirror, struct bs_err *e);
void bs_rpush_release(struct bs_rpush *p);
/* The server has gone: its status, said (see above), or why. */
int bs_rpush_gone(struct bs_rpush *p, const char *why, struct bs_err *e);

int bs_rsave(struct bs_rsave *sv, struct bs_err *e);

#endif
