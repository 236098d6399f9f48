/* io.c - buffered reading and writing of file descriptors, and the clock. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "io.h"

#define READ_CHUNK (256 * 1024)

void bs_reader_init(struct bs_reader *r, int fd, const char *what)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->what = what ? what : "standard input";
	r->max_record = 16u << 20;
}

void bs_reader_release(struct bs_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->start = r->end = r->cap = 0;
}

/* Read more into the buffer; returns bytes read, 0 at EOF, -1 on error. */
static ssize_t fill(struct bs_reader *r, struct bs_err *e)
{
	ssize_t n;

	if (r->eof)
		return 0;
	if (r->start > 0 && r->start == r->end)
		r->start = r->end = 0;
	if (r->cap - r->end < READ_CHUNK) {
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		if (r->cap - r->end < READ_CHUNK) {
			r->cap = r->cap ? r->cap * 2 : 2 * READ_CHUNK;
			r->buf = bs_xrealloc(r->buf, r->cap);
		}
	}
	for (;;) {
		if (r->stop && *r->stop)
			return bs_err_set(e, BS_SYS, "interrupted");
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n >= 0 || errno != EINTR)
			break;
		if (r->on_signal && !(r->stop && *r->stop))
			r->on_signal(r->signal_arg);
	}
	if (n == 0 && r->more) {
		int more = r->more(r->more_arg);
		if (more < 0)
			return bs_err_sys(e, "cannot read %s", r->what);
		if (more)
			return fill(r, e);
	}
	if (n < 0)
		return bs_err_sys(e, "cannot read %s", r->what);
	if (n == 0)
		r->eof = 1;
	r->end += (size_t)n;
	return n;
}

int bs_reader_until(struct bs_reader *r, int delim, struct bs_buf *b, struct bs_err *e)
{
	size_t scanned = 0;
	ssize_t n;
	char *q;

	bs_buf_reset(b);
	for (;;) {
		q = r->end - r->start > scanned ?
		    memchr(r->buf + r->start + scanned, delim, r->end - r->start - scanned) : NULL;
		if (q) {
			size_t len = (size_t)(q - (r->buf + r->start));
			bs_buf_add(b, r->buf + r->start, len);
			r->start += len + 1;
			r->offset += len + 1;
			return 1;
		}
		scanned = r->end - r->start;
		if (scanned > r->max_record)
			return bs_err_set(e, BS_INPUT, "%s holds a record longer than %zu bytes", r->what, r->max_record);
		n = fill(r, e);
		if (n < 0)
			return -1;
		if (n == 0) {
			if (r->end == r->start)
				return 0;
			return bs_err_set(e, BS_INPUT, "%s ends in the middle of a record", r->what);
		}
	}
}

int bs_reader_exact(struct bs_reader *r, void *p, size_t n, struct bs_err *e)
{
	char *out = p;
	ssize_t got;

	while (n > 0) {
		size_t have = r->end - r->start;
		if (have == 0) {
			/* Large reads bypass the buffer. */
			if (n >= READ_CHUNK && !r->eof) {
				do
					got = read(r->fd, out, n);
				while (got < 0 && errno == EINTR);
				if (got < 0)
					return bs_err_sys(e, "cannot read %s", r->what);
				if (got == 0) {
					r->eof = 1;
					return bs_err_set(e, BS_INPUT, "%s is truncated", r->what);
				}
				out += got;
				n -= (size_t)got;
				r->offset += (size_t)got;
				continue;
			}
			got = fill(r, e);
			if (got < 0)
				return -1;
			if (got == 0)
				return bs_err_set(e, BS_INPUT, "%s is truncated", r->what);
			continue;
		}
		if (have > n)
			have = n;
		memcpy(out, r->buf + r->start, have);
		r->start += have;
		r->offset += have;
		out += have;
		n -= have;
	}
	return 0;
}

int bs_reader_peek(struct bs_reader *r, struct bs_err *e)
{
	ssize_t n;

	if (e)
		e->code = 0;
	while (r->end == r->start) {
		n = fill(r, e);
		if (n <= 0)
			return -1;
	}
	return (unsigned char)r->buf[r->start];
}

ssize_t bs_reader_peekn(struct bs_reader *r, size_t n, const char **p, struct bs_err *e)
{
	ssize_t got;

	while (r->end - r->start < n) {
		got = fill(r, e);
		if (got < 0)
			return -1;
		if (got == 0)
			break;
	}
	*p = r->buf + r->start;
	return (ssize_t)(r->end - r->start < n ? r->end - r->start : n);
}

void bs_writer_init(struct bs_writer *w, int fd, const char *what)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->what = what ? what : "standard output";
	w->cap = 256 * 1024;
	w->buf = bs_xmalloc(w->cap);
	/* a pipe as large as a buffer lets the next stage work while this
	 * one fills the next (where the system allows: best effort) */
	fcntl(fd, F_SETPIPE_SZ, (int)w->cap);
}

