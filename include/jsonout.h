/*
 * jsonout.h - backups and entries as JSON objects, for the tools' --json.
 *
 * Each appends one object, without a newline, to b.  Times are strings,
 * "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" (UTC); byte counts and ids are numbers;
 * paths and link targets go through bs_json_field() ("path", or
 * "path_b64" when they are not valid UTF-8).
 *
 *   bs_time_iso(out, n, t)          the time as above
 *   bs_summary_json(b, s)           {"id","host","subset","start","finish"
 *                                   (null when unfinished),"finished",
 *                                   "files","bytes","problems",
 *                                   "data_expired"}
 *   bs_entry_json_fields(b, ent, path, len)
 *                                   the fields of an entry, without braces:
 *                                   "path","kind","mode","size","mtime",
 *                                   "uid","gid","user","group" and "target"
 *                                   for a symbolic link
 */
#ifndef BS_JSONOUT_H
#define BS_JSONOUT_H

#include <stddef.h>
#include "backup.h"
#include "buf.h"
#include "meta.h"

void bs_time_iso(char *out, size_t n, struct bs_time t);
void bs_summary_json(struct bs_buf *b, const struct bs_summary *s);
void bs_entry_json_fields(struct bs_buf *b, const struct bs_entry *ent, const char *path, size_t len);

#endif
