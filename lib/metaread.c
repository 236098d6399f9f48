/* metaread.c - reading a backup's metadata: listings, lookups through a small cache, walks. */
#include <errno.h>
#include <fcntl.h>
#include <gdbm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "meta.h"

int bs_meta_fail(struct bs_err *e, const char *what, const char *id)
{
	int sys = errno;

	/* gdbm says "File write error"; the system's reason is in errno */
	if (gdbm_check_syserr(gdbm_errno) && sys)
		return bs_err_set(e, BS_SYS, "cannot %s the metadata of '%s': %s", what, id, strerror(sys));
	return bs_err_set(e, gdbm_check_syserr(gdbm_errno) ? BS_SYS : BS_INPUT, "cannot %s the metadata of '%s': %s",
			  what, id, gdbm_strerror(gdbm_errno));
}

void bs_meta_gdbm_cache(void *db)
{
	int automatic = 0;
	size_t n = BS_META_GDBM_CACHE;

	/* a hint: gdbm goes on with its own cache when it refuses */
	gdbm_setopt(db, GDBM_SETCACHEAUTO, &automatic, sizeof(automatic));
	gdbm_setopt(db, GDBM_SETCACHESIZE, &n, sizeof(n));
}

int bs_meta_open(struct bs_meta_reader *m, struct bs_repo *repo, const char *id, struct bs_err *e)
{
	char path[300];
	int fd;

	memset(m, 0, sizeof(*m));
	bs_codec_ctx_init(&m->codec);
	snprintf(path, sizeof(path), "backups/%s/metadata", id);
	fd = openat(repo->dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return bs_err_set(e, BS_INPUT, "backup '%s' has no metadata", id);
		return bs_err_sys(e, "cannot open the metadata of '%s'", id);
	}
	/* not mapped: a mapping of an earlier backup's whole file would make
	 * a reader's memory grow with the number of files */
	m->db = gdbm_fd_open(fd, path, 0, GDBM_READER | GDBM_NOMMAP, NULL);
	if (!m->db && gdbm_errno == GDBM_CANT_BE_READER) {
		/* a backup is still writing it: read what it has synced */
		m->db = gdbm_fd_open(fd, path, 0, GDBM_READER | GDBM_NOLOCK | GDBM_NOMMAP, NULL);
	}
	if (!m->db) {
		close(fd);
		return bs_meta_fail(e, "open", id);
	}
	bs_meta_gdbm_cache(m->db);
	m->id = bs_xstrdup(id);
	bs_entry_init(&m->root);
	bs_listing_init(&m->found);
	bs_listing_init(&m->walked);
	for (int i = 0; i < BS_META_CACHE; i++) {
		bs_buf_init(&m->cache[i].dir);
		bs_buf_init(&m->cache[i].text);
	}
	return 0;
}

/*
 * m->strict (bs-check): does the head say what the text says, the digest
 * of its records and the chunks it refers to?  As bs_value_unpack()
 * checks it, but an entry at a time.
 */
static int check_head(struct bs_meta_reader *m, const struct bs_meta_head *h, const struct bs_buf *text,
		      struct bs_err *e)
{
	unsigned char stat[BS_DIGEST_LEN];
	struct bs_buf refs = BS_BUF_INIT, scratch = BS_BUF_INIT;
	struct bs_hash ctx;
	size_t off = 0;
	int rc;

	bs_hash_init(&ctx);
	while ((rc = bs_meta_next_entry(&m->found, text, &off, e)) > 0) {
		const struct bs_entry *ent = &m->found.v[0];
		bs_stat_digest_add(&ctx, &ent->rec, ent->rec.path.p, ent->rec.path.len, &scratch);
		for (size_t j = 0; j < ent->nrefs; j++)
			bs_buf_add(&refs, ent->refs[j].digest, BS_DIGEST_LEN);
	}
	bs_hash_final(&ctx, stat);
	bs_hash_release(&ctx);
	if (rc == 0)
		rc = bs_value_agrees(h, stat, (unsigned char *)refs.p, refs.len / BS_DIGEST_LEN, e);
	bs_buf_release(&refs);
	bs_buf_release(&scratch);
	return rc;
}

/* With m->strict, the head is checked against the text too. */
static int value_text(struct bs_meta_reader *m, const char *p, size_t n, struct bs_buf *text, struct bs_err *e)
{
	struct bs_meta_head h;

	if (bs_value_text(&m->codec, p, n, text, &h, e) < 0)
		return -1;
	return m->strict ? check_head(m, &h, text, e) : 0;
}

