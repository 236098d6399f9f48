/* bs-index - record a manifest stream as a backup: summary and metadata. */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "backup.h"
#include "meta.h"
#include "record.h"
#include "repo.h"
#include "indexreport.h"
#include "tool.h"
#include "common/everyday.h"

static const char usage[] =
	"usage: bs-index -r repo -s subset [-H host] [-q | --json] < manifest\n";

#define CHECKPOINT_FILES 5000
#define CHECKPOINT_SECONDS 300

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

static const char *counted[] = {
	"unchanged", "read-files", "read-bytes", "new-files", "present-files", "new-chunks",
	"new-bytes", "stored-bytes", "sockets", "vanished", "denied", "unreadable", "changed",
};
#define NCOUNTED (sizeof(counted) / sizeof(counted[0]))

struct indexer {
	struct bs_repo repo;
	struct bs_summary sum;
	struct bs_meta_writer meta;
	uint64_t counts[NCOUNTED];
	uint64_t others;		/* entries that are not regular files */
	struct bs_meta_reader priors[3], *reuse[3];
	size_t npriors;
	struct bs_meta_reader named[3];	/* other backups L items name */
	size_t nnamed;
	time_t last_checkpoint;
	uint64_t files_at_checkpoint;
};

static uint64_t count(struct indexer *x, const char *key)
{
	for (size_t i = 0; i < NCOUNTED; i++)
		if (!strcmp(counted[i], key))
			return x->counts[i];
	return 0;
}

static uint64_t problems(struct indexer *x)
{
	return count(x, "vanished") + count(x, "denied") + count(x, "unreadable") + count(x, "changed");
}

/*
 * Every few thousand files the summary is rewritten, so a listing of the
 * backups shows how far a running or interrupted one got; every few
 * minutes (and on SIGUSR1) the metadata gathered so far is written out
 * too, which costs more: the open directories' listings are written
 * before they are whole, then again when they are.
 */
static int checkpoint(struct indexer *x, int metadata, struct bs_err *e)
{
	x->files_at_checkpoint = x->sum.files;
	x->sum.problems = problems(x);
	if (metadata) {
		x->last_checkpoint = time(NULL);
		if (bs_meta_sync(&x->meta, e) < 0)
			return -1;
	}
	return bs_summary_write(&x->repo, &x->sum, e);
}

/* A checkpoint that fails is warned about once, not fatal: the backup
 * goes on, and its end writes everything again. */
static void checkpoint_or_warn(struct indexer *x, int metadata)
{
	static int warned;
	struct bs_err e;

	if (checkpoint(x, metadata, &e) < 0 && !warned) {
		tool_warn("%s; going on", e.msg);
		warned = 1;
	}
}

static void maybe_checkpoint(struct indexer *x)
{
	int all = flush_now || time(NULL) - x->last_checkpoint >= CHECKPOINT_SECONDS;

	if (all || x->sum.files - x->files_at_checkpoint >= CHECKPOINT_FILES) {
		flush_now = 0;
		checkpoint_or_warn(x, all);
	}
}

/* SIGUSR1 while waiting for input: write out what has come so far. */
static void on_signal(void *arg)
{
	struct indexer *x = arg;

	if (!flush_now || !x->meta.db)
		return;
	flush_now = 0;
	checkpoint_or_warn(x, 1);
}

/* The earlier backup an L item names, opened once. */
static struct bs_meta_reader *backup_named(struct indexer *x, const char *id, struct bs_err *e)
{
	struct bs_summary sum;

	for (size_t i = 0; i < x->npriors; i++)
		if (!strcmp(x->priors[i].id, id))
			return &x->priors[i];
	for (size_t i = 0; i < x->nnamed; i++)
		if (!strcmp(x->named[i].id, id))
			return &x->named[i];
	if (x->nnamed == sizeof(x->named) / sizeof(x->named[0])) {
		bs_err_set(e, BS_INPUT, "standard input: listings of more than %zu earlier backups",
			   x->npriors + x->nnamed);
		return NULL;
	}
	if (bs_summary_read(&x->repo, id, &sum, e) < 0 || bs_meta_open(&x->named[x->nnamed], &x->repo, id, e) < 0)
		return NULL;
	return &x->named[x->nnamed++];
}

