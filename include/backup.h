/*
 * backup.h - backups (savesets): their ids and their summaries.
 *
 * A backup lives in REPO/backups/<id>/: `summary` (text, rewritten by
 * temporary file and rename) and `metadata` (meta.h).  Its id is
 * YYYYMMDD-HHMMSS-host-subset, the start time in UTC, so ids sort by time
 * and a prefix of the date is easy to type.
 *
 *   bs_backup_create(repo, host, subset, start, floor, s, e)
 *       make the backup's directory (a suffix -2, -3... when the id is
 *       taken) and write its summary, unfinished; fills *s.  `floor` is a
 *       time no later than the stamp of any chunk it will refer to (the
 *       start when later)
 *   bs_summary_write(repo, s, e)    rewrite the summary atomically
 *   bs_summary_read(repo, id, s, e) read one; BS_INPUT if there is none
 *   bs_backup_list(repo, &v, &n, e) every backup, oldest first (free(v));
 *                                   one whose summary is damaged is listed
 *                                   too, with s->damaged set, unfinished,
 *                                   its start read from its id; a
 *                                   directory without a summary file is
 *                                   being created, not listed
 *   bs_backup_resolve(repo, name, s, e)
 *       a full id, `latest` (the newest finished backup) or a unique prefix
 *       of an id; BS_INPUT when none or several match
 *   bs_backup_pick(v, n, name, scope, repopath, s, e)
 *       bs_backup_resolve() among v[0, n), which it frees; scope (" of
 *       host H" or "") and repopath go into its messages
 *   bs_backup_priors(repo, host, subset, v, &n, e)
 *       up to three earlier backups of that host and subset to take
 *       unchanged files from: the most recent, the most recent finished, and
 *       the one with the most files, without repeats
 *   bs_time_format(out, n, t)       local "YYYY-MM-DD HH:MM:SS"
 *   bs_name_ok(s)                   a usable host or subset name
 *   bs_backup_names(host, subset, e)
 *       the names a new backup is to carry: 0, or -1 (BS_USAGE) when the
 *       subset is not usable, or the host (unless NULL) is localhost
 *       (which would mix machines) or not usable
 *   bs_backup_remove(repo, id, e)   remove a backup: its directory is first
 *                                   renamed to backups/.removing-<id>, so a
 *                                   half-removed backup is never listed;
 *                                   also finishes such leftovers (id given
 *                                   with the prefix)
 */
#ifndef BS_BACKUP_H
#define BS_BACKUP_H

#include <stdint.h>
#include "err.h"
#include "io.h"
#include "repo.h"

struct bs_summary {
	char id[256];
	char host[128];
	char subset[128];
	struct bs_time start;
	struct bs_time floor;	/* no chunk it refers to has an older stamp */
	int finished;
	struct bs_time finish;
	uint64_t files, bytes, problems;
	int data_expired;
	int damaged;		/* the summary file is there but unreadable:
				   only id and start (from the id) are known */
};

int bs_name_ok(const char *s);
int bs_backup_names(const char *host, const char *subset, struct bs_err *e);
int bs_backup_create(struct bs_repo *repo, const char *host, const char *subset,
		     struct bs_time start, struct bs_time floor, struct bs_summary *s, struct bs_err *e);
int bs_summary_write(struct bs_repo *repo, const struct bs_summary *s, struct bs_err *e);
int bs_summary_read(struct bs_repo *repo, const char *id, struct bs_summary *s, struct bs_err *e);
int bs_backup_list(struct bs_repo *repo, struct bs_summary **v, size_t *n, struct bs_err *e);
int bs_backup_resolve(struct bs_repo *repo, const char *name, struct bs_summary *s, struct bs_err *e);
int bs_backup_pick(struct bs_summary *v, size_t n, const char *name, const char *scope, const char *repopath,
		   struct bs_summary *s, struct bs_err *e);
int bs_backup_priors(struct bs_repo *repo, const char *host, const char *subset,
		     struct bs_summary *v, size_t *n, struct bs_err *e);
int bs_backup_remove(struct bs_repo *repo, const char *id, struct bs_err *e);
void bs_time_format(char *out, size_t n, struct bs_time t);	/* local YYYY-MM-DD HH:MM:SS */

#endif
