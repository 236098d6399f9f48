/*
 * buf.h - growable byte buffers.
 *
 * A `struct bs_buf` holds `len` bytes at `p`, always followed by a NUL that
 * is not counted, so `p` can be used as a C string when the contents hold
 * no NUL.  Initialise with BS_BUF_INIT or bs_buf_init(); release with
 * bs_buf_release(), which leaves the buffer empty and reusable.
 *
 * Allocation failure aborts the process: it is the one failure the library
 * does not return, since nothing sensible can follow it.
 *
 *   bs_buf_grow(b, n)        make room for n more bytes
 *   bs_buf_reserve(b, cap)   make the allocation at least cap bytes, exactly
 *                            cap when it grows (the NUL included)
 *   bs_buf_add(b, p, n)      append n bytes
 *   bs_buf_adds(b, s)        append a C string
 *   bs_buf_addc(b, c)        append one byte
 *   bs_buf_addf(b, fmt, ...) append printf-formatted text
 *   bs_buf_reset(b)          empty it, keeping the allocation
 *   bs_buf_setlen(b, n)      truncate to n bytes (n <= len)
 */
#ifndef BS_BUF_H
#define BS_BUF_H

#include <stddef.h>

struct bs_buf {
	char *p;
	size_t len, cap;
};

#define BS_BUF_INIT { bs_buf_empty, 0, 0 }
extern char bs_buf_empty[1];

void bs_buf_init(struct bs_buf *b);
void bs_buf_release(struct bs_buf *b);
void bs_buf_grow(struct bs_buf *b, size_t n);
void bs_buf_reserve(struct bs_buf *b, size_t cap);
void bs_buf_add(struct bs_buf *b, const void *p, size_t n);
void bs_buf_adds(struct bs_buf *b, const char *s);
void bs_buf_addc(struct bs_buf *b, int c);
void bs_buf_addf(struct bs_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void bs_buf_reset(struct bs_buf *b);
void bs_buf_setlen(struct bs_buf *b, size_t n);

void *bs_xmalloc(size_t n);
void *bs_xrealloc(void *p, size_t n);
void *bs_xcalloc(size_t n, size_t m);
char *bs_xstrdup(const char *s);
char *bs_xstrndup(const char *s, size_t n);

#endif
