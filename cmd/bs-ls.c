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
#include "linkmap.h"
#include "lsfmt.h"
#include "meta.h"
#include "record.h"
#include "repo.h"
#include "select.h"
#include "tarname.h"
#include "tool.h"
#include "common/everyday.h"

static const char usage[] =
	"usage: bs-ls -r repo [-H host] [-s subset] [--json]\n"
	"       bs-ls -r repo [-H host] [-s subset] [-l | -0 | --records] backup [path ...]\n"
	"       bs-ls -r repo [-H host] [-s subset] --summary [--json] backup\n"
	"       bs-ls -r repo [-H host] [-s subset] --diff [-0 | --json] backup backup|dir [path ...]\n"
	"       bs-ls -r repo [-H host] [-s subset] --find [-0 | --json] pattern\n"
	"       bs-ls -r repo --priors [-H host] -s subset\n";

static int utf8;	/* the locale is UTF-8: names print as themselves */

enum { NAMES, LONG, NUL, RECORDS };

struct lister {
	int mode;
	struct bs_writer out;
	struct bs_linkmap links;
	struct bs_buf scratch;
	uint64_t records;
};

/* A name as GNU tar prints it in this locale (tarname.h). */
static void escaped(struct bs_writer *w, const char *p, size_t n)
{
	static struct bs_buf b = BS_BUF_INIT;

	bs_buf_reset(&b);
	bs_name_escape(&b, p, n, utf8);
	bs_writer_add(w, b.p, b.len);
}

static void mode_string(char *m, const struct bs_rec *r)
{
	static const char rwx[] = "rwxrwxrwx";
	unsigned mode = r->mode;

	m[0] = r->kind == 'f' ? '-' : r->kind;
	for (int i = 0; i < 9; i++)
		m[1 + i] = (mode & (0400u >> i)) ? rwx[i] : '-';
	if (mode & 04000)
		m[3] = (mode & 0100) ? 's' : 'S';
	if (mode & 02000)
		m[6] = (mode & 010) ? 's' : 'S';
	if (mode & 01000)
		m[9] = (mode & 01) ? 't' : 'T';
	m[10] = '\0';
}

