/*
 * select.h - backups chosen by host and subset, by name, by a path's glob.
 *
 *   bs_backup_matches(s, host, subset)
 *       1 when the backup is of that host and subset (NULL or "" for any)
 *   bs_backup_list_of(repo, host, subset, &v, &n, e)
 *       bs_backup_list(), only the backups of that host and subset
 *   bs_backup_resolve_in(repo, name, host, subset, s, e)
 *       bs_backup_resolve() among those backups only: `latest` is the
 *       newest finished backup of that host and subset, and a prefix needs
 *       to be unique among them alone
 *   bs_find(repo, pattern, host, subset, fn, arg, e)
 *       every path matching pattern in every backup of that host and
 *       subset, oldest backup first: fn(arg, summary, entry, path, e), a
 *       bs_find_fn, returns 0 to go on or -1 to stop (with e).
 *       The pattern is an absolute path, exact, or a glob matched with
 *       fnmatch(3) against the whole path, `*` matching `/` too (as find's
 *       -path); only the part of each backup below the pattern's literal
 *       leading directories is read.  Returns the number of matches, or -1.
 *   bs_glob_literal(pattern)
 *       how many leading bytes of pattern hold no glob character
 */
#ifndef BS_SELECT_H
#define BS_SELECT_H

#include <stddef.h>
#include <stdint.h>
#include "backup.h"
#include "meta.h"

int bs_backup_matches(const struct bs_summary *s, const char *host, const char *subset);
int bs_backup_list_of(struct bs_repo *repo, const char *host, const char *subset, struct bs_summary **v,
		      size_t *n, struct bs_err *e);
int bs_backup_resolve_in(struct bs_repo *repo, const char *name, const char *host, const char *subset,
			 struct bs_summary *s, struct bs_err *e);
size_t bs_glob_literal(const char *pattern);
typedef int bs_find_fn(void *arg, const struct bs_summary *s, const struct bs_entry *ent,
		       const struct bs_buf *path, struct bs_err *e);
int64_t bs_find(struct bs_repo *repo, const char *pattern, const char *host, const char *subset, bs_find_fn *fn,
		void *arg, struct bs_err *e);

#endif
