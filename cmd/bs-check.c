/* bs-check - verify that a repository's backups can be restored; never changes it. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "backup.h"
#include "linkmap.h"
#include "meta.h"
#include "readahead.h"
#include "repo.h"
#include "remote.h"
#include "tool.h"
#include "units.h"
#include "everyday.h"

static const char usage[] =
	"usage: bs-check -r repo [--read-data[=percent]] [--json] [-j threads] [backup ...]\n";

struct check {
	struct bs_repo repo;
	/* chunks already found present, by digest; the value is 1 + the
	 * furthest byte a reference reads of it (a piece's offset + length,
	 * an R's size), checked against the chunk when it is read */
	struct bs_linkmap seen;
	struct bs_readahead ra;		/* --read-data on worker threads */
	size_t threads;
	int ahead;
	const char *id;
	uint64_t entries, bytes, problems, chunks_read, refs;
	double percent;
	int read_data, listing_only, json;
	struct bs_buf data, jb;
};

/* A finding as a JSON line (--json): what it is about, and what. */
static void json_finding(struct check *c, const char *backup, const struct bs_buf *path, const char *chunk,
			 const char *kind, const char *text)
{
	const char *sep = "";

	bs_buf_adds(&c->jb, "{");
	if (backup) {
		bs_json_field(&c->jb, "backup", backup, strlen(backup));
		sep = ",";
	}
	if (path) {
		bs_buf_adds(&c->jb, sep);
		bs_json_field(&c->jb, "path", path->p, path->len);
		sep = ",";
	}
	if (chunk) {
		bs_buf_adds(&c->jb, sep);
		bs_json_field(&c->jb, "chunk", chunk, strlen(chunk));
		sep = ",";
	}
	bs_buf_adds(&c->jb, sep);
	bs_json_field(&c->jb, kind, text, strlen(text));
	bs_buf_adds(&c->jb, "}");
	tool_json_line(&c->jb);
	if (!strcmp(kind, "problem"))
		c->problems++;
}

static void problem(struct check *c, const char *fmt, const char *a, const char *b)
{
	printf(fmt, a, b);
	putchar('\n');
	c->problems++;
}

/* The set of digests already checked: the map is keyed by two 64-bit
 * halves of the digest, which for SHA-256 names cannot collide in practice. */
static uint64_t half(const unsigned char *d, int i)
{
	uint64_t v;
	memcpy(&v, d + 8 * i, 8);
	return v;
}

static int visit(void *arg, const struct bs_entry *ent, const struct bs_buf *path, struct bs_err *e)
{
	struct check *c = arg;
	uint64_t sum = 0;
	char hex[BS_HEX_LEN + 1], q[512];

	if (ent->rec.kind == 'i')
		return 0;
	c->entries++;
	if (ent->rec.kind != 'f' || c->listing_only)
		return 0;
	c->bytes += ent->rec.size;
	for (size_t i = 0; i < ent->nrefs; i++) {
		const unsigned char *d = ent->refs[i].digest;
		uintptr_t end = (uintptr_t)(ent->refs[i].offset + ent->refs[i].size), had;
		sum += ent->refs[i].size;
		c->refs++;
		had = (uintptr_t)bs_linkmap_get(&c->seen, half(d, 0), half(d, 1));
		if (had) {
			if (end + 1 > had)
				bs_linkmap_put(&c->seen, half(d, 0), half(d, 1), (void *)(end + 1));
			continue;
		}
		if (!bs_chunk_exists(&c->repo, d)) {
			char where[700];
			bs_hex(hex, d);
			if (c->json) {
				char what[200];
				snprintf(what, sizeof(what), "chunk %s is missing or empty", hex);
				json_finding(c, c->id, path, hex, "problem", what);
				continue;
			}
			snprintf(where, sizeof(where), "%s: '%s'", c->id, bs_quote(path->p, path->len, q, sizeof(q)));
			problem(c, "%s refers to chunk %s, which is missing or empty", where, hex);
			continue;
		}
		bs_linkmap_put(&c->seen, half(d, 0), half(d, 1), (void *)(end + 1));
	}
	if (sum != bs_rec_datasize(&ent->rec) && c->json) {
		json_finding(c, c->id, path, NULL, "problem", "its chunks do not add up to its size");
	} else if (sum != bs_rec_datasize(&ent->rec)) {
		problem(c, "%s: the chunks of '%s' do not add up to its size", c->id,
			bs_quote(path->p, path->len, q, sizeof(q)));
	}
	return 0;
}

