/* bs-walk - stat records of the paths given, or of NUL-delimited paths on stdin. */
#include <getopt.h>
#include <string.h>
#include "exclude.h"
#include "walk.h"
#include "walkrun.h"
#include "tool.h"
#include "everyday.h"

static const char usage[] =
	"usage: bs-walk [-x] [--exclude pattern] [--exclude-from file] [--exclude-caches]\n"
	"               [--exclude-if-present name] [path ...]\n"
	"       find ... -print0 | bs-walk\n";

static const struct option longopts[] = {
	{ "exclude", required_argument, NULL, 'E' },
	{ "exclude-from", required_argument, NULL, 'F' },
	{ "exclude-caches", no_argument, NULL, 'C' },
	{ "exclude-if-present", required_argument, NULL, 'I' },
	{ "one-file-system", no_argument, NULL, 'x' },
	{ NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
	struct bs_walkrun r;
	struct bs_writer out;
	struct bs_reader in;
	struct bs_exclude exclude;
	struct bs_err e;
	int c, flags = 0;

	tool_init("bs-walk");
	memset(&exclude, 0, sizeof(exclude));
	while ((c = tool_options(argc, argv, "hx", longopts, usage)) != -1) {
		switch (c) {
		case 'x': flags |= BS_WALK_XDEV; break;
		case 'E': bs_exclude_add(&exclude, optarg); break;
		case 'F':
			if (bs_exclude_add_file(&exclude, optarg, &e) < 0)
				tool_fail(BS_USAGE, "--exclude-from: %s", e.msg);
			break;
		case 'C': exclude.caches = 1; break;
		case 'I': bs_exclude_add_present(&exclude, optarg); break;
		default: tool_usage(usage, 2);
		}
	}
	if (optind == argc && (flags & BS_WALK_XDEV))
		tool_fail(BS_USAGE, "-x needs paths to walk; with find, use find -xdev");
	if (optind == argc && bs_exclude_any(&exclude))
		tool_fail(BS_USAGE, "excludes need paths to walk; with find, use its -path and -prune");
	bs_writer_init(&out, 1, "standard output");
	bs_walkrun_init(&r, &out);
	r.flags = flags;
	r.exclude = bs_exclude_any(&exclude) ? &exclude : NULL;
	r.warn = tool_warn_msg;
	bs_reader_init(&in, 0, "standard input");
	for (int i = optind; i < argc; i++)
		if (bs_walkrun_tree(&r, argv[i], &e) < 0)
			tool_die(&e);
	if (optind == argc && bs_walkrun_find(&r, &in, &e) < 0)
		tool_die(&e);
	if (bs_walkrun_finish(&r, &e) < 0 || bs_writer_close(&out, &e) < 0)
		tool_die(&e);
	bs_walkrun_release(&r);
	bs_reader_release(&in);
	bs_exclude_release(&exclude);
	return bs_walkrun_problems(&r) ? BS_PARTIAL : BS_OK;
}
