/* bs-expire - remove backups, metadata and chunks past their retention. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "expire.h"
#include "repo.h"
#include "remote.h"
#include "tool.h"
#include "units.h"
#include "everyday.h"

static const char usage[] =
	"usage: bs-expire -r repo [--max-age age] [--metadata-max-age age] [--keep-period n]...\n"
	"                 [-H host] [-s subset] [--check-hashes] [-n] [-v] [--json] [--no-wait]\n";

static int dry, verbose, json;
static struct bs_buf jb = BS_BUF_INIT;

/* A decision as JSON (--json): backups always, files with -v. */
static void report_json(enum bs_expired kind, const char *name, const char *why, int rule)
{
	static const char *const actions[] = {
		[BS_EXPIRED_BACKUP] = "remove", [BS_EXPIRED_DATA] = "remove-data",
		[BS_EXPIRED_KEEP] = "keep", [BS_EXPIRED_KEEP_LISTING] = "keep-listing",
	};

	if (kind == BS_EXPIRED_FILE && !verbose)
		return;
	bs_buf_adds(&jb, "{");
	bs_json_field(&jb, kind == BS_EXPIRED_FILE ? "file" : "backup", name, strlen(name));
	if (kind != BS_EXPIRED_FILE)
		bs_buf_addf(&jb, ",\"action\":\"%s\"", actions[kind]);
	bs_buf_adds(&jb, ",");
	bs_json_field(&jb, "reason", why ? why : "", why ? strlen(why) : 0);
	if (kind != BS_EXPIRED_FILE) {
		if (rule >= 0)
			bs_buf_addf(&jb, ",\"rule\":\"%s\"", bs_keep_names[rule]);
		else
			bs_buf_adds(&jb, ",\"rule\":null");
	}
	bs_buf_addf(&jb, ",\"dry_run\":%s}", dry ? "true" : "false");
	tool_json_line(&jb);
}

static void report(void *arg, enum bs_expired kind, const char *name, const char *why, int rule)
{
	const char *verb = dry ? "would remove" : "removed";

	(void)arg;
	if (json) {
		report_json(kind, name, why, rule);
		return;
	}
	if (kind == BS_EXPIRED_KEEP || kind == BS_EXPIRED_KEEP_LISTING) {
		if (verbose)
			printf("keep %sbackup %s (%s)\n", kind == BS_EXPIRED_KEEP ? "" : "the listing of ", name, why);
		return;
	}
	if (!dry && !verbose)
		return;
	if (kind == BS_EXPIRED_BACKUP)
		printf("%s backup %s (%s)\n", verb, name, why);
	else if (kind == BS_EXPIRED_DATA)
		printf("%s the data of backup %s; its listing is kept (%s)\n", verb, name, why);
	else
		printf("%s %s (%s)\n", verb, name, why);
}