/* The value of key, fetched: 1, 0 when there is none, or -1. */
static int fetch_value(struct bs_meta_reader *m, const char *key, size_t n, datum *v, struct bs_err *e)
{
	datum k;

	k.dptr = (char *)key;
	k.dsize = (int)n;
	*v = gdbm_fetch(m->db, k);
	if (!v->dptr) {
		if (gdbm_errno == GDBM_ITEM_NOT_FOUND)
			return 0;
		return bs_meta_fail(e, "read", m->id);
	}
	return 1;
}

static int damaged(struct bs_meta_reader *m, const char *key, size_t n, struct bs_err *e)
{
	return bs_err_set(e, BS_INPUT, "the metadata of '%s' is damaged at '%.200s'", m->id, n ? key : "/");
}

/* The listing of key, decoded whole into l. */
static int fetch(struct bs_meta_reader *m, const char *key, size_t n, struct bs_listing *l, struct bs_err *e)
{
	datum v;
	int rc = fetch_value(m, key, n, &v, e);

	if (rc <= 0)
		return rc;
	rc = bs_value_unpack(&m->codec, v.dptr, (size_t)v.dsize, &m->raw, l, m->strict, e);
	free(v.dptr);
	return rc < 0 ? damaged(m, key, n, e) : 1;
}

/* The listing of key as its text, checked (value_text). */
static int fetch_text(struct bs_meta_reader *m, const char *key, size_t n, struct bs_buf *text, struct bs_err *e)
{
	datum v;
	int rc = fetch_value(m, key, n, &v, e);

	if (rc <= 0)
		return rc;
	rc = value_text(m, v.dptr, (size_t)v.dsize, text, e);
	free(v.dptr);
	return rc < 0 ? damaged(m, key, n, e) : 1;
}

/*
 * The entry of a listing's text that starts at *off, decoded into l (its
 * one entry), and *off moved past it: 1, 0 at the end of the text, -1
 * (BS_INPUT) when it is malformed.  An entry is its R or P lines and its
 * record, which ends with the listing's only kind of NUL; its bare name
 * is the record's last field, just before that NUL.  "/" is the name of
 * the root's record alone, never an entry of a directory's listing.
 */
int bs_meta_next_entry(struct bs_listing *l, const struct bs_buf *text, size_t *off, struct bs_err *e)
{
	const char *p = text->p + *off, *nul;
	const struct bs_buf *name;

	if (*off >= text->len)
		return 0;
	nul = memchr(p, '\0', text->len - *off);
	if (!nul || bs_listing_decode(l, p, (size_t)(nul + 1 - p), e) < 0 || l->n != 1)
		return bs_err_set(e, BS_INPUT, "malformed directory listing");
	name = &l->v[0].rec.path;
	if ((name->len == 1 && name->p[0] == '/') || name->len > (size_t)(nul - p) ||
	    memcmp(nul - name->len, name->p, name->len))
		return bs_err_set(e, BS_INPUT, "malformed directory listing");
	*off = (size_t)(nul + 1 - text->p);
	return 1;
}

int bs_meta_listing(struct bs_meta_reader *m, const char *dir, size_t len, struct bs_listing *l, struct bs_err *e)
{
	return fetch(m, dir, len, l, e);
}

int bs_meta_peek(struct bs_meta_reader *m, const char *dir, size_t len, struct bs_meta_head *h, struct bs_err *e)
{
	datum k, v;

	k.dptr = (char *)dir;
	k.dsize = (int)len;
	v = gdbm_fetch(m->db, k);
	if (!v.dptr) {
		if (gdbm_errno == GDBM_ITEM_NOT_FOUND)
			return 0;
		return bs_meta_fail(e, "read", m->id);
	}
	free(m->peeked);
	m->peeked = v.dptr;
	if (bs_value_parse(v.dptr, (size_t)v.dsize, h) < 0)
		return bs_err_set(e, BS_INPUT, "the metadata of '%s' is damaged at '%.200s'", m->id, len ? dir : "/");
	return 1;
}

int bs_meta_root(struct bs_meta_reader *m, struct bs_entry *ent, struct bs_err *e)
{
	struct bs_listing l;
	int rc;

	bs_listing_init(&l);
	rc = fetch(m, "", 0, &l, e);
	if (rc == 1) {
		if (l.n != 1) {
			bs_listing_release(&l);
			return bs_err_set(e, BS_INPUT, "the metadata of '%s' is damaged at '/'", m->id);
		}
		bs_entry_copy(ent, &l.v[0]);
		bs_buf_reset(&ent->rec.path);
		bs_buf_addc(&ent->rec.path, '/');
	}
	bs_listing_release(&l);
	return rc;
}