void bs_writer_init_mem(struct bs_writer *w, const char *what)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->mem = 1;
	w->what = what ? what : "memory";
	w->cap = 64 * 1024;
	w->buf = bs_xmalloc(w->cap);
}

static void drain(struct bs_writer *w)
{
	if (w->mem)
		return;	/* nothing to write to: the caller takes the bytes */
	if (w->len && !w->err && bs_write_full(w->fd, w->buf, w->len) < 0)
		w->err = errno ? errno : EIO;
	w->len = 0;
}

void bs_writer_add(struct bs_writer *w, const void *p, size_t n)
{
	if (w->err)
		return;
	w->written += n;
	if (w->mem && w->len + n > w->cap) {
		/* grow instead of writing */
		while (w->len + n > w->cap)
			w->cap *= 2;
		w->buf = bs_xrealloc(w->buf, w->cap);
	} else if (w->len + n > w->cap) {
		drain(w);
		if (n >= w->cap) {
			if (!w->err && bs_write_full(w->fd, p, n) < 0)
				w->err = errno ? errno : EIO;
			return;
		}
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void bs_writer_adds(struct bs_writer *w, const char *s)
{
	bs_writer_add(w, s, strlen(s));
}

void bs_writer_addc(struct bs_writer *w, int c)
{
	char ch = (char)c;
	bs_writer_add(w, &ch, 1);
}

void bs_writer_addf(struct bs_writer *w, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		bs_writer_add(w, small, (size_t)n);
	} else {
		char *big = bs_xmalloc((size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		bs_writer_add(w, big, (size_t)n);
		free(big);
	}
}

int bs_writer_flush(struct bs_writer *w, struct bs_err *e)
{
	drain(w);
	if (w->err) {
		errno = w->err;
		return bs_err_sys(e, "cannot write %s", w->what);
	}
	return 0;
}

int bs_writer_close(struct bs_writer *w, struct bs_err *e)
{
	int rc = bs_writer_flush(w, e);

	free(w->buf);
	w->buf = NULL;
	if (w->fd >= 0 && close(w->fd) < 0 && rc == 0)
		rc = bs_err_sys(e, "cannot close %s", w->what);
	w->fd = -1;
	return rc;
}

int bs_write_full(int fd, const void *p, size_t n)
{
	const char *q = p;
	ssize_t k;

	while (n > 0) {
		k = write(fd, q, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		q += k;
		n -= (size_t)k;
	}
	return 0;
}

ssize_t bs_read_full(int fd, void *p, size_t n)
{
	char *q = p;
	size_t got = 0;
	ssize_t k;

	while (got < n) {
		k = read(fd, q + got, n - got);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

struct bs_time bs_now(void)
{
	struct bs_time t;
	struct timespec ts;
	const char *env = getenv("BS_NOW");

	if (env && *env) {
		char *end;
		t.sec = strtoll(env, &end, 10);
		t.nsec = 0;
		if (*end == '.') {
			int digits = 0;
			for (end++; *end >= '0' && *end <= '9' && digits < 9; end++, digits++)
				t.nsec = t.nsec * 10 + (uint32_t)(*end - '0');
			for (; digits < 9; digits++)
				t.nsec *= 10;
		}
		return t;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	t.sec = ts.tv_sec;
	t.nsec = (uint32_t)ts.tv_nsec;
	return t;
}

int bs_time_cmp(struct bs_time a, struct bs_time b)
{
	if (a.sec != b.sec)
		return a.sec < b.sec ? -1 : 1;
	if (a.nsec != b.nsec)
		return a.nsec < b.nsec ? -1 : 1;
	return 0;
}

int bs_write_atomic(int dirfd, const char *name, const void *text, size_t n, const char *what,
		    struct bs_err *e)
{
	static unsigned long seq;	/* atomic: __atomic_fetch_add */
	char tmp[512], host[25];
	int fd;

	/* host, pid and sequence: a repository on a network file system is
	 * shared by several hosts, and a process may have threads */
	if (gethostname(host, sizeof(host)) < 0)
		strcpy(host, "host");
	host[sizeof(host) - 1] = '\0';
	for (char *p = host; *p; p++)
		if (*p == '/' || *p == '.')
			*p = '_';
	snprintf(tmp, sizeof(tmp), "%s.tmp-%s-%ld-%lu", name, host, (long)getpid(),
		 __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return bs_err_sys(e, "cannot create '%s'", what);
	if (bs_write_full(fd, text, n) < 0 || fsync(fd) < 0) {
		bs_err_sys(e, "cannot write '%s'", what);
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	if (close(fd) < 0 || renameat(dirfd, tmp, dirfd, name) < 0) {
		bs_err_sys(e, "cannot write '%s'", what);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	if (fsync(dirfd) < 0)
		return bs_err_sys(e, "cannot sync the directory of '%s'", what);
	return 0;
}
