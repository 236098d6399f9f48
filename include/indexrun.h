/*
 * indexrun.h - bs-index's run: a manifest stream on a reader, recorded as
 * a backup, finished or not (indexrun.c).
 *
 *   bs_index_run(x, repo, host, subset, in, e)
 *       x: zeroed, with x->warn and x->flush_now set as the caller wants
 *       (indexer.h); repo: open and locked shared; host and subset:
 *       usable (bs_backup_names()); in: the manifest stream, with in->stop
 *       set when a signal is to interrupt it (io.h).  Opens the stream,
 *       which must have its T line (it has passed through bs-store), and
 *       records it with bs_indexer_open(), bs_indexer_run() and
 *       bs_indexer_close().  Whatever happens after the backup was
 *       created, what came is kept (the next backup reuses it), except
 *       for a whole stream of no record at all, whose backup is discarded
 *       (an empty finished backup would become `latest`): that is an
 *       error, BS_INPUT.
 *       Returns 0 when the backup is finished; 1 when it was recorded
 *       unfinished (a stream cut short or bad, a failed write, an
 *       interruption), with e saying why ("backup 'ID' is unfinished:
 *       ..."); -1 with e when it could not be recorded.  x->sum is the
 *       backup's summary after 0 or 1; release x with bs_indexer_release().
 */
#ifndef BS_INDEXRUN_H
#define BS_INDEXRUN_H

#include "err.h"
#include "indexer.h"
#include "io.h"
#include "repo.h"

int bs_index_run(struct bs_indexer *x, struct bs_repo *repo, const char *host, const char *subset,
		 struct bs_reader *in, struct bs_err *e);

#endif
