/*
 * lister.h - a backup's entries as names, tar tv lines or a manifest stream.
 *
 * bs-ls's listing modes, written to a bs_writer:
 *   BS_LIST_NAMES    one name a line, C escapes (as GNU tar prints them;
 *                    with l->utf8 set, printable UTF-8 characters as
 *                    themselves, tarname.h)
 *   BS_LIST_LONG     as `tar tv` shows them: mode, owner/group, size (or
 *                    major,minor; 0 for a hard link), mtime, name,
 *                    "-> target", "link to first" (for a second name of a
 *                    file, FIFO or device); with full_time set, the mtime
 *                    to the nanosecond with its zone, as ls --full-time
 *   BS_LIST_NUL      NUL-terminated names, bytes as they are
 *   BS_LIST_RECORDS  the manifest stream bs-index reads: R lines, then each
 *                    entry's record; header and trailer included
 * Not shared between threads.
 *
 *   bs_lister_init(l, mode, out)
 *   bs_lister_run(l, meta, paths, n, e)
 *       List the entries under paths[0..n) of the open backup meta (all of
 *       it when n is 0).  A path must be absolute ("'%s': paths in a
 *       backup are absolute", BS_USAGE) and in the backup ("'%s' is not in
 *       backup '%s'", BS_INPUT).  Returns 0, or -1 with e.
 *   bs_lister_release(l)
 */
#ifndef BS_LISTER_H
#define BS_LISTER_H

#include <stdint.h>
#include "buf.h"
#include "io.h"
#include "linkmap.h"
#include "meta.h"

enum { BS_LIST_NAMES, BS_LIST_LONG, BS_LIST_NUL, BS_LIST_RECORDS };

struct bs_lister {
	int mode;
	int full_time;		/* BS_LIST_LONG: "%Y-%m-%d %H:%M:%S.nnnnnnnnn %z" */
	struct bs_writer *out;
	struct bs_linkmap links;
	struct bs_buf scratch;
	uint64_t records;
	int utf8;		/* the locale is UTF-8 (tarname.h) */
	struct bs_buf name;
};

void bs_lister_init(struct bs_lister *l, int mode, struct bs_writer *out);
int bs_lister_run(struct bs_lister *l, struct bs_meta_reader *meta, char *const *paths, int n, struct bs_err *e);
void bs_lister_release(struct bs_lister *l);

#endif
