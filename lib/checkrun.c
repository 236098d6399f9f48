/* checkrun.c - bs-check's run (the backups named, or all, then the data) and its report lines. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "checkrun.h"
#include "units.h"

int bs_check_run(struct bs_check *c, char *const *names, int n, int read_data, double percent, struct bs_err *e)
{
	struct bs_summary one;

	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	for (int i = 0; i < n; i++)
		if (bs_backup_resolve(c->repo, names[i], &one, e) < 0 || bs_check_backup(c, &one, e) < 0)
			return -1;
	if (n == 0 && bs_check_all(c, e) < 0)
		return -1;
	if (read_data && bs_check_data(c, percent, e) < 0)
		return -1;
	return 0;
}

void bs_check_fmt(struct bs_buf *b, const struct bs_check_finding *f, int json)
{
	const char *sep = "";

	if (!json) {
		bs_buf_addf(b, "%s\n", f->line);
		return;
	}
	bs_buf_adds(b, "{");
	if (f->backup) {
		bs_json_field(b, "backup", f->backup, strlen(f->backup));
		sep = ",";
	}
	if (f->path) {
		bs_buf_adds(b, sep);
		bs_json_field(b, "path", f->path, f->pathlen);
		sep = ",";
	}
	if (f->chunk) {
		bs_buf_adds(b, sep);
		bs_json_field(b, "chunk", f->chunk, strlen(f->chunk));
		sep = ",";
	}
	bs_buf_adds(b, sep);
	bs_json_field(b, f->problem ? "problem" : "note", f->what, strlen(f->what));
	bs_buf_adds(b, "}\n");
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

void bs_check_fmt_totals(struct bs_buf *b, const struct bs_check *c, int read_data, int json)
{
	if (json) {
		bs_buf_addf(b, "{\"summary\":true,\"backups\":%" PRIu64 ",\"references\":%" PRIu64
			    ",\"chunks_read\":%" PRIu64 ",\"problems\":%" PRIu64 "}\n",
			    c->backups, c->refs, c->chunks_read, c->problems);
		return;
	}
	bs_buf_addf(b, "checked %" PRIu64 " backup%s, %" PRIu64 " chunk reference%s", c->backups, plural(c->backups),
		    c->refs, plural(c->refs));
	if (read_data)
		bs_buf_addf(b, ", read %" PRIu64 " chunk%s", c->chunks_read, plural(c->chunks_read));
	bs_buf_addf(b, ": %" PRIu64 " problem%s\n", c->problems, plural(c->problems));
}
