/* bs-index - record a manifest stream as a backup: summary and metadata. */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "indexer.h"
#include "tool.h"

static const char usage[] =
	"usage: bs-index -r repo -s subset [-H host] [-q] < manifest\n";

/* Set by the signal handlers: process-wide by nature, read by the one
 * thread that reads the input. */
static volatile int stop, flush_now;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_usr1(int sig)
{
	(void)sig;
	flush_now = 1;
}

static void on_warn(void *arg, const char *msg)
{
	(void)arg;
	tool_warn("%s", msg);
}

static void check_names(char *host, size_t hostlen, const char *subset)
{
	if (!bs_name_ok(subset))
		tool_fail(BS_USAGE, "unusable subset name '%s': use letters, digits and . _ + @ -", subset);
	if (!host[0])
		tool_hostname(host, hostlen);
	else if (!strcmp(host, "localhost") || !strcmp(host, "localhost.localdomain"))
		tool_fail(BS_USAGE, "'%s' would mix different machines' backups; give the machine's real name", host);
	if (!bs_name_ok(host))
		tool_fail(BS_USAGE, "unusable host name '%s'", host);
}

/*
 * The lock, shared with other backups, keeps an expiry from removing a
 * chunk or an earlier backup that this one's input refers to before its
 * summary records its floor (bs-formats.5, THE CLOCK).  Taken before
 * SIGINT and the like are caught, so that they end a wait for it (behind
 * a long expiry) at once.
 */
static void open_locked(struct bs_repo *repo, const char *path)
{
	struct sigaction sa;
	struct bs_err e;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	if (bs_repo_open(repo, path, &e) < 0 || bs_repo_lock(repo, BS_LOCK_SHARED, &e) < 0)
		tool_die(&e);
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void report(const struct bs_indexer *x)
{
	double elapsed = (double)(x->sum.finish.sec - x->sum.start.sec) +
			 ((double)x->sum.finish.nsec - (double)x->sum.start.nsec) / 1e9;

	fprintf(stderr,
		"bs-index: backup %s %s: %" PRIu64 " entries, %" PRIu64 " bytes\n"
		"  unchanged, not read:      %12" PRIu64 " files\n"
		"  read, new data stored:    %12" PRIu64 " files\n"
		"  read, all chunks present: %12" PRIu64 " files\n"
		"  not regular files:        %12" PRIu64 "\n"
		"  could not be read:        %12" PRIu64 " (permission denied %" PRIu64 ", vanished %" PRIu64
		", changed while read %" PRIu64 ", other %" PRIu64 ")\n"
		"  sockets skipped:          %12" PRIu64 "\n"
		"  bytes read:               %12" PRIu64 "\n"
		"  bytes new:                %12" PRIu64 " in %" PRIu64 " chunks\n"
		"  bytes stored, compressed: %12" PRIu64 "\n"
		"  elapsed:                  %12.1f s\n",
		x->sum.id, x->sum.finished ? "finished" : "unfinished", x->sum.files, x->sum.bytes,
		bs_indexer_count(x, "unchanged"), bs_indexer_count(x, "new-files"), bs_indexer_count(x, "present-files"), x->others,
		bs_indexer_problems(x), bs_indexer_count(x, "denied"), bs_indexer_count(x, "vanished"), bs_indexer_count(x, "changed"), bs_indexer_count(x, "unreadable"),
		bs_indexer_count(x, "sockets"), bs_indexer_count(x, "read-bytes"), bs_indexer_count(x, "new-bytes"), bs_indexer_count(x, "new-chunks"),
		bs_indexer_count(x, "stored-bytes"), elapsed);
}

int main(int argc, char **argv)
{
	struct bs_indexer x;
	struct bs_repo repo;
	struct bs_reader in;
	struct bs_stream st;
	struct bs_err e, why;
	const char *path = NULL, *subset = NULL;
	char host[128] = "";
	int c, rc, quiet = 0;

	tool_init("bs-index");
	while ((c = getopt(argc, argv, "hr:s:H:q")) != -1) {
		switch (c) {
		case 'r': path = optarg; break;
		case 's': subset = optarg; break;
		case 'H': snprintf(host, sizeof(host), "%s", optarg); break;
		case 'q': quiet = 1; break;
		case 'h': tool_usage(usage, 1); break;
		default: tool_usage(usage, 2);
		}
	}
	if (!path || !subset || optind != argc)
		tool_usage(usage, 2);
	check_names(host, sizeof(host), subset);
	memset(&x, 0, sizeof(x));
	open_locked(&repo, path);
	bs_reader_init(&in, 0, "standard input");
	in.stop = &stop;
	in.on_signal = bs_indexer_on_signal;
	in.signal_arg = &x;
	x.flush_now = &flush_now;
	x.warn = on_warn;
	if (bs_stream_open(&st, &in, BS_STREAM_MANIFEST, &e) < 0)
		tool_die(&e);
	if (!st.has_time)
		tool_fail(BS_INPUT, "standard input: the manifest has no T line: pass it through bs-store");
	if (bs_indexer_open(&x, &repo, host, subset, &st, &e) < 0)
		tool_die(&e);
	rc = bs_indexer_run(&x, &st, &why);
	/* Nothing came at all: the stages before died at once (find failed,
	 * a kill).  An empty backup would become `latest`; record none. */
	if (st.records == 0) {
		if (bs_indexer_discard(&x, &e) < 0)
			tool_die(&e);
		if (stop)
			bs_err_set(&why, BS_SYS, "interrupted");
		else if (rc == 0)
			bs_err_set(&why, BS_INPUT, "standard input holds no records");
		tool_fail(why.code, "%s: no backup recorded", why.msg);
	}
	/* Whatever happened, keep what came: the next backup reuses it. */
	if (bs_indexer_close(&x, rc == 0 && !stop, &e) < 0)
		tool_die(&e);
	if (!quiet || !x.sum.finished)
		report(&x);
	if (!x.sum.finished) {
		if (stop)
			bs_err_set(&why, BS_SYS, "interrupted");
		tool_fail(why.code ? why.code : BS_INPUT, "backup '%s' is unfinished: %s", x.sum.id, why.msg);
	}
	printf("%s\n", x.sum.id);
	tool_close_stdout();
	if (x.sum.problems)
		tool_warn("%" PRIu64 " files could not be read in full; see the messages above", x.sum.problems);
	bs_indexer_release(&x);
	bs_stream_release(&st);
	bs_reader_release(&in);
	bs_repo_close(&repo);
	return x.sum.problems ? BS_PARTIAL : BS_OK;
}
