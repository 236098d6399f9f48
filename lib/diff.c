/* diff.c - changes between two backups' listings, or a listing and the file system. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "diff.h"
#include "metakeys.h"
#include "walk.h"

int bs_diff_classify(const struct bs_entry *a, const struct bs_entry *b, int live)
{
	const struct bs_rec *x = &a->rec, *y = &b->rec;

	if (x->kind != y->kind)
		return BS_DIFF_CONTENT;
	switch (x->kind) {
	case 'f':
		if (x->size != y->size)
			return BS_DIFF_CONTENT;
		/* a packed small file's pieces say where its bytes lie, not
		 * what they are: read again, the same bytes land in another
		 * pack chunk; so, as against the live tree, its mtime decides */
		if (live || (a->nrefs && a->refs[0].piece) || (b->nrefs && b->refs[0].piece)) {
			if (bs_time_cmp(x->mtime, y->mtime))
				return BS_DIFF_CONTENT;
		} else {
			if (a->nrefs != b->nrefs)
				return BS_DIFF_CONTENT;
			for (size_t i = 0; i < a->nrefs; i++)
				if (a->refs[i].size != b->refs[i].size ||
				    memcmp(a->refs[i].digest, b->refs[i].digest, BS_DIGEST_LEN))
					return BS_DIFF_CONTENT;
		}
		break;
	case 'l':
		if (x->target.len != y->target.len || memcmp(x->target.p, y->target.p, x->target.len))
			return BS_DIFF_CONTENT;
		break;
	case 'c':
	case 'b':
		if (x->rmajor != y->rmajor || x->rminor != y->rminor)
			return BS_DIFF_CONTENT;
		break;
	}
	if (x->mode != y->mode || x->uid != y->uid || x->gid != y->gid || strcmp(x->uname, y->uname) ||
	    strcmp(x->gname, y->gname))
		return BS_DIFF_META;
	if (x->kind != 'd' && bs_time_cmp(x->mtime, y->mtime))
		return BS_DIFF_META;
	return 0;
}

/* an entry that stands for a file backed up, not an implicit directory */
static const struct bs_entry *real(const struct bs_entry *x)
{
	return x && x->rec.kind != 'i' ? x : NULL;
}

static int emit(struct bs_diff *d, int change, struct bs_buf *path, const struct bs_entry *a,
		const struct bs_entry *b, struct bs_err *e)
{
	d->changes++;
	return d->emit(d->arg, change, path->p, path->len, a, b, e);
}

/* Compare one pair of entries of the same path (either may be NULL). */
static int pair(struct bs_diff *d, struct bs_buf *path, const struct bs_entry *a, const struct bs_entry *b,
		int live, struct bs_err *e)
{
	int c;

	a = real(a);
	b = real(b);
	if (!a && !b)
		return 0;
	if (!a)
		return emit(d, BS_DIFF_ADDED, path, NULL, b, e);
	if (!b)
		return emit(d, BS_DIFF_REMOVED, path, a, NULL, e);
	c = bs_diff_classify(a, b, live);
	return c ? emit(d, c, path, a, b, e) : 0;
}

/* path becomes the entry `name` of the directory path[0..base) */
static void child(struct bs_buf *path, size_t base, const char *name, size_t len)
{
	bs_buf_setlen(path, base);
	if (base != 1 || path->p[0] != '/')
		bs_buf_addc(path, '/');
	bs_buf_add(path, name, len);
}

/* One step of a merge of two listings sorted by name: *ea and *eb become
 * the next entries of one name, either NULL where only the other listing
 * has it.  0 when both listings are done. */
static int next_pair(const struct bs_listing *la, size_t *i, const struct bs_listing *lb, size_t *j,
		     const struct bs_entry **ea, const struct bs_entry **eb)
{
	int c;

	*ea = *i < la->n ? &la->v[*i] : NULL;
	*eb = *j < lb->n ? &lb->v[*j] : NULL;
	if (!*ea && !*eb)
		return 0;
	if (*ea && *eb)
		c = bs_name_cmp((*ea)->rec.path.p, (*ea)->rec.path.len, (*eb)->rec.path.p, (*eb)->rec.path.len);
	else
		c = *ea ? -1 : 1;
	if (c <= 0)
		(*i)++;
	if (c >= 0)
		(*j)++;
	if (c < 0)
		*eb = NULL;
	if (c > 0)
		*ea = NULL;
	return 1;
}

