/* bs-expire - remove backups, metadata and chunks past their retention. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "expire.h"
#include "expirefmt.h"
#include "repo.h"
#include "tool.h"
#include "everyday.h"

static const char usage[] =
	"usage: bs-expire -r repo [--max-age age] [--metadata-max-age age] [--keep-period n]...\n"
	"                 [-H host] [-s subset] [--check-hashes] [-n] [-v] [--json] [--no-wait]\n";

#define KEEP 1000	/* --keep-RULE: KEEP + BS_KEEP_RULE */

static const struct option longopts[] = {
	{ "max-age", required_argument, NULL, 'a' },
	{ "metadata-max-age", required_argument, NULL, 'm' },
	{ "check-hashes", no_argument, NULL, 'c' },
	{ "no-wait", no_argument, NULL, 'W' },
	{ "json", no_argument, NULL, 'J' },
	{ "keep-last", required_argument, NULL, KEEP + BS_KEEP_LAST },
	{ "keep-hourly", required_argument, NULL, KEEP + BS_KEEP_HOURLY },
	{ "keep-daily", required_argument, NULL, KEEP + BS_KEEP_DAILY },
	{ "keep-weekly", required_argument, NULL, KEEP + BS_KEEP_WEEKLY },
	{ "keep-monthly", required_argument, NULL, KEEP + BS_KEEP_MONTHLY },
	{ "keep-yearly", required_argument, NULL, KEEP + BS_KEEP_YEARLY },
	{ NULL, 0, NULL, 0 },
};

static struct bs_expire x;
static int how;		/* BS_EXPIREFMT_JSON, _VERBOSE */

/* each decision, as it is taken, on stdout */
static void report(void *arg, enum bs_expired kind, const char *name, const char *why, int rule)
{
	struct bs_buf b = BS_BUF_INIT;

	(void)arg;
	bs_expire_fmt(&b, &x, how, kind, name, why, rule);
	fwrite(b.p, 1, b.len, stdout);
	bs_buf_release(&b);
}

static void parse_age(const char *opt, const char *arg, int64_t *out)
{
	if (bs_parse_age(arg, out) < 0)
		tool_fail(BS_USAGE, "%s: unusable age '%s' (a number and a unit: 12h, 90d, 12w, 6m, 2y)", opt, arg);
}

/* --keep-RULE n: a count from 0 */
static void parse_keep(int rule, const char *arg, struct bs_policy *policy)
{
	char *end;
	long long k = strtoll(arg, &end, 10);

	if (!*arg || *end || *arg == '-' || *arg == '+' || k < 0)
		tool_fail(BS_USAGE, "--keep-%s: a count from 0, not '%s'", bs_keep_names[rule], arg);
	policy->keep[rule] = k;
}

int main(int argc, char **argv)
{
	static struct bs_repo repo;
	struct bs_policy policy = { .max_age = -1, .metadata_max_age = -1 };
	struct bs_buf b = BS_BUF_INIT;
	struct bs_err e;
	const char *path = NULL;
	int c, nowait = 0, check = 0, dry = 0, rules_given = 0;

	tool_init("bs-expire");
	tool_divert(argc, argv, "expire");	/* a repository over ssh (bs-serve.1) */
	while ((c = tool_options(argc, argv, "hr:nvH:s:", longopts, usage)) != -1) {
		switch (c) {
		case 'r': path = optarg; break;
		case 'a': parse_age("--max-age", optarg, &policy.max_age); break;
		case 'm': parse_age("--metadata-max-age", optarg, &policy.metadata_max_age); break;
		case 'J': how |= BS_EXPIREFMT_JSON; break;
		case 'H': policy.host = optarg; break;
		case 's': policy.subset = optarg; break;
		case 'c': check = 1; break;
		case 'n': dry = 1; break;
		case 'v': how |= BS_EXPIREFMT_VERBOSE; break;
		case 'W': nowait = 1; break;
		default:
			if (c < KEEP || c >= KEEP + BS_KEEP_RULES)
				tool_usage(usage, 2);
			parse_keep(c - KEEP, optarg, &policy);
			rules_given = 1;
		}
	}
	path = tool_repo(path);
	if (!path || optind != argc)
		tool_usage(usage, 2);
	if (bs_repo_open(&repo, path, &e) < 0 || bs_expire_init(&x, &repo, &policy, rules_given, &e) < 0)
		tool_die(&e);
	x.dry = dry;
	x.check = check;
	if (bs_expire_lock(&x, nowait, tool_warn_msg, NULL, &e) < 0 || bs_expire_run(&x, report, NULL, &e) < 0)
		tool_die(&e);
	bs_expire_fmt_totals(&b, &x, how);
	fwrite(b.p, 1, b.len, stdout);
	tool_close_stdout();
	bs_buf_release(&b);
	bs_expire_release(&x);
	bs_repo_close(&repo);
	return x.bad ? BS_PARTIAL : BS_OK;	/* damage was found (and removed) */
}
