/* bs-chunk - split files into content-defined chunks named by SHA-256. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "backupread.h"
#include "chunkfeed.h"
#include "incremental.h"
#include "progress.h"
#include "repo.h"
#include "spool.h"
#include "tool.h"
#include "everyday.h"

static const char usage[] =
	"usage: bs-chunk [-P] [-r repo [-H host] [-s subset] [-p backup]...] < stream\n";

struct state {
	struct bs_writer out;
	struct bs_chunker ck;
	struct bs_repo repo;
	struct bs_priors priors;
	struct bs_backupread br;
	struct bs_progress progress;
	struct bs_spool spool;
	struct bs_reader in;
	int spooled;
};

static void on_file(void *arg, const char *path, uint64_t size) { bs_progress_file(arg, path, size); }
static void on_bytes(void *arg, uint64_t n) { bs_progress_bytes(arg, n); }
static void on_skip(void *arg, uint64_t n) { bs_progress_skip(arg, n); }

static void on_total(void *arg, uint64_t n) { bs_progress_total(&((struct state *)arg)->progress, n); }

/* Bad input: pass on what was complete before it, without a trailer, so
 * that the stages after keep it as an unfinished backup; then fail. */
static void __attribute__((noreturn)) fail(struct state *s, const struct bs_err *e)
{
	bs_backupread_abort(&s->br);
	tool_die(e);
}

/* Standard input; with -P read ahead into a spool, so that the total is
 * known early. */
static void open_input(struct state *s, int progress)
{
	struct bs_err e;

	bs_reader_init(&s->in, 0, "standard input");
	if (!progress || bs_spool_start(&s->spool, 0, &e) < 0)
		return;
	s->spooled = 1;
	s->in.fd = s->spool.rfd;
	s->in.more = bs_spool_more;
	s->in.more_arg = &s->spool;
	s->progress.total_fn = bs_spool_total;
	s->progress.total_arg = &s->spool;
}

static void open_repo(struct state *s, const char *repo, char *host, size_t hostlen, const char *subset,
		      char **ids, size_t nids)
{
	struct bs_time floor;
	struct bs_err e;

	if (bs_repo_open(&s->repo, repo, &e) < 0 || bs_repo_lock(&s->repo, BS_LOCK_SHARED, &e) < 0)
		tool_die(&e);
	if (bs_chunker_init(&s->ck, s->repo.cfg.chunk_min, s->repo.cfg.chunk_avg, s->repo.cfg.chunk_max) < 0)
		tool_fail(BS_INPUT, "the repository's chunk sizes are unusable");
	if (subset && !host[0])
		tool_hostname(host, hostlen);
	floor = bs_now();
	bs_priors_init(&s->priors, &s->repo, floor);
	s->priors.warn = tool_warn_msg;
	if ((subset || nids) && bs_priors_open(&s->priors, host, subset, ids, nids, &floor, &e) < 0)
		tool_die(&e);
	s->progress.estimate = s->priors.estimate;
	bs_stream_header(&s->out, BS_STREAM_CHUNKS);
	if (s->priors.n)
		bs_stream_floor(&s->out, floor);
}

/* Every record of the input into the chunk stream, then its counts and
 * trailer; the exit status. */
static int run(struct state *s)
{
	struct bs_chunkfeed feed = { &s->br, &s->out, tool_warn_msg, s->spooled ? NULL : on_total, s };
	struct bs_err e;

	if (bs_chunkfeed_run(&feed, &s->in, &e) < 0)
		tool_die(&e);
	if (bs_backupread_flush(&s->br, &e) < 0 || (s->spooled && bs_spool_finish(&s->spool, &e) < 0))
		fail(s, &e);
	bs_progress_done(&s->progress);
	if (bs_backupread_finish(&s->br, &e) < 0 || bs_writer_close(&s->out, &e) < 0)
		tool_die(&e);
	return bs_backupread_problems(&s->br) ? BS_PARTIAL : BS_OK;
}

int main(int argc, char **argv)
{
	struct state s;
	const char *repo = NULL, *subset = NULL;
	char host[128] = "", *ids[3];
	size_t nids = 0;
	int c, rc, progress = 0;

	tool_init("bs-chunk");
	while ((c = tool_options(argc, argv, "hPr:H:s:p:", NULL, usage)) != -1) {
		switch (c) {
		case 'P': progress = 1; break;
		case 'r': repo = optarg; break;
		case 'H': snprintf(host, sizeof(host), "%s", optarg); break;
		case 's': subset = optarg; break;
		case 'p':
			if (nids == 3)
				tool_fail(BS_USAGE, "at most three -p backups");
			ids[nids++] = optarg;
			break;
		default: tool_usage(usage, 2);
		}
	}
	if (optind != argc)
		tool_usage(usage, 2);
	repo = tool_repo(repo);
	if (!repo && (subset || nids || host[0]))
		tool_fail(BS_USAGE, "-s, -H and -p need -r");
	if (subset && nids)
		tool_fail(BS_USAGE, "give -s or -p, not both");

	memset(&s, 0, sizeof(s));
	bs_progress_init(&s.progress, progress);
	bs_writer_init(&s.out, 1, "standard output");
	if (bs_chunker_init(&s.ck, BS_CHUNK_MIN_DEFAULT, BS_CHUNK_AVG_DEFAULT, BS_CHUNK_MAX_DEFAULT) < 0)
		tool_fail(BS_SYS, "cannot set up the chunker");
	if (repo)
		open_repo(&s, repo, host, sizeof(host), subset, ids, nids);
	else
		bs_stream_header(&s.out, BS_STREAM_CHUNKS);
	bs_backupread_init(&s.br, &s.out, &s.ck, repo ? &s.priors : NULL);
	s.br.hooks = (struct bs_backupread_hooks){ tool_warn_msg, on_file, on_bytes, on_skip, &s.progress };
	open_input(&s, progress);
	rc = run(&s);
	bs_backupread_release(&s.br);
	bs_priors_release(&s.priors);
	if (repo)
		bs_repo_close(&s.repo);
	bs_reader_release(&s.in);
	return rc;
}
