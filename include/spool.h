/*
 * spool.h - read a stream ahead into a temporary file, on a thread.
 *
 * bs-chunk reads file names much faster than it reads files.  With a spool,
 * a thread copies standard input into an unlinked temporary file as fast
 * as it comes, adding up the sizes the records carry, so that the total of
 * the whole backup is known long before the last file is chunked (the ETA
 * of the progress line); the consumer reads the copy at its own pace.
 * Memory stays small: the copy is on disk.
 *
 *   bs_spool_start(s, fd, e)   start copying fd; s->rfd is the descriptor to
 *                              read the copy from, with bs_reader and its
 *                              `more` hook set to bs_spool_more
 *   bs_spool_more(s)           block until the copy holds bytes past the
 *                              reader's position (1) or the input has ended
 *                              and all of it was read (0), or -1 with errno
 *                              when copying the input failed
 *   bs_spool_total(s, &bytes, &done)  the sizes counted so far, and whether
 *                              the input has ended
 *   bs_spool_finish(s, e)      join the thread; -1 when reading the input
 *                              failed
 * Sizes are counted in walk streams (records of kind f) and in
 * find -printf '%s %p\0' output.
 */
#ifndef BS_SPOOL_H
#define BS_SPOOL_H

#include <pthread.h>
#include <stdint.h>
#include "err.h"

struct bs_spool {
	int in, wfd, rfd;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t written, total;
	int done, err;
	/* the thread's size scanner */
	char head[256];
	size_t headlen;
	int first;
};

int bs_spool_start(struct bs_spool *s, int fd, struct bs_err *e);
int bs_spool_more(void *spool);
void bs_spool_total(void *spool, uint64_t *bytes, int *done);
int bs_spool_finish(struct bs_spool *s, struct bs_err *e);

#endif