/* ---- two backups ---- */

struct scope {
	char *const *paths;
	size_t n;
};

/* Is the entry `name` of directory dir within the paths asked for?  With
 * name NULL: is any of dir's listing? */
static int in_scope(const struct scope *s, const char *dir, size_t dirlen, const char *name, size_t namelen)
{
	if (!s->n)
		return 1;
	for (size_t i = 0; i < s->n; i++) {
		const char *p = s->paths[i], *base;
		size_t plen = strlen(p), pdir, baselen;
		if (bs_path_covers(p, plen, dir, dirlen))
			return 1;
		bs_path_split(p, plen, &pdir, &base, &baselen);
		if (pdir == dirlen && !memcmp(p, dir, dirlen) &&
		    (!name || (baselen == namelen && !memcmp(base, name, namelen))))
			return 1;
	}
	return 0;
}

static int compare_dir(struct bs_diff *d, struct bs_meta_reader *a, struct bs_meta_reader *b, const struct scope *s,
		       const struct bs_buf *dir, int ina, int inb, struct bs_listing *la, struct bs_listing *lb,
		       struct bs_err *e)
{
	struct bs_buf path = BS_BUF_INIT;
	const struct bs_entry *ea, *eb;
	size_t i = 0, j = 0;
	int rc = 0;

	bs_listing_clear(la);
	bs_listing_clear(lb);
	if (ina && inb) {
		struct bs_meta_head ha, hb;
		int ra = bs_meta_peek(a, dir->p, dir->len, &ha, e), rb;
		if (ra < 0)
			return -1;
		rb = bs_meta_peek(b, dir->p, dir->len, &hb, e);
		if (rb < 0)
			return -1;
		if (ra == 1 && rb == 1 && !memcmp(ha.digest, hb.digest, BS_DIGEST_LEN) && bs_meta_sealed(&ha) &&
		    bs_meta_sealed(&hb)) {
			d->skipped++;
			return 0;
		}
	}
	if (ina && bs_meta_listing(a, dir->p, dir->len, la, e) < 0)
		return -1;
	if (inb && bs_meta_listing(b, dir->p, dir->len, lb, e) < 0)
		return -1;
	bs_buf_add(&path, dir->p, dir->len);
	while (rc == 0 && next_pair(la, &i, lb, &j, &ea, &eb)) {
		const struct bs_buf *name = ea ? &ea->rec.path : &eb->rec.path;
		if (!in_scope(s, dir->p, dir->len, name->p, name->len))
			continue;
		child(&path, dir->len, name->p, name->len);
		rc = pair(d, &path, ea, eb, 0, e);
	}
	bs_buf_release(&path);
	return rc;
}

