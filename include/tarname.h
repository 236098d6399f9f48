/*
 * tarname.h - names as GNU tar's listing shows them, in the user's locale.
 *
 *   bs_locale_utf8()          1 when the locale's character set (after
 *                             setlocale(LC_CTYPE, "")) is UTF-8
 *   bs_name_escape(b, p, n, utf8)
 *       append p[0, n) to b as `tar t` shows a name: `\\` `\n` `\t` `\r`
 *       `\f` `\v` `\b` `\a` for those bytes, `\ooo` (octal) for other
 *       control bytes and for bytes that are not (part of) a printable
 *       character; with utf8 set, a valid UTF-8 sequence of a printable
 *       character (iswprint) is written as itself, otherwise every byte
 *       from 0x7f up is written in octal
 */
#ifndef BS_TARNAME_H
#define BS_TARNAME_H

#include <stddef.h>
#include "buf.h"

int bs_locale_utf8(void);
void bs_name_escape(struct bs_buf *b, const char *p, size_t n, int utf8);

#endif
