/* bs-walk - stat records of the paths given, or of NUL-delimited paths on stdin. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "exclude.h"
#include "findin.h"
#include "record.h"
#include "tool.h"
#include "walk.h"
#include "everyday.h"

static const char usage[] =
	"usage: bs-walk [-x] [--exclude pattern] [--exclude-from file] [--exclude-caches]\n"
	"               [--exclude-if-present name] [path ...]\n"
	"       find ... -print0 | bs-walk\n";

struct state {
	struct bs_writer out;
	struct bs_buf scratch;
	uint64_t records;
	uint64_t vanished, denied, unreadable;
};

static int emit(void *arg, struct bs_rec *rec, struct bs_err *e)
{
	struct state *s = arg;

	bs_stream_record(&s->out, rec, &s->scratch);
	s->records++;
	if (s->out.err)
		return bs_writer_flush(&s->out, e);
	return 0;
}

static void warn(void *arg, const char *msg, int kind)
{
	struct state *s = arg;

	tool_warn("%s", msg);
	if (kind == BS_WARN_VANISHED)
		s->vanished++;
	else if (kind == BS_WARN_DENIED)
		s->denied++;
	else
		s->unreadable++;
}

/* NUL-delimited paths on stdin (find -print0); returns the sockets skipped. */
static unsigned long read_find(struct state *s)
{
	struct bs_reader in;
	struct bs_findin f;
	struct bs_rec rec;
	struct bs_err e;
	int r;

	bs_rec_init(&rec);
	bs_reader_init(&in, 0, "standard input");
	bs_findin_init(&f, &in, 0);
	f.warn = warn;
	f.arg = s;
	/* find always prints its starting points: no input at all means the
	 * stage before failed or was killed, not an empty tree */
	e.code = 0;
	if (bs_reader_peek(&in, &e) < 0) {
		struct bs_err ignored;
		bs_writer_flush(&s->out, &ignored);
		if (e.code)
			tool_die(&e);
		tool_fail(BS_INPUT, "standard input is empty: no paths came (did find fail?)");
	}
	while ((r = bs_findin_next(&f, &rec, &e)) > 0)
		if (emit(s, &rec, &e) < 0)
			tool_die(&e);
	if (r < 0) {
		/* what came before the bad input is passed on, without a
		 * trailer: the stages after keep it as unfinished */
		struct bs_err ignored;
		bs_writer_flush(&s->out, &ignored);
		tool_die(&e);
	}
	bs_rec_release(&rec);
	bs_findin_release(&f);
	bs_reader_release(&in);
	return (unsigned long)f.sockets;
}

int main(int argc, char **argv)
{
	struct state s;
	struct bs_walk_ops ops;
	struct bs_exclude exclude;
	struct bs_err e;
	int c, flags = 0;
	static const struct option longopts[] = {
		{ "exclude", required_argument, NULL, 'E' },
		{ "exclude-from", required_argument, NULL, 'F' },
		{ "exclude-caches", no_argument, NULL, 'C' },
		{ "exclude-if-present", required_argument, NULL, 'I' },
		{ "one-file-system", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};

	tool_init("bs-walk");
	memset(&exclude, 0, sizeof(exclude));
	while ((c = tool_getopt(argc, argv, "hx", longopts)) != -1) {
		switch (c) {
		case 'x': flags |= BS_WALK_XDEV; break;
		case 'E': bs_exclude_add(&exclude, optarg); break;
		case 'F':
			if (bs_exclude_add_file(&exclude, optarg, &e) < 0)
				tool_fail(BS_USAGE, "--exclude-from: %s", e.msg);
			break;
		case 'C': exclude.caches = 1; break;
		case 'I': bs_exclude_add_present(&exclude, optarg); break;
		case 'V': tool_version();
		case 'h': tool_usage(usage, 1); break;
		default: tool_usage(usage, 2);
		}
	}
	memset(&s, 0, sizeof(s));
	memset(&ops, 0, sizeof(ops));
	ops.record = emit;
	ops.warn = warn;
	ops.arg = &s;
	if (bs_exclude_any(&exclude))
		ops.exclude = &exclude;
	bs_writer_init(&s.out, 1, "standard output");
	bs_stream_header(&s.out, BS_STREAM_WALK);
	if (optind < argc) {
		for (int i = optind; i < argc; i++)
			if (bs_walk(argv[i], flags, &ops, &e) < 0)
				tool_die(&e);
	} else {
		if (flags & BS_WALK_XDEV)
			tool_fail(BS_USAGE, "-x needs paths to walk; with find, use find -xdev");
		if (ops.exclude)
			tool_fail(BS_USAGE, "excludes need paths to walk; with find, use its -path and -prune");
		ops.sockets += read_find(&s);
	}
	if (ops.sockets)
		bs_stream_stat(&s.out, "sockets", ops.sockets);
	if (s.vanished)
		bs_stream_stat(&s.out, "vanished", s.vanished);
	if (s.denied)
		bs_stream_stat(&s.out, "denied", s.denied);
	if (s.unreadable)
		bs_stream_stat(&s.out, "unreadable", s.unreadable);
	bs_stream_trailer(&s.out, s.records);
	if (bs_writer_close(&s.out, &e) < 0)
		tool_die(&e);
	bs_buf_release(&s.scratch);
	bs_exclude_release(&exclude);
	return s.vanished + s.denied + s.unreadable ? BS_PARTIAL : BS_OK;
}