int bs_diff_backups(struct bs_diff *d, struct bs_meta_reader *a, struct bs_meta_reader *b, char *const *paths,
		    size_t npaths, struct bs_err *e)
{
	struct scope s = { paths, npaths };
	struct bs_buf *ka = NULL, *kb = NULL, root = BS_BUF_INIT;
	struct bs_listing la, lb;
	size_t na = 0, nb = 0, i = 0, j = 0;
	int rc = 0, want_root = !npaths;

	for (size_t k = 0; k < npaths; k++)
		if (!strcmp(paths[k], "/"))
			want_root = 1;
	if (bs_meta_keys(a, &ka, &na, e) < 0 || bs_meta_keys(b, &kb, &nb, e) < 0) {
		bs_meta_keys_free(ka, na);
		return -1;
	}
	bs_listing_init(&la);
	bs_listing_init(&lb);
	if (want_root) {
		/* "/" itself: its record lives under the key "" */
		struct bs_entry ra, rb;
		int ha, hb;
		bs_entry_init(&ra);
		bs_entry_init(&rb);
		ha = bs_meta_root(a, &ra, e);
		hb = ha < 0 ? -1 : bs_meta_root(b, &rb, e);
		if (ha < 0 || hb < 0) {
			rc = -1;
		} else {
			bs_buf_addc(&root, '/');
			rc = pair(d, &root, ha ? &ra : NULL, hb ? &rb : NULL, 0, e);
		}
		bs_entry_release(&ra);
		bs_entry_release(&rb);
	}
	while (rc == 0 && (i < na || j < nb)) {
		int c, ina, inb;
		const struct bs_buf *key;
		if (i < na && j < nb)
			c = bs_path_order(ka[i].p, ka[i].len, kb[j].p, kb[j].len);
		else
			c = i < na ? -1 : 1;
		key = c <= 0 ? &ka[i] : &kb[j];
		ina = c <= 0;
		inb = c >= 0;
		if (ina)
			i++;
		if (inb)
			j++;
		if (key->len == 0 || !in_scope(&s, key->p, key->len, NULL, 0))
			continue;
		rc = compare_dir(d, a, b, &s, key, ina, inb, &la, &lb, e);
	}
	bs_listing_release(&la);
	bs_listing_release(&lb);
	bs_buf_release(&root);
	bs_meta_keys_free(ka, na);
	bs_meta_keys_free(kb, nb);
	return rc;
}

/* ---- a backup and the file system ---- */

struct live {
	struct bs_diff *d;
	struct bs_meta_reader *a;
	int skip_first;
	struct bs_entry ent;
};

static int added(void *arg, struct bs_rec *rec, struct bs_err *e)
{
	struct live *l = arg;

	if (l->skip_first) {
		l->skip_first = 0;
		return 0;
	}
	bs_rec_copy(&l->ent.rec, rec);
	l->ent.nrefs = 0;
	return emit(l->d, BS_DIFF_ADDED, &rec->path, NULL, &l->ent, e);
}

static void live_warn(void *arg, const char *msg, int kind)
{
	struct live *l = arg;

	(void)kind;
	if (l->d->warn)
		l->d->warn(l->d->arg, msg);
}

/* The live tree at path, added: everything below it, and path itself
 * unless skip_first. */
static int walk_added(struct live *l, const char *path, int skip_first, struct bs_err *e)
{
	struct bs_walk_ops ops;

	memset(&ops, 0, sizeof(ops));
	ops.record = added;
	ops.warn = live_warn;
	ops.arg = l;
	l->skip_first = skip_first;
	return bs_walk(path, 0, &ops, e) < 0 ? -1 : 0;
}

static int removed(void *arg, const struct bs_entry *ent, const struct bs_buf *path, struct bs_err *e)
{
	struct live *l = arg;

	if (l->skip_first) {
		l->skip_first = 0;
		return 0;
	}
	if (ent->rec.kind == 'i')
		return 0;
	l->d->changes++;
	return l->d->emit(l->d->arg, BS_DIFF_REMOVED, path->p, path->len, ent, NULL, e);
}

static int by_name(const void *x, const void *y)
{
	const struct bs_entry *a = x, *b = y;
	return bs_name_cmp(a->rec.path.p, a->rec.path.len, b->rec.path.p, b->rec.path.len);
}

/* The live directory `path` as a listing of bare names, sorted. */
static int read_live(struct live *l, struct bs_buf *path, struct bs_listing *out, struct bs_err *e)
{
	size_t base = path->len;
	struct dirent *ent;
	DIR *dir = opendir(path->p);

	out->n = 0;
	if (!dir) {
		struct bs_err w;
		char q[256];
		bs_err_sys(&w, "cannot read directory '%s'", bs_quote(path->p, path->len, q, sizeof(q)));
		live_warn(l, w.msg, 0);
		return 0;
	}
	while ((errno = 0, ent = readdir(dir))) {
		struct bs_entry *x;
		int r;
		if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
			continue;
		x = bs_listing_push(out);
		child(path, base, ent->d_name, strlen(ent->d_name));
		r = bs_rec_stat(&x->rec, path->p, e);
		if (r != 0)
			out->n--;	/* a socket, or cannot be read */
		if (r == 1)
			continue;
		if (r < 0) {
			if (e->code != BS_PARTIAL) {
				closedir(dir);
				bs_buf_setlen(path, base);
				return -1;
			}
			live_warn(l, e->msg, 0);
			continue;
		}
		bs_buf_reset(&x->rec.path);
		bs_buf_adds(&x->rec.path, ent->d_name);
	}
	closedir(dir);
	bs_buf_setlen(path, base);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), by_name);
	return 0;
}

