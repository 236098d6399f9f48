/* bs-store - write a chunk stream's chunks into the repository; pass on the manifest. */
#include <getopt.h>
#include <stdlib.h>
#include <unistd.h>
#include "repo.h"
#include "storer.h"
#include "tool.h"
#include "everyday.h"

static const char usage[] =
	"usage: bs-store [-j threads] -r repo < chunks > manifest\n";

int main(int argc, char **argv)
{
	struct bs_repo repo;
	struct bs_reader in;
	struct bs_writer out;
	struct bs_storer s;
	struct bs_err e;
	const char *path = NULL;
	long jobs = sysconf(_SC_NPROCESSORS_ONLN);
	char *end;
	int c;

	tool_init("bs-store");
	while ((c = tool_options(argc, argv, "hj:r:", NULL, usage)) != -1) {
		switch (c) {
		case 'r': path = optarg; break;
		case 'j':
			jobs = strtol(optarg, &end, 10);
			if (*end || end == optarg || jobs < 1 || jobs > 256)
				tool_fail(BS_USAGE, "-j: the number of threads is from 1 to 256");
			break;
		default: tool_usage(usage, 2);
		}
	}
	path = tool_repo(path);
	if (!path || optind != argc)
		tool_usage(usage, 2);
	if (bs_repo_open(&repo, path, &e) < 0 || bs_repo_lock(&repo, BS_LOCK_SHARED, &e) < 0)
		tool_die(&e);
	bs_reader_init(&in, 0, "standard input");
	bs_writer_init(&out, 1, "standard output");
	bs_storer_init(&s, &repo, &out);
	s.jobs = jobs < 1 ? 1 : (int)jobs;
	s.warn = tool_warn_msg;
	if (bs_storer_run(&s, &in, &e) < 0 || bs_writer_close(&out, &e) < 0)
		tool_die(&e);
	bs_storer_release(&s);
	bs_reader_release(&in);
	bs_repo_close(&repo);
	return 0;
}
