/* bs-ls - list the backups, a backup's files, or its manifest stream. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "backup.h"
#include "lister.h"
#include "repo.h"
#include "tool.h"

static const char usage[] =
	"usage: bs-ls -r repo\n"
	"       bs-ls -r repo [-l | -0 | --records] backup [path ...]\n"
	"       bs-ls -r repo --priors [-H host] -s subset\n";

static void list_backups(struct bs_repo *repo)
{
	struct bs_summary *v;
	struct bs_err e;
	size_t n;

	if (bs_backup_list(repo, &v, &n, &e) < 0)
		tool_die(&e);
	for (size_t i = 0; i < n; i++) {
		char start[32], finish[32];
		bs_time_format(start, sizeof(start), v[i].start);
		if (v[i].damaged) {
			printf("%s  %s  %-19s  %10s files  %14s bytes  (summary damaged)\n", v[i].id, start, "damaged",
			       "?", "?");
			continue;
		}
		if (v[i].finished)
			bs_time_format(finish, sizeof(finish), v[i].finish);
		else
			snprintf(finish, sizeof(finish), "unfinished");
		printf("%s  %s  %-19s  %10" PRIu64 " files  %14" PRIu64 " bytes%s\n", v[i].id, start, finish,
		       v[i].files, v[i].bytes, v[i].data_expired ? "  (data expired)" : "");
	}
	free(v);
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

static void list_backup(struct bs_repo *repo, const char *name, int mode, char *const *paths, int n)
{
	struct bs_meta_reader meta;
	struct bs_summary sum;
	struct bs_writer out;
	struct bs_lister l;
	struct bs_err e;

	if (bs_backup_resolve(repo, name, &sum, &e) < 0 || bs_meta_open(&meta, repo, sum.id, &e) < 0)
		tool_die(&e);
	bs_writer_init(&out, 1, "standard output");
	bs_lister_init(&l, mode, &out);
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bs_repo repo;
	struct bs_err e;
	const char *path = NULL, *subset = NULL;
	char host[128] = "";
	int opt, priors = 0, mode = BS_LIST_NAMES;

	tool_init("bs-ls");
	while ((opt = getopt_long(argc, argv, "hr:l0s:H:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r': path = optarg; break;
		case 'l': mode = BS_LIST_LONG; break;
		case '0': mode = BS_LIST_NUL; break;
		case 'R': mode = BS_LIST_RECORDS; break;
		case 'P': priors = 1; break;
		case 's': subset = optarg; break;
		case 'H': snprintf(host, sizeof(host), "%s", optarg); break;
		case 'h': tool_usage(usage, 1); break;
		default: tool_usage(usage, 2);
		}
	}
	if (!path)
		tool_usage(usage, 2);
	if (bs_repo_open(&repo, path, &e) < 0)
		tool_die(&e);
	if (priors) {
		if (!subset || optind != argc)
			tool_usage(usage, 2);
		list_priors(&repo, host, sizeof(host), subset);
	} else if (optind == argc) {
		if (mode != BS_LIST_NAMES)
			tool_usage(usage, 2);
		list_backups(&repo);
	} else {
		list_backup(&repo, argv[optind], mode, argv + optind + 1, argc - optind - 1);
	}
	bs_repo_close(&repo);
	return 0;
}
