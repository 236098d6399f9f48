/* check.c - verify that a repository's backups can be restored, reporting what is not as findings. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "budget.h"
#include "check.h"
#include "chunk.h"
#include "meta.h"
#include "parse.h"

/* A finding: what it is about (each may be NULL), the finding alone,
 * and the line a person reads, from fmt. */
__attribute__((format(printf, 7, 8)))
static void found(struct bs_check *c, int problem, const char *backup, const struct bs_buf *path,
		  const char *chunk, const char *what, const char *fmt, ...)
{
	struct bs_check_finding f;
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (problem)
		c->problems++;
	f.problem = problem;
	f.backup = backup;
	f.path = path ? path->p : NULL;
	f.pathlen = path ? path->len : 0;
	f.chunk = chunk;
	f.what = what;
	f.line = line;
	if (c->report)
		c->report(c->arg, &f);
}

void bs_check_init(struct bs_check *c, struct bs_repo *repo, bs_check_report *report, void *arg)
{
	memset(c, 0, sizeof(*c));
	c->repo = repo;
	c->report = report;
	c->arg = arg;
	bs_linkmap_init(&c->seen);
	bs_buf_init(&c->data);
	c->threads = 1;
}

void bs_check_release(struct bs_check *c)
{
	bs_linkmap_release(&c->seen, NULL);
	bs_buf_release(&c->data);
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
	struct bs_check *c = arg;
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
		/* the map's value is 1 + the furthest byte a reference reads
		 * of the chunk (a piece's offset + length, an R's size),
		 * checked against the chunk when --read-data reads it */
		uintptr_t end = (uintptr_t)(ent->refs[i].offset + ent->refs[i].size), had;
		sum += ent->refs[i].size;
		c->refs++;
		had = (uintptr_t)bs_linkmap_get(&c->seen, half(d, 0), half(d, 1));
		if (had) {
			if (end + 1 > had)
				bs_linkmap_put(&c->seen, half(d, 0), half(d, 1), (void *)(end + 1));
			continue;
		}
		if (!bs_chunk_exists(c->repo, d)) {
			char what[200];
			bs_hex(hex, d);
			snprintf(what, sizeof(what), "chunk %s is missing or empty", hex);
			found(c, 1, c->id, path, hex, what, "%s: '%s' refers to chunk %s, which is missing or empty", c->id,
			      bs_quote(path->p, path->len, q, sizeof(q)), hex);
			continue;
		}
		bs_linkmap_put(&c->seen, half(d, 0), half(d, 1), (void *)(end + 1));
	}
	if (sum != bs_rec_datasize(&ent->rec))
		found(c, 1, c->id, path, NULL, "its chunks do not add up to its size",
		      "%s: the chunks of '%s' do not add up to its size", c->id, bs_quote(path->p, path->len, q, sizeof(q)));
	return 0;
}

static void on_damage(void *arg, const char *msg)
{
	struct bs_check *c = arg;

	found(c, 1, c->id, NULL, NULL, msg, "%s: %s", c->id, msg);
}

int bs_check_backup(struct bs_check *c, const struct bs_summary *s, struct bs_err *e)
{
	struct bs_meta_reader m;
	struct bs_err why;

	c->id = s->id;
	c->backups++;
	if (s->damaged)
		found(c, 1, s->id, NULL, NULL, "the summary is damaged: its counts, host and subset are lost",
		      "%s: the summary is damaged: its counts, host and subset are lost", s->id);
	else if (!s->finished)
		found(c, 0, s->id, NULL, NULL, "unfinished", "%s: unfinished (files so far: %" PRIu64 ")", s->id,
		      s->files);
	if (bs_meta_open(&m, c->repo, s->id, &why) < 0) {
		found(c, 1, s->id, NULL, NULL, why.msg, "%s: %s", s->id, why.msg);
		return 0;
	}
	m.strict = 1;	/* heads too: bs-chunk trusts them without the text */
	m.on_damage = on_damage;	/* one damaged listing hides no other */
	m.damage_arg = c;
	c->entries = c->bytes = 0;
	/* a backup whose data expired keeps its listing; its chunks may be
	 * gone by design, so only the listing is read */
	c->listing_only = s->data_expired;
	if (s->data_expired)
		found(c, 0, s->id, NULL, NULL, "data expired; only its listing is kept",
		      "%s: data expired; only its listing is kept", s->id);
	if (bs_meta_walk(&m, "/", 1, visit, c, &why) < 0)
		found(c, 1, s->id, NULL, NULL, why.msg, "%s: %s", s->id, why.msg);
	if (s->finished && !s->data_expired && (c->entries != s->files || c->bytes != s->bytes)) {
		char what[300];
		snprintf(what, sizeof(what), "the summary says %" PRIu64 " entries and %" PRIu64
			 " bytes, the metadata holds %" PRIu64 " and %" PRIu64, s->files, s->bytes, c->entries, c->bytes);
		found(c, 1, s->id, NULL, NULL, what, "%s: %s", s->id, what);
	}
	bs_meta_release(&m);
	return 0;
}

