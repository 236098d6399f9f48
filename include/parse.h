/*
 * parse.h - numbers, sizes, ages, times and hex digests as text.
 *
 *   bs_parse_u64(p, n, &v)     n decimal digits, nothing else; 0, or -1 on
 *                              overflow or anything else
 *   bs_time_parse(&t, p, n)    "sec.nsec" (sec may be negative); 0 or -1
 *   bs_time_text(buf, t)       "sec.nsec", nine digits of nsec; buf holds
 *                              BS_TIME_TEXT bytes
 *   bs_parse_size(s, &v)       "1048576", "64K", "1M", "1GiB", "1T"; 0 or -1
 *   bs_parse_age(s, &v)        seconds from a whole number and a unit: s
 *                              seconds, h hours, d days, w weeks, m months (30 days),
 *                              y years (365 days): "12h", "90d", "6m", "2y";
 *                              "0" alone; a bare number, or any other unit
 *                              ("min", "M"), is refused.  0 or -1
 *   bs_hex(out, digest)        64 lowercase hex digits and a NUL
 *   bs_unhex(digest, hex, n)   the reverse of 64 hex digits; 0 or -1
 *
 * For the library's own parsers of SP-separated fields (records, listing
 * lines; not part of the tools' interface):
 *   struct bs_cursor { p, end }      the text still to parse
 *   bs_cursor_field(c, &f, &n)       the next field, which must be non-empty
 *                                    and ended by SP; it is skipped with its
 *                                    SP.  Returns 0, or -1 when there is none.
 */
#ifndef BS_PARSE_H
#define BS_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include "io.h"

#define BS_TIME_TEXT 32

int bs_parse_u64(const char *p, size_t n, uint64_t *out);
int bs_time_parse(struct bs_time *t, const char *p, size_t n);
void bs_time_text(char *out, struct bs_time t);
int bs_parse_size(const char *s, uint64_t *out);
int bs_parse_age(const char *s, int64_t *out);
void bs_hex(char *out, const unsigned char *digest);
int bs_unhex(unsigned char *digest, const char *hex, size_t n);

struct bs_cursor {
	const char *p, *end;
};
int bs_cursor_field(struct bs_cursor *c, const char **f, size_t *n);

#endif
