/* indexreport.c - the closing report of a backup: compact and human, or JSON. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "indexer.h"
#include "indexreport.h"
#include "jsonout.h"
#include "units.h"

/* the S lines' keys and the fields that count them */
static const struct { const char *key; size_t off; } keys[] = {
	{ "unchanged", offsetof(struct bs_index_counts, unchanged) },
	{ "read-files", offsetof(struct bs_index_counts, read_files) },
	{ "read-bytes", offsetof(struct bs_index_counts, read_bytes) },
	{ "new-files", offsetof(struct bs_index_counts, new_files) },
	{ "present-files", offsetof(struct bs_index_counts, present_files) },
	{ "new-chunks", offsetof(struct bs_index_counts, new_chunks) },
	{ "new-bytes", offsetof(struct bs_index_counts, new_bytes) },
	{ "stored-bytes", offsetof(struct bs_index_counts, stored_bytes) },
	{ "sockets", offsetof(struct bs_index_counts, sockets) },
	{ "vanished", offsetof(struct bs_index_counts, vanished) },
	{ "denied", offsetof(struct bs_index_counts, denied) },
	{ "unreadable", offsetof(struct bs_index_counts, unreadable) },
	{ "changed", offsetof(struct bs_index_counts, changed) },
};

uint64_t *bs_index_count(struct bs_index_counts *c, const char *key)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(keys[i].key, key))
			return (uint64_t *)((char *)c + keys[i].off);
	return NULL;
}

static void line(struct bs_buf *b, const char *label, const char *fmt, uint64_t v, const char *unit)
{
	char n[32];

	if (!v)
		return;
	if (!strcmp(fmt, "size"))
		bs_human_size(n, sizeof(n), v);
	else
		snprintf(n, sizeof(n), "%" PRIu64 "%s%s", v, unit ? " " : "", unit ? unit : "");
	bs_buf_addf(b, "  %-25s %s\n", label, n);
}

void bs_index_report_text(struct bs_buf *b, const struct bs_summary *s, const struct bs_index_counts *c,
			  double elapsed)
{
	uint64_t problems = c->denied + c->vanished + c->changed + c->unreadable;
	char size[32];

	bs_human_size(size, sizeof(size), s->bytes);
	bs_buf_addf(b, "backup %s %s: %" PRIu64 " entries, %s\n", s->id, s->finished ? "finished" : "unfinished",
		    s->files, size);
	line(b, "unchanged, not read:", "n", c->unchanged, c->unchanged == 1 ? "file" : "files");
	line(b, "read, new data stored:", "n", c->new_files, c->new_files == 1 ? "file" : "files");
	line(b, "read, all chunks present:", "n", c->present_files, c->present_files == 1 ? "file" : "files");
	line(b, "not regular files:", "n", c->not_regular, NULL);
	if (problems) {
		const char *sep = "";
		bs_buf_addf(b, "  %-25s %" PRIu64 " (", "could not be read:", problems);
		if (c->denied)
			bs_buf_addf(b, "%spermission denied %" PRIu64, sep, c->denied), sep = ", ";
		if (c->vanished)
			bs_buf_addf(b, "%svanished %" PRIu64, sep, c->vanished), sep = ", ";
		if (c->changed)
			bs_buf_addf(b, "%schanged while read %" PRIu64, sep, c->changed), sep = ", ";
		if (c->unreadable)
			bs_buf_addf(b, "%sother %" PRIu64, sep, c->unreadable);
		bs_buf_adds(b, ")\n");
	}
	line(b, "sockets skipped:", "n", c->sockets, NULL);
	line(b, "bytes read:", "size", c->read_bytes, NULL);
	if (c->new_bytes) {
		bs_human_size(size, sizeof(size), c->new_bytes);
		bs_buf_addf(b, "  %-25s %s in %" PRIu64 " %s\n", "bytes new:", size, c->new_chunks,
			    c->new_chunks == 1 ? "chunk" : "chunks");
	}
	line(b, "bytes stored, compressed:", "size", c->stored_bytes, NULL);
	bs_buf_addf(b, "  %-25s %.1f s\n", "elapsed:", elapsed);
}

void bs_index_report_json(struct bs_buf *b, const struct bs_summary *s, const struct bs_index_counts *c,
			  double elapsed)
{
	bs_summary_json(b, s);
	bs_buf_setlen(b, b->len - 1);	/* reopen the object */
	bs_buf_addf(b,
		    ",\"unchanged\":%" PRIu64 ",\"new_files\":%" PRIu64 ",\"present_files\":%" PRIu64
		    ",\"not_regular\":%" PRIu64 ",\"denied\":%" PRIu64 ",\"vanished\":%" PRIu64 ",\"changed\":%" PRIu64
		    ",\"unreadable\":%" PRIu64 ",\"sockets\":%" PRIu64 ",\"read_files\":%" PRIu64
		    ",\"read_bytes\":%" PRIu64 ",\"new_chunks\":%" PRIu64 ",\"new_bytes\":%" PRIu64
		    ",\"stored_bytes\":%" PRIu64 ",\"elapsed\":%.3f}",
		    c->unchanged, c->new_files, c->present_files, c->not_regular, c->denied, c->vanished, c->changed,
		    c->unreadable, c->sockets, c->read_files, c->read_bytes, c->new_chunks, c->new_bytes,
		    c->stored_bytes, elapsed);
}

void bs_index_report(struct bs_buf *b, const struct bs_indexer *x, int json)
{
	double elapsed = (double)(x->sum.finish.sec - x->sum.start.sec) +
			 ((double)x->sum.finish.nsec - (double)x->sum.start.nsec) / 1e9;
	struct bs_index_counts c;
	uint64_t regular = x->sum.files - x->others;

	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		*(uint64_t *)((char *)&c + keys[i].off) = bs_indexer_count(x, keys[i].key);
	c.not_regular = x->others;
	if (json) {
		bs_index_report_json(b, &x->sum, &c, elapsed);
		return;
	}
	bs_index_report_text(b, &x->sum, &c, elapsed);
	/* the stages' counts come at the end of the stream: when it was cut
	 * short, say what bs-index itself saw, not zeros */
	if (!x->stats && !x->sum.finished)
		bs_buf_addf(b, "  %-25s %" PRIu64 " file%s; how they were read is not known: the stream "
			    "ended before the stages' counts\n", "regular files recorded:", regular,
			    regular == 1 ? "" : "s");
}
