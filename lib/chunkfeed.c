/* chunkfeed.c - bs-chunk's input, a stage's stream or find's output, record by record into bs_backupread. */
#include <string.h>
#include "chunkfeed.h"
#include "findin.h"
#include "stream.h"

/* A stage's stream: its records, its S lines passed on.  1 when the
 * input was bad, -1 when the output failed, 0 at its end. */
static int from_stream(struct bs_chunkfeed *f, struct bs_reader *in, struct bs_err *e)
{
	struct bs_stream st;
	struct bs_item it;
	int rc;

	if (bs_stream_open(&st, in, BS_STREAM_WALK, e) < 0)
		return 1;
	bs_item_init(&it);
	while ((rc = bs_stream_next(&st, &it, e)) > 0) {
		if (it.type == BS_ITEM_STAT) {
			bs_stream_stat(f->out, it.key, it.value);
			continue;
		}
		if (it.rec.path.p[0] != '/') {
			bs_err_set(e, BS_INPUT, "%s: path '%.200s' is not absolute", in->what, it.rec.path.p);
			break;
		}
		if (bs_backupread_take(f->br, &it.rec, e) < 0) {
			rc = -2;
			break;
		}
	}
	bs_item_release(&it);
	bs_stream_release(&st);
	return rc == -2 ? -1 : rc != 0;
}

static void find_warn(void *arg, const char *msg, int kind)
{
	struct bs_chunkfeed *f = arg;

	if (f->warn)
		f->warn(f->arg, msg);
	bs_backupread_count(f->br, kind);
}

static void find_total(void *arg, uint64_t bytes)
{
	struct bs_chunkfeed *f = arg;

	f->total(f->arg, bytes);
}

/* find -print0, or find -printf '%s %p\0'; as from_stream() */
static int from_find(struct bs_chunkfeed *f, struct bs_reader *in, struct bs_err *e)
{
	struct bs_findin fi;
	struct bs_rec rec;
	int rc;

	bs_findin_init(&fi, in, 1);
	fi.warn = find_warn;
	fi.total = f->total ? find_total : NULL;
	fi.arg = f;
	bs_rec_init(&rec);
	while ((rc = bs_findin_next(&fi, &rec, e)) > 0)
		if (bs_backupread_take(f->br, &rec, e) < 0) {
			rc = -2;
			break;
		}
	f->br->n.sockets += fi.sockets;
	bs_rec_release(&rec);
	bs_findin_release(&fi);
	return rc == -2 ? -1 : rc != 0;
}

int bs_chunkfeed_run(struct bs_chunkfeed *f, struct bs_reader *in, struct bs_err *e)
{
	const char *peek;
	ssize_t n = bs_reader_peekn(in, 7, &peek, e);
	int rc;

	if (n < 0)
		return -1;
	if (n == 0) {
		bs_err_set(e, BS_INPUT, "%s is empty: the stage before wrote nothing", in->what);
		rc = 1;
	} else if (n >= 2 && !memcmp(peek, "B ", 2)) {
		/* find prints absolute paths (or "size path"): a "B " is a
		 * stream header, and a damaged one is an error, not find output */
		rc = from_stream(f, in, e);
	} else {
		rc = from_find(f, in, e);
	}
	if (rc > 0)
		bs_backupread_abort(f->br);
	return rc ? -1 : 0;
}
