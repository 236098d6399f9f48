/*
 * expire.h - deciding and doing what an expiry removes (expire.c).
 *
 * In order: the backups the retention policy (retain.h: --max-age, keep
 * rules, --metadata-max-age) keeps neither with their data nor for their
 * listing (whole), the data of those it keeps only the listing of, what
 * crashed writers left (old temporaries at the top and in backups'
 * directories, half-removed backups, backups whose summary never got
 * written), then chunks: those no kept backup can refer to (stamped
 * before the cut-off bs_retain_cutoff() gives, with two seconds of slack,
 * and not referred to by a kept backup whose floor is older, whose
 * listings' chunk tables are read first), empty ones, and with `check`
 * those that fail verification.  The cut-off is recorded in REPO/expiry
 * before the first chunk goes.  Empty chunk directories are pruned.
 *
 *   struct bs_expire x;
 *   bs_expire_init(&x, repo, policy, rules_given, e)
 *       the policy: policy->max_age and ->metadata_max_age in seconds, or
 *       -1 for the repository's settings; the keep rules of policy when
 *       rules_given, else the repository's; ->host and ->subset limit the
 *       decisions to one series.  -1 (BS_USAGE) when there is no retention
 *       (neither an age nor a keep rule)
 *   x.dry = 1                   only say what would go
 *   x.check = 1                 read and verify every chunk kept
 *   bs_expire_lock(&x, nowait, waiting, arg, e)
 *       take the repository's lock exclusively.  Backups hold it shared
 *       while they refer to chunks; holding it exclusively means no
 *       backup is between checking a chunk and stamping it while chunks
 *       are removed.  When it is busy: with nowait, fail at once (BS_SYS,
 *       "busy"); else tell waiting(arg, msg) so once ("waiting for the
 *       backups and restores running in 'REPO' to finish") and wait.
 *       0 or -1
 *   bs_expire_run(&x, fn, arg, e)
 *       take the repository's lock exclusively first (bs_expire_lock); fn,
 *       when not NULL, is told of each removal (or would-be removal) as it
 *       happens; x's counts say what went.  0 or -1
 *   bs_expire_release(&x)
 *
 * A report, fn(arg, kind, name, why, rule) (a bs_expire_report): kind
 * BS_EXPIRED_BACKUP (name is an id), BS_EXPIRED_DATA (an id;
 * the listing is kept), BS_EXPIRED_KEEP (an id kept with its data),
 * BS_EXPIRED_KEEP_LISTING (an id whose data had expired already, its
 * listing kept) or BS_EXPIRED_FILE (name a path relative to the
 * repository); `why` says why, and `rule` is the keep rule that keeps a
 * backup (retain.h, BS_KEEP_*) or -1.
 */
#ifndef BS_EXPIRE_H
#define BS_EXPIRE_H

#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "io.h"
#include "repo.h"
#include "retain.h"

enum bs_expired { BS_EXPIRED_BACKUP, BS_EXPIRED_DATA, BS_EXPIRED_FILE, BS_EXPIRED_KEEP, BS_EXPIRED_KEEP_LISTING };

typedef void bs_expire_report(void *arg, enum bs_expired kind, const char *name, const char *why, int rule);

struct bs_expire {
	struct bs_repo *repo;
	int dry, check;
	struct bs_policy policy;	/* ages in seconds (-1: none), keep rules */
	/* results */
	uint64_t backups, listings_kept, chunks, bad, temps, bytes;
	/* private */
	struct bs_time now, chunk_cutoff;
	int expiry_written;
	bs_expire_report *fn;
	void *arg;
	struct bs_buf data;
	struct bs_digests marked;	/* chunks kept backups refer to, kept
					   whatever their stamps */
};

int bs_expire_init(struct bs_expire *x, struct bs_repo *repo, const struct bs_policy *policy, int rules_given,
		   struct bs_err *e);
int bs_expire_lock(struct bs_expire *x, int nowait, void (*waiting)(void *arg, const char *msg), void *arg,
		   struct bs_err *e);
int bs_expire_run(struct bs_expire *x, bs_expire_report *fn, void *arg, struct bs_err *e);
void bs_expire_release(struct bs_expire *x);

#endif
