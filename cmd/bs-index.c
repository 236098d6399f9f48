/* bs-index - record a manifest stream as a backup: summary and metadata. */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "indexer.h"
#include "indexreport.h"
#include "tool.h"
#include "everyday.h"

static const char usage[] =
	"usage: bs-index -r repo -s subset [-H host] [-q | --json] < manifest\n";

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

/* The closing report: on stderr for people, or JSON on stdout. */
static void report(const struct bs_indexer *x, int json)
{
	static const char *const keys[] = {
		"unchanged", "read-files", "read-bytes", "new-files", "present-files", "new-chunks",
		"new-bytes", "stored-bytes", "sockets", "vanished", "denied", "unreadable", "changed",
	};
	double elapsed = (double)(x->sum.finish.sec - x->sum.start.sec) +
			 ((double)x->sum.finish.nsec - (double)x->sum.start.nsec) / 1e9;
	struct bs_index_counts c;
	struct bs_buf b = BS_BUF_INIT;

	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		*bs_index_count(&c, keys[i]) = bs_indexer_count(x, keys[i]);
	c.not_regular = x->others;
	if (json) {
		bs_index_report_json(&b, &x->sum, &c, elapsed);
		tool_json_line(&b);
	} else {
		bs_index_report_text(&b, &x->sum, &c, elapsed);
		/* the stages' counts come at the end of the stream: when it was
		 * cut short, say what bs-index itself saw, not zeros */
		if (!x->stats && !x->sum.finished)
			bs_buf_addf(&b, "  %-25s %" PRIu64 " file%s; how they were read is not known: the stream "
				    "ended before the stages' counts\n", "regular files recorded:", x->sum.files - x->others,
				    x->sum.files - x->others == 1 ? "" : "s");
		fprintf(stderr, "bs-index: %s", b.p);
	}
	bs_buf_release(&b);
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
	int c, rc, quiet = 0, json = 0;
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};

	tool_init("bs-index");
	while ((c = tool_getopt(argc, argv, "hr:s:H:q", longopts)) != -1) {
		switch (c) {
		case 'r': path = optarg; break;
		case 's': subset = optarg; break;
		case 'H': snprintf(host, sizeof(host), "%s", optarg); break;
		case 'q': quiet = 1; break;
		case 'J': json = 1; break;
		case 'V': tool_version();
		case 'h': tool_usage(usage, 1); break;
		default: tool_usage(usage, 2);
		}
	}
	path = tool_repo(path);
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
	/* A whole stream of no record at all (find failed at once, and the
	 * stages before passed on an empty list): an empty finished backup
	 * would become `latest`; record none.  A stream cut short keeps its
	 * unfinished backup, as ever, which never becomes `latest`. */
	if (rc == 0 && !stop && st.records == 0) {
		if (bs_indexer_discard(&x, &e) < 0)
			tool_die(&e);
		tool_fail(BS_INPUT, "standard input holds no records: no backup recorded");
	}
	/* Whatever happened, keep what came: the next backup reuses it. */
	if (bs_indexer_close(&x, rc == 0 && !stop, &e) < 0)
		tool_die(&e);
	if (!x.sum.finished || (!quiet && !json))
		report(&x, 0);
	if (!x.sum.finished) {
		if (stop)
			bs_err_set(&why, BS_SYS, "interrupted");
		tool_fail(why.code ? why.code : BS_INPUT, "backup '%s' is unfinished: %s", x.sum.id, why.msg);
	}
	if (json)
		report(&x, 1);
	else
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
