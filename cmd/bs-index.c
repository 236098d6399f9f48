/* bs-index - record a manifest stream as a backup: summary and metadata. */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "backup.h"
#include "indexreport.h"
#include "indexrun.h"
#include "tool.h"
#include "everyday.h"

static const char usage[] =
	"usage: bs-index -r repo -s subset [-H host] [-q | --json] < manifest\n";

static const struct option longopts[] = {
	{ "json", no_argument, NULL, 'J' },
	{ NULL, 0, NULL, 0 },
};

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

/* The names the backup carries: this machine's name when none is given. */
static void check_names(char *host, size_t hostlen, const char *subset)
{
	struct bs_err e;

	if (bs_backup_names(NULL, subset, &e) < 0)
		tool_die(&e);
	if (!host[0])
		tool_hostname(host, hostlen);
	if (bs_backup_names(host, subset, &e) < 0)
		tool_die(&e);
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
	struct bs_buf b = BS_BUF_INIT;

	bs_index_report(&b, x, json);
	if (json)
		tool_json_line(&b);
	else
		fprintf(stderr, "bs-index: %s", b.p);
	bs_buf_release(&b);
}

int main(int argc, char **argv)
{
	struct bs_indexer x;
	struct bs_repo repo;
	struct bs_reader in;
	struct bs_err e;
	const char *path = NULL, *subset = NULL;
	char host[128] = "";
	int c, rc, quiet = 0, json = 0;

	tool_init("bs-index");
	while ((c = tool_options(argc, argv, "hr:s:H:q", longopts, usage)) != -1) {
		switch (c) {
		case 'r': path = optarg; break;
		case 's': subset = optarg; break;
		case 'H': snprintf(host, sizeof(host), "%s", optarg); break;
		case 'q': quiet = 1; break;
		case 'J': json = 1; break;
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
	x.flush_now = &flush_now;
	x.warn = tool_warn_msg;
	rc = bs_index_run(&x, &repo, host, subset, &in, &e);
	if (rc < 0)
		tool_die(&e);
	if (rc > 0 || (!quiet && !json))
		report(&x, 0);
	if (rc > 0)
		tool_die(&e);	/* unfinished */
	if (json)
		report(&x, 1);
	else
		printf("%s\n", x.sum.id);
	tool_close_stdout();
	if (x.sum.problems)
		tool_warn("%" PRIu64 " files could not be read in full; see the messages above", x.sum.problems);
	bs_indexer_release(&x);
	bs_reader_release(&in);
	bs_repo_close(&repo);
	return x.sum.problems ? BS_PARTIAL : BS_OK;
}
