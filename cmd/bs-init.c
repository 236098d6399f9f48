/* bs-init - create a repository, or change the settings of one. */
#include <getopt.h>
#include "init.h"
#include "tool.h"

static const char usage[] =
	"usage: bs-init [-c avg-chunk-size] [-z xz-preset] [--max-age age] [--metadata-max-age age]\n"
	"               [--refresh age] repo\n"
	"       bs-init --set [--max-age age|none] [--metadata-max-age age|none] [--refresh age] repo\n";

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "max-age", required_argument, NULL, 'a' },
		{ "metadata-max-age", required_argument, NULL, 'm' },
		{ "refresh", required_argument, NULL, 'R' },
		{ "set", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bs_init_opts o;
	struct bs_err e;
	int c;

	tool_init("bs-init");
	bs_init_opts_default(&o);
	while ((c = getopt_long(argc, argv, "hc:z:", longopts, NULL)) != -1) {
		if (c == 'h')
			tool_usage(usage, 1);
		if (c == '?' || c == ':')
			tool_usage(usage, 2);
		if (bs_init_opt(&o, c, optarg, &e) < 0)
			tool_die(&e);
	}
	if (optind != argc - 1)
		tool_usage(usage, 2);
	if (bs_init_run(&o, argv[optind], &e) < 0)
		tool_die(&e);
	return 0;
}
