/* retain.c - retention policies: which backups stay, and the chunk cut-off. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "meta.h"
#include "metakeys.h"
#include "retain.h"

const char *const bs_keep_names[BS_KEEP_RULES] = { "last", "hourly", "daily", "weekly", "monthly", "yearly" };
_Static_assert(BS_KEEP_RULES == BS_CONFIG_KEEP, "the keep rules of the config and of retain.h differ");

int bs_policy_any_rule(const struct bs_policy *p)
{
	for (int r = 0; r < BS_KEEP_RULES; r++)
		if (p->keep[r] > 0)
			return 1;
	return 0;
}

/* The period of a start time under rule r, as text (UTC). */
static void period(int r, const struct bs_summary *s, size_t index, char *out, size_t n)
{
	time_t t = (time_t)s->start.sec;
	struct tm tm;

	if (r == BS_KEEP_LAST) {
		snprintf(out, n, "#%zu", index);
		return;
	}
	gmtime_r(&t, &tm);
	switch (r) {
	case BS_KEEP_HOURLY: strftime(out, n, "%Y-%m-%d %H:00", &tm); break;
	case BS_KEEP_DAILY: strftime(out, n, "%Y-%m-%d", &tm); break;
	case BS_KEEP_WEEKLY: strftime(out, n, "%G-W%V", &tm); break;
	case BS_KEEP_MONTHLY: strftime(out, n, "%Y-%m", &tm); break;
	default: strftime(out, n, "%Y", &tm); break;
	}
}

static int selected(const struct bs_policy *p, const struct bs_summary *s)
{
	return (!p->host || !strcmp(p->host, s->host)) && (!p->subset || !strcmp(p->subset, s->subset));
}

static int same_series(const struct bs_summary *a, const struct bs_summary *b)
{
	return !strcmp(a->host, b->host) && !strcmp(a->subset, b->subset);
}

void bs_retain(const struct bs_summary *v, size_t n, const struct bs_policy *p, struct bs_time now,
	       struct bs_verdict *out)
{
	int rules = bs_policy_any_rule(p);
	int64_t mage = p->metadata_max_age;
	char *done = calloc(n ? n : 1, 1);	/* series already decided */

	if (!done)
		abort();
	if (mage >= 0 && p->max_age > mage)
		mage = p->max_age;
	else if (mage < 0)
		mage = p->max_age;
	for (size_t i = 0; i < n; i++) {
		out[i].action = -1;
		out[i].rule = -1;
		out[i].why[0] = '\0';
		if (!selected(p, &v[i])) {
			out[i].action = v[i].data_expired ? BS_RETAIN_LISTING : BS_RETAIN_KEEP;
			snprintf(out[i].why, sizeof(out[i].why), "not selected");
			done[i] = 1;
		}
	}
	/* the keep rules, one series at a time, newest first */
	for (size_t first = 0; first < n && rules; first++) {
		if (done[first])
			continue;
		for (int r = 0; r < BS_KEEP_RULES; r++) {
			char last[48] = "", cur[48];
			int64_t kept = 0;
			if (p->keep[r] <= 0)
				continue;
			for (size_t j = n; j-- > first && kept < p->keep[r];) {
				if (done[j] || !same_series(&v[j], &v[first]) || !v[j].finished || v[j].data_expired)
					continue;
				period(r, &v[j], j, cur, sizeof(cur));
				if (!strcmp(cur, last))
					continue;
				snprintf(last, sizeof(last), "%s", cur);
				if (out[j].action == BS_RETAIN_KEEP)
					continue;	/* an earlier rule keeps it: it does not count */
				out[j].action = BS_RETAIN_KEEP;
				out[j].rule = r;
				if (r == BS_KEEP_LAST)
					snprintf(out[j].why, sizeof(out[j].why), "last %" PRId64, kept + 1);
				else
					snprintf(out[j].why, sizeof(out[j].why), "%s %s", bs_keep_names[r], cur);
				kept++;
			}
		}
		for (size_t j = first; j < n; j++)
			if (!done[j] && same_series(&v[j], &v[first]))
				done[j] = 2;
	}
	for (size_t i = 0; i < n; i++) {
		const struct bs_summary *s = &v[i];
		struct bs_verdict *o = &out[i];
		if (o->action >= 0)
			continue;
		if (!s->data_expired && p->max_age >= 0 && s->start.sec >= now.sec - p->max_age) {
			o->action = BS_RETAIN_KEEP;
			snprintf(o->why, sizeof(o->why), "within max-age");
			continue;
		}
		if (!s->data_expired && !s->finished && rules) {
			int newer = 0;
			for (size_t j = i + 1; j < n && !newer; j++)
				newer = same_series(&v[j], s) && v[j].finished && bs_time_cmp(v[j].start, s->start) > 0;
			if (!newer) {
				o->action = BS_RETAIN_KEEP;
				snprintf(o->why, sizeof(o->why), "unfinished, no finished backup since");
				continue;
			}
		}
		if (mage >= 0 && s->start.sec >= now.sec - mage) {
			o->action = BS_RETAIN_LISTING;
			snprintf(o->why, sizeof(o->why), "%s; listing within metadata-max-age",
				 s->data_expired ? "data expired" :
				 !s->finished && rules ? "unfinished, a finished backup since" :
				 rules ? "not kept by any rule" : "past max-age");
			continue;
		}
		o->action = BS_RETAIN_REMOVE;
		snprintf(o->why, sizeof(o->why), "%s",
			 s->data_expired ? "listing past metadata-max-age" :
			 !s->finished && rules ? "unfinished, a finished backup since" :
			 rules ? "not kept by any rule" : "past max-age");
	}
	free(done);
}

