/*
 * rfeed.h - a stream read ahead into memory on a thread, then passed on:
 * what bs-remote save reads of bs-walk while ssh connects and the mirror
 * comes, so that the walk goes on meanwhile, for bs-chunk once it runs.
 *
 * The thread reads the input as fast as it comes, holding up to `cap`
 * bytes in memory (then the writer of the input waits, as on a pipe);
 * once an output is given it writes what it holds there, and the rest of
 * the input as it comes, still reading ahead while the output is slower.
 * At the input's end, everything written, it closes the output.
 *
 *   bs_rfeed_start(f, in, cap, e)  start reading fd in; 0, or -1
 *   bs_rfeed_output(f, out)        from now on, to fd out (which the feed
 *                                  owns: it is made non-blocking, and
 *                                  closed at the end)
 *   bs_rfeed_held(f)               bytes read ahead so far, for reports
 *   bs_rfeed_finish(f, e)          stop (what is not written yet is
 *                                  dropped, the output closed) and join
 *                                  the thread; -1 when reading the input
 *                                  failed (a reader gone from the output
 *                                  is not an error: it says why itself)
 */
#ifndef BS_RFEED_H
#define BS_RFEED_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"

struct bs_rfeed {
	/* private */
	int in, out, wake[2];
	pthread_t thread;
	pthread_mutex_t mu;
	char *buf;
	size_t size, cap, head, len;	/* held: buf[head, head + len) */
	uint64_t total;			/* bytes read */
	int eof, stop, err, running;
};

int bs_rfeed_start(struct bs_rfeed *f, int in, size_t cap, struct bs_err *e);
void bs_rfeed_output(struct bs_rfeed *f, int out);
uint64_t bs_rfeed_held(struct bs_rfeed *f);
int bs_rfeed_finish(struct bs_rfeed *f, struct bs_err *e);

#endif
