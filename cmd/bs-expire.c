/* bs-expire - remove backups, metadata and chunks past their retention. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include "expire.h"
#include "repo.h"
#include "tool.h"

static const char usage[] =
	"usage: bs-expire -r repo [--max-age age] [--metadata-max-age age] [--check-hashes] [-n] [-v] [--no-wait]\n";

static int dry, verbose;

static void report(void *arg, enum bs_expired kind, const char *name, const char *why)
{
	const char *verb = dry ? "would remove" : "removed";

	if (!dry && !verbose)
		return;
	if (kind == BS_EXPIRED_BACKUP)
		printf("%s backup %s\n", verb, name);
	else if (kind == BS_EXPIRED_DATA)
		printf("%s the data of backup %s; its listing is kept\n", verb, name);
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct bs_repo repo;
	static struct bs_expire x;
	struct bs_err e;
	const char *path = NULL;
	int64_t age = -1, mage = -1;
	int c, nowait = 0, check = 0;

	tool_init("bs-expire");
	while ((c = getopt_long(argc, argv, "hr:nv", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': path = optarg; break;
		case 'a': parse_age("--max-age", optarg, &age); break;
		case 'm': parse_age("--metadata-max-age", optarg, &mage); break;
		case 'c': check = 1; break;
		case 'n': dry = 1; break;
		case 'v': verbose = 1; break;
		case 'W': nowait = 1; break;
		case 'h': tool_usage(usage, 1); break;
		default: tool_usage(usage, 2);
		}
	}
	if (!path || optind != argc)
		tool_usage(usage, 2);
	if (bs_repo_open(&repo, path, &e) < 0 || bs_expire_init(&x, &repo, age, mage, &e) < 0)
		tool_die(&e);
	x.dry = dry;
	x.check = check;
	/* Backups hold the lock shared while they refer to chunks; waiting for
	 * it exclusively means no backup is between checking a chunk and
	 * stamping it while chunks are removed. */
	if (bs_repo_lock(&repo, BS_LOCK_EXCLUSIVE | (nowait ? BS_LOCK_NOWAIT : 0), &e) < 0 ||
	    bs_expire_run(&x, report, NULL, &e) < 0)
		tool_die(&e);
	printf("%s %" PRIu64 " backups, the data of %" PRIu64 " more, %" PRIu64 " chunks, %" PRIu64
	       " damaged or empty chunks, %" PRIu64 " temporary files: %" PRIu64 " bytes%s\n",
	       dry ? "would remove" : "removed", x.backups, x.listings_kept, x.chunks, x.bad, x.temps, x.bytes,
	       dry ? "" : " freed");
	tool_close_stdout();
	bs_expire_release(&x);
	bs_repo_close(&repo);
	return x.bad ? BS_PARTIAL : BS_OK;	/* damage was found (and removed) */
}