void bs_retain_cutoff(const struct bs_summary *v, size_t n, const struct bs_verdict *verdicts,
		      const struct bs_policy *p, int64_t refresh, struct bs_time now, struct bs_time *cutoff,
		      int *mark)
{
	struct bs_time t = now, low;

	if (p->max_age >= 0)
		t.sec -= p->max_age;
	low = t;
	low.sec -= refresh;
	*cutoff = t;
	for (size_t i = 0; i < n; i++) {
		const struct bs_summary *s = &v[i];
		struct bs_time f = bs_time_cmp(s->floor, s->start) < 0 ? s->floor : s->start;
		mark[i] = 0;
		if (verdicts[i].action != BS_RETAIN_KEEP || s->data_expired)
			continue;
		if (bs_time_cmp(f, low) >= 0) {
			if (bs_time_cmp(f, *cutoff) < 0)
				*cutoff = f;
		} else {
			mark[i] = 1;
		}
	}
}

/* ---- a set of digests: open addressing; a digest is its own hash ---- */

static int slot_empty(const unsigned char *p)
{
	static const unsigned char zero[BS_DIGEST_LEN];
	return !memcmp(p, zero, BS_DIGEST_LEN);
}

static size_t slot_of(const struct bs_digests *s, const unsigned char *d)
{
	uint64_t h;

	memcpy(&h, d, sizeof(h));
	return (size_t)(h & (s->cap - 1));
}

void bs_digests_add(struct bs_digests *s, const unsigned char *d)
{
	size_t i;

	if (slot_empty(d))
		return;	/* not a digest SHA-256 gives in practice */
	if ((s->n + 1) * 2 > s->cap) {
		struct bs_digests bigger = { NULL, 0, s->cap ? s->cap * 2 : 1024 };
		bigger.slots = calloc(bigger.cap, BS_DIGEST_LEN);
		if (!bigger.slots)
			abort();
		for (size_t j = 0; j < s->cap; j++)
			if (!slot_empty(s->slots + j * BS_DIGEST_LEN))
				bs_digests_add(&bigger, s->slots + j * BS_DIGEST_LEN);
		free(s->slots);
		*s = bigger;
	}
	for (i = slot_of(s, d);; i = (i + 1) & (s->cap - 1)) {
		unsigned char *p = s->slots + i * BS_DIGEST_LEN;
		if (slot_empty(p)) {
			memcpy(p, d, BS_DIGEST_LEN);
			s->n++;
			return;
		}
		if (!memcmp(p, d, BS_DIGEST_LEN))
			return;
	}
}

int bs_digests_has(const struct bs_digests *s, const unsigned char *d)
{
	if (!s->cap)
		return 0;
	for (size_t i = slot_of(s, d);; i = (i + 1) & (s->cap - 1)) {
		const unsigned char *p = s->slots + i * BS_DIGEST_LEN;
		if (slot_empty(p))
			return 0;
		if (!memcmp(p, d, BS_DIGEST_LEN))
			return 1;
	}
}

void bs_digests_release(struct bs_digests *s)
{
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

int bs_retain_mark(struct bs_repo *repo, const char *id, struct bs_digests *set, struct bs_err *e)
{
	struct bs_meta_reader m;
	struct bs_buf *keys;
	size_t n;
	int rc = 0;

	if (bs_meta_open(&m, repo, id, e) < 0)
		return -1;
	if (bs_meta_keys(&m, &keys, &n, e) < 0) {
		bs_meta_release(&m);
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct bs_meta_head h;
		int r = bs_meta_peek(&m, keys[i].p, keys[i].len, &h, e);
		if (r < 0) {
			rc = -1;
		} else if (r == 1) {
			/* a damaged listing may not name every chunk: refuse to
			 * guess which chunks the backup needs */
			if (!bs_meta_sealed(&h))
				rc = bs_err_set(e, BS_INPUT, "the metadata of '%s' is damaged at '%.200s'", id,
						keys[i].len ? keys[i].p : "/");
			for (size_t k = 0; k < h.nrefs && rc == 0; k++)
				bs_digests_add(set, h.refs + k * BS_DIGEST_LEN);
		}
	}
	bs_meta_keys_free(keys, n);
	bs_meta_release(&m);
	return rc;
}
