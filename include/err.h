/*
 * err.h - errors returned by the library.
 *
 * Library functions never print and never exit.  A function that can fail
 * takes a `struct bs_err *` as its last argument, and on failure fills it
 * with a one-line message (lowercase, subject quoted, no full stop, no
 * program name) and an exit class, then returns -1 (or NULL).  Only cmd/
 * prints the message, prefixed with the tool's name, and exits with the
 * class as its status:
 *
 *   BS_OK       0  success
 *   BS_PARTIAL  1  finished, but not everything was as asked
 *   BS_USAGE    2  usage error
 *   BS_INPUT    3  bad input: a malformed stream, a missing backup
 *   BS_SYS      4  an I/O or system failure
 *
 * bs_err_set() formats a message with the given class; bs_err_sys() does
 * the same with BS_SYS and appends ": strerror(errno)".  Both return -1 so
 * that `return bs_err_set(e, ...)` reads naturally.  A NULL `e` is allowed
 * and means the caller does not want the message.
 */
#ifndef BS_ERR_H
#define BS_ERR_H

#include <stddef.h>

enum { BS_OK = 0, BS_PARTIAL = 1, BS_USAGE = 2, BS_INPUT = 3, BS_SYS = 4 };

struct bs_err {
	int code;
	char msg[1024];
};

int bs_err_set(struct bs_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int bs_err_sys(struct bs_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Quote at most `max` bytes of `s` for a message: non-printing bytes as \ooo. */
const char *bs_quote(const char *s, size_t len, char *out, size_t outsize);

#endif
