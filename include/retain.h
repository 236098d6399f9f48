/*
 * retain.h - which backups a retention policy keeps, and what of them.
 *
 * A policy is --max-age (keep every backup that started within it), the
 * keep rules of borg's prune (--keep-last, --keep-hourly, --keep-daily,
 * --keep-weekly, --keep-monthly, --keep-yearly N) and --metadata-max-age
 * (how long a backup that keeps no data keeps its listing).  The rules
 * apply to each series of backups (one host and subset) on its own.
 *
 *   bs_retain(v, n, policy, now, out)
 *       fill out[i] with the verdict on v[i] (v as bs_backup_list() gives
 *       it, oldest first): BS_RETAIN_KEEP (its data and listing stay),
 *       BS_RETAIN_LISTING (its data goes, or went; its listing stays) or
 *       BS_RETAIN_REMOVE; out[i].why says why, e.g. "daily 2026-11-29",
 *       "within max-age", "not kept by any rule".
 *   Rules (bs-expire.1 documents them for users):
 *     - periods are UTC, as in backup ids: an hour, a day, an ISO week
 *       (Monday to Sunday), a calendar month, a calendar year; keep-last's
 *       period is each backup;
 *     - a rule keeps, newest first, the newest finished backup of each
 *       period that has one, for the N newest such periods; a period whose
 *       newest backup an earlier rule (in the order last, hourly, daily,
 *       weekly, monthly, yearly) already keeps is passed over and does not
 *       count, as in borg;
 *     - max-age keeps every backup that started within it, and does not
 *       stop it from counting towards a rule;
 *     - unfinished backups, and backups whose data has expired, are never
 *       kept by a rule nor counted; when any keep rule is set, an
 *       unfinished backup keeps its data while no finished backup of its
 *       series started after it (the backup that may resume from it);
 *     - a backup not kept keeps its listing while it started within the
 *       metadata retention (at least max-age when both are set), and is
 *       removed otherwise, or when no metadata retention is set.
 *   p->host and p->subset, when set, limit the verdicts to that series:
 *   other backups are kept as they are ("not selected").
 *
 *   bs_retain_cutoff(v, n, verdicts, policy, refresh, now, &cutoff, mark)
 *       the chunk cut-off: chunks stamped before it may go.  It is the
 *       lower of now - max-age (now without one) and the floor of every
 *       backup kept with its data whose floor is within `refresh` of that
 *       time (so that the next backup still trusts the newest one's
 *       stamps).  A kept backup whose floor is older
 *       (kept by a yearly rule, say) does not hold the cut-off back: mark[i]
 *       is set, and its chunks must be kept by reference (bs_retain_mark).
 *
 *   bs_retain_mark(repo, id, set, e)
 *       add every chunk backup `id`'s listings refer to to `set` (from the
 *       listings' heads, without decompressing them)
 *   bs_policy_any_rule(p)    1 when p keeps some backups by a keep rule
 *                            (a count above 0), else 0
 *   struct bs_digests: a set of chunk digests
 *     bs_digests_add(s, d)  bs_digests_has(s, d)  bs_digests_release(s)
 */
#ifndef BS_RETAIN_H
#define BS_RETAIN_H

#include <stddef.h>
#include <stdint.h>
#include "backup.h"
#include "err.h"
#include "hash.h"
#include "io.h"
#include "repo.h"

enum { BS_KEEP_LAST, BS_KEEP_HOURLY, BS_KEEP_DAILY, BS_KEEP_WEEKLY, BS_KEEP_MONTHLY, BS_KEEP_YEARLY,
       BS_KEEP_RULES };

/* the rules' names, as in --keep-NAME and the config's keep-NAME */
extern const char *const bs_keep_names[BS_KEEP_RULES];

struct bs_policy {
	int64_t max_age;		/* seconds, or -1 */
	int64_t metadata_max_age;	/* seconds, or -1 */
	int64_t keep[BS_KEEP_RULES];	/* how many, or 0 */
	const char *host, *subset;	/* limit to one series, when set */
};

enum { BS_RETAIN_KEEP, BS_RETAIN_LISTING, BS_RETAIN_REMOVE };

struct bs_verdict {
	int action;
	int rule;			/* the keep rule, or -1 */
	char why[96];
};

int bs_policy_any_rule(const struct bs_policy *p);
void bs_retain(const struct bs_summary *v, size_t n, const struct bs_policy *p, struct bs_time now,
	       struct bs_verdict *out);
void bs_retain_cutoff(const struct bs_summary *v, size_t n, const struct bs_verdict *verdicts,
		      const struct bs_policy *p, int64_t refresh, struct bs_time now, struct bs_time *cutoff,
		      int *mark);

struct bs_digests {
	unsigned char *slots;		/* cap slots of BS_DIGEST_LEN bytes */
	size_t n, cap;
};

void bs_digests_add(struct bs_digests *s, const unsigned char *digest);
int bs_digests_has(const struct bs_digests *s, const unsigned char *digest);
void bs_digests_release(struct bs_digests *s);
int bs_retain_mark(struct bs_repo *repo, const char *id, struct bs_digests *set, struct bs_err *e);

#endif
