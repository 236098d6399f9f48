/* lister.c - a backup's entries as names, tar tv lines or its manifest stream. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lister.h"
#include "record.h"
#include "tarname.h"

void bs_lister_init(struct bs_lister *l, int mode, struct bs_writer *out)
{
	memset(l, 0, sizeof(*l));
	l->mode = mode;
	l->out = out;
	bs_linkmap_init(&l->links);
}

void bs_lister_release(struct bs_lister *l)
{
	bs_linkmap_release(&l->links, free);
	bs_buf_release(&l->scratch);
	bs_buf_release(&l->name);
}

/* A name as GNU tar prints it in this locale: C escapes for what is not printable. */
static void escape(struct bs_lister *l, const char *p, size_t n)
{
	bs_buf_reset(&l->name);
	bs_name_escape(&l->name, p, n, l->utf8);
	bs_writer_add(l->out, l->name.p, l->name.len);
}

static void mode_string(char *m, const struct bs_rec *r)
{
	static const char rwx[] = "rwxrwxrwx";
	unsigned mode = r->mode;

	m[0] = r->kind == 'f' ? '-' : r->kind;
	for (int i = 0; i < 9; i++)
		m[1 + i] = (mode & (0400u >> i)) ? rwx[i] : '-';
	if (mode & 04000)
		m[3] = (mode & 0100) ? 's' : 'S';
	if (mode & 02000)
		m[6] = (mode & 010) ? 's' : 'S';
	if (mode & 01000)
		m[9] = (mode & 01) ? 't' : 'T';
	m[10] = '\0';
}

/* As GNU ls --full-time: "2025-03-01 12:00:00.123456789 +0100" */
static void full_time(char *out, size_t n, const struct tm *tm, uint32_t nsec)
{
	char date[32], zone[16];

	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", tm);
	strftime(zone, sizeof(zone), "%z", tm);
	snprintf(out, n, "%s.%09" PRIu32 " %s", date, nsec, zone);
}

static int visit(void *arg, const struct bs_entry *ent, const struct bs_buf *path, struct bs_err *e)
{
	struct bs_lister *l = arg;
	const struct bs_rec *r = &ent->rec;

	if (r->kind == 'i')
		return 0;
	switch (l->mode) {
	case BS_LIST_NAMES:
		escape(l, path->p, path->len);
		bs_writer_addc(l->out, '\n');
		break;
	case BS_LIST_NUL:
		bs_writer_add(l->out, path->p, path->len);
		bs_writer_addc(l->out, '\0');
		break;
	case BS_LIST_RECORDS: {
		struct bs_rec copy;
		for (size_t i = 0; i < ent->nrefs; i++)
			bs_stream_ref(l->out, ent->refs[i].digest, ent->refs[i].size);
		copy = *r;
		copy.path = *path;
		bs_stream_record(l->out, &copy, &l->scratch);
		l->records++;
		break;
	}
	case BS_LIST_LONG: {
		char m[12], owner[80], size[48], when[64];
		time_t t = (time_t)r->mtime.sec;
		struct tm tm;
		const char *first = NULL;

		mode_string(m, r);
		if (r->uname[0])
			snprintf(owner, sizeof(owner), "%s", r->uname);
		else
			snprintf(owner, sizeof(owner), "%" PRIu64, r->uid);
		if (r->gname[0])
			snprintf(owner + strlen(owner), sizeof(owner) - strlen(owner), "/%s", r->gname);
		else
			snprintf(owner + strlen(owner), sizeof(owner) - strlen(owner), "/%" PRIu64, r->gid);
		if (r->kind == 'c' || r->kind == 'b')
			snprintf(size, sizeof(size), "%" PRIu32 ",%" PRIu32, r->rmajor, r->rminor);
		else
			snprintf(size, sizeof(size), "%" PRIu64, r->size);
		if (!localtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm))
			snprintf(when, sizeof(when), "%" PRId64, r->mtime.sec);
		else if (l->full_time)
			full_time(when, sizeof(when), &tm, r->mtime.nsec);
		if (r->nlink > 1 && strchr("fpcb", r->kind)) {
			first = bs_linkmap_get(&l->links, r->dev, r->ino);
			if (first)
				m[0] = 'h';
			else
				bs_linkmap_put(&l->links, r->dev, r->ino, bs_xstrndup(path->p, path->len));
		}
		if (first)
			snprintf(size, sizeof(size), "0");	/* as tar tv shows a link */
		bs_writer_addf(l->out, "%s %s %8s %s ", m, owner, size, when);
		escape(l, path->p, path->len);
		if (r->kind == 'd' && path->len > 1)
			bs_writer_addc(l->out, '/');
		if (r->kind == 'l') {
			bs_writer_adds(l->out, " -> ");
			escape(l, r->target.p, r->target.len);
		} else if (first) {
			bs_writer_adds(l->out, " link to ");
			escape(l, first, strlen(first));
		}
		bs_writer_addc(l->out, '\n');
		break;
	}
	}
	if (l->out->err)
		return bs_writer_flush(l->out, e);
	return 0;
}

int bs_lister_run(struct bs_lister *l, struct bs_meta_reader *meta, char *const *paths, int n, struct bs_err *e)
{
	struct bs_buf clean = BS_BUF_INIT;
	int rc = 0;

	if (l->mode == BS_LIST_RECORDS)
		bs_stream_header(l->out, BS_STREAM_MANIFEST);
	if (n == 0)
		rc = bs_meta_walk(meta, "/", 1, visit, l, e) < 0 ? -1 : 0;
	for (int i = 0; i < n && rc == 0; i++) {
		if (paths[i][0] != '/')
			rc = bs_err_set(e, BS_USAGE, "'%s': paths in a backup are absolute", paths[i]);
		else if (bs_path_clean(paths[i], strlen(paths[i]), &clean, e) < 0)
			rc = -1;
		else if ((rc = bs_meta_walk(meta, clean.p, clean.len, visit, l, e)) < 0)
			rc = -1;
		else if (rc == 0)
			rc = bs_err_set(e, BS_INPUT, "'%s' is not in backup '%s'", paths[i], meta->id);
		else
			rc = 0;
	}
	bs_buf_release(&clean);
	if (rc == 0 && l->mode == BS_LIST_RECORDS)
		bs_stream_trailer(l->out, l->records);
	return rc;
}