static int live_dir(struct live *l, struct bs_buf *path, int in_backup, struct bs_err *e)
{
	struct bs_listing la, lb;
	const struct bs_entry *ea, *eb;
	size_t base = path->len, i = 0, j = 0;
	int rc = 0;

	bs_listing_init(&la);
	bs_listing_init(&lb);
	if (in_backup && bs_meta_listing(l->a, path->p, path->len, &la, e) < 0)
		rc = -1;
	if (rc == 0)
		rc = read_live(l, path, &lb, e);
	while (rc == 0 && next_pair(&la, &i, &lb, &j, &ea, &eb)) {
		const struct bs_buf *name = ea ? &ea->rec.path : &eb->rec.path;
		child(path, base, name->p, name->len);
		rc = pair(l->d, path, ea, eb, 1, e);
		if (rc < 0)
			break;
		if (eb && eb->rec.kind == 'd' && ea && (ea->rec.kind == 'd' || ea->rec.kind == 'i')) {
			rc = live_dir(l, path, 1, e);
		} else if (eb && eb->rec.kind == 'd') {
			rc = walk_added(l, path->p, 1, e);
		} else if (ea && (ea->rec.kind == 'd' || ea->rec.kind == 'i')) {
			if (ea->rec.kind == 'd')
				l->skip_first = 1;
			rc = bs_meta_walk(l->a, path->p, path->len, removed, l, e) < 0 ? -1 : 0;
			l->skip_first = 0;
		}
	}
	bs_buf_setlen(path, base);
	bs_listing_release(&la);
	bs_listing_release(&lb);
	return rc;
}

int bs_diff_live(struct bs_diff *d, struct bs_meta_reader *a, const char *dir, struct bs_err *e)
{
	struct live l;
	struct bs_buf path = BS_BUF_INIT;
	struct bs_entry *ea = NULL, eb;
	int rc, r, ina;

	memset(&l, 0, sizeof(l));
	l.d = d;
	l.a = a;
	bs_entry_init(&l.ent);
	bs_entry_init(&eb);
	bs_buf_adds(&path, dir);
	ina = bs_meta_lookup(a, path.p, path.len, &ea, e);
	if (ina < 0)
		return -1;
	if (ina) {
		struct bs_entry copy;
		bs_entry_init(&copy);
		bs_entry_copy(&copy, ea);
		r = bs_rec_stat(&eb.rec, path.p, e);
		if (r < 0 && e->code != BS_PARTIAL) {
			bs_entry_release(&copy);
			rc = -1;
			goto out;
		}
		rc = pair(d, &path, &copy, r == 0 ? &eb : NULL, 1, e);
		if (rc == 0 && r == 0 && eb.rec.kind == 'd' && (copy.rec.kind == 'd' || copy.rec.kind == 'i'))
			rc = live_dir(&l, &path, 1, e);
		else if (rc == 0 && r != 0 && (copy.rec.kind == 'd' || copy.rec.kind == 'i')) {
			l.skip_first = 1;
			rc = bs_meta_walk(a, path.p, path.len, removed, &l, e) < 0 ? -1 : 0;
		}
		bs_entry_release(&copy);
	} else if (path.len == 1) {
		/* "/" not backed up itself, but what is below it may be */
		rc = live_dir(&l, &path, 1, e);
	} else {
		rc = walk_added(&l, path.p, 0, e);	/* dir itself too */
	}
out:
	bs_entry_release(&eb);
	bs_entry_release(&l.ent);
	bs_buf_release(&path);
	return rc;
}