static void parse_age(const char *opt, const char *arg, int64_t *out)
{
	if (bs_parse_age(arg, out) < 0)
		tool_fail(BS_USAGE, "%s: unusable age '%s' (a number and a unit: 12h, 90d, 12w, 6m, 2y)", opt, arg);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "max-age", required_argument, NULL, 'a' },
		{ "metadata-max-age", required_argument, NULL, 'm' },
		{ "check-hashes", no_argument, NULL, 'c' },
		{ "no-wait", no_argument, NULL, 'W' },
		{ "json", no_argument, NULL, 'J' },
		{ "keep-last", required_argument, NULL, 1000 + BS_KEEP_LAST },
		{ "keep-hourly", required_argument, NULL, 1000 + BS_KEEP_HOURLY },
		{ "keep-daily", required_argument, NULL, 1000 + BS_KEEP_DAILY },
		{ "keep-weekly", required_argument, NULL, 1000 + BS_KEEP_WEEKLY },
		{ "keep-monthly", required_argument, NULL, 1000 + BS_KEEP_MONTHLY },
		{ "keep-yearly", required_argument, NULL, 1000 + BS_KEEP_YEARLY },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct bs_repo repo;
	static struct bs_expire x;
	struct bs_err e;
	const char *path = NULL;
	struct bs_policy policy;
	int c, nowait = 0, check = 0, rules_given = 0;

	tool_init("bs-expire");
	/* a repository over ssh: the same tool runs there (bs-serve.1) */
	{
		int remote = bs_remote_divert(argc, argv, "expire", &e);
		if (remote == -1)
			tool_die(&e);
		if (remote >= 0)
			return remote;
	}
	memset(&policy, 0, sizeof(policy));
	policy.max_age = policy.metadata_max_age = -1;
	while ((c = tool_getopt(argc, argv, "hr:nvH:s:", longopts)) != -1) {
		switch (c) {
		case 'r': path = optarg; break;
		case 'a': parse_age("--max-age", optarg, &policy.max_age); break;
		case 'm': parse_age("--metadata-max-age", optarg, &policy.metadata_max_age); break;
		case 'J': json = 1; break;
		case 'H': policy.host = optarg; break;
		case 's': policy.subset = optarg; break;
		case 'V': tool_version();
		case 'c': check = 1; break;
		case 'n': dry = 1; break;
		case 'v': verbose = 1; break;
		case 'W': nowait = 1; break;
		case 'h': tool_usage(usage, 1); break;
		default:
			if (c >= 1000 && c < 1000 + BS_KEEP_RULES) {
				char *end;
				long long k = strtoll(optarg, &end, 10);
				if (!*optarg || *end || *optarg == '-' || *optarg == '+' || k < 0)
					tool_fail(BS_USAGE, "--keep-%s: a count from 0, not '%s'", bs_keep_names[c - 1000],
						  optarg);
				policy.keep[c - 1000] = k;
				rules_given = 1;
				break;
			}
			tool_usage(usage, 2);
		}
	}
	path = tool_repo(path);
	if (!path || optind != argc)
		tool_usage(usage, 2);
	if (bs_repo_open(&repo, path, &e) < 0 || bs_expire_init(&x, &repo, &policy, rules_given, &e) < 0)
		tool_die(&e);
	x.dry = dry;
	x.check = check;
	/* Backups hold the lock shared while they refer to chunks; waiting for
	 * it exclusively means no backup is between checking a chunk and
	 * stamping it while chunks are removed. */
	if (bs_repo_lock(&repo, BS_LOCK_EXCLUSIVE | BS_LOCK_NOWAIT, &e) < 0) {
		/* busy: say what it waits for, once, rather than hang silently */
		if (nowait || e.code != BS_SYS)
			tool_die(&e);
		tool_warn("waiting for the backups and restores running in '%s' to finish", path);
		if (bs_repo_lock(&repo, BS_LOCK_EXCLUSIVE, &e) < 0)
			tool_die(&e);
	}
	if (bs_expire_run(&x, report, NULL, &e) < 0)
		tool_die(&e);
	if (json) {
		bs_buf_addf(&jb, "{\"summary\":true,\"dry_run\":%s,\"backups_removed\":%" PRIu64
			    ",\"data_removed\":%" PRIu64 ",\"chunks_removed\":%" PRIu64 ",\"damaged_removed\":%" PRIu64
			    ",\"temporaries_removed\":%" PRIu64 ",\"bytes_freed\":%" PRIu64 "}",
			    dry ? "true" : "false", x.backups, x.listings_kept, x.chunks, x.bad, x.temps, x.bytes);
		tool_json_line(&jb);
	} else
	printf("%s %" PRIu64 " backups, the data of %" PRIu64 " more, %" PRIu64 " chunks, %" PRIu64
	       " damaged or empty chunks, %" PRIu64 " temporary files: %" PRIu64 " bytes%s\n",
	       dry ? "would remove" : "removed", x.backups, x.listings_kept, x.chunks, x.bad, x.temps, x.bytes,
	       dry ? "" : " freed");
	tool_close_stdout();
	bs_expire_release(&x);
	bs_repo_close(&repo);
	return x.bad ? BS_PARTIAL : BS_OK;	/* damage was found (and removed) */
}