/* Names in a listing come in strictly increasing order. */
static int in_order(const struct bs_buf *prev, const struct bs_buf *name)
{
	return !prev->len || bs_name_cmp(prev->p, prev->len, name->p, name->len) < 0;
}

/*
 * Cache slot i holds the listing of path[0, dirlen): its text, and where
 * each entry's name and end lie in it, for a binary search.  0 (the
 * directory is not in the backup, remembered too) or -1.
 */
static int cache_fill(struct bs_meta_reader *m, int i, const char *path, size_t dirlen, struct bs_err *e)
{
	struct bs_buf prev = BS_BUF_INIT;
	size_t off = 0;
	int rc, k;

	m->cache[i].stamp = 0;
	m->cache[i].n = 0;
	rc = fetch_text(m, path, dirlen, &m->cache[i].text, e);
	if (rc < 0)
		return -1;
	while (rc > 0 && (k = bs_meta_next_entry(&m->found, &m->cache[i].text, &off, e)) != 0) {
		const struct bs_buf *name = &m->found.v[0].rec.path;
		if (k < 0 || !in_order(&prev, name)) {
			bs_buf_release(&prev);
			return damaged(m, path, dirlen, e);
		}
		if (m->cache[i].n == m->cache[i].cap) {
			m->cache[i].cap = m->cache[i].cap ? 2 * m->cache[i].cap : 64;
			m->cache[i].at = bs_xrealloc(m->cache[i].at, m->cache[i].cap * sizeof(*m->cache[i].at));
		}
		m->cache[i].at[m->cache[i].n].end = (uint32_t)(off - 1);
		m->cache[i].at[m->cache[i].n].name = (uint32_t)(off - 1 - name->len);
		m->cache[i].n++;
		bs_buf_reset(&prev);
		bs_buf_add(&prev, name->p, name->len);
	}
	bs_buf_release(&prev);
	m->cache[i].present = rc;
	bs_buf_reset(&m->cache[i].dir);
	bs_buf_add(&m->cache[i].dir, path, dirlen);
	return rc;
}

/* The entry named base in cache slot i, decoded into m->found: 1 or 0. */
static int cache_find(struct bs_meta_reader *m, int i, const char *base, size_t baselen, struct bs_err *e)
{
	const struct bs_buf *text = &m->cache[i].text;
	size_t lo = 0, hi = m->cache[i].n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2, start;
		const char *name = text->p + m->cache[i].at[mid].name;
		int c = bs_name_cmp(name, m->cache[i].at[mid].end - m->cache[i].at[mid].name, base, baselen);
		if (c < 0) {
			lo = mid + 1;
		} else if (c > 0) {
			hi = mid;
		} else {
			start = mid ? m->cache[i].at[mid - 1].end + 1 : 0;
			return bs_meta_next_entry(&m->found, text, &start, e) > 0 ? 1 : -1;
		}
	}
	return 0;
}

int bs_meta_lookup(struct bs_meta_reader *m, const char *path, size_t len, struct bs_entry **ent, struct bs_err *e)
{
	const char *base;
	size_t dirlen, baselen;
	int slot = -1, rc;

	*ent = NULL;
	if (len == 1 && path[0] == '/') {
		rc = bs_meta_root(m, &m->root, e);
		if (rc == 1)
			*ent = &m->root;
		return rc;
	}
	bs_path_split(path, len, &dirlen, &base, &baselen);
	for (int i = 0; i < BS_META_CACHE; i++)
		if (m->cache[i].stamp && m->cache[i].dir.len == dirlen && !memcmp(m->cache[i].dir.p, path, dirlen)) {
			slot = i;
			break;
		}
	if (slot < 0) {
		slot = 0;
		for (int i = 1; i < BS_META_CACHE; i++)
			if (m->cache[i].stamp < m->cache[slot].stamp)
				slot = i;
		if (cache_fill(m, slot, path, dirlen, e) < 0)
			return -1;
	}
	m->cache[slot].stamp = ++m->clock;
	if (!m->cache[slot].present)
		return 0;
	rc = cache_find(m, slot, base, baselen, e);
	if (rc < 0)
		return damaged(m, path, dirlen, e);
	if (rc > 0)
		*ent = &m->found.v[0];
	return rc;
}

