/* incremental.c - earlier backups: unchanged files and whole unchanged directories. */
#include <stdio.h>
#include <string.h>
#include "backup.h"
#include "hash.h"
#include "incremental.h"

void bs_priors_init(struct bs_priors *p, struct bs_repo *repo, struct bs_time start)
{
	memset(p, 0, sizeof(*p));
	p->repo = repo;
	p->start = start;
}

void bs_priors_release(struct bs_priors *p)
{
	for (size_t i = 0; i < p->n; i++)
		bs_meta_release(&p->m[i]);
	p->n = 0;
	bs_buf_release(&p->scratch);
	bs_buf_release(&p->dirs);
}

/* msg, then what becomes of the backup */
static void warn(struct bs_priors *p, const char *msg, const char *what)
{
	struct bs_buf line = BS_BUF_INIT;

	if (!p->warn)
		return;
	bs_buf_adds(&line, msg);
	bs_buf_adds(&line, what);
	p->warn(p->arg, line.p);
	bs_buf_release(&line);
}

int bs_priors_open(struct bs_priors *p, const char *host, const char *subset, char *const *ids, size_t nids,
		   struct bs_time *floor, struct bs_err *e)
{
	struct bs_summary sums[BS_PRIORS_MAX];
	struct bs_repo *repo = p->repo;
	struct bs_time expired;
	struct bs_err why;
	size_t n = 0;

