/*
 * restorerun.h - bs-cat's whole restore: a backup named, found, written as tar.
 *
 * What bs-cat decides between its options and restore.h: the backup a
 * name means (select.h: a full id, `latest` or a prefix, scoped by host
 * and subset), refused when its data has expired, opened, written as a
 * tar stream with restore.h, and its damage counted.  Damage does not end
 * the restore; each piece of it is told to r->warn(r->arg, msg), one line
 * without the tool's name:
 *   - a damaged summary ("the summary of backup 'ID' is damaged;
 *     restoring what its metadata holds"; not counted);
 *   - a listing that cannot be read ("...; that directory is skipped");
 *   - a chunk written as zeros (restore.h);
 *   - at the end, when any listing or chunk was damaged, "backup 'ID' is
 *     damaged: N chunks or listings could not be restored; see above".
 *
 *   struct bs_restore_run r = { .host = ..., .opts = ..., .threads = ...,
 *                               .memory = ... };
 *   bs_restore_run(&r, repo, name, paths, n, out, e)
 *       repo: open and locked shared (BS_LOCK_SHARED | BS_LOCK_READER);
 *       paths[0..n): as bs_restore_tar() takes them; out: the archive's
 *       writer, flushed but not closed.  Returns 0, or -1 with e (no
 *       backup of that name: BS_INPUT; its data expired: BS_INPUT).
 *       r->sum is the backup's summary once found; r->damage counts the
 *       listings and chunks that could not be restored.
 *   bs_restore_run_partial(&r)
 *       1 when the restore was not whole (exit 1): the summary is
 *       damaged, or r->damage is not 0
 */
#ifndef BS_RESTORERUN_H
#define BS_RESTORERUN_H

#include <stdint.h>
#include "backup.h"
#include "err.h"
#include "io.h"
#include "repo.h"

struct bs_restore_run {
	const char *host, *subset;	/* the scope of the name; NULL: any */
	int opts;			/* restore.h: BS_TAR_PAX, ... */
	size_t threads;			/* read ahead on that many (> 1) */
	size_t memory;			/* for chunks; 0: BS_RESTORE_BUDGET */
	void (*warn)(void *arg, const char *msg);
	void *arg;
	/* results */
	struct bs_summary sum;
	uint64_t damage;
};

int bs_restore_run(struct bs_restore_run *r, struct bs_repo *repo, const char *name, char *const *paths, int n,
		   struct bs_writer *out, struct bs_err *e);
int bs_restore_run_partial(const struct bs_restore_run *r);

#endif