static void check_backup(struct check *c, const struct bs_summary *s)
{
	struct bs_meta_reader m;
	struct bs_err e;
	char n1[32], n2[32];

	c->id = s->id;
	if (!s->finished && c->json)
		json_finding(c, s->id, NULL, NULL, "note", "unfinished");
	else if (!s->finished)
		printf("%s: unfinished (files so far: %" PRIu64 ")\n", s->id, s->files);
	if (bs_meta_open(&m, &c->repo, s->id, &e) < 0) {
		if (c->json)
			json_finding(c, s->id, NULL, NULL, "problem", e.msg);
		else
			problem(c, "%s: %s", s->id, e.msg);
		return;
	}
	m.strict = 1;	/* heads too: bs-chunk trusts them without the text */
	c->entries = c->bytes = 0;
	/* a backup whose data expired keeps its listing; its chunks may be
	 * gone by design, so only the listing is read */
	c->listing_only = s->data_expired;
	if (s->data_expired && c->json)
		json_finding(c, s->id, NULL, NULL, "note", "data expired; only its listing is kept");
	else if (s->data_expired)
		printf("%s: data expired; only its listing is kept\n", s->id);
	if (bs_meta_walk(&m, "/", 1, visit, c, &e) < 0) {
		if (c->json)
			json_finding(c, s->id, NULL, NULL, "problem", e.msg);
		else
			problem(c, "%s: %s", s->id, e.msg);
	}
	if (s->finished && !s->data_expired && (c->entries != s->files || c->bytes != s->bytes)) {
		snprintf(n1, sizeof(n1), "%" PRIu64, c->entries);
		snprintf(n2, sizeof(n2), "%" PRIu64, s->files);
		if (c->json) {
			char what[300];
			snprintf(what, sizeof(what), "the summary says %s entries and %" PRIu64
				 " bytes, the metadata holds %s and %" PRIu64, n2, s->bytes, n1, c->bytes);
			json_finding(c, s->id, NULL, NULL, "problem", what);
			bs_meta_release(&m);
			return;
		}
		printf("%s: the summary says %s entries and %" PRIu64 " bytes, the metadata holds %s and %" PRIu64 "\n",
		       s->id, n2, s->bytes, n1, c->bytes);
		c->problems++;
	}
	bs_meta_release(&m);
}

/* A chunk read and decoded (rc 0, its bytes in data) or not (why): a
 * damaged chunk is a problem, a failure to read one the end.  The pieces
 * and chunks that refer to it must lie within it. */
static int chunk_read(struct check *c, const unsigned char *digest, int rc, const struct bs_err *why,
		      const struct bs_buf *data, struct bs_err *e)
{
	uintptr_t need;
	char hex[BS_HEX_LEN + 1];

	char where[80], msg[200];

	if (rc < 0) {
		if (why->code != BS_INPUT)
			return bs_err_set(e, why->code, "%s", why->msg);
		if (c->json) {
			bs_chunk_path(digest, where);
			json_finding(c, NULL, NULL, where, "problem", why->msg);
			return 0;
		}
		printf("%s\n", why->msg);
		c->problems++;
		return 0;
	}
	need = (uintptr_t)bs_linkmap_get(&c->seen, half(digest, 0), half(digest, 1));
	if (need > 1 && need - 1 > data->len) {
		bs_hex(hex, digest);
		snprintf(msg, sizeof(msg), "holds %zu bytes, but the backups refer to its bytes up to %" PRIu64,
			 data->len, (uint64_t)(need - 1));
		if (c->json) {
			bs_chunk_path(digest, where);
			json_finding(c, NULL, NULL, where, "problem", msg);
			return 0;
		}
		printf("chunk %s %s\n", hex, msg);
		c->problems++;
	}
	return 0;
}

/* The oldest chunk read ahead, taken. */
static int take_ahead(struct check *c, struct bs_err *e)
{
	struct bs_readahead_slot *slot = bs_readahead_next(&c->ra);
	int rc;

	if (!slot)
		return 0;
	rc = chunk_read(c, slot->digest, slot->rc, &slot->err, &slot->data, e);
	bs_readahead_pop(&c->ra);
	return rc;
}

static int read_chunk(void *arg, const struct bs_chunk_file *f, struct bs_err *e)
{
	struct check *c = arg;
	struct bs_err why;
	int rc;

	if (!f->is_chunk)
		return 0;
	if (c->percent < 100 && (double)random() / RAND_MAX * 100.0 >= c->percent)
		return 0;
	c->chunks_read++;
	if (f->size == 0 && c->json) {
		json_finding(c, NULL, NULL, f->path, "problem", "empty");
		return 0;
	}
	if (f->size == 0) {
		problem(c, "chunk %s is empty%s", f->name, "");
		return 0;
	}
	if (c->ahead) {
		/* in the store's order, `window` at a time on the workers */
		while (bs_readahead_queued(&c->ra) >= c->ra.window)
			if (take_ahead(c, e) < 0)
				return -1;
		return bs_readahead_submit(&c->ra, f->digest) < 0 ? bs_err_set(e, BS_SYS, "cannot read ahead") : 0;
	}
	bs_buf_reset(&c->data);
	rc = bs_chunk_get(&c->repo, f->digest, &c->data, &why);
	return chunk_read(c, f->digest, rc, &why, &c->data, e);
}

