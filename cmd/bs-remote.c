/* bs-remote - the client end of a backup over ssh: a mirror for bs-chunk, and a chunk stream sent to bs-serve (the work is lib/rmirror.c, rpush.c, rsave.c). */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rpush.h"
#include "tool.h"
#include "wire.h"

static const char usage[] =
	"usage: bs-remote mirror -r repo [-H host] -s subset [-c cache] dir\n"
	"       bs-remote push -r repo [-H host] -s subset [-m dir] [-q] < chunk-stream\n"
	"       bs-remote save -r repo [-H host] -s subset [-c cache] [-q] [-- bs-chunk-option...] < records\n";

static void warn(void *arg, const char *msg)
{
	tool_warn("%s", msg);
}

/* An error; when the server has said why, only its status. */
__attribute__((noreturn)) static void die(const struct bs_err *e)
{
	if (!e->msg[0])
		exit(e->code);
	tool_die(e);
}

static int cmd_mirror(const struct bs_remote_url *url, const char *host, const char *subset, const char *dir,
		      const char *cache)
{
	struct bs_rpush p;
	struct bs_rmirror m = { .warn = warn };
	struct bs_err e;
	char *args[2 + 2 * BS_RCACHE_MAX] = { (char *)host, (char *)subset };
	int rc, nargs = 2, status;

	bs_rpush_init(&p);
	if (bs_rmirror_prepare(&m, dir, url, host, subset, cache, args, &nargs, &e) < 0 ||
	    bs_rpush_connect(&p, url, "mirror", nargs, args, &e) < 0)
		tool_die(&e);
	close(p.c.to);
	p.c.to = -1;
	rc = bs_wire_read_greeting(&p.from, &e);
	if (rc > 0)
		rc = bs_rmirror_receive(&m, &p.from, &e);
	if (rc < 0)
		tool_die(&e);
	status = bs_remote_finish(&p.c, &e);
	if (status == 255)
		tool_die(&e);
	if (rc == 0 || status)
		exit(status ? status : BS_SYS);
	if (bs_rmirror_settle(&m, &e) < 0)
		tool_die(&e);
	bs_rmirror_release(&m);
	bs_rpush_release(&p);
	return 0;
}

/* What bs-index printed, the counts when asked, and the chunk stream's own trouble. */
static int report(struct bs_rpush *p, int status)
{
	if (fwrite(p->out.p, 1, p->out.len, stdout) != p->out.len)
		tool_fail(BS_SYS, "cannot write to standard output: %s", strerror(errno));
	if (getenv("BS_REMOTE_STATS"))
		fprintf(stderr, "bs-remote: %" PRIu64 " chunks sent (%" PRIu64 " bytes), %" PRIu64
			" already there (%" PRIu64 " bytes)\n", p->sent_chunks, p->sent_bytes, p->skipped_chunks,
			p->skipped_bytes);
	if (p->in_err.code)
		tool_die(&p->in_err);
	tool_close_stdout();
	bs_rpush_release(p);
	return status;
}

static int cmd_push(const struct bs_remote_url *url, const char *host, const char *subset, const char *mirror,
		    int quiet)
{
	struct bs_rpush p;
	struct bs_err e;
	char *args[3] = { (char *)host, (char *)subset, "-q" };
	int status;

	/* connect first: the handshake overlaps bs-chunk's start */
	bs_rpush_init(&p);
	if (bs_rpush_connect(&p, url, "save", quiet ? 3 : 2, args, &e) < 0)
		tool_die(&e);
	status = bs_rpush_stream(&p, 0, "standard input", mirror, &e);
	if (status < 0)
		die(&e);
	return report(&p, status);
}

static int cmd_save(struct bs_rsave *sv)
{
	struct bs_err e;
	int status;

	sv->warn = warn;
	status = bs_rsave(sv, &e);
	if (status < 0)
		die(&e);
	if (getenv("BS_REMOTE_STATS"))
		fprintf(stderr, "bs-remote: mirror fetched after %.3f s (%" PRIu64 " bytes of input read ahead), "
			"the stream sent after %.3f s, the backup saved after %.3f s\n", sv->t_mirror, sv->held,
			sv->t_sent, sv->t_end);
	return report(&sv->push, status);
}

int main(int argc, char **argv)
{
	struct bs_remote_url url;
	struct bs_rsave sv = { .url = &url };
	struct bs_err e = { 0 };
	const char *verb, *repo = NULL, *mirror = NULL;
	char host[128] = "";
	int opt;

	tool_init("bs-remote");
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		tool_usage(usage, 1);
	if (argc < 2)
		tool_usage(usage, 2);
	verb = argv[1];
	if (verb[0] == '-')
		tool_fail(BS_USAGE, "unknown option '%s' (see bs-remote -h)", verb);
	if (strcmp(verb, "mirror") && strcmp(verb, "save") && strcmp(verb, "push"))
		tool_fail(BS_USAGE, "unknown verb '%s': mirror, save or push (see bs-remote -h)", verb);
	optind = 2;
	while ((opt = tool_getopt(argc, argv, "hr:H:s:m:qc:", NULL)) != -1) {
		switch (opt) {
		case 'r': repo = optarg; break;
		case 'H': snprintf(host, sizeof(host), "%s", optarg); break;
		case 's': sv.subset = optarg; break;
		case 'm': mirror = optarg; break;
		case 'c': sv.cache = optarg; break;
		case 'q': sv.quiet = 1; break;
		case 'h': tool_usage(usage, 1); break;
		default: tool_usage(usage, 2);
		}
	}
	if (!repo || !sv.subset)
		tool_usage(usage, 2);
	if (bs_remote_parse(repo, &url, &e) <= 0) {
		if (e.code == 0)
			tool_fail(BS_USAGE, "'%s' is not a remote repository (ssh://host/path or host:path)", repo);
		tool_die(&e);
	}
	if (!host[0])
		tool_hostname(host, sizeof(host));
	sv.host = host;
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(verb, "mirror")) {
		if (optind != argc - 1)
			tool_usage(usage, 2);
		return cmd_mirror(&url, host, sv.subset, argv[optind], sv.cache);
	}
	if (!strcmp(verb, "push")) {
		if (optind != argc)
			tool_usage(usage, 2);
		return cmd_push(&url, host, sv.subset, mirror, sv.quiet);
	}
	sv.nchunk_args = argc - optind;
	sv.chunk_args = argv + optind;
	return cmd_save(&sv);
}
