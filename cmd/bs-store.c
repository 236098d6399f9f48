/* bs-store - write a chunk stream's chunks into the repository; pass on the manifest. */
#include <getopt.h>
#include "readahead.h"
#include "repo.h"
#include "storer.h"
#include "tool.h"
#include "everyday.h"

static const char usage[] =
	"usage: bs-store [-j threads] [-m memory] -r repo < chunks > manifest\n";

int main(int argc, char **argv)
{
	struct bs_repo repo;
	struct bs_reader in;
	struct bs_writer out;
	struct bs_storer s;
	struct bs_err e;
	const char *path = NULL;
	size_t jobs = bs_ncpus(), memory = 0;
	int c;

	tool_init("bs-store");
	while ((c = tool_options(argc, argv, "hj:m:r:", NULL, usage)) != -1) {
		switch (c) {
		case 'r': path = optarg; break;
		case 'j': jobs = tool_threads(optarg); break;
		case 'm': memory = tool_memory(optarg); break;
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
	s.jobs = (int)jobs;
	s.memory = memory;
	s.warn = tool_warn_msg;
	if (bs_storer_run(&s, &in, &e) < 0 || bs_writer_close(&out, &e) < 0)
		tool_die(&e);
	bs_storer_release(&s);
	bs_reader_release(&in);
	bs_repo_close(&repo);
	return 0;
}
