/* bs-cat - write a backup, or part of it, as a GNU tar stream; or one chunk. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "backup.h"
#include "remote.h"
#include "restore.h"
#include "select.h"
#include "tool.h"
#include "everyday.h"

static const char usage[] =
	"usage: bs-cat -r repo [-H host] [-s subset] [-d] [--format=pax|gnu] [--fflags] [-j threads] backup [path ...] > archive.tar\n"
	"       bs-cat -r repo --chunk digest > bytes\n";

/* damage found while restoring: said, counted, and the restore goes on */
static uint64_t damage;

static void on_damage(void *arg, const char *msg)
{
	tool_warn("%s; that directory is skipped", msg);
	damage++;
}

static void on_chunk(void *arg, const char *msg)
{
	tool_warn("%s", msg);
	damage++;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "chunk", required_argument, NULL, 'C' },
		{ "format", required_argument, NULL, 'F' },
		{ "fflags", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct bs_repo repo;
	struct bs_meta_reader meta;
	struct bs_writer out;
	struct bs_restore r;
	struct bs_summary sum;
	struct bs_err e;
	const char *path = NULL, *chunk = NULL, *host = NULL, *subset = NULL;
	int opt, opts = BS_TAR_PAX;
	size_t threads = bs_ncpus();
	char *end;

	tool_init("bs-cat");
	/* a repository over ssh: the same tool runs there (bs-serve.1) */
	{
		int remote = bs_remote_divert(argc, argv, "cat", &e);
		if (remote == -1)
			tool_die(&e);
		if (remote >= 0)
			return remote;
	}
	while ((opt = tool_getopt(argc, argv, "dhr:H:s:j:", longopts)) != -1) {
		switch (opt) {
		case 'r': path = optarg; break;
		case 'd': opts |= BS_RESTORE_DIRONLY; break;
		case 'j':
			threads = strtoul(optarg, &end, 10);
			if (*end || end == optarg || threads < 1 || threads > 1024)
				tool_fail(BS_USAGE, "-j: a number of threads from 1 to 1024, not '%s'", optarg);
			break;
		case 'f': opts |= BS_TAR_FFLAGS; break;
		case 'F':
			if (!strcmp(optarg, "gnu"))
				opts &= ~BS_TAR_PAX;
			else if (strcmp(optarg, "pax"))
				tool_fail(BS_USAGE, "unknown format '%s': pax or gnu", optarg);
			break;
		case 'C': chunk = optarg; break;
		case 'H': host = optarg; break;
		case 's': subset = optarg; break;
		case 'h': tool_usage(usage, 1); break;
		case 'V': tool_version();
		default: tool_usage(usage, 2);
		}
	}
	path = tool_repo(path);
	if (!path || (chunk ? optind != argc : optind >= argc))
		tool_usage(usage, 2);
	if ((opts & BS_TAR_FFLAGS) && !(opts & BS_TAR_PAX))
		tool_fail(BS_USAGE, "--fflags needs the pax format");
	/* binary on a terminal helps no one, as tar says too */
	if (isatty(1))
		tool_fail(BS_USAGE, "standard output is a terminal: send the archive to a file or a pipe "
			  "(bs-cat ... | tar xf -)");
	/* shared, like a backup's: an expiry waits until the restore is done */
	if (bs_repo_open(&repo, path, &e) < 0 || bs_repo_lock(&repo, BS_LOCK_SHARED | BS_LOCK_READER, &e) < 0)
		tool_die(&e);
	bs_writer_init(&out, 1, "standard output");
	if (chunk) {
		if (bs_restore_chunk(&repo, chunk, &out, &e) < 0 || bs_writer_close(&out, &e) < 0)
			tool_die(&e);
		return 0;
	}
	if (bs_backup_resolve_in(&repo, argv[optind], host, subset, &sum, &e) < 0)
		tool_die(&e);
	if (sum.data_expired)
		tool_fail(BS_INPUT, "the data of backup '%s' has expired; only its listing is kept", sum.id);
	if (bs_meta_open(&meta, &repo, sum.id, &e) < 0)
		tool_die(&e);
	if (sum.damaged)
		tool_warn("the summary of backup '%s' is damaged; restoring what its metadata holds", sum.id);
	meta.on_damage = on_damage;
	bs_restore_init(&r, &repo, &meta, &out);
	r.threads = threads;
	r.opts = opts;
	r.warn = on_chunk;
	if (bs_restore_tar(&r, argv + optind + 1, argc - optind - 1, &e) < 0 || bs_writer_close(&out, &e) < 0)
		tool_die(&e);
	bs_restore_release(&r);
	bs_meta_release(&meta);
	bs_repo_close(&repo);
	if (damage)
		tool_warn("backup '%s' is damaged: %" PRIu64 " chunk%s or listing%s could not be restored; see above",
			  sum.id, damage, damage == 1 ? "" : "s", damage == 1 ? "" : "s");
	return sum.damaged || damage ? BS_PARTIAL : BS_OK;
}