	if (nids > BS_PRIORS_MAX)
		return bs_err_set(e, BS_USAGE, "at most three -p backups");
	if (nids) {
		for (size_t i = 0; i < nids; i++)
			if (bs_backup_resolve(repo, ids[i], &sums[n++], e) < 0)
				return -1;
	} else if (bs_backup_priors(repo, host, subset, sums, &n, e) < 0) {
		return -1;
	}
	if (bs_expiry_read(repo, &expired, e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (bs_meta_open(&p->m[p->n], repo, sums[i].id, &why) < 0) {
			warn(p, why.msg, "; not using it for unchanged files");
			continue;
		}
		/* its chunks' stamps are trusted while they are recent, within
		 * the retention and not older than the last expiry's cut-off;
		 * the new backup's floor is then no later than theirs */
		if (repo->cfg.refresh > 0 && sums[i].floor.sec >= p->start.sec - repo->cfg.refresh &&
		    (repo->cfg.max_age < 0 || sums[i].floor.sec >= p->start.sec - repo->cfg.max_age) &&
		    bs_time_cmp(sums[i].floor, expired) >= 0) {
			p->fresh[p->n] = 1;
			if (bs_time_cmp(sums[i].floor, *floor) < 0)
				*floor = sums[i].floor;
		}
		p->n++;
	}
	for (size_t i = 0; i < n; i++)
		if (sums[i].bytes > p->estimate)
			p->estimate = sums[i].bytes;
	return 0;
}

/* One warning, then the earlier backup is no longer asked. */
static void drop(struct bs_priors *p, size_t i, const struct bs_err *e)
{
	warn(p, e->msg, "; not using that backup");
	bs_meta_release(&p->m[i]);
	p->m[i] = p->m[p->n - 1];
	p->fresh[i] = p->fresh[p->n - 1];
	p->n--;
}

/*
 * Is a chunk that prior i refers to still in the repository?  Its stamp
 * is refreshed here, under the caller's lock, unless i's stamps are recent
 * enough to trust (the refresh setting; see bs-formats.5): then no expiry
 * can take it while a backup that refers to it is kept.
 */
static int chunk_ok(struct bs_priors *p, size_t i, const unsigned char *digest)
{
	struct bs_err ignored;
	unsigned n = p->nok < 8 ? p->nok : 8;
	int ok;

	for (unsigned j = 0; j < n; j++)
		if (!memcmp(p->ok[j], digest, BS_DIGEST_LEN))
			return 1;
	if (p->fresh[i])
		ok = bs_chunk_exists(p->repo, digest);
	else
		ok = bs_chunk_touch(p->repo, digest, p->start, &ignored) == 0;
	if (ok)
		memcpy(p->ok[p->nok++ % 8], digest, BS_DIGEST_LEN);
	return ok;
}

static int same_time(struct bs_time a, struct bs_time b)
{
	return a.sec == b.sec && a.nsec == b.nsec;
}

static int same_buf(const struct bs_buf *a, const struct bs_buf *b)
{
	return a->len == b->len && !memcmp(a->p, b->p, a->len);
}

/*
 * Does the inode change time say the content is as the earlier record's?
 * Yes when it is the same, and the extents are.  When only it differs, the
 * content is taken as unchanged if the xattrs or the inode flags differ
 * from the earlier record: that explains the change (a setfattr, a
 * setfacl, a chattr), and the new record carries the new values.  A change
 * of mode or owner does not: `cp -p` or `rsync --inplace -t` over a file
 * rewrites its content, sets its mtime back and may change its mode too,
 * so a chmod or chown is followed by a read, as in git and borg.
 * Otherwise something unseen changed, and the file is read again.
 */
static int same_content_times(const struct bs_rec *old, const struct bs_rec *rec)
{
	if (!same_buf(&old->extents, &rec->extents))
		return 0;
	if (same_time(old->ctime, rec->ctime))
		return 1;
	if (!old->ctime.sec && !old->ctime.nsec)
		return 0;	/* racily clean when read: read it again */
	return old->flags != rec->flags || !same_buf(&old->xattrs, &rec->xattrs);
}

const struct bs_entry *bs_priors_unchanged(struct bs_priors *p, const struct bs_rec *rec)
{
	struct bs_err e;

	for (size_t k = 0; k < p->n; k++) {
		struct bs_entry *ent;
		uint64_t sum = 0;
		size_t i;
		int rc = bs_meta_lookup(&p->m[k], rec->path.p, rec->path.len, &ent, &e);

		if (rc < 0) {
			drop(p, k--, &e);
			continue;
		}
		if (rc == 0 || ent->rec.kind != 'f' || ent->rec.size != rec->size ||
		    !same_time(ent->rec.mtime, rec->mtime) || !same_content_times(&ent->rec, rec) ||
		    (ent->rec.dev == rec->dev && ent->rec.ino != rec->ino))
			continue;
		for (i = 0; i < ent->nrefs; i++) {
			sum += ent->refs[i].size;
			if (!chunk_ok(p, k, ent->refs[i].digest))
				break;
		}
		if (i == ent->nrefs && sum == bs_rec_datasize(rec))
			return ent;
	}
	return NULL;
}

/* The digest of a directory's records in name order, as a listing keeps
 * it; -1 when they are not in name order or one has other hard links. */
static int group_digest(struct bs_priors *p, const struct bs_priors_group *g, unsigned char *stat,
			uint64_t *files, uint64_t *bytes, uint64_t *ndirs)
{
	struct bs_hash h;

	bs_hash_init(&h);
	bs_buf_reset(&p->dirs);
	for (size_t i = 0; i < g->n; i++) {
		const struct bs_priors_grec *r = &g->v[i], *prev = i ? &g->v[i - 1] : NULL;
		if ((prev && bs_name_cmp(g->text.p + prev->name, prev->end - prev->name, g->text.p + r->name,
					 r->end - r->name) >= 0) ||
		    (r->kind != 'd' && r->nlink > 1)) {
			bs_hash_release(&h);
			return -1;
		}
		/* the record's text is what bs_stat_digest_add() hashes */
		bs_hash_update(&h, g->text.p + r->off, r->end + 1 - r->off);
		if (r->kind == 'f') {
			(*files)++;
			*bytes += r->size;
		} else if (r->kind == 'd') {
			bs_buf_add(&p->dirs, g->text.p + r->name, r->end - r->name);
			bs_buf_addc(&p->dirs, '\0');
			(*ndirs)++;
		}
	}
	bs_hash_final(&h, stat);
	bs_hash_release(&h);
	return 0;
}

int bs_priors_take_group(struct bs_priors *p, const struct bs_priors_group *g, struct bs_writer *out,
			 uint64_t *files)
{
	const char *dir = g->dir.p;
	size_t dirlen = g->dir.len;
	unsigned char stat[BS_DIGEST_LEN];
	uint64_t bytes = 0, ndirs = 0;

	*files = 0;
	if (group_digest(p, g, stat, files, &bytes, &ndirs) < 0)
		return 0;
	for (size_t k = 0; k < p->n; k++) {
		struct bs_meta_head head;
		struct bs_err e;
		size_t i;
		int rc = bs_meta_peek(&p->m[k], dir, dirlen, &head, &e);

		if (rc < 0) {
			drop(p, k--, &e);
			continue;
		}
		if (rc == 0 || memcmp(head.stat, stat, BS_DIGEST_LEN))
			continue;
		if (!bs_meta_sealed(&head)) {
			bs_err_set(&e, BS_INPUT, "the metadata of '%s' is damaged at '%.200s'", p->m[k].id, dir);
			drop(p, k--, &e);
			continue;
		}
		for (i = 0; i < head.nrefs; i++)
			if (!chunk_ok(p, k, head.refs + i * BS_DIGEST_LEN))
				break;
		if (i < head.nrefs)
			continue;
		bs_stream_listing(out, head.digest, g->n, *files, bytes, p->m[k].id, dir, dirlen, p->dirs.p,
				  p->dirs.len, ndirs);
		return 1;
	}
	return 0;
}