/*
 * The entries of the directory in path, and below, each decoded as it is
 * visited: a level of the walk holds its directory's text, not its
 * entries.  The directory's entries other than directories come first,
 * then each subdirectory and what is below it: the files in the order
 * bs-walk writes them (walk.c), so that a restore meets small files in the
 * order they were packed into chunks and decodes each pack chunk once,
 * and each directory still followed at once by what is in it, as tar
 * expects (GNU tar sets a directory's times when a member outside it
 * comes).  A listing found damaged (its value, or an entry in its text)
 * ends the walk, or with m->on_damage is told to it and the rest of that
 * directory skipped: its subdirectories too, which come after the whole
 * listing has been read once.
 */
static int walk_below(struct bs_meta_reader *m, struct bs_buf *path, bs_meta_visit *fn, void *arg,
		      struct bs_err *e)
{
	struct bs_buf text = BS_BUF_INIT, prev = BS_BUF_INIT;
	size_t base = path->len, off;
	int rc, k, subdirs = 0;

	rc = fetch_text(m, path->p, path->len, &text, e);
	/* pass 0: what is not a directory; pass 1: the directories, each
	 * with what is below it */
	for (int pass = 0; pass < 2 && rc > 0 && (pass == 0 || subdirs); pass++) {
		off = 0;
		bs_buf_reset(&prev);
		while ((k = bs_meta_next_entry(&m->walked, &text, &off, e)) != 0) {
			const struct bs_entry *ent = &m->walked.v[0];
			int dir = ent->rec.kind == 'd' || ent->rec.kind == 'i';
			if (k < 0 || !in_order(&prev, &ent->rec.path)) {
				bs_buf_setlen(path, base);
				rc = damaged(m, path->p, base, e);
				break;
			}
			bs_buf_reset(&prev);
			bs_buf_add(&prev, ent->rec.path.p, ent->rec.path.len);
			subdirs |= dir;
			if (dir != pass)
				continue;
			bs_buf_setlen(path, base);
			if (base > 1)
				bs_buf_addc(path, '/');
			bs_buf_add(path, ent->rec.path.p, ent->rec.path.len);
			if (fn(arg, ent, path, e) < 0 || (dir && walk_below(m, path, fn, arg, e) < 0)) {
				rc = -2;	/* not damage: the walk ends */
				break;
			}
		}
	}
	if (rc == -1 && e && e->code == BS_INPUT && m->on_damage) {
		/* one damaged listing loses that directory, not the walk */
		m->on_damage(m->damage_arg, e->msg);
		e->code = 0;
		rc = 0;
	}
	bs_buf_setlen(path, base);
	bs_buf_release(&text);
	bs_buf_release(&prev);
	return rc < 0 ? -1 : rc;
}

int bs_meta_walk(struct bs_meta_reader *m, const char *p, size_t len, bs_meta_visit *fn, void *arg,
		 struct bs_err *e)
{
	struct bs_buf path = BS_BUF_INIT;
	struct bs_entry *found, ent;
	int rc;

	bs_entry_init(&ent);
	bs_buf_add(&path, p, len);
	rc = bs_meta_lookup(m, p, len, &found, e);
	if (rc < 0)
		goto out;
	if (rc == 1) {
		bs_entry_copy(&ent, found);
		if (fn(arg, &ent, &path, e) < 0) {
			rc = -1;
			goto out;
		}
		if (ent.rec.kind == 'd' || ent.rec.kind == 'i')
			rc = walk_below(m, &path, fn, arg, e) < 0 ? -1 : 1;
	} else if (len == 1 && p[0] == '/') {
		/* "/" was not itself backed up, but what is under it may be */
		rc = walk_below(m, &path, fn, arg, e);
	}
out:
	bs_entry_release(&ent);
	bs_buf_release(&path);
	return rc;
}

void bs_meta_release(struct bs_meta_reader *m)
{
	if (m->db)
		gdbm_close(m->db);
	m->db = NULL;
	for (int i = 0; i < BS_META_CACHE; i++) {
		bs_buf_release(&m->cache[i].dir);
		bs_buf_release(&m->cache[i].text);
		free(m->cache[i].at);
		m->cache[i].at = NULL;
		m->cache[i].n = m->cache[i].cap = 0;
	}
	bs_listing_release(&m->found);
	bs_listing_release(&m->walked);
	bs_buf_release(&m->key);
	free(m->peeked);
	m->peeked = NULL;
	bs_buf_release(&m->raw);
	bs_entry_release(&m->root);
	bs_codec_ctx_release(&m->codec);
	free(m->id);
	m->id = NULL;
}
