/* bs-check - verify that a repository's backups can be restored; never changes it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include "checkrun.h"
#include "repo.h"
#include "tool.h"
#include "everyday.h"

static const char usage[] =
	"usage: bs-check -r repo [--read-data[=percent]] [--json] [-j threads] [-m memory] [backup ...]\n";

static const struct option longopts[] = {
	{ "read-data", optional_argument, NULL, 'D' },
	{ "json", no_argument, NULL, 'J' },
	{ NULL, 0, NULL, 0 },
};

static int json;

/* every finding is a line of the report, on stdout */
static void report(void *arg, const struct bs_check_finding *f)
{
	struct bs_buf b = BS_BUF_INIT;

	(void)arg;
	bs_check_fmt(&b, f, json);
	fwrite(b.p, 1, b.len, stdout);
	bs_buf_release(&b);
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
	static struct bs_repo repo;
	struct bs_check c;
	struct bs_buf b = BS_BUF_INIT;
	struct bs_err e;
	const char *path = NULL;
	double percent = 100;
	size_t threads = bs_ncpus(), memory = 0;
	int opt, read_data = 0;

	tool_init("bs-check");
	tool_divert(argc, argv, "check");	/* a repository over ssh (bs-serve.1) */
	while ((opt = tool_options(argc, argv, "hj:m:r:", longopts, usage)) != -1) {
		switch (opt) {
		case 'r': path = optarg; break;
		case 'D': read_data = 1; percent = optarg ? percent_arg(optarg) : 100; break;
		case 'J': json = 1; break;
		case 'j': threads = tool_threads(optarg); break;
		case 'm': memory = tool_memory(optarg); break;
		default: tool_usage(usage, 2);
		}
	}
	path = tool_repo(path);
	if (!path)
		tool_usage(usage, 2);
	/* shared: no expiry removes what is being checked */
	if (bs_repo_open(&repo, path, &e) < 0 || bs_repo_lock(&repo, BS_LOCK_SHARED | BS_LOCK_READER, &e) < 0)
		tool_die(&e);
	bs_check_init(&c, &repo, report, NULL);
	c.threads = threads;
	c.memory = memory;
	if (bs_check_run(&c, argv + optind, argc - optind, read_data, percent, &e) < 0)
		tool_die(&e);
	bs_check_fmt_totals(&b, &c, read_data, json);
	fwrite(b.p, 1, b.len, stdout);
	tool_close_stdout();
	bs_buf_release(&b);
	bs_check_release(&c);
	bs_repo_close(&repo);
	return c.problems ? BS_PARTIAL : BS_OK;
}
