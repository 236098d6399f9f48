/* lsfmt.c - lines of bs-ls for people, for scripts (NUL) and as JSON. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "jsonout.h"
#include "lsfmt.h"
#include "tarname.h"
#include "units.h"

void bs_time_local(char *out, size_t n, struct bs_time t, int seconds)
{
	time_t sec = (time_t)t.sec;
	struct tm tm;
	size_t len;

	if (!localtime_r(&sec, &tm) || !(len = strftime(out, n, seconds ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d %H:%M", &tm))) {
		snprintf(out, n, "%" PRId64, t.sec);
		return;
	}
	if (tm.tm_gmtoff != 0)
		strftime(out + len, n - len, " %z", &tm);
}

void bs_fmt_backup(struct bs_buf *b, const struct bs_summary *s, int style)
{
	char start[48], finish[48];

	if (style == BS_FMT_JSON) {
		bs_summary_json(b, s);
		bs_buf_addc(b, '\n');
		return;
	}
	bs_time_local(start, sizeof(start), s->start, 1);
	if (s->damaged) {
		/* listed all the same, so that nothing hides it */
		bs_buf_addf(b, "%s  %s  %-19s  %10s files  %14s bytes  (summary damaged)\n", s->id, start, "damaged",
			    "?", "?");
		return;
	}
	if (s->finished)
		bs_time_local(finish, sizeof(finish), s->finish, 1);
	else
		snprintf(finish, sizeof(finish), "unfinished");
	bs_buf_addf(b, "%s  %s  %-19s  %10" PRIu64 " files  %14" PRIu64 " bytes%s\n", s->id, start, finish, s->files,
		    s->bytes, s->data_expired ? "  (data expired)" : "");
}

void bs_fmt_summary(struct bs_buf *b, const struct bs_summary *s, int style)
{
	char start[48], finish[48], size[32];

	if (style == BS_FMT_JSON) {
		bs_summary_json(b, s);
		bs_buf_addc(b, '\n');
		return;
	}
	bs_time_local(start, sizeof(start), s->start, 1);
	if (s->finished)
		bs_time_local(finish, sizeof(finish), s->finish, 1);
	else
		snprintf(finish, sizeof(finish), "unfinished");
	bs_human_size(size, sizeof(size), s->bytes);
	bs_buf_addf(b, "id:       %s\nhost:     %s\nsubset:   %s\nstart:    %s\nfinish:   %s\nfiles:    %" PRIu64
		    "\nbytes:    %" PRIu64 " (%s)\nproblems: %" PRIu64 "\n%s",
		    s->id, s->host, s->subset, start, finish, s->files, s->bytes, size, s->problems,
		    s->data_expired ? "data:     expired, only the listing is kept\n" : "");
}

void bs_fmt_change(struct bs_buf *b, int change, const char *path, size_t n, const struct bs_entry *a,
		   const struct bs_entry *bent, int style, int utf8)
{
	switch (style) {
	case BS_FMT_NUL:
		bs_buf_addf(b, "%c ", change);
		bs_buf_add(b, path, n);
		bs_buf_addc(b, '\0');
		break;
	case BS_FMT_JSON:
		bs_buf_addf(b, "{\"change\":\"%c\",", change);
		bs_entry_json_fields(b, bent ? bent : a, path, n);
		bs_buf_adds(b, "}\n");
		break;
	default:
		bs_buf_addf(b, "%c ", change);
		bs_name_escape(b, path, n, utf8);
		bs_buf_addc(b, '\n');
	}
}

void bs_fmt_found(struct bs_buf *b, const struct bs_summary *s, const struct bs_entry *ent, const char *path,
		  size_t n, int style, int utf8)
{
	const struct bs_rec *r = &ent->rec;
	char size[32], when[48];

	switch (style) {
	case BS_FMT_NUL:
		bs_buf_addf(b, "%s %" PRIu64 " %" PRId64 ".%09" PRIu32 " ", s->id, r->size, r->mtime.sec, r->mtime.nsec);
		bs_buf_add(b, path, n);
		bs_buf_addc(b, '\0');
		break;
	case BS_FMT_JSON:
		bs_buf_adds(b, "{");
		bs_json_field(b, "backup", s->id, strlen(s->id));
		bs_buf_addc(b, ',');
		bs_entry_json_fields(b, ent, path, n);
		bs_buf_adds(b, "}\n");
		break;
	default:
		if (r->kind == 'f')
			bs_human_size(size, sizeof(size), r->size);
		else
			snprintf(size, sizeof(size), "%c", r->kind == 'd' ? '/' : r->kind);
		bs_time_local(when, sizeof(when), r->mtime, 0);
		bs_buf_addf(b, "%s  %9s  %s  ", s->id, size, when);
		bs_name_escape(b, path, n, utf8);
		bs_buf_addc(b, '\n');
	}
}