/* An L item: the listing an earlier backup stored, taken whole. */
static int take_listing(struct indexer *x, const struct bs_item *it, struct bs_buf *clean, struct bs_err *e)
{
	struct bs_meta_reader *m;
	struct bs_meta_head h;
	int rc;

	if (bs_path_clean(it->dir.p, it->dir.len, clean, e) < 0 || clean->len != it->dir.len ||
	    memcmp(clean->p, it->dir.p, clean->len))
		return bs_err_set(e, BS_INPUT, "standard input: path '%.200s' is not absolute and clean", it->dir.p);
	if (!(m = backup_named(x, it->id, e)))
		return -1;
	rc = bs_meta_peek(m, it->dir.p, it->dir.len, &h, e);
	if (rc < 0)
		return -1;
	if (rc == 0 || memcmp(h.digest, it->digest, BS_DIGEST_LEN))
		return bs_err_set(e, BS_INPUT, "standard input: backup '%s' holds no such listing of '%.200s'",
				  it->id, it->dir.p);
	if (!bs_meta_sealed(&h))
		return bs_err_set(e, BS_INPUT, "the metadata of '%s' is damaged at '%.200s'", it->id, it->dir.p);
	return bs_meta_add_listing(&x->meta, it->dir.p, it->dir.len, &h, it->entries, it->bytes,
				   it->dirs.p, it->dirs.len, e);
}

/* The closing report: on stderr for people, or JSON on stdout. */
static void report(struct indexer *x, int json)
{
	double elapsed = (double)(x->sum.finish.sec - x->sum.start.sec) +
			 ((double)x->sum.finish.nsec - (double)x->sum.start.nsec) / 1e9;
	struct bs_index_counts c;
	struct bs_buf b = BS_BUF_INIT;

	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < NCOUNTED; i++)
		*bs_index_count(&c, counted[i]) = x->counts[i];
	c.not_regular = x->others;
	if (json) {
		bs_index_report_json(&b, &x->sum, &c, elapsed);
		tool_json_line(&b);
	} else {
		bs_index_report_text(&b, &x->sum, &c, elapsed);
		fprintf(stderr, "bs-index: %s", b.p);
	}
	bs_buf_release(&b);
}

