/* err.c - filling struct bs_err with one-line messages. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "err.h"

/* A message is one line: control bytes from a path (a newline in a file
 * name) are written as \ooo. */
static void one_line(struct bs_err *e)
{
	char out[sizeof(e->msg)];
	size_t o = 0;

	for (const char *p = e->msg; *p && o + 5 < sizeof(out); p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\%03o", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	memcpy(e->msg, out, o + 1);
}

static int vset(struct bs_err *e, int code, const char *fmt, va_list ap)
{
	if (e) {
		e->code = code;
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		one_line(e);
	}
	return -1;
}

int bs_err_set(struct bs_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(e, code, fmt, ap);
	va_end(ap);
	return -1;
}

int bs_err_sys(struct bs_err *e, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vset(e, BS_SYS, fmt, ap);
	va_end(ap);
	if (e) {
		n = strlen(e->msg);
		snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(saved));
	}
	errno = saved;
	return -1;
}

const char *bs_quote(const char *s, size_t len, char *out, size_t outsize)
{
	size_t o = 0, i;

	for (i = 0; i < len && o + 5 < outsize; i++) {
		unsigned char c = s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
			out[o++] = c;
		} else {
			snprintf(out + o, outsize - o, "\\%03o", c);
			o += 4;
		}
	}
	if (i < len && o + 4 < outsize) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}
