/* bs-cat - write a backup, or part of it, as a GNU tar stream; or one chunk. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "restore.h"
#include "restorerun.h"
#include "tool.h"
#include "everyday.h"

static const char usage[] =
	"usage: bs-cat -r repo [-H host] [-s subset] [-d] [--format=pax|gnu] [--fflags] [-j threads] [-m memory] backup [path ...] > archive.tar\n"
	"       bs-cat -r repo --chunk digest > bytes\n";

static const struct option longopts[] = {
	{ "chunk", required_argument, NULL, 'C' },
	{ "format", required_argument, NULL, 'F' },
	{ "fflags", no_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 },
};

/* --format: pax (the default) or gnu */
static int format(int opts, const char *arg)
{
	if (!strcmp(arg, "gnu"))
		return opts & ~BS_TAR_PAX;
	if (strcmp(arg, "pax"))
		tool_fail(BS_USAGE, "unknown format '%s': pax or gnu", arg);
	return opts;
}

int main(int argc, char **argv)
{
	struct bs_restore_run r = { .opts = BS_TAR_PAX, .threads = bs_ncpus(), .warn = tool_warn_msg };
	struct bs_repo repo;
	struct bs_writer out;
	struct bs_err e;
	const char *path = NULL, *chunk = NULL;
	int opt;

	tool_init("bs-cat");
	tool_divert(argc, argv, "cat");	/* a repository over ssh (bs-serve.1) */
	while ((opt = tool_options(argc, argv, "dhr:H:s:j:m:", longopts, usage)) != -1) {
		switch (opt) {
		case 'r': path = optarg; break;
		case 'd': r.opts |= BS_RESTORE_DIRONLY; break;
		case 'j': r.threads = tool_threads(optarg); break;
		case 'm': r.memory = tool_memory(optarg); break;
		case 'f': r.opts |= BS_TAR_FFLAGS; break;
		case 'F': r.opts = format(r.opts, optarg); break;
		case 'C': chunk = optarg; break;
		case 'H': r.host = optarg; break;
		case 's': r.subset = optarg; break;
		default: tool_usage(usage, 2);
		}
	}
	path = tool_repo(path);
	if (!path || (chunk ? optind != argc : optind >= argc))
		tool_usage(usage, 2);
	if ((r.opts & BS_TAR_FFLAGS) && !(r.opts & BS_TAR_PAX))
		tool_fail(BS_USAGE, "--fflags needs the pax format");
	/* binary on a terminal helps no one, as tar says too */
	if (isatty(1))
		tool_fail(BS_USAGE, "standard output is a terminal: send the archive to a file or a pipe "
			  "(bs-cat ... | tar xf -)");
	/* shared, like a backup's: an expiry waits until the restore is done */
	if (bs_repo_open(&repo, path, &e) < 0 || bs_repo_lock(&repo, BS_LOCK_SHARED | BS_LOCK_READER, &e) < 0)
		tool_die(&e);
	bs_writer_init(&out, 1, "standard output");
	if (chunk ? bs_restore_chunk(&repo, chunk, &out, &e) < 0
		  : bs_restore_run(&r, &repo, argv[optind], argv + optind + 1, argc - optind - 1, &out, &e) < 0)
		tool_die(&e);
	if (bs_writer_close(&out, &e) < 0)
		tool_die(&e);
	bs_repo_close(&repo);
	return !chunk && bs_restore_run_partial(&r) ? BS_PARTIAL : BS_OK;
}
