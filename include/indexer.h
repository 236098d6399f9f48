/*
 * indexer.h - record a manifest stream as a backup: summary and metadata.
 *
 * bs-index's work.  A bs_indexer creates the backup (its summary and its
 * metadata database), adds each record with its chunk references, takes
 * L items (an earlier backup's listing of a directory) whole, adds up the
 * S lines it knows, writes checkpoints, and at the end the summary,
 * finished or not.  Not shared between threads.
 *
 *   bs_indexer_open(x, repo, host, subset, st, e)
 *       repo: open and locked shared; st: the manifest stream, opened (its
 *       T line read).  Checks the clock against the last expiry (a
 *       warning through x->warn when the cut-off is later), opens the
 *       earlier backups of host and subset (a listing the same as theirs
 *       is copied rather than compressed again) and creates the backup.
 *       Returns 0, or -1 with e.
 *   bs_indexer_run(x, st, why)
 *       Read the stream to its end: 0, or -1 with why (bad input, a
 *       failed write, an interruption).  Every chunk an R line names must
 *       be in the repository (one look each distinct chunk; a hand-fed
 *       manifest may name chunks that are not): else bad input.  Every CHECKPOINT_FILES files the
 *       summary is rewritten; every CHECKPOINT_SECONDS, and when
 *       *x->flush_now is set (SIGUSR1), the metadata gathered so far too.
 *       A checkpoint that fails is passed to x->warn once.
 *   bs_indexer_on_signal(x)
 *       For bs_reader's on_signal: a checkpoint when *x->flush_now is set.
 *   bs_indexer_close(x, complete, e)
 *       Keep whatever came (the next backup reuses it): close the
 *       metadata and write the summary, finished when complete.  When the
 *       metadata cannot be written in full (a full disk), what is there is
 *       read back: usable, the backup stays unfinished as its last
 *       checkpoint left it; not, the backup is removed (x->removed).  The
 *       error says which.
 *   bs_indexer_discard(x, e)
 *       Instead of closing: remove the backup, which holds nothing (no
 *       record came: the stages before died at once).  0 or -1.
 *   bs_indexer_count(x, key)   an S line's total ("vanished", "new-bytes"...)
 *   bs_indexer_problems(x)     files not saved as they were
 *   bs_indexer_release(x)
 *
 *   x->sum     the backup's summary (id, files, bytes, start, finish...)
 *   x->others  entries that are not regular files
 *   x->stats   S lines seen: none when the stream was cut short before
 *              the stages' counts, which come at its end
 */
#ifndef BS_INDEXER_H
#define BS_INDEXER_H

#include <stdint.h>
#include <time.h>
#include "backup.h"
#include "linkmap.h"
#include "meta.h"
#include "record.h"
#include "repo.h"

#define BS_INDEXER_NCOUNTED 13

struct bs_indexer {
	struct bs_repo *repo;
	struct bs_summary sum;
	struct bs_meta_writer meta;
	uint64_t counts[BS_INDEXER_NCOUNTED];
	uint64_t others;
	struct bs_meta_reader priors[3], *reuse[3];
	size_t npriors;
	struct bs_meta_reader named[3];	/* other backups L items name */
	size_t nnamed;
	time_t last_checkpoint;
	uint64_t files_at_checkpoint;
	int warned;
	int removed;			/* the close removed the backup */
	uint64_t stats;			/* S lines seen */
	struct bs_linkmap present;	/* chunks found in the repository */
	volatile int *flush_now;	/* set by a signal handler */
	void (*warn)(void *arg, const char *msg);
	void *arg;
};

int bs_indexer_open(struct bs_indexer *x, struct bs_repo *repo, const char *host, const char *subset,
		    const struct bs_stream *st, struct bs_err *e);
int bs_indexer_run(struct bs_indexer *x, struct bs_stream *st, struct bs_err *why);
void bs_indexer_on_signal(void *x);
int bs_indexer_close(struct bs_indexer *x, int complete, struct bs_err *e);
int bs_indexer_discard(struct bs_indexer *x, struct bs_err *e);
uint64_t bs_indexer_count(const struct bs_indexer *x, const char *key);
uint64_t bs_indexer_problems(const struct bs_indexer *x);
void bs_indexer_release(struct bs_indexer *x);

#endif