/* --read-data: every chunk file read and decoded, on worker threads when
 * there are several. */
static int read_data(struct check *c, struct bs_err *e)
{
	size_t window = 2 * c->threads + 2;
	int rc;

	c->ahead = c->threads > 1 && bs_readahead_start(&c->ra, &c->repo, c->threads, window > 64 ? 64 : window) == 0;
	rc = bs_chunks_each(&c->repo, read_chunk, NULL, c, e);
	if (c->ahead) {
		bs_readahead_end(&c->ra);
		while (rc == 0 && bs_readahead_queued(&c->ra))
			rc = take_ahead(c, e);
		bs_readahead_release(&c->ra);
	}
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "read-data", optional_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	static struct check c;
	struct bs_summary *v = NULL, one;
	struct bs_err e;
	const char *path = NULL;
	size_t n = 0;
	int opt;
	char *end;

	tool_init("bs-check");
	/* a repository over ssh: the same tool runs there (bs-serve.1) */
	{
		int remote = bs_remote_divert(argc, argv, "check", &e);
		if (remote == -1)
			tool_die(&e);
		if (remote >= 0)
			return remote;
	}
	c.percent = 100;
	c.threads = bs_ncpus();
	while ((opt = getopt_long(argc, argv, "hr:j:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r': path = optarg; break;
		case 'j':
			c.threads = strtoul(optarg, &end, 10);
			if (*end || end == optarg || c.threads < 1 || c.threads > 1024)
				tool_fail(BS_USAGE, "-j: a number of threads from 1 to 1024, not '%s'", optarg);
			break;
		case 'D':
			c.read_data = 1;
			if (optarg) {
				c.percent = strtod(optarg, &end);
				if (*end == '%')
					end++;
				if (*end || end == optarg || c.percent <= 0 || c.percent > 100)
					tool_fail(BS_USAGE, "--read-data: a percentage above 0 and at most 100, not '%s'", optarg);
			}
			break;
		case 'h': tool_usage(usage, 1); break;
		case 'V': tool_version();
		case 'J': c.json = 1; break;
		default: tool_usage(usage, 2);
		}
	}
	path = tool_repo(path);
	if (!path)
		tool_usage(usage, 2);
	/* shared: no expiry removes what is being checked */
	if (bs_repo_open(&c.repo, path, &e) < 0 || bs_repo_lock(&c.repo, BS_LOCK_SHARED | BS_LOCK_READER, &e) < 0)
		tool_die(&e);
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	bs_linkmap_init(&c.seen);
	if (optind < argc) {
		for (int i = optind; i < argc; i++) {
			if (bs_backup_resolve(&c.repo, argv[i], &one, &e) < 0)
				tool_die(&e);
			check_backup(&c, &one);
		}
	} else {
		if (bs_backup_list(&c.repo, &v, &n, &e) < 0)
			tool_die(&e);
		for (size_t i = 0; i < n; i++)
			check_backup(&c, &v[i]);
		free(v);
	}
	if (c.read_data && read_data(&c, &e) < 0)
		tool_die(&e);
	if (c.json) {
		bs_buf_addf(&c.jb, "{\"summary\":true,\"backups\":%zu,\"references\":%" PRIu64
			    ",\"chunks_read\":%" PRIu64 ",\"problems\":%" PRIu64 "}",
			    optind < argc ? (size_t)(argc - optind) : n, c.refs, c.chunks_read, c.problems);
		tool_json_line(&c.jb);
		tool_close_stdout();
		return c.problems ? BS_PARTIAL : BS_OK;
	}
	printf("checked %zu backups, %" PRIu64 " chunk references", optind < argc ? (size_t)(argc - optind) : n, c.refs);
	if (c.read_data)
		printf(", read %" PRIu64 " chunks", c.chunks_read);
	printf(": %" PRIu64 " problems\n", c.problems);
	tool_close_stdout();
	bs_linkmap_release(&c.seen, NULL);
	bs_buf_release(&c.data);
	bs_repo_close(&c.repo);
	return c.problems ? BS_PARTIAL : BS_OK;
}
