/*
 * diff.h - what changed between two backups, or a backup and a live tree.
 *
 * Changes, one per path:
 *   BS_DIFF_ADDED '+'     only in B
 *   BS_DIFF_REMOVED '-'   only in A
 *   BS_DIFF_CONTENT 'M'   its content differs: another kind, size, chunk
 *                         list (between backups), link target or device
 *                         numbers; against a live tree, a regular file's
 *                         content is judged as an incremental backup judges
 *                         it: the same size and mtime mean the same content
 *   BS_DIFF_META 'm'      the same content, other metadata: permissions,
 *                         owner or group (id or name), or the mtime of what
 *                         is not a directory (a directory's mtime follows
 *                         its entries, which are reported themselves)
 * A directory added or removed is reported, then everything below it.
 * Directories that only backups list implicitly (kind 'i') are not
 * reported themselves.
 *
 *   bs_diff_backups(d, a, b, paths, npaths, e)
 *       compare backups a and b, below the absolute, clean paths given
 *       (everything when npaths is 0).  A directory whose stored listings
 *       have the same digest in both is passed over without being
 *       decompressed; the directories compared are those either backup
 *       holds a listing of, in path order (bs_path_order()), and the
 *       entries of each in name order.
 *   bs_diff_live(d, a, dir, e)
 *       compare what backup a holds at dir (absolute, clean) with the tree
 *       at dir on the file system (symbolic links not followed, sockets
 *       skipped), depth first.
 * Each calls d->emit(d->arg, change, path, len, ea, eb, e) for each change
 * (ea or eb NULL where absent; path NUL-terminated), which returns 0 to go
 * on or -1 to stop; and d->warn(d->arg, msg) for a live path that cannot be
 * read (skipped).  Both return 0 or -1; d->changes counts the changes.
 *
 *   bs_diff_classify(ea, eb, live)   0 (the same), 'M' or 'm'
 */
#ifndef BS_DIFF_H
#define BS_DIFF_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "meta.h"

enum { BS_DIFF_ADDED = '+', BS_DIFF_REMOVED = '-', BS_DIFF_CONTENT = 'M', BS_DIFF_META = 'm' };

struct bs_diff {
	int (*emit)(void *arg, int change, const char *path, size_t len, const struct bs_entry *a,
		    const struct bs_entry *b, struct bs_err *e);
	void (*warn)(void *arg, const char *msg);
	void *arg;
	uint64_t changes;
	uint64_t skipped;	/* directories passed over by digest */
};

int bs_diff_classify(const struct bs_entry *a, const struct bs_entry *b, int live);
int bs_diff_backups(struct bs_diff *d, struct bs_meta_reader *a, struct bs_meta_reader *b, char *const *paths,
		    size_t npaths, struct bs_err *e);
int bs_diff_live(struct bs_diff *d, struct bs_meta_reader *a, const char *dir, struct bs_err *e);

#endif