static int visit(void *arg, const struct bs_entry *ent, const struct bs_buf *path, struct bs_err *e)
{
	struct lister *l = arg;
	const struct bs_rec *r = &ent->rec;

	if (r->kind == 'i')
		return 0;
	switch (l->mode) {
	case NAMES:
		escaped(&l->out, path->p, path->len);
		bs_writer_addc(&l->out, '\n');
		break;
	case NUL:
		bs_writer_add(&l->out, path->p, path->len);
		bs_writer_addc(&l->out, '\0');
		break;
	case RECORDS: {
		struct bs_rec copy;
		for (size_t i = 0; i < ent->nrefs; i++)
			bs_stream_ref(&l->out, ent->refs[i].digest, ent->refs[i].size);
		copy = *r;
		copy.path = *path;
		bs_stream_record(&l->out, &copy, &l->scratch);
		l->records++;
		break;
	}
	case LONG: {
		char m[12], owner[80], size[48], when[32];
		time_t t = (time_t)r->mtime.sec;
		struct tm tm;
		const char *first = NULL;

		mode_string(m, r);
		if (r->uname[0])
			snprintf(owner, sizeof(owner), "%s", r->uname);
		else
			snprintf(owner, sizeof(owner), "%" PRIu64, r->uid);
		if (r->gname[0])
			snprintf(owner + strlen(owner), sizeof(owner) - strlen(owner), "/%s", r->gname);
		else
			snprintf(owner + strlen(owner), sizeof(owner) - strlen(owner), "/%" PRIu64, r->gid);
		if (r->kind == 'c' || r->kind == 'b')
			snprintf(size, sizeof(size), "%" PRIu32 ",%" PRIu32, r->rmajor, r->rminor);
		else
			snprintf(size, sizeof(size), "%" PRIu64, r->size);
		if (!localtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm))
			snprintf(when, sizeof(when), "%" PRId64, r->mtime.sec);
		if (r->kind == 'f' && r->nlink > 1) {
			first = bs_linkmap_get(&l->links, r->dev, r->ino);
			if (first)
				m[0] = 'h';
			else
				bs_linkmap_put(&l->links, r->dev, r->ino, bs_xstrndup(path->p, path->len));
		}
		bs_writer_addf(&l->out, "%s %s %8s %s ", m, owner, size, when);
		escaped(&l->out, path->p, path->len);
		if (r->kind == 'd' && path->len > 1)
			bs_writer_addc(&l->out, '/');
		if (r->kind == 'l') {
			bs_writer_adds(&l->out, " -> ");
			escaped(&l->out, r->target.p, r->target.len);
		} else if (first) {
			bs_writer_adds(&l->out, " link to ");
			escaped(&l->out, first, strlen(first));
		}
		bs_writer_addc(&l->out, '\n');
		break;
	}
	}
	if (l->out.err)
		return bs_writer_flush(&l->out, e);
	return 0;
}

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

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "records", no_argument, NULL, 'R' },
		{ "priors", no_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'J' },
		{ "summary", no_argument, NULL, 'S' },
		{ "diff", no_argument, NULL, 'D' },
		{ "find", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct lister l;
	struct bs_repo repo;
	struct bs_meta_reader meta;
	struct bs_summary sum;
	struct bs_buf clean = BS_BUF_INIT;
	struct bs_err e;
	const char *path = NULL, *subset = NULL, *hostf;
	char host[128] = "";
	int opt, priors = 0, json = 0, summary = 0, diffing = 0, finding = 0, style, rc;

	tool_init("bs-ls");
	setlocale(LC_CTYPE, "");
	utf8 = bs_locale_utf8();
	while ((opt = getopt_long(argc, argv, "hr:l0s:H:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r': path = optarg; break;
		case 'l': l.mode = LONG; break;
		case '0': l.mode = NUL; break;
		case 'R': l.mode = RECORDS; break;
		case 'P': priors = 1; break;
		case 'J': json = 1; break;
		case 'S': summary = 1; break;
		case 'D': diffing = 1; break;
		case 'F': finding = 1; break;
		case 's': subset = optarg; break;
		case 'H': snprintf(host, sizeof(host), "%s", optarg); break;
		case 'h': tool_usage(usage, 1); break;
		case 'V': tool_version();
		default: tool_usage(usage, 2);
		}
	}
	path = tool_repo(path);
	if (!path)
		tool_fail(BS_USAGE, "no repository: give -r repo, or set " TOOL_REPO_ENV);
	if (priors + summary + diffing + finding > 1)
		tool_usage(usage, 2);
	/* -0 and --json for the modes that take them; -l and --records only
	 * for a backup's files */
	if ((summary && (l.mode != NAMES)) || ((diffing || finding) && (l.mode == LONG || l.mode == RECORDS)) ||
	    ((diffing || finding) && json && l.mode == NUL) || (priors && json) ||
	    (json && !summary && !diffing && !finding && optind != argc))
		tool_usage(usage, 2);
	style = json ? BS_FMT_JSON : l.mode == NUL ? BS_FMT_NUL : BS_FMT_TEXT;
	hostf = host[0] ? host : NULL;
	if (bs_repo_open(&repo, path, &e) < 0)
		tool_die(&e);
	if (priors) {
		struct bs_summary v[3];
		size_t n;
		if (!subset || optind != argc)
			tool_usage(usage, 2);
		if (!host[0])
			tool_hostname(host, sizeof(host));
		if (bs_backup_priors(&repo, host, subset, v, &n, &e) < 0)
			tool_die(&e);
		for (size_t i = 0; i < n; i++)
			printf("%s\n", v[i].id);
		tool_close_stdout();
		bs_repo_close(&repo);
		return 0;
	}
	if (summary) {
		struct bs_buf b = BS_BUF_INIT;
		if (optind != argc - 1)
			tool_usage(usage, 2);
		if (bs_backup_resolve_in(&repo, argv[optind], hostf, subset, &sum, &e) < 0)
			tool_die(&e);
		bs_fmt_summary(&b, &sum, style);
		fwrite(b.p, 1, b.len, stdout);
		bs_buf_release(&b);
		tool_close_stdout();
		bs_repo_close(&repo);
		return 0;
	}
	if (diffing) {
		if (argc - optind < 2)
			tool_usage(usage, 2);
		rc = diff(&repo, hostf, subset, style, argc - optind, argv + optind);
		bs_repo_close(&repo);
		return rc;
	}
	if (finding) {
		if (argc - optind != 1)
			tool_usage(usage, 2);
		rc = find(&repo, hostf, subset, style, argv[optind]);
		bs_repo_close(&repo);
		return rc;
	}
	if (optind == argc) {
		if (l.mode != NAMES)
			tool_usage(usage, 2);
		list_backups(&repo, hostf, subset, json);
		bs_repo_close(&repo);
		return 0;
	}
	if (bs_backup_resolve_in(&repo, argv[optind], hostf, subset, &sum, &e) < 0)
		tool_die(&e);
	if (bs_meta_open(&meta, &repo, sum.id, &e) < 0)
		tool_die(&e);
	bs_writer_init(&l.out, 1, "standard output");
	bs_linkmap_init(&l.links);
	if (l.mode == RECORDS)
		bs_stream_header(&l.out, BS_STREAM_MANIFEST);
	if (optind + 1 == argc) {
		if (bs_meta_walk(&meta, "/", 1, visit, &l, &e) < 0)
			tool_die(&e);
	}
	for (int i = optind + 1; i < argc; i++) {
		int r;
		if (argv[i][0] != '/')
			tool_fail(BS_USAGE, "'%s': paths in a backup are absolute", argv[i]);
		if (bs_path_clean(argv[i], strlen(argv[i]), &clean, &e) < 0)
			tool_die(&e);
		r = bs_meta_walk(&meta, clean.p, clean.len, visit, &l, &e);
		if (r < 0)
			tool_die(&e);
		if (r == 0)
			tool_fail(BS_INPUT, "'%s' is not in backup '%s'", argv[i], sum.id);
	}
	if (l.mode == RECORDS)
		bs_stream_trailer(&l.out, l.records);
	if (bs_writer_close(&l.out, &e) < 0)
		tool_die(&e);
	bs_linkmap_release(&l.links, free);
	bs_meta_release(&meta);
	bs_buf_release(&clean);
	bs_buf_release(&l.scratch);
	bs_repo_close(&repo);
	return 0;
}
