/*
 * expire.h - deciding and doing what an expiry removes (expire.c).
 *
 * In order: backups older than the metadata retention (whole), the data
 * of backups older than the retention (their listings are kept), what
 * crashed writers left (old temporaries at the top and in backups'
 * directories, half-removed backups, backups whose summary never got
 * written), then chunks: those no kept backup can refer to (stamped
 * before the lowest floor of the kept backups and the retention's cut-off,
 * with two seconds of slack), empty ones, and with `check` those that fail
 * verification.  The cut-off is recorded in REPO/expiry before the first
 * chunk goes.  Empty chunk directories are pruned.
 *
 *   struct bs_expire x;
 *   bs_expire_init(&x, repo, max_age, metadata_max_age, e)
 *       the retention: seconds, or -1 for the repository's setting; the
 *       metadata's is at least the data's.  -1 (BS_USAGE) when there is none
 *   x.dry = 1                   only say what would go
 *   x.check = 1                 read and verify every chunk kept
 *   bs_expire_run(&x, fn, arg, e)
 *       take the repository's lock exclusively first (bs_repo_lock); fn,
 *       when not NULL, is told of each removal (or would-be removal) as it
 *       happens; x's counts say what went.  0 or -1
 *   bs_expire_release(&x)
 *
 * A report: kind BS_EXPIRED_BACKUP (name is an id), BS_EXPIRED_DATA (an id;
 * the listing is kept) or BS_EXPIRED_FILE (name a path relative to the
 * repository, `why` says why).
 */
#ifndef BS_EXPIRE_H
#define BS_EXPIRE_H

#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "io.h"
#include "repo.h"

enum bs_expired { BS_EXPIRED_BACKUP, BS_EXPIRED_DATA, BS_EXPIRED_FILE };

typedef void bs_expire_report(void *arg, enum bs_expired kind, const char *name, const char *why);

struct bs_expire {
	struct bs_repo *repo;
	int dry, check;
	int64_t max_age, metadata_max_age;	/* seconds */
	/* results */
	uint64_t backups, listings_kept, chunks, bad, temps, bytes;
	/* private */
	struct bs_time now, cutoff, chunk_cutoff;
	int expiry_written;
	bs_expire_report *fn;
	void *arg;
	struct bs_buf data;
};

int bs_expire_init(struct bs_expire *x, struct bs_repo *repo, int64_t max_age, int64_t metadata_max_age,
		   struct bs_err *e);
int bs_expire_run(struct bs_expire *x, bs_expire_report *fn, void *arg, struct bs_err *e);
void bs_expire_release(struct bs_expire *x);

#endif
