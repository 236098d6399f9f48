/*
 * check.h - verify that a repository's backups can be restored; never
 * changes the repository (bs-check's work).
 *
 * Every finding goes to the caller's callback, report(arg, f): f->line is
 * the line a person reads (no newline); f->problem is 1 for damage
 * (counted in c->problems) and 0 for a note ("unfinished", "data
 * expired"); f->backup, f->path (f->pathlen bytes), f->chunk (a digest,
 * or a chunk file's path) say what it is about when known (else NULL),
 * and f->what is the finding without them (for --json).  The library
 * prints nothing.
 *
 *   bs_check_init(c, repo, report, arg)
 *   bs_check_backup(c, s, e)   one backup: its metadata readable, every
 *                              listing sealed, every chunk it refers to
 *                              present, its files' chunks adding up to
 *                              their sizes, the summary's counts matching
 *                              the metadata.  Damage is a finding, not an
 *                              error: returns 0, or -1 when the check
 *                              itself cannot go on
 *   bs_check_all(c, e)         every backup, oldest first, those with a
 *                              damaged summary included (a finding each)
 *   bs_check_data(c, percent, e)
 *                              read, decompress and verify every chunk of
 *                              the store after bs_check_all(), or only
 *                              those the backups checked refer to when
 *                              they were named (bs_check_backup() alone),
 *                              or about percent of them, chosen at
 *                              random, on up to c->threads worker threads
 *                              (set it after init; 1 by default) in a
 *                              window bounded in bytes (budget.h: at most
 *                              BS_CHUNK_BUDGET of chunks, threads
 *                              included, or c->memory when set), and
 *                              checks that each is as long as the
 *                              backups' references (pieces of packed
 *                              small files) need
 *   bs_check_release(c)
 *
 * Counters: c->backups (checked), c->refs (chunk references followed),
 * c->chunks_read, c->problems.  The repository should be locked shared
 * (BS_LOCK_SHARED | BS_LOCK_READER) so that no expiry runs meanwhile.
 */
#ifndef BS_CHECK_H
#define BS_CHECK_H

#include <stdint.h>
#include "backup.h"
#include "buf.h"
#include "err.h"
#include "linkmap.h"
#include "readahead.h"
#include "repo.h"

struct bs_check_finding {
	int problem;
	const char *backup, *path, *chunk;
	size_t pathlen;
	const char *what, *line;
};

typedef void bs_check_report(void *arg, const struct bs_check_finding *f);

struct bs_check {
	struct bs_repo *repo;
	bs_check_report *report;
	void *arg;
	uint64_t backups, refs, chunks_read, problems;
	/* private */
	struct bs_linkmap seen;		/* chunks already found present */
	const char *id;
	uint64_t entries, bytes;
	double percent;
	int listing_only;
	int every;			/* bs_check_all: --read-data reads every chunk file */
	struct bs_buf data;
	size_t threads;			/* --read-data: worker threads */
	size_t memory;			/* their chunks; 0: BS_CHUNK_BUDGET */
	struct bs_readahead ra;
	int ahead;
};

void bs_check_init(struct bs_check *c, struct bs_repo *repo, bs_check_report *report, void *arg);
int bs_check_backup(struct bs_check *c, const struct bs_summary *s, struct bs_err *e);
int bs_check_all(struct bs_check *c, struct bs_err *e);
int bs_check_data(struct bs_check *c, double percent, struct bs_err *e);
void bs_check_release(struct bs_check *c);

#endif
