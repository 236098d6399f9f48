/* bs-ls - list the backups, a backup's files, or its manifest stream. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "backup.h"
#include "linkmap.h"
#include "meta.h"
#include "record.h"
#include "repo.h"
#include "tool.h"

static const char usage[] =
	"usage: bs-ls -r repo\n"
	"       bs-ls -r repo [-l [--full-time] | -0 | --records] backup [path ...]\n"
	"       bs-ls -r repo --priors [-H host] -s subset\n";

enum { NAMES, LONG, NUL, RECORDS };

struct lister {
	int mode;
	int full_time;		/* --full-time: seconds, nanoseconds, zone */
	struct bs_writer out;
	struct bs_linkmap links;
	struct bs_buf scratch;
	uint64_t records;
};

/* A name as GNU tar prints it: C escapes for what is not printable. */
static void escaped(struct bs_writer *w, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		switch (ch) {
		case '\\': bs_writer_adds(w, "\\\\"); break;
		case '\n': bs_writer_adds(w, "\\n"); break;
		case '\t': bs_writer_adds(w, "\\t"); break;
		case '\r': bs_writer_adds(w, "\\r"); break;
		default:
			if (ch < 0x20 || ch >= 0x7f)
				bs_writer_addf(w, "\\%03o", ch);
			else
				bs_writer_addc(w, ch);
		}
	}
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
	struct lister *l = arg;
	const struct bs_rec *r = &ent->rec;

	if (r->kind == 'i')
		return 0;
	switch (l->mode) {
	case NAMES:
		escaped(&l->out, path->p, path->len);
		bs_writer_addc(&l->out, '\n');
		break;
	case NUL:
		bs_writer_add(&l->out, path->p, path->len);
		bs_writer_addc(&l->out, '\0');
		break;
	case RECORDS: {
		struct bs_rec copy;
		for (size_t i = 0; i < ent->nrefs; i++)
			bs_stream_ref(&l->out, ent->refs[i].digest, ent->refs[i].size);
		copy = *r;
		copy.path = *path;
		bs_stream_record(&l->out, &copy, &l->scratch);
		l->records++;
		break;
	}
	case LONG: {
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
		bs_writer_addf(&l->out, "%s %s %8s %s ", m, owner, size, when);
		escaped(&l->out, path->p, path->len);
		if (r->kind == 'd' && path->len > 1)
			bs_writer_addc(&l->out, '/');
		if (r->kind == 'l') {
			bs_writer_adds(&l->out, " -> ");
			escaped(&l->out, r->target.p, r->target.len);
		} else if (first) {
			bs_writer_adds(&l->out, " link to ");
			escaped(&l->out, first, strlen(first));
		}
		bs_writer_addc(&l->out, '\n');
		break;
	}
	}
	if (l->out.err)
		return bs_writer_flush(&l->out, e);
	return 0;
}

static void list_backups(struct bs_repo *repo)
{
	struct bs_summary *v;
	struct bs_err e;
	size_t n;

	if (bs_backup_list(repo, &v, &n, &e) < 0)
		tool_die(&e);
	for (size_t i = 0; i < n; i++) {
		char start[32], finish[32];
		bs_time_format(start, sizeof(start), v[i].start);
		if (v[i].finished)
			bs_time_format(finish, sizeof(finish), v[i].finish);
		else
			snprintf(finish, sizeof(finish), "unfinished");
		printf("%s  %s  %-19s  %10" PRIu64 " files  %14" PRIu64 " bytes%s\n", v[i].id, start, finish,
		       v[i].files, v[i].bytes, v[i].data_expired ? "  (data expired)" : "");
	}
	free(v);
	tool_close_stdout();
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "records", no_argument, NULL, 'R' },
		{ "priors", no_argument, NULL, 'P' },
		{ "full-time", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct lister l;
	struct bs_repo repo;
	struct bs_meta_reader meta;
	struct bs_summary sum;
	struct bs_buf clean = BS_BUF_INIT;
	struct bs_err e;
	const char *path = NULL, *subset = NULL;
	char host[128] = "";
	int opt, priors = 0;

	tool_init("bs-ls");
	while ((opt = getopt_long(argc, argv, "hr:l0s:H:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r': path = optarg; break;
		case 'l': l.mode = LONG; break;
		case '0': l.mode = NUL; break;
		case 'R': l.mode = RECORDS; break;
		case 'P': priors = 1; break;
		case 'T': l.full_time = 1; l.mode = LONG; break;
		case 's': subset = optarg; break;
		case 'H': snprintf(host, sizeof(host), "%s", optarg); break;
		case 'h': tool_usage(usage, 1); break;
		default: tool_usage(usage, 2);
		}
	}
	if (!path)
		tool_usage(usage, 2);
	if (bs_repo_open(&repo, path, &e) < 0)
		tool_die(&e);
	if (priors) {
		struct bs_summary v[3];
		size_t n;
		if (!subset || optind != argc)
			tool_usage(usage, 2);
		if (!host[0])
			tool_hostname(host, sizeof(host));
		if (bs_backup_priors(&repo, host, subset, v, &n, &e) < 0)
			tool_die(&e);
		for (size_t i = 0; i < n; i++)
			printf("%s\n", v[i].id);
		tool_close_stdout();
		bs_repo_close(&repo);
		return 0;
	}
	if (optind == argc) {
		if (l.mode != NAMES)
			tool_usage(usage, 2);
		list_backups(&repo);
		bs_repo_close(&repo);
		return 0;
	}
	if (bs_backup_resolve(&repo, argv[optind], &sum, &e) < 0)
		tool_die(&e);
	if (bs_meta_open(&meta, &repo, sum.id, &e) < 0)
		tool_die(&e);
	bs_writer_init(&l.out, 1, "standard output");
	bs_linkmap_init(&l.links);
	if (l.mode == RECORDS)
		bs_stream_header(&l.out, BS_STREAM_MANIFEST);
	if (optind + 1 == argc) {
		if (bs_meta_walk(&meta, "/", 1, visit, &l, &e) < 0)
			tool_die(&e);
	}
	for (int i = optind + 1; i < argc; i++) {
		int rc;
		if (argv[i][0] != '/')
			tool_fail(BS_USAGE, "'%s': paths in a backup are absolute", argv[i]);
		if (bs_path_clean(argv[i], strlen(argv[i]), &clean, &e) < 0)
			tool_die(&e);
		rc = bs_meta_walk(&meta, clean.p, clean.len, visit, &l, &e);
		if (rc < 0)
			tool_die(&e);
		if (rc == 0)
			tool_fail(BS_INPUT, "'%s' is not in backup '%s'", argv[i], sum.id);
	}
	if (l.mode == RECORDS)
		bs_stream_trailer(&l.out, l.records);
	if (bs_writer_close(&l.out, &e) < 0)
		tool_die(&e);
	bs_linkmap_release(&l.links, free);
	bs_meta_release(&meta);
	bs_buf_release(&clean);
	bs_buf_release(&l.scratch);
	bs_repo_close(&repo);
	return 0;
}
