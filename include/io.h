/*
 * io.h - buffered reading and writing of file descriptors, and time.
 *
 * struct bs_reader reads a stream (a pipe, a file) through a buffer:
 *   bs_reader_init(r, fd)            start reading fd
 *   bs_reader_until(r, delim, b, e)  read up to and including `delim` into
 *                                    b (delimiter not stored); returns 1 on
 *                                    a record, 0 at clean end of input, -1
 *                                    on error (an unterminated last record
 *                                    is an error of class BS_INPUT, and so
 *                                    is one longer than r->max_record)
 *   bs_reader_exact(r, p, n, e)      read exactly n bytes; -1 on short read
 *   bs_reader_peek(r, e)             next byte without consuming it, or
 *                                    -1 at end of input (e->code 0) or on
 *                                    error (e->code set)
 *   bs_reader_peekn(r, n, &p, e)     make up to n bytes available without
 *                                    consuming them; returns how many (fewer
 *                                    only at end of input) with *p at them,
 *                                    or -1
 *   bs_reader_release(r)             free the buffer (the fd stays open)
 * `what` names the input in messages ("standard input" by default).
 * When r->stop points to a nonzero int (a signal handler set it), the next
 * read fails with "interrupted" (BS_SYS), so a tool can end cleanly.
 * Otherwise r->on_signal, when set, is called (outside the signal handler)
 * each time a signal interrupts a read, before the read is retried.
 * When r->more is set, a read that finds the end of the file asks it
 * whether more is coming (a file still being written: spool.h).
 *
 * struct bs_writer writes through a buffer; errors are sticky and reported
 * by bs_writer_flush() (and so by bs_writer_close()), which names `what`:
 *   bs_writer_init(w, fd, what)
 *   bs_writer_init_mem(w, what)  into memory only: w->buf and w->len grow,
 *                           nothing is written (the caller takes the bytes)
 *   bs_writer_add(w, p, n)  bs_writer_adds(w, s)  bs_writer_addc(w, c)
 *   bs_writer_addf(w, fmt, ...)
 *   bs_writer_flush(w, e)   write out the buffer; -1 on error
 *   bs_writer_close(w, e)   flush, then close(2) the fd (-1 on error)
 *
 * bs_write_full(fd, p, n) writes all n bytes, retrying on EINTR and short
 * writes; returns 0 or -1 with errno set.  bs_read_full() reads up to n
 * bytes, stopping only at end of file; returns the count or -1.
 *
 * bs_now() is the current time, or the time in the environment variable
 * BS_NOW (seconds since the epoch, `sec` or `sec.nsec`) when it is set:
 * tests use it to make backups and chunks look old.
 */
#ifndef BS_IO_H
#define BS_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "buf.h"
#include "err.h"

struct bs_reader {
	int fd;
	char *buf;
	size_t start, end, cap;
	int eof;
	const char *what;
	uint64_t offset;		/* bytes consumed so far */
	size_t max_record;		/* longest record accepted (16 MiB) */
	volatile int *stop;		/* when set and nonzero, reads fail */
	void (*on_signal)(void *arg);	/* called when a signal interrupts a read */
	void *signal_arg;
	int (*more)(void *arg);		/* at end of file: wait for more (1), or not (0), or fail (-1) */
	void *more_arg;
};

void bs_reader_init(struct bs_reader *r, int fd, const char *what);
void bs_reader_release(struct bs_reader *r);
int bs_reader_until(struct bs_reader *r, int delim, struct bs_buf *b, struct bs_err *e);
int bs_reader_exact(struct bs_reader *r, void *p, size_t n, struct bs_err *e);
int bs_reader_peek(struct bs_reader *r, struct bs_err *e);
ssize_t bs_reader_peekn(struct bs_reader *r, size_t n, const char **p, struct bs_err *e);

struct bs_writer {
	int fd;
	int err;			/* errno of the first failure, or 0 */
	char *buf;
	size_t len, cap;
	const char *what;
	uint64_t written;
	int mem;			/* bs_writer_init_mem() */
};

void bs_writer_init(struct bs_writer *w, int fd, const char *what);
void bs_writer_init_mem(struct bs_writer *w, const char *what);
void bs_writer_add(struct bs_writer *w, const void *p, size_t n);
void bs_writer_adds(struct bs_writer *w, const char *s);
void bs_writer_addc(struct bs_writer *w, int c);
void bs_writer_addf(struct bs_writer *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int bs_writer_flush(struct bs_writer *w, struct bs_err *e);
int bs_writer_close(struct bs_writer *w, struct bs_err *e);

int bs_write_full(int fd, const void *p, size_t n);
/* Replace dirfd/name with n bytes of text: a temporary file name.tmp-PID,
 * flushed, renamed over it, the directory flushed; `what` names it in
 * errors.  Never a half-written file under the final name. */
int bs_write_atomic(int dirfd, const char *name, const void *text, size_t n, const char *what,
		    struct bs_err *e);
ssize_t bs_read_full(int fd, void *p, size_t n);

struct bs_time {
	int64_t sec;
	uint32_t nsec;			/* 0 .. 999999999 */
};

struct bs_time bs_now(void);
int bs_time_cmp(struct bs_time a, struct bs_time b);

#endif
