/* bs-init - create a repository, or change the settings of one. */
#include <getopt.h>
#include "init.h"
#include "tool.h"
#include "everyday.h"

static const char usage[] =
	"usage: bs-init [-c avg-chunk-size] [--codec zstd|xz|none] [--level n] [--archive] [-z xz-preset]\n"
	"               [--max-age age] [--metadata-max-age age] [--refresh age] [--keep-period n]... [repo]\n"
	"       bs-init --set [--codec zstd|xz|none] [--level n] [--archive] [-z xz-preset]\n"
	"               [--max-age age|none] [--metadata-max-age age|none] [--refresh age] [--keep-period n|none]... [repo]\n";

static const struct option longopts[] = {
	{ "max-age", required_argument, NULL, 'a' },
	{ "metadata-max-age", required_argument, NULL, 'm' },
	{ "refresh", required_argument, NULL, 'R' },
	{ "set", no_argument, NULL, 'S' },
	{ "keep-last", required_argument, NULL, BS_INIT_KEEP + 0 },
	{ "keep-hourly", required_argument, NULL, BS_INIT_KEEP + 1 },
	{ "keep-daily", required_argument, NULL, BS_INIT_KEEP + 2 },
	{ "keep-weekly", required_argument, NULL, BS_INIT_KEEP + 3 },
	{ "keep-monthly", required_argument, NULL, BS_INIT_KEEP + 4 },
	{ "keep-yearly", required_argument, NULL, BS_INIT_KEEP + 5 },
	{ "codec", required_argument, NULL, 'C' },
	{ "level", required_argument, NULL, 'L' },
	{ "archive", no_argument, NULL, 'A' },
	{ NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
	struct bs_init_opts o;
	struct bs_err e;
	const char *repo_path;
	int c;

	tool_init("bs-init");
	bs_init_opts_default(&o);
	while ((c = tool_options(argc, argv, "hc:z:", longopts, usage)) != -1)
		if (bs_init_opt(&o, c, optarg, &e) < 0)
			tool_die(&e);
	if (optind == argc && (repo_path = tool_repo(NULL)))
		;
	else if (optind != argc - 1)
		tool_usage(usage, 2);
	else
		repo_path = argv[optind];
	if (bs_init_run(&o, repo_path, &e) < 0)
		tool_die(&e);
	return 0;
}
