/* buf.c - growable byte buffers and the allocation helpers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include "buf.h"

char bs_buf_empty[1];

static void oom(size_t n)
{
	fprintf(stderr, "backshift: out of memory allocating %zu bytes\n", n);
	abort();
}

void *bs_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *bs_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

void *bs_xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (!p)
		oom(n * m);
	return p;
}

char *bs_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(bs_xmalloc(n), s, n);
}

void bs_buf_init(struct bs_buf *b)
{
	b->p = bs_buf_empty;
	b->len = b->cap = 0;
}

void bs_buf_release(struct bs_buf *b)
{
	if (b->cap)
		free(b->p);
	bs_buf_init(b);
}

void bs_buf_grow(struct bs_buf *b, size_t n)
{
	size_t want;

	if (b->len + n + 1 <= b->cap)
		return;
	if (b->len + n + 1 < b->len)
		oom(SIZE_MAX);
	want = b->cap ? b->cap : 64;
	while (want < b->len + n + 1)
		want *= 2;
	bs_buf_reserve(b, want);
}

void bs_buf_reserve(struct bs_buf *b, size_t cap)
{
	if (cap <= b->cap)
		return;
	if (!b->cap) {
		b->p = bs_xmalloc(cap);
		b->p[0] = '\0';
	} else {
		b->p = bs_xrealloc(b->p, cap);
	}
	b->cap = cap;
}

void bs_buf_add(struct bs_buf *b, const void *p, size_t n)
{
	bs_buf_grow(b, n);
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void bs_buf_adds(struct bs_buf *b, const char *s)
{
	bs_buf_add(b, s, strlen(s));
}

void bs_buf_addc(struct bs_buf *b, int c)
{
	bs_buf_grow(b, 1);
	b->p[b->len++] = (char)c;
	b->p[b->len] = '\0';
}

void bs_buf_addf(struct bs_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap ? b->cap - b->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (b->len + (size_t)n + 1 > b->cap) {
		bs_buf_grow(b, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void bs_buf_reset(struct bs_buf *b)
{
	b->len = 0;
	if (b->cap)
		b->p[0] = '\0';
}

void bs_buf_setlen(struct bs_buf *b, size_t n)
{
	if (n > b->len)
		return;
	b->len = n;
	if (b->cap)
		b->p[n] = '\0';
}

char *bs_xstrndup(const char *s, size_t n)
{
	char *p = bs_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
