/*
 * lsfmt.h - the lines bs-ls writes for backups, changes and matches.
 *
 * Each appends to b.  `style` is BS_FMT_TEXT (a line for people, names
 * escaped as tar shows them, utf8 saying whether the locale is UTF-8),
 * BS_FMT_NUL (for scripts: raw path, NUL-terminated) or BS_FMT_JSON (one
 * JSON object and a newline).
 *
 *   bs_time_local(out, n, t, seconds)
 *       local "YYYY-MM-DD HH:MM" (":SS" with seconds), followed by the
 *       zone's offset, " +0100", when that is not zero at that time
 *   bs_fmt_backup(b, s, style)       a line of the list of backups
 *   bs_fmt_summary(b, s, style)      a backup's summary, "key: value" lines
 *   bs_fmt_change(b, c, path, n, a, bent, style, utf8)
 *       a change bs_diff reports: "M /path"; the JSON gives the fields of
 *       the entry in the second backup (the first, when removed)
 *   bs_fmt_found(b, s, ent, path, style, utf8)
 *       a match of bs_find(): "ID  SIZE  MTIME  PATH" (human size, local
 *       time), or "ID SP size SP sec.nsec SP path NUL", or JSON with the
 *       backup's id as "backup"
 */
#ifndef BS_LSFMT_H
#define BS_LSFMT_H

#include <stddef.h>
#include "backup.h"
#include "buf.h"
#include "meta.h"

enum { BS_FMT_TEXT, BS_FMT_NUL, BS_FMT_JSON };

void bs_time_local(char *out, size_t n, struct bs_time t, int seconds);
void bs_fmt_backup(struct bs_buf *b, const struct bs_summary *s, int style);
void bs_fmt_summary(struct bs_buf *b, const struct bs_summary *s, int style);
void bs_fmt_change(struct bs_buf *b, int change, const char *path, size_t n, const struct bs_entry *a,
		   const struct bs_entry *bent, int style, int utf8);
void bs_fmt_found(struct bs_buf *b, const struct bs_summary *s, const struct bs_entry *ent, const char *path,
		  size_t n, int style, int utf8);

#endif
