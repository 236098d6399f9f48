/* spool.c - a thread that copies a stream ahead into a temporary file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "io.h"
#include "spool.h"

/* The size a record carries: field 7 of a walk record of kind f, or the
 * leading number of find -printf '%s %p'.  `p` is the record's start. */
static uint64_t record_size(const char *p, size_t n)
{
	uint64_t v = 0;
	size_t i = 0;
	int field = 1;

	if (n >= 2 && p[0] == 'f' && p[1] == ' ') {
		for (i = 0; i < n && field < 7; i++)
			if (p[i] == ' ')
				field++;
	} else if (n == 0 || p[0] < '0' || p[0] > '9') {
		return 0;
	}
	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
		v = v * 10 + (uint64_t)(p[i] - '0');
	return i < n && p[i] == ' ' ? v : 0;
}

static uint64_t scan(struct bs_spool *s, const char *p, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\0') {
			const char *h = s->head;
			size_t hl = s->headlen;
			/* the stream's header line comes before its first record */
			if (s->first && hl > 2 && h[0] == 'B' && h[1] == ' ') {
				const char *nl = memchr(h, '\n', hl);
				if (nl) {
					hl -= (size_t)(nl + 1 - h);
					h = nl + 1;
				}
			}
			sum += record_size(h, hl);
			s->headlen = 0;
			s->first = 0;
		} else if (s->headlen < sizeof(s->head)) {
			s->head[s->headlen++] = p[i];
		}
	}
	return sum;
}

static void *copy(void *arg)
{
	struct bs_spool *s = arg;
	char *buf = malloc(1 << 20);
	int err = 0;

	if (!buf)
		err = ENOMEM;
	while (!err) {
		ssize_t n = read(s->in, buf, 1 << 20);
		uint64_t sizes;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				err = errno;
			break;
		}
		if (bs_write_full(s->wfd, buf, (size_t)n) < 0) {
			err = errno;
			break;
		}
		sizes = scan(s, buf, (size_t)n);
		pthread_mutex_lock(&s->mu);
		s->written += (uint64_t)n;
		s->total += sizes;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
	free(buf);
	pthread_mutex_lock(&s->mu);
	s->done = 1;
	s->err = err;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int bs_spool_start(struct bs_spool *s, int fd, struct bs_err *e)
{
	const char *dir = getenv("TMPDIR");
	char path[64];
	int rc;

	memset(s, 0, sizeof(*s));
	s->in = fd;
	s->first = 1;
	if (!dir || !*dir)
		dir = "/tmp";
	s->wfd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (s->wfd < 0)
		return bs_err_sys(e, "cannot make a temporary file in '%s'", dir);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", s->wfd);
	s->rfd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->rfd < 0) {
		close(s->wfd);
		return bs_err_sys(e, "cannot reopen a temporary file");
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	rc = pthread_create(&s->thread, NULL, copy, s);
	if (rc) {
		errno = rc;
		close(s->wfd);
		close(s->rfd);
		return bs_err_sys(e, "cannot start a thread");
	}
	return 0;
}

int bs_spool_more(void *arg)
{
	struct bs_spool *s = arg;
	off_t pos = lseek(s->rfd, 0, SEEK_CUR);
	int more;

	pthread_mutex_lock(&s->mu);
	while (!s->done && s->written <= (uint64_t)pos)
		pthread_cond_wait(&s->cv, &s->mu);
	more = s->written > (uint64_t)pos;
	if (!more && s->err) {
		errno = s->err;
		more = -1;
	}
	pthread_mutex_unlock(&s->mu);
	return more;
}

void bs_spool_total(void *spool, uint64_t *bytes, int *done)
{
	struct bs_spool *s = spool;

	pthread_mutex_lock(&s->mu);
	*bytes = s->total;
	*done = s->done;
	pthread_mutex_unlock(&s->mu);
}

int bs_spool_finish(struct bs_spool *s, struct bs_err *e)
{
	pthread_join(s->thread, NULL);
	close(s->wfd);
	close(s->rfd);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	if (s->err) {
		errno = s->err;
		return bs_err_sys(e, "cannot read standard input");
	}
	return 0;
}
