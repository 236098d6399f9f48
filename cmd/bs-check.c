/* bs-check - verify that a repository's backups can be restored; never changes it. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "backup.h"
#include "check.h"
#include "readahead.h"
#include "repo.h"
#include "remote.h"
#include "tool.h"
#include "units.h"
#include "everyday.h"

static const char usage[] =
	"usage: bs-check -r repo [--read-data[=percent]] [--json] [-j threads] [backup ...]\n";

static int json;
static struct bs_buf jb;

/* every finding is a line of the report, on stdout; with --json, an
 * object saying what it is about, and what */
static void report(void *arg, const struct bs_check_finding *f)
{
	const char *sep = "";

	if (!json) {
		printf("%s\n", f->line);
		return;
	}
	bs_buf_adds(&jb, "{");
	if (f->backup) {
		bs_json_field(&jb, "backup", f->backup, strlen(f->backup));
		sep = ",";
	}
	if (f->path) {
		bs_buf_adds(&jb, sep);
		bs_json_field(&jb, "path", f->path, f->pathlen);
		sep = ",";
	}
	if (f->chunk) {
		bs_buf_adds(&jb, sep);
		bs_json_field(&jb, "chunk", f->chunk, strlen(f->chunk));
		sep = ",";
	}
	bs_buf_adds(&jb, sep);
	bs_json_field(&jb, f->problem ? "problem" : "note", f->what, strlen(f->what));
	bs_buf_adds(&jb, "}");
	tool_json_line(&jb);
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static double percent_arg(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (*end == '%')
		end++;
	if (*end || end == s || v <= 0 || v > 100)
		tool_fail(BS_USAGE, "--read-data: a percentage above 0 and at most 100, not '%s'", s);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "read-data", optional_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	static struct bs_repo repo;
	struct bs_check c;
	struct bs_summary one;
	struct bs_err e;
	const char *path = NULL;
	double percent = 100;
	size_t threads = bs_ncpus();
	int opt, read_data = 0;
	char *end;

	tool_init("bs-check");
	/* a repository over ssh: the same tool runs there (bs-serve.1) */
	{
		int remote = bs_remote_divert(argc, argv, "check", &e);
		if (remote == -1)
			tool_die(&e);
		if (remote >= 0)
			return remote;
	}
	while ((opt = tool_getopt(argc, argv, "hj:r:", longopts)) != -1) {
		switch (opt) {
		case 'r': path = optarg; break;
		case 'D': read_data = 1; percent = optarg ? percent_arg(optarg) : 100; break;
		case 'h': tool_usage(usage, 1); break;
		case 'V': tool_version();
		case 'J': json = 1; break;
		case 'j':
			threads = strtoul(optarg, &end, 10);
			if (*end || end == optarg || threads < 1 || threads > 1024)
				tool_fail(BS_USAGE, "-j: a number of threads from 1 to 1024, not '%s'", optarg);
			break;
		default: tool_usage(usage, 2);
		}
	}
	path = tool_repo(path);
	if (!path)
		tool_usage(usage, 2);
	/* shared: no expiry removes what is being checked */
	if (bs_repo_open(&repo, path, &e) < 0 || bs_repo_lock(&repo, BS_LOCK_SHARED | BS_LOCK_READER, &e) < 0)
		tool_die(&e);
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	bs_check_init(&c, &repo, report, NULL);
	c.threads = threads;
	for (int i = optind; i < argc; i++)
		if (bs_backup_resolve(&repo, argv[i], &one, &e) < 0 || bs_check_backup(&c, &one, &e) < 0)
			tool_die(&e);
	if (optind == argc && bs_check_all(&c, &e) < 0)
		tool_die(&e);
	if (read_data && bs_check_data(&c, percent, &e) < 0)
		tool_die(&e);
	if (json) {
		bs_buf_addf(&jb, "{\"summary\":true,\"backups\":%" PRIu64 ",\"references\":%" PRIu64
			    ",\"chunks_read\":%" PRIu64 ",\"problems\":%" PRIu64 "}",
			    c.backups, c.refs, c.chunks_read, c.problems);
		tool_json_line(&jb);
	} else {
		printf("checked %" PRIu64 " backup%s, %" PRIu64 " chunk reference%s", c.backups, plural(c.backups),
		       c.refs, plural(c.refs));
		if (read_data)
			printf(", read %" PRIu64 " chunk%s", c.chunks_read, plural(c.chunks_read));
		printf(": %" PRIu64 " problem%s\n", c.problems, plural(c.problems));
	}
	tool_close_stdout();
	bs_check_release(&c);
	bs_buf_release(&jb);
	bs_repo_close(&repo);
	return c.problems ? BS_PARTIAL : BS_OK;
}
