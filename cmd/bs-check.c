/* bs-check - verify that a repository's backups can be restored; never changes it. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "backup.h"
#include "check.h"
#include "repo.h"
#include "tool.h"

static const char usage[] =
	"usage: bs-check -r repo [--read-data[=percent]] [backup ...]\n";

/* every finding is a line of the report, on stdout */
static void report(void *arg, int problem, const char *msg)
{
	printf("%s\n", msg);
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
		{ NULL, 0, NULL, 0 },
	};
	static struct bs_repo repo;
	struct bs_check c;
	struct bs_summary one;
	struct bs_err e;
	const char *path = NULL;
	double percent = 100;
	int opt, read_data = 0;

	tool_init("bs-check");
	while ((opt = getopt_long(argc, argv, "hr:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r': path = optarg; break;
		case 'D': read_data = 1; percent = optarg ? percent_arg(optarg) : 100; break;
		case 'h': tool_usage(usage, 1); break;
		default: tool_usage(usage, 2);
		}
	}
	if (!path)
		tool_usage(usage, 2);
	/* shared: no expiry removes what is being checked */
	if (bs_repo_open(&repo, path, &e) < 0 || bs_repo_lock(&repo, BS_LOCK_SHARED | BS_LOCK_READER, &e) < 0)
		tool_die(&e);
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	bs_check_init(&c, &repo, report, NULL);
	for (int i = optind; i < argc; i++)
		if (bs_backup_resolve(&repo, argv[i], &one, &e) < 0 || bs_check_backup(&c, &one, &e) < 0)
			tool_die(&e);
	if (optind == argc && bs_check_all(&c, &e) < 0)
		tool_die(&e);
	if (read_data && bs_check_data(&c, percent, &e) < 0)
		tool_die(&e);
	printf("checked %" PRIu64 " backup%s, %" PRIu64 " chunk reference%s", c.backups, plural(c.backups), c.refs,
	       plural(c.refs));
	if (read_data)
		printf(", read %" PRIu64 " chunk%s", c.chunks_read, plural(c.chunks_read));
	printf(": %" PRIu64 " problem%s\n", c.problems, plural(c.problems));
	tool_close_stdout();
	bs_check_release(&c);
	bs_repo_close(&repo);
	return c.problems ? BS_PARTIAL : BS_OK;
}