int bs_check_all(struct bs_check *c, struct bs_err *e)
{
	struct bs_summary *v;
	size_t n;

	c->every = 1;
	if (bs_backup_list(c->repo, &v, &n, e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (bs_check_backup(c, &v[i], e) < 0) {
			free(v);
			return -1;
		}
	free(v);
	return 0;
}

/* One chunk read (rc and why from reading it into data): damage is a
 * finding, and so is a chunk shorter than the references to it need. */
static int chunk_read(struct bs_check *c, const unsigned char *digest, int rc, const struct bs_err *why,
		      const struct bs_buf *data, struct bs_err *e)
{
	char hex[BS_HEX_LEN + 1], where[80], msg[200];
	uintptr_t need;

	bs_chunk_path(digest, where);
	if (rc < 0) {
		if (why->code != BS_INPUT)
			return bs_err_set(e, why->code, "%s", why->msg);
		found(c, 1, NULL, NULL, where, why->msg, "%s", why->msg);
		return 0;
	}
	need = (uintptr_t)bs_linkmap_get(&c->seen, half(digest, 0), half(digest, 1));
	if (need > 1 && need - 1 > data->len) {
		bs_hex(hex, digest);
		snprintf(msg, sizeof(msg), "holds %zu bytes, but the backups refer to its bytes up to %" PRIu64,
			 data->len, (uint64_t)(need - 1));
		found(c, 1, NULL, NULL, where, msg, "chunk %s %s", hex, msg);
	}
	return 0;
}

/* The oldest chunk read ahead, taken. */
static int take_ahead(struct bs_check *c, struct bs_err *e)
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
	struct bs_check *c = arg;
	struct bs_err why;
	int rc;

	if (!f->is_chunk)
		return 0;
	/* backups named: the chunks they refer to, not the whole store */
	if (!c->every && !bs_linkmap_get(&c->seen, half(f->digest, 0), half(f->digest, 1)))
		return 0;
	if (c->percent < 100 && (double)random() / RAND_MAX * 100.0 >= c->percent)
		return 0;
	c->chunks_read++;
	if (f->size == 0) {
		found(c, 1, NULL, NULL, f->path, "empty", "chunk %s is empty", f->name);
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
	bs_budget_reserve(&c->data, c->repo->cfg.chunk_max);
	bs_budget_reserve(&c->repo->scratch, c->repo->cfg.chunk_max);
	rc = bs_chunk_get(c->repo, f->digest, &c->data, &why);
	return chunk_read(c, f->digest, rc, &why, &c->data, e);
}

int bs_check_data(struct bs_check *c, double percent, struct bs_err *e)
{
	/* the window and the workers within the budget (budget.h) */
	size_t units = bs_budget_units(c->memory ? c->memory : BS_CHUNK_BUDGET, c->repo->cfg.chunk_max);
	int rc;

	c->percent = percent;
	c->ahead = c->threads > 1 && bs_readahead_start(&c->ra, c->repo, c->threads, units) == 0;
	rc = bs_chunks_each(c->repo, read_chunk, NULL, c, e);
	if (c->ahead) {
		bs_readahead_end(&c->ra);
		while (rc == 0 && bs_readahead_queued(&c->ra))
			rc = take_ahead(c, e);
		bs_readahead_release(&c->ra);
		c->ahead = 0;
	}
	return rc;
}
