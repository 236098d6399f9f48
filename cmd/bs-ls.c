/* bs-ls - list the backups, a backup's files, or its manifest stream. */
#include <getopt.h>
#include <locale.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "backup.h"
#include "diff.h"
#include "lister.h"
#include "lsfmt.h"
#include "repo.h"
#include "select.h"
#include "tarname.h"
#include "remote.h"
#include "tool.h"
#include "everyday.h"

static const char usage[] =
	"usage: bs-ls -r repo [-H host] [-s subset] [--json]\n"
	"       bs-ls -r repo [-H host] [-s subset] [-l [--full-time] | -0 | --records] backup [path ...]\n"
	"       bs-ls -r repo [-H host] [-s subset] --summary [--json] backup\n"
	"       bs-ls -r repo [-H host] [-s subset] --diff [-0 | --json] backup backup|dir [path ...]\n"
	"       bs-ls -r repo [-H host] [-s subset] --find [-0 | --json] pattern\n"
	"       bs-ls -r repo --priors [-H host] -s subset\n";

static int utf8;	/* the locale is UTF-8: names print as themselves */

static void list_backups(struct bs_repo *repo, const char *host, const char *subset, int json)
{
	struct bs_summary *v;
	struct bs_buf b = BS_BUF_INIT;
	struct bs_err e;
	size_t n;

	if (bs_backup_list_of(repo, host, subset, &v, &n, &e) < 0)
		tool_die(&e);
	for (size_t i = 0; i < n; i++) {
		bs_fmt_backup(&b, &v[i], json ? BS_FMT_JSON : BS_FMT_TEXT);
		fwrite(b.p, 1, b.len, stdout);
		bs_buf_reset(&b);
	}
	free(v);
	bs_buf_release(&b);
	tool_close_stdout();
}

struct out {
	struct bs_writer w;
	struct bs_buf b;
	int style;
};

static int changed(void *arg, int change, const char *path, size_t len, const struct bs_entry *a,
		   const struct bs_entry *b, struct bs_err *e)
{
	struct out *o = arg;

	bs_buf_reset(&o->b);
	bs_fmt_change(&o->b, change, path, len, a, b, o->style, utf8);
	bs_writer_add(&o->w, o->b.p, o->b.len);
	return o->w.err ? bs_writer_flush(&o->w, e) : 0;
}

static void unreadable(void *arg, const char *msg)
{
	(void)arg;
	tool_warn("%s", msg);
}

static int found(void *arg, const struct bs_summary *s, const struct bs_entry *ent, const struct bs_buf *path,
		 struct bs_err *e)
{
	struct out *o = arg;

	bs_buf_reset(&o->b);
	bs_fmt_found(&o->b, s, ent, path->p, path->len, o->style, utf8);
	bs_writer_add(&o->w, o->b.p, o->b.len);
	return o->w.err ? bs_writer_flush(&o->w, e) : 0;
}

