/*
 * lsrun.h - bs-ls's modes: from names given to lines on a writer (lsrun.c).
 *
 * struct bs_ls says where and how: ls->repo (open), the scope of backup
 * names (ls->host, ls->subset; NULL for any: select.h), ls->style of the
 * lines (lsfmt.h: BS_FMT_TEXT, _NUL or _JSON), ls->utf8 (the locale is
 * UTF-8: names print as themselves, tarname.h) and ls->out, the writer of
 * the lines (the caller closes it).  A live path that cannot be read goes
 * to ls->warn(ls->arg, msg) and is passed over.  Each function returns -1
 * with e on failure (a backup not found: BS_INPUT; a path that is not
 * absolute: BS_USAGE, "'%s': paths in a backup are absolute").
 *
 *   bs_ls_backups(ls, e)      every backup of that host and subset, oldest
 *                             first, a line each (bs_fmt_backup); 0
 *   bs_ls_summary(ls, name, e)    the summary of one (bs_fmt_summary); 0
 *   bs_ls_priors(ls, e)       the ids of the earlier backups a backup of
 *                             ls->host and ls->subset (both needed) takes
 *                             unchanged files from (bs_backup_priors), a
 *                             line each; 0
 *   bs_ls_files(ls, name, mode, full_time, paths, n, e)
 *                             a backup's files under paths[0..n), as
 *                             lister.h's mode says; 0
 *   bs_ls_diff(ls, a, b, paths, n, e)
 *                             the changes from backup a to backup b (below
 *                             paths[0..n), absolute), or to the live tree
 *                             at b when b begins with '/' or '.' (then no
 *                             paths: BS_USAGE); a line each
 *                             (bs_fmt_change); returns how many
 *   bs_ls_find(ls, pattern, e)
 *                             every path matching pattern (bs_find: an
 *                             absolute path or a glob beginning with
 *                             '*', '?' or '[', else BS_USAGE) in every
 *                             backup in scope, a line each
 *                             (bs_fmt_found); returns how many
 */
#ifndef BS_LSRUN_H
#define BS_LSRUN_H

#include <stdint.h>
#include "err.h"
#include "io.h"
#include "repo.h"

struct bs_ls {
	struct bs_repo *repo;
	const char *host, *subset;
	int style;
	int utf8;
	struct bs_writer *out;
	void (*warn)(void *arg, const char *msg);
	void *arg;
};

int bs_ls_backups(struct bs_ls *ls, struct bs_err *e);
int bs_ls_summary(struct bs_ls *ls, const char *name, struct bs_err *e);
int bs_ls_priors(struct bs_ls *ls, struct bs_err *e);
int bs_ls_files(struct bs_ls *ls, const char *name, int mode, int full_time, char *const *paths, int n,
		struct bs_err *e);
int64_t bs_ls_diff(struct bs_ls *ls, const char *a, const char *b, char *const *paths, int n, struct bs_err *e);
int64_t bs_ls_find(struct bs_ls *ls, const char *pattern, struct bs_err *e);

#endif