int main(int argc, char **argv)
{
	static struct indexer x;
	struct bs_reader in;
	struct bs_stream st;
	struct bs_item it;
	struct bs_entry ent;
	struct bs_buf clean = BS_BUF_INIT;
	struct bs_err e, why;
	struct sigaction sa;
	const char *path = NULL, *subset = NULL;
	char host[128] = "";
	int c, rc, quiet = 0, json = 0, status;
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};

	tool_init("bs-index");
	while ((c = getopt_long(argc, argv, "hr:s:H:q", longopts, NULL)) != -1) {
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
	if (!bs_name_ok(subset))
		tool_fail(BS_USAGE, "unusable subset name '%s': use letters, digits and . _ + @ -", subset);
	if (!host[0])
		tool_hostname(host, sizeof(host));
	else if (!strcmp(host, "localhost") || !strcmp(host, "localhost.localdomain"))
		tool_fail(BS_USAGE, "'%s' would mix different machines' backups; give the machine's real name", host);
	if (!bs_name_ok(host))
		tool_fail(BS_USAGE, "unusable host name '%s'", host);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	/* The lock, shared with other backups, keeps an expiry from removing
	 * a chunk or an earlier backup that this one's input refers to before
	 * its summary records its floor (bs-formats.5, THE CLOCK).  Taken
	 * before SIGINT and the like are caught, so that they end a wait for
	 * it (behind a long expiry) at once. */
	if (bs_repo_open(&x.repo, path, &e) < 0 || bs_repo_lock(&x.repo, BS_LOCK_SHARED, &e) < 0)
		tool_die(&e);
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	bs_reader_init(&in, 0, "standard input");
	in.stop = &stop;
	in.on_signal = on_signal;
	in.signal_arg = &x;
	if (bs_stream_open(&st, &in, BS_STREAM_MANIFEST, &e) < 0)
		tool_die(&e);
	if (!st.has_time)
		tool_fail(BS_INPUT, "standard input: the manifest has no T line: pass it through bs-store");
	rc = bs_expiry_check(&x.repo, st.has_floor ? st.floor : st.time, bs_now(), &e);
	if (rc < 0)
		tool_die(&e);
	if (rc > 0)
		tool_warn("the last expiry's cut-off is later than this clock: do the clocks of the "
			  "machines that write to '%s' agree?", path);
	/* earlier backups of this host and subset: a directory listing the
	 * same as one of theirs is copied rather than compressed again */
	{
		struct bs_summary prior[3];
		size_t n = 0;
		if (bs_backup_priors(&x.repo, host, subset, prior, &n, &e) < 0)
			tool_die(&e);
		for (size_t i = 0; i < n; i++)
			if (bs_meta_open(&x.priors[x.npriors], &x.repo, prior[i].id, &e) == 0)
				x.reuse[x.npriors] = &x.priors[x.npriors], x.npriors++;
	}
	if (bs_backup_create(&x.repo, host, subset, st.time, st.has_floor ? st.floor : st.time, &x.sum, &e) < 0)
		tool_die(&e);
	if (bs_meta_create(&x.meta, &x.repo, x.sum.id, &e) < 0)
		tool_die(&e);
	x.meta.reuse = x.reuse;
	x.meta.nreuse = x.npriors;
	x.last_checkpoint = time(NULL);
	bs_item_init(&it);
	bs_entry_init(&ent);
	why.code = 0;
	while ((rc = bs_stream_next(&st, &it, &why)) > 0) {
		switch (it.type) {
		case BS_ITEM_REF:
			bs_entry_addref(&ent, it.digest, it.size);
			break;
		case BS_ITEM_ABANDON:
			ent.nrefs = 0;
			break;
		case BS_ITEM_STAT:
			for (size_t i = 0; i < NCOUNTED; i++)
				if (!strcmp(counted[i], it.key))
					x.counts[i] += it.value;
			break;
		case BS_ITEM_CHUNK:
			break;	/* refused by the stream reader */
		case BS_ITEM_LISTING:
			if (take_listing(&x, &it, &clean, &why) < 0) {
				rc = -1;
				break;
			}
			x.sum.files += it.entries;
			x.sum.bytes += it.bytes;
			x.others += it.entries - it.files;
			maybe_checkpoint(&x);
			break;
		case BS_ITEM_RECORD:
			if (bs_path_clean(it.rec.path.p, it.rec.path.len, &clean, &why) < 0 ||
			    it.rec.path.p[0] != '/' || clean.len != it.rec.path.len ||
			    memcmp(clean.p, it.rec.path.p, clean.len)) {
				bs_err_set(&why, BS_INPUT, "standard input: path '%.200s' is not absolute and clean",
					   it.rec.path.p);
				rc = -1;
				break;
			}
			bs_rec_copy(&ent.rec, &it.rec);
			/* a failure here still ends through the close below,
			 * which keeps what the metadata already holds */
			if (bs_meta_add(&x.meta, &ent, &why) < 0) {
				rc = -1;
				break;
			}
			x.sum.files++;
			if (it.rec.kind == 'f')
				x.sum.bytes += it.rec.size;
			else
				x.others++;
			ent.nrefs = 0;
			maybe_checkpoint(&x);
			break;
		}
		if (rc < 0)
			break;
	}
	/* Whatever happened, keep what came: the next backup reuses it. */
	x.sum.problems = problems(&x);
	if (bs_meta_close(&x.meta, &e) < 0)
		tool_die(&e);
	/* what the metadata holds: a path that came twice counts once */
	x.sum.files = x.meta.entries;
	x.sum.bytes = x.meta.bytes;
	x.sum.finish = bs_now();
	if (rc == 0 && !stop)
		x.sum.finished = 1;
	if (bs_summary_write(&x.repo, &x.sum, &e) < 0)
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
	status = x.sum.problems ? BS_PARTIAL : BS_OK;
	if (status)
		tool_warn("%" PRIu64 " files could not be read in full; see the messages above", x.sum.problems);
	bs_item_release(&it);
	bs_entry_release(&ent);
	bs_buf_release(&clean);
	bs_stream_release(&st);
	bs_reader_release(&in);
	for (size_t i = 0; i < x.npriors; i++)
		bs_meta_release(&x.priors[i]);
	for (size_t i = 0; i < x.nnamed; i++)
		bs_meta_release(&x.named[i]);
	bs_repo_close(&x.repo);
	return status;
}