/* --diff A B [path ...]: exits 1 when there are changes */
static int diff(struct bs_repo *repo, const char *host, const char *subset, int style, int argc, char **argv)
{
	struct bs_summary sa, sb;
	struct bs_meta_reader ma, mb;
	struct bs_diff d;
	struct out o;
	struct bs_err e;
	struct bs_buf clean = BS_BUF_INIT;
	char **paths = NULL;
	int live = argv[1][0] == '/' || argv[1][0] == '.', rc;

	if (bs_backup_resolve_in(repo, argv[0], host, subset, &sa, &e) < 0)
		tool_die(&e);
	if (live && argc > 2)
		tool_fail(BS_USAGE, "paths are for two backups; against a directory, name the directory");
	paths = bs_xcalloc((size_t)argc, sizeof(*paths));
	for (int i = 2; i < argc; i++) {
		if (argv[i][0] != '/')
			tool_fail(BS_USAGE, "'%s': paths in a backup are absolute", argv[i]);
		if (bs_path_clean(argv[i], strlen(argv[i]), &clean, &e) < 0)
			tool_die(&e);
		paths[i - 2] = bs_xstrdup(clean.p);
	}
	if (bs_meta_open(&ma, repo, sa.id, &e) < 0)
		tool_die(&e);
	memset(&d, 0, sizeof(d));
	memset(&o, 0, sizeof(o));
	bs_writer_init(&o.w, 1, "standard output");
	bs_buf_init(&o.b);
	o.style = style;
	d.emit = changed;
	d.warn = unreadable;
	d.arg = &o;
	if (live) {
		if (bs_path_clean(argv[1], strlen(argv[1]), &clean, &e) < 0)
			tool_die(&e);
		rc = bs_diff_live(&d, &ma, clean.p, &e);
	} else {
		if (bs_backup_resolve_in(repo, argv[1], host, subset, &sb, &e) < 0)
			tool_die(&e);
		if (bs_meta_open(&mb, repo, sb.id, &e) < 0)
			tool_die(&e);
		rc = bs_diff_backups(&d, &ma, &mb, paths, (size_t)(argc - 2), &e);
		bs_meta_release(&mb);
	}
	if (rc < 0)
		tool_die(&e);
	if (bs_writer_close(&o.w, &e) < 0)
		tool_die(&e);
	for (int i = 0; i < argc - 2; i++)
		free(paths[i]);
	free(paths);
	bs_meta_release(&ma);
	bs_buf_release(&o.b);
	bs_buf_release(&clean);
	return d.changes ? BS_PARTIAL : BS_OK;
}

/* --find pattern: exits 1 when nothing matches */
static int find(struct bs_repo *repo, const char *host, const char *subset, int style, const char *pattern)
{
	struct out o;
	struct bs_err e;
	int64_t n;

	if (pattern[0] != '/' && pattern[0] != '*' && pattern[0] != '?' && pattern[0] != '[')
		tool_fail(BS_USAGE, "'%s': a path in a backup is absolute (or a pattern starting with *)", pattern);
	memset(&o, 0, sizeof(o));
	bs_writer_init(&o.w, 1, "standard output");
	bs_buf_init(&o.b);
	o.style = style;
	n = bs_find(repo, pattern, host, subset, found, &o, &e);
	if (n < 0)
		tool_die(&e);
	if (bs_writer_close(&o.w, &e) < 0)
		tool_die(&e);
	bs_buf_release(&o.b);
	return n ? BS_OK : BS_PARTIAL;
}

static void summary(struct bs_repo *repo, const char *host, const char *subset, int style, const char *name)
{
	struct bs_summary sum;
	struct bs_buf b = BS_BUF_INIT;
	struct bs_err e;

	if (bs_backup_resolve_in(repo, name, host, subset, &sum, &e) < 0)
		tool_die(&e);
	bs_fmt_summary(&b, &sum, style);
	fwrite(b.p, 1, b.len, stdout);
	bs_buf_release(&b);
	tool_close_stdout();
}

static void list_priors(struct bs_repo *repo, char *host, size_t hostlen, const char *subset)
{
	struct bs_summary v[3];
	struct bs_err e;
	size_t n;

	if (!host[0])
		tool_hostname(host, hostlen);
	if (bs_backup_priors(repo, host, subset, v, &n, &e) < 0)
		tool_die(&e);
	for (size_t i = 0; i < n; i++)
		printf("%s\n", v[i].id);
	tool_close_stdout();
}

