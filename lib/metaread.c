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
	m->id = bs_xstrdup(id);
	bs_entry_init(&m->root);
	for (int i = 0; i < BS_META_CACHE; i++) {
		bs_buf_init(&m->cache[i].dir);
		bs_listing_init(&m->cache[i].l);
	}
	return 0;
}

static int fetch(struct bs_meta_reader *m, const char *key, size_t n, struct bs_listing *l, struct bs_err *e)
{
	datum k, v;
	int rc;

	k.dptr = (char *)key;
	k.dsize = (int)n;
	v = gdbm_fetch(m->db, k);
	if (!v.dptr) {
		if (gdbm_errno == GDBM_ITEM_NOT_FOUND)
			return 0;
		return bs_meta_fail(e, "read", m->id);
	}
	rc = bs_value_unpack(&m->codec, v.dptr, (size_t)v.dsize, &m->raw, l, m->strict, e);
	free(v.dptr);
	if (rc < 0)
		return bs_err_set(e, BS_INPUT, "the metadata of '%s' is damaged at '%.200s'", m->id,
				  n ? key : "/");
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
		m->cache[slot].stamp = 0;
		rc = fetch(m, path, dirlen, &m->cache[slot].l, e);
		if (rc < 0)
			return -1;
		m->cache[slot].present = rc;
		bs_buf_reset(&m->cache[slot].dir);
		bs_buf_add(&m->cache[slot].dir, path, dirlen);
	}
	m->cache[slot].stamp = ++m->clock;
	if (!m->cache[slot].present)
		return 0;
	*ent = bs_listing_find(&m->cache[slot].l, base, baselen);
	return *ent != NULL;
}

static int walk_below(struct bs_meta_reader *m, struct bs_buf *path, bs_meta_visit *fn, void *arg,
		      struct bs_err *e)
{
	struct bs_listing l;
	size_t base = path->len;
	int rc;

	bs_listing_init(&l);
	rc = fetch(m, path->p, path->len, &l, e);
	if (rc < 0 && e && e->code == BS_INPUT && m->on_damage) {
		/* one damaged listing loses that directory, not the walk */
		m->on_damage(m->damage_arg, e->msg);
		e->code = 0;
		rc = 0;
	}
	if (rc <= 0) {
		bs_listing_release(&l);
		return rc;
	}
	for (size_t i = 0; i < l.n && rc >= 0; i++) {
		struct bs_entry *ent = &l.v[i];
		bs_buf_setlen(path, base);
		if (base > 1)
			bs_buf_addc(path, '/');
		bs_buf_add(path, ent->rec.path.p, ent->rec.path.len);
		if (fn(arg, ent, path, e) < 0)
			rc = -1;
		else if ((ent->rec.kind == 'd' || ent->rec.kind == 'i') && walk_below(m, path, fn, arg, e) < 0)
			rc = -1;
	}
	bs_buf_setlen(path, base);
	bs_listing_release(&l);
	return rc < 0 ? -1 : 1;
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
		bs_listing_release(&m->cache[i].l);
	}
	bs_buf_release(&m->key);
	free(m->peeked);
	m->peeked = NULL;
	bs_buf_release(&m->raw);
	bs_entry_release(&m->root);
	bs_codec_ctx_release(&m->codec);
	free(m->id);
	m->id = NULL;
}
