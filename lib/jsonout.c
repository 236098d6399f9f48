/* jsonout.c - backups and entries as JSON objects (JSON Lines output). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "jsonout.h"
#include "units.h"

void bs_time_iso(char *out, size_t n, struct bs_time t)
{
	time_t sec = (time_t)t.sec;
	struct tm tm;
	char day[32];

	if (!gmtime_r(&sec, &tm) || !strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(day, sizeof(day), "%" PRId64, t.sec);
	snprintf(out, n, "%s.%09" PRIu32 "Z", day, t.nsec);
}

void bs_summary_json(struct bs_buf *b, const struct bs_summary *s)
{
	char start[48], finish[48];

	bs_time_iso(start, sizeof(start), s->start);
	bs_buf_adds(b, "{");
	bs_json_field(b, "id", s->id, strlen(s->id));
	bs_buf_addc(b, ',');
	bs_json_field(b, "host", s->host, strlen(s->host));
	bs_buf_addc(b, ',');
	bs_json_field(b, "subset", s->subset, strlen(s->subset));
	bs_buf_addf(b, ",\"start\":\"%s\",", start);
	if (s->finished) {
		bs_time_iso(finish, sizeof(finish), s->finish);
		bs_buf_addf(b, "\"finish\":\"%s\",", finish);
	} else {
		bs_buf_adds(b, "\"finish\":null,");
	}
	bs_buf_addf(b, "\"finished\":%s,\"files\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"problems\":%" PRIu64
		    ",\"data_expired\":%s}",
		    s->finished ? "true" : "false", s->files, s->bytes, s->problems, s->data_expired ? "true" : "false");
}

void bs_entry_json_fields(struct bs_buf *b, const struct bs_entry *ent, const char *path, size_t len)
{
	const struct bs_rec *r = &ent->rec;
	char mtime[48];

	bs_json_field(b, "path", path, len);
	bs_time_iso(mtime, sizeof(mtime), r->mtime);
	bs_buf_addf(b, ",\"kind\":\"%c\",\"mode\":\"%04o\",\"size\":%" PRIu64 ",\"mtime\":\"%s\",\"uid\":%" PRIu64
		    ",\"gid\":%" PRIu64,
		    r->kind, r->mode, r->size, mtime, r->uid, r->gid);
	if (r->uname[0]) {
		bs_buf_addc(b, ',');
		bs_json_field(b, "user", r->uname, strlen(r->uname));
	}
	if (r->gname[0]) {
		bs_buf_addc(b, ',');
		bs_json_field(b, "group", r->gname, strlen(r->gname));
	}
	if (r->kind == 'l') {
		bs_buf_addc(b, ',');
		bs_json_field(b, "target", r->target.p, r->target.len);
	}
}
