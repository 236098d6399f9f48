/* lsrun.c - bs-ls's modes: backups, a summary, priors, files, changes, matches, as lines on a writer. */
#include <stdlib.h>
#include <string.h>
#include "backup.h"
#include "diff.h"
#include "lister.h"
#include "lsfmt.h"
#include "lsrun.h"
#include "path.h"
#include "select.h"

/* the lines of one call: each made in b, then written */
struct sink {
	struct bs_ls *ls;
	struct bs_buf b;
};

static int put(struct sink *s, struct bs_err *e)
{
	struct bs_writer *w = s->ls->out;

	bs_writer_add(w, s->b.p, s->b.len);
	bs_buf_reset(&s->b);
	return w->err ? bs_writer_flush(w, e) : 0;
}

int bs_ls_backups(struct bs_ls *ls, struct bs_err *e)
{
	struct sink s = { ls, BS_BUF_INIT };
	struct bs_summary *v;
	size_t n;
	int rc = 0;

	if (bs_backup_list_of(ls->repo, ls->host, ls->subset, &v, &n, e) < 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		bs_fmt_backup(&s.b, &v[i], ls->style);
		rc = put(&s, e);
	}
	free(v);
	bs_buf_release(&s.b);
	return rc;
}

int bs_ls_summary(struct bs_ls *ls, const char *name, struct bs_err *e)
{
	struct sink s = { ls, BS_BUF_INIT };
	struct bs_summary sum;
	int rc;

	if (bs_backup_resolve_in(ls->repo, name, ls->host, ls->subset, &sum, e) < 0)
		return -1;
	bs_fmt_summary(&s.b, &sum, ls->style);
	rc = put(&s, e);
	bs_buf_release(&s.b);
	return rc;
}

int bs_ls_priors(struct bs_ls *ls, struct bs_err *e)
{
	struct bs_summary v[3];
	size_t n;

	if (bs_backup_priors(ls->repo, ls->host, ls->subset, v, &n, e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		bs_writer_addf(ls->out, "%s\n", v[i].id);
	return ls->out->err ? bs_writer_flush(ls->out, e) : 0;
}

int bs_ls_files(struct bs_ls *ls, const char *name, int mode, int full_time, char *const *paths, int n,
		struct bs_err *e)
{
	struct bs_meta_reader meta;
	struct bs_summary sum;
	struct bs_lister l;
	int rc;

	if (bs_backup_resolve_in(ls->repo, name, ls->host, ls->subset, &sum, e) < 0 ||
	    bs_meta_open(&meta, ls->repo, sum.id, e) < 0)
		return -1;
	bs_lister_init(&l, mode, ls->out);
	l.utf8 = ls->utf8;
	l.full_time = full_time;
	rc = bs_lister_run(&l, &meta, paths, n, e);
	bs_lister_release(&l);
	bs_meta_release(&meta);
	return rc;
}

/* ---- changes ---- */

static int changed(void *arg, int change, const char *path, size_t len, const struct bs_entry *a,
		   const struct bs_entry *b, struct bs_err *e)
{
	struct sink *s = arg;

	bs_fmt_change(&s->b, change, path, len, a, b, s->ls->style, s->ls->utf8);
	return put(s, e);
}

static void unreadable(void *arg, const char *msg)
{
	struct sink *s = arg;

	if (s->ls->warn)
		s->ls->warn(s->ls->arg, msg);
}

/* paths[0..n), each absolute, cleaned into a new array (free_paths) */
static char **clean_paths(char *const *paths, int n, struct bs_err *e)
{
	char **v = bs_xcalloc((size_t)n + 1, sizeof(*v));
	struct bs_buf clean = BS_BUF_INIT;
	int i;

	for (i = 0; i < n; i++) {
		if (paths[i][0] != '/') {
			bs_err_set(e, BS_USAGE, "'%s': paths in a backup are absolute", paths[i]);
			break;
		}
		if (bs_path_clean(paths[i], strlen(paths[i]), &clean, e) < 0)
			break;
		v[i] = bs_xstrdup(clean.p);
	}
	bs_buf_release(&clean);
	if (i == n)
		return v;
	for (int k = 0; k < i; k++)
		free(v[k]);
	free(v);
	return NULL;
}

static void free_paths(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* a's metadata open, to backup b or the live tree b */
static int diff_to(struct bs_ls *ls, struct bs_diff *d, struct bs_meta_reader *ma, const char *b, int live,
		   char *const *paths, int n, struct bs_err *e)
{
	struct bs_meta_reader mb;
	struct bs_summary sb;
	struct bs_buf clean = BS_BUF_INIT;
	int rc;

	if (live) {
		rc = bs_path_clean(b, strlen(b), &clean, e);
		if (rc == 0)
			rc = bs_diff_live(d, ma, clean.p, e);
		bs_buf_release(&clean);
		return rc;
	}
	if (bs_backup_resolve_in(ls->repo, b, ls->host, ls->subset, &sb, e) < 0 ||
	    bs_meta_open(&mb, ls->repo, sb.id, e) < 0)
		return -1;
	rc = bs_diff_backups(d, ma, &mb, paths, (size_t)n, e);
	bs_meta_release(&mb);
	return rc;
}

int64_t bs_ls_diff(struct bs_ls *ls, const char *a, const char *b, char *const *paths, int n, struct bs_err *e)
{
	struct sink s = { ls, BS_BUF_INIT };
	struct bs_summary sa;
	struct bs_meta_reader ma;
	struct bs_diff d;
	char **clean;
	int live = b[0] == '/' || b[0] == '.', rc;

	if (bs_backup_resolve_in(ls->repo, a, ls->host, ls->subset, &sa, e) < 0)
		return -1;
	if (live && n > 0)
		return bs_err_set(e, BS_USAGE, "paths are for two backups; against a directory, name the directory");
	clean = clean_paths(paths, n, e);
	if (!clean)
		return -1;
	if (bs_meta_open(&ma, ls->repo, sa.id, e) < 0) {
		free_paths(clean, n);
		return -1;
	}
	memset(&d, 0, sizeof(d));
	d.emit = changed;
	d.warn = unreadable;
	d.arg = &s;
	rc = diff_to(ls, &d, &ma, b, live, clean, n, e);
	bs_meta_release(&ma);
	free_paths(clean, n);
	bs_buf_release(&s.b);
	return rc < 0 ? -1 : (int64_t)d.changes;
}

/* ---- matches ---- */

static int found(void *arg, const struct bs_summary *sum, const struct bs_entry *ent, const struct bs_buf *path,
		 struct bs_err *e)
{
	struct sink *s = arg;

	bs_fmt_found(&s->b, sum, ent, path->p, path->len, s->ls->style, s->ls->utf8);
	return put(s, e);
}

int64_t bs_ls_find(struct bs_ls *ls, const char *pattern, struct bs_err *e)
{
	struct sink s = { ls, BS_BUF_INIT };
	int64_t n;

	if (pattern[0] != '/' && pattern[0] != '*' && pattern[0] != '?' && pattern[0] != '[')
		return bs_err_set(e, BS_USAGE, "'%s': a path in a backup is absolute (or a pattern starting with *)",
				  pattern);
	n = bs_find(ls->repo, pattern, ls->host, ls->subset, found, &s, e);
	bs_buf_release(&s.b);
	return n;
}
