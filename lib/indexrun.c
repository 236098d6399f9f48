/* indexrun.c - bs-index's run: a manifest stream recorded as a backup; finished, unfinished, or none. */
#include "indexrun.h"
#include "stream.h"

/* recorded: the stream read (rc, why), stopped or not */
static int closed(struct bs_indexer *x, int rc, int stopped, struct bs_err *why, struct bs_err *e)
{
	if (bs_indexer_close(x, rc == 0 && !stopped, e) < 0)
		return -1;
	if (x->sum.finished)
		return 0;
	if (stopped)
		bs_err_set(why, BS_SYS, "interrupted");
	bs_err_set(e, why->code ? why->code : BS_INPUT, "backup '%s' is unfinished: %s", x->sum.id, why->msg);
	return 1;
}

int bs_index_run(struct bs_indexer *x, struct bs_repo *repo, const char *host, const char *subset,
		 struct bs_reader *in, struct bs_err *e)
{
	struct bs_stream st;
	struct bs_err why = { 0, "" };
	int rc, stopped;

	in->on_signal = bs_indexer_on_signal;
	in->signal_arg = x;
	if (bs_stream_open(&st, in, BS_STREAM_MANIFEST, e) < 0)
		return -1;
	if (!st.has_time) {
		bs_stream_release(&st);
		return bs_err_set(e, BS_INPUT, "%s: the manifest has no T line: pass it through bs-store", in->what);
	}
	if (bs_indexer_open(x, repo, host, subset, &st, e) < 0) {
		bs_stream_release(&st);
		return -1;
	}
	rc = bs_indexer_run(x, &st, &why);
	stopped = in->stop && *in->stop;
	/* A whole stream of no record at all (find failed at once, and the
	 * stages before passed on an empty list): an empty finished backup
	 * would become `latest`; record none.  A stream cut short keeps its
	 * unfinished backup, as ever, which never becomes `latest`. */
	if (rc == 0 && !stopped && st.records == 0) {
		if (bs_indexer_discard(x, e) == 0)
			bs_err_set(e, BS_INPUT, "%s holds no records: no backup recorded", in->what);
		rc = -1;
	} else {
		/* Whatever happened, keep what came: the next backup reuses it. */
		rc = closed(x, rc, stopped, &why, e);
	}
	bs_stream_release(&st);
	return rc;
}