static void list_backup(struct bs_repo *repo, const char *host, const char *subset, const char *name, int mode, int full_time,
			char *const *paths, int n)
{
	struct bs_meta_reader meta;
	struct bs_summary sum;
	struct bs_writer out;
	struct bs_lister l;
	struct bs_err e;

	if (bs_backup_resolve_in(repo, name, host, subset, &sum, &e) < 0 || bs_meta_open(&meta, repo, sum.id, &e) < 0)
		tool_die(&e);
	bs_writer_init(&out, 1, "standard output");
	bs_lister_init(&l, mode, &out);
	l.utf8 = utf8;
	l.full_time = full_time;
	if (bs_lister_run(&l, &meta, paths, n, &e) < 0 || bs_writer_close(&out, &e) < 0)
		tool_die(&e);
	bs_lister_release(&l);
	bs_meta_release(&meta);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "records", no_argument, NULL, 'R' },
		{ "priors", no_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'J' },
		{ "summary", no_argument, NULL, 'S' },
		{ "diff", no_argument, NULL, 'D' },
		{ "find", no_argument, NULL, 'F' },
		{ "full-time", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct bs_repo repo;
	struct bs_err e;
	const char *path = NULL, *subset = NULL, *hostf;
	char host[128] = "";
	int opt, priors = 0, mode = BS_LIST_NAMES, json = 0, summing = 0, diffing = 0, finding = 0, style, rc = 0, full_time = 0;

	tool_init("bs-ls");
	/* a repository over ssh: the same tool runs there (bs-serve.1) */
	{
		int remote = bs_remote_divert(argc, argv, "ls", &e);
		if (remote == -1)
			tool_die(&e);
		if (remote >= 0)
			return remote;
	}
	setlocale(LC_CTYPE, "");
	utf8 = bs_locale_utf8();
	while ((opt = tool_getopt(argc, argv, "hr:l0s:H:", longopts)) != -1) {
		switch (opt) {
		case 'r': path = optarg; break;
		case 'l': mode = BS_LIST_LONG; break;
		case '0': mode = BS_LIST_NUL; break;
		case 'R': mode = BS_LIST_RECORDS; break;
		case 'P': priors = 1; break;
		case 'J': json = 1; break;
		case 'S': summing = 1; break;
		case 'D': diffing = 1; break;
		case 'F': finding = 1; break;
		case 'V': tool_version();
		case 'T': full_time = 1; mode = BS_LIST_LONG; break;
		case 's': subset = optarg; break;
		case 'H': snprintf(host, sizeof(host), "%s", optarg); break;
		case 'h': tool_usage(usage, 1); break;
		default: tool_usage(usage, 2);
		}
	}
	path = tool_repo(path);
	if (!path)
		tool_fail(BS_USAGE, "no repository: give -r repo, or set " TOOL_REPO_ENV);
	/* one mode; -0 and --json where a mode takes them, -l and --records
	 * only for a backup's files */
	if (priors + summing + diffing + finding > 1 || (summing && mode != BS_LIST_NAMES) ||
	    ((diffing || finding) && (mode == BS_LIST_LONG || mode == BS_LIST_RECORDS)) ||
	    ((diffing || finding) && json && mode == BS_LIST_NUL) || (priors && json) ||
	    (json && !summing && !diffing && !finding && optind != argc))
		tool_usage(usage, 2);
	style = json ? BS_FMT_JSON : mode == BS_LIST_NUL ? BS_FMT_NUL : BS_FMT_TEXT;
	hostf = host[0] ? host : NULL;
	if (bs_repo_open(&repo, path, &e) < 0)
		tool_die(&e);
	if (summing) {
		if (optind != argc - 1)
			tool_usage(usage, 2);
		summary(&repo, hostf, subset, style, argv[optind]);
	} else if (diffing) {
		if (argc - optind < 2)
			tool_usage(usage, 2);
		rc = diff(&repo, hostf, subset, style, argc - optind, argv + optind);
	} else if (finding) {
		if (argc - optind != 1)
			tool_usage(usage, 2);
		rc = find(&repo, hostf, subset, style, argv[optind]);
	} else if (priors) {
		if (!subset || optind != argc)
			tool_usage(usage, 2);
		list_priors(&repo, host, sizeof(host), subset);
	} else if (optind == argc) {
		if (mode != BS_LIST_NAMES)
			tool_usage(usage, 2);
		list_backups(&repo, hostf, subset, json);
	} else {
		list_backup(&repo, hostf, subset, argv[optind], mode, full_time, argv + optind + 1, argc - optind - 1);
	}
	bs_repo_close(&repo);
	return rc;
}
