/* walkrun.c - bs-walk's run: trees walked or find's paths read, as a walk stream with its counts. */
#include <string.h>
#include "findin.h"
#include "stream.h"
#include "walk.h"
#include "walkrun.h"

void bs_walkrun_init(struct bs_walkrun *r, struct bs_writer *out)
{
	memset(r, 0, sizeof(*r));
	r->out = out;
	bs_buf_init(&r->scratch);
	bs_stream_header(out, BS_STREAM_WALK);
}

static int record(void *arg, struct bs_rec *rec, struct bs_err *e)
{
	struct bs_walkrun *r = arg;

	bs_stream_record(r->out, rec, &r->scratch);
	r->records++;
	if (r->out->err)
		return bs_writer_flush(r->out, e);
	return 0;
}

static void skipped(void *arg, const char *msg, int kind)
{
	struct bs_walkrun *r = arg;

	if (r->warn)
		r->warn(r->arg, msg);
	if (kind == BS_WARN_VANISHED)
		r->vanished++;
	else if (kind == BS_WARN_DENIED)
		r->denied++;
	else
		r->unreadable++;
}

int bs_walkrun_tree(struct bs_walkrun *r, const char *path, struct bs_err *e)
{
	struct bs_walk_ops ops;
	int rc;

	memset(&ops, 0, sizeof(ops));
	ops.record = record;
	ops.warn = skipped;
	ops.arg = r;
	ops.exclude = r->exclude;
	rc = bs_walk(path, r->flags, &ops, e);
	r->sockets += ops.sockets;
	return rc;
}

/* Bad input: pass on what came before it, without a trailer. */
static int cut_short(struct bs_walkrun *r)
{
	struct bs_err ignored;

	bs_writer_flush(r->out, &ignored);
	return -1;
}

int bs_walkrun_find(struct bs_walkrun *r, struct bs_reader *in, struct bs_err *e)
{
	struct bs_findin f;
	struct bs_rec rec;
	int rc;

	e->code = 0;
	if (bs_reader_peek(in, e) < 0) {
		if (!e->code)
			bs_err_set(e, BS_INPUT, "standard input is empty: no paths came (did find fail?)");
		return cut_short(r);
	}
	bs_rec_init(&rec);
	bs_findin_init(&f, in, 0);
	f.warn = skipped;
	f.arg = r;
	while ((rc = bs_findin_next(&f, &rec, e)) > 0)
		if (record(r, &rec, e) < 0)
			break;
	r->sockets += f.sockets;
	bs_rec_release(&rec);
	bs_findin_release(&f);
	if (rc < 0)
		return cut_short(r);
	return rc > 0 ? -1 : 0;
}

int bs_walkrun_finish(struct bs_walkrun *r, struct bs_err *e)
{
	if (r->sockets)
		bs_stream_stat(r->out, "sockets", r->sockets);
	if (r->vanished)
		bs_stream_stat(r->out, "vanished", r->vanished);
	if (r->denied)
		bs_stream_stat(r->out, "denied", r->denied);
	if (r->unreadable)
		bs_stream_stat(r->out, "unreadable", r->unreadable);
	bs_stream_trailer(r->out, r->records);
	return bs_writer_flush(r->out, e);
}

uint64_t bs_walkrun_problems(const struct bs_walkrun *r)
{
	return r->vanished + r->denied + r->unreadable;
}

void bs_walkrun_release(struct bs_walkrun *r)
{
	bs_buf_release(&r->scratch);
}
