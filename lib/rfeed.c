/* rfeed.c - a stream read ahead into memory on a thread while its reader is not there yet, then passed on (rfeed.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "buf.h"
#include "rfeed.h"

/* Room for more input at the end of buf: what is held moved to the front, buf grown up to cap. */
static size_t room(struct bs_rfeed *f)
{
	if (f->head && f->head + f->len == f->size) {
		memmove(f->buf, f->buf + f->head, f->len);
		f->head = 0;
	}
	if (f->head + f->len == f->size && f->size < f->cap) {
		f->size = f->size ? f->size * 2 : (1u << 20);
		if (f->size > f->cap)
			f->size = f->cap;
		f->buf = bs_xrealloc(f->buf, f->size);
	}
	return f->size - f->head - f->len;
}

static void *run(void *arg)
{
	struct bs_rfeed *f = arg;

	for (;;) {
		struct pollfd p[3];
		int out, stop;

		pthread_mutex_lock(&f->mu);
		out = f->out;
		stop = f->stop;
		pthread_mutex_unlock(&f->mu);
		if (stop || (f->eof && !f->len && out >= 0))
			break;
		p[0] = (struct pollfd){ .fd = f->wake[0], .events = POLLIN };
		p[1] = (struct pollfd){ .fd = -1 };
		p[2] = (struct pollfd){ .fd = -1 };
		if (!f->eof && room(f)) {
			p[1].fd = f->in;
			p[1].events = POLLIN;
		}
		if (out >= 0 && f->len) {
			p[2].fd = out;
			p[2].events = POLLOUT;
		}
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			f->err = errno;
			break;
		}
		if (p[0].revents) {
			char c[16];
			while (read(f->wake[0], c, sizeof(c)) > 0)
				;
		}
		if (p[1].revents) {
			ssize_t got = read(f->in, f->buf + f->head + f->len, room(f));
			if (got > 0) {
				pthread_mutex_lock(&f->mu);
				f->len += (size_t)got;
				f->total += (uint64_t)got;
				pthread_mutex_unlock(&f->mu);
			} else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
				if (got < 0)
					f->err = errno;
				f->eof = 1;
			}
		}
		if (p[2].revents) {
			ssize_t put = write(out, f->buf + f->head, f->len);
			if (put > 0) {
				f->head += (size_t)put;
				f->len -= (size_t)put;
				if (!f->len)
					f->head = 0;
			} else if (put < 0 && errno != EINTR && errno != EAGAIN) {
				break;	/* the reader has gone: it says why */
			}
		}
	}
	pthread_mutex_lock(&f->mu);
	if (f->out >= 0)
		close(f->out);
	f->out = -2;	/* closed */
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

int bs_rfeed_start(struct bs_rfeed *f, int in, size_t cap, struct bs_err *e)
{
	memset(f, 0, sizeof(*f));
	f->in = in;
	f->out = -1;
	f->cap = cap;
	if (pipe2(f->wake, O_CLOEXEC | O_NONBLOCK) < 0)
		return bs_err_sys(e, "cannot make a pipe");
	pthread_mutex_init(&f->mu, NULL);
	if (pthread_create(&f->thread, NULL, run, f)) {
		close(f->wake[0]);
		close(f->wake[1]);
		pthread_mutex_destroy(&f->mu);
		return bs_err_set(e, BS_SYS, "cannot start a thread");
	}
	f->running = 1;
	return 0;
}

static void wake(struct bs_rfeed *f)
{
	if (write(f->wake[1], "", 1) < 0 && errno != EAGAIN)
		return;
}

void bs_rfeed_output(struct bs_rfeed *f, int out)
{
	fcntl(out, F_SETFL, fcntl(out, F_GETFL) | O_NONBLOCK);
	pthread_mutex_lock(&f->mu);
	f->out = out;
	pthread_mutex_unlock(&f->mu);
	wake(f);
}

uint64_t bs_rfeed_held(struct bs_rfeed *f)
{
	uint64_t n;

	pthread_mutex_lock(&f->mu);
	n = f->total;
	pthread_mutex_unlock(&f->mu);
	return n;
}

int bs_rfeed_finish(struct bs_rfeed *f, struct bs_err *e)
{
	int err;

	if (!f->running)
		return 0;
	pthread_mutex_lock(&f->mu);
	f->stop = 1;
	pthread_mutex_unlock(&f->mu);
	wake(f);
	pthread_join(f->thread, NULL);
	f->running = 0;
	err = f->err;
	close(f->wake[0]);
	close(f->wake[1]);
	pthread_mutex_destroy(&f->mu);
	free(f->buf);
	f->buf = NULL;
	if (err) {
		errno = err;
		return bs_err_sys(e, "cannot read standard input");
	}
	return 0;
}
