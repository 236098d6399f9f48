/* bs-ls - list the backups, a backup's files, or its manifest stream. */
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include "lister.h"
#include "lsfmt.h"
#include "lsrun.h"
#include "tarname.h"
#include "tool.h"
#include "everyday.h"

static const char usage[] =
	"usage: bs-ls -r repo [-H host] [-s subset] [--json]\n"
	"       bs-ls -r repo [-H host] [-s subset] [-l [--full-time] | -0 | --records] backup [path ...]\n"
	"       bs-ls -r repo [-H host] [-s subset] --summary [--json] backup\n"
	"       bs-ls -r repo [-H host] [-s subset] --diff [-0 | --json] backup backup|dir [path ...]\n"
	"       bs-ls -r repo [-H host] [-s subset] --find [-0 | --json] pattern\n"
	"       bs-ls -r repo --priors [-H host] -s subset\n";

/* The modes are their options' letters; 0 lists backups or a backup's files. */
enum { PRIORS = 'P', SUMMARY = 'S', DIFF = 'D', FIND = 'F', MIXED = '?' };

static const struct option longopts[] = {
	{ "records", no_argument, NULL, 'R' },
	{ "priors", no_argument, NULL, PRIORS },
	{ "json", no_argument, NULL, 'J' },
	{ "summary", no_argument, NULL, SUMMARY },
	{ "diff", no_argument, NULL, DIFF },
	{ "find", no_argument, NULL, FIND },
	{ "full-time", no_argument, NULL, 'T' },
	{ NULL, 0, NULL, 0 },
};

/* One mode; -0 and --json where a mode takes them, -l and --records only
 * for a backup's files. */
static int options_fit(int what, int mode, int json, int args)
{
	int listing = mode == BS_LIST_LONG || mode == BS_LIST_RECORDS;

	if (what == MIXED || (what == SUMMARY && mode != BS_LIST_NAMES))
		return 0;
	if ((what == DIFF || what == FIND) && (listing || (json && mode == BS_LIST_NUL)))
		return 0;
	return !json || what == SUMMARY || what == DIFF || what == FIND || (what == 0 && !args);
}

/* the arguments a mode takes, checked once the repository is open */
static void need(int ok)
{
	if (!ok)
		tool_usage(usage, 2);
}

/* The mode, with its arguments; the exit status. */
static int run(struct bs_ls *ls, int what, int mode, int full_time, int argc, char **argv, char *host,
	       size_t hostlen)
{
	struct bs_err e;
	int64_t n;

	switch (what) {
	case SUMMARY:
		need(argc == 1);
		n = bs_ls_summary(ls, argv[0], &e);
		break;
	case DIFF:
		need(argc >= 2);
		n = bs_ls_diff(ls, argv[0], argv[1], argv + 2, argc - 2, &e);
		break;
	case FIND:
		need(argc == 1);
		n = bs_ls_find(ls, argv[0], &e);
		break;
	case PRIORS:
		need(ls->subset && !argc);
		if (!host[0])
			tool_hostname(host, hostlen);
		ls->host = host;
		n = bs_ls_priors(ls, &e);
		break;
	default:
		need(argc || mode == BS_LIST_NAMES);
		n = argc ? bs_ls_files(ls, argv[0], mode, full_time, argv + 1, argc - 1, &e) : bs_ls_backups(ls, &e);
	}
	if (n < 0 || bs_writer_close(ls->out, &e) < 0)
		tool_die(&e);
	/* --diff: 1 when there are changes; --find: 1 when nothing matches */
	return what == DIFF ? n > 0 : what == FIND ? n == 0 : BS_OK;
}

int main(int argc, char **argv)
{
	struct bs_ls ls = { .warn = tool_warn_msg };
	struct bs_repo repo;
	struct bs_writer out;
	struct bs_err e;
	const char *path = NULL;
	char host[128] = "";
	int opt, what = 0, mode = BS_LIST_NAMES, json = 0, full_time = 0, rc;

	tool_init("bs-ls");
	tool_divert(argc, argv, "ls");	/* a repository over ssh (bs-serve.1) */
	setlocale(LC_CTYPE, "");
	ls.utf8 = bs_locale_utf8();
	while ((opt = tool_options(argc, argv, "hr:l0s:H:", longopts, usage)) != -1) {
		switch (opt) {
		case 'r': path = optarg; break;
		case 'l': mode = BS_LIST_LONG; break;
		case '0': mode = BS_LIST_NUL; break;
		case 'R': mode = BS_LIST_RECORDS; break;
		case 'J': json = 1; break;
		case 'T': full_time = 1; mode = BS_LIST_LONG; break;
		case 's': ls.subset = optarg; break;
		case 'H': snprintf(host, sizeof(host), "%s", optarg); break;
		case PRIORS: case SUMMARY: case DIFF: case FIND: what = what && what != opt ? MIXED : opt; break;
		default: tool_usage(usage, 2);
		}
	}
	path = tool_repo(path);
	if (!path)
		tool_fail(BS_USAGE, "no repository: give -r repo, or set " TOOL_REPO_ENV);
	if (!options_fit(what, mode, json, optind != argc))
		tool_usage(usage, 2);
	ls.style = json ? BS_FMT_JSON : mode == BS_LIST_NUL ? BS_FMT_NUL : BS_FMT_TEXT;
	ls.host = host[0] ? host : NULL;
	if (bs_repo_open(&repo, path, &e) < 0)
		tool_die(&e);
	ls.repo = &repo;
	bs_writer_init(&out, 1, "standard output");
	ls.out = &out;
	rc = run(&ls, what, mode, full_time, argc - optind, argv + optind, host, sizeof(host));
	bs_repo_close(&repo);
	return rc;
}
