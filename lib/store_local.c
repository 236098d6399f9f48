/* store_local.c - the chunk store in a local (or network-mounted) directory: REPO/chunks/abc/<hex>. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "record.h"
#include "repo.h"
#include "store.h"

/*
 * Thread safety: the file descriptors are opened once, at open; `made`
 * (chunk directories known to exist) is updated with atomic operations;
 * temporary names take a process-wide atomic sequence number.
 */
struct local {
	struct bs_store base;
	int dirfd;			/* the repository's top directory */
	int chunksfd;			/* chunks/ (O_PATH), or -1 */
	char *path;			/* for messages */
	char host[25];			/* in temporary names */
	unsigned char made[4096 / 8];	/* chunk dirs known to exist */
};

static unsigned long temp_seq;		/* atomic: __atomic_fetch_add */

static struct local *L(struct bs_store *s)
{
	return (struct local *)s;
}

void bs_chunk_path(const unsigned char *digest, char *out)
{
	char hex[BS_HEX_LEN + 1];

	bs_hex(hex, digest);
	snprintf(out, 76, "chunks/%.3s/%s", hex, hex);
}

static unsigned dir_index(const unsigned char *d)
{
	return ((unsigned)d[0] << 4) | (d[1] >> 4);
}

/* fstatat(2) of a chunk, from chunks/ when it could be opened: one path
 * lookup fewer for each of the many chunks an incremental backup checks */
static int chunk_stat(struct local *l, const char *path, struct stat *st)
{
	if (l->chunksfd >= 0)
		return fstatat(l->chunksfd, path + 7, st, 0);
	return fstatat(l->dirfd, path, st, 0);
}

static int local_has(struct bs_store *s, const unsigned char *digest)
{
	char path[80];
	struct stat st;

	bs_chunk_path(digest, path);
	if (chunk_stat(L(s), path, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	return S_ISREG(st.st_mode) && st.st_size > 0;
}

static int local_stat(struct bs_store *s, const unsigned char *digest, uint64_t *size, struct bs_time *mtime,
		      struct bs_err *e)
{
	char path[80];
	struct stat st;

	bs_chunk_path(digest, path);
	if (chunk_stat(L(s), path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return bs_err_sys(e, "cannot stat chunk '%s'", path + 11);
	}
	*size = (uint64_t)st.st_size;
	mtime->sec = st.st_mtim.tv_sec;
	mtime->nsec = (uint32_t)st.st_mtim.tv_nsec;
	return 1;
}

/* Stamp a chunk with t, never moving its stamp back.  Returns 0,
 * BS_STORE_EMPTY, or -1 with errno (ENOENT: missing). */
static int stamp(struct local *l, const char *path, struct bs_time t)
{
	struct timespec ts[2];
	struct stat st;

	if (chunk_stat(l, path, &st) < 0)
		return -1;
	if (st.st_size == 0)
		return BS_STORE_EMPTY;
	if (st.st_mtim.tv_sec > t.sec || (st.st_mtim.tv_sec == t.sec && st.st_mtim.tv_nsec >= (long)t.nsec))
		return 0;
	ts[0].tv_sec = ts[1].tv_sec = t.sec;
	ts[0].tv_nsec = ts[1].tv_nsec = t.nsec;
	return utimensat(l->dirfd, path, ts, 0);
}

static int local_touch(struct bs_store *s, const unsigned char *digest, struct bs_time t, struct bs_err *e)
{
	char path[80];
	int rc;

	bs_chunk_path(digest, path);
	rc = stamp(L(s), path, t);
	if (rc < 0 && errno == ENOENT)
		return BS_STORE_MISSING;
	if (rc < 0)
		return bs_err_sys(e, "cannot touch chunk '%s'", path + 11);
	return rc;
}

static int made(struct local *l, unsigned idx)
{
	return __atomic_load_n(&l->made[idx / 8], __ATOMIC_RELAXED) & (1u << (idx % 8));
}

/* Make chunks/abc when it is not there yet. */
static int chunk_dir(struct local *l, unsigned idx, const char *path, struct bs_err *e)
{
	char dir[16];

	if (made(l, idx))
		return 0;
	memcpy(dir, path, 10);
	dir[10] = '\0';
	if (mkdirat(l->dirfd, dir, 0700) < 0 && errno != EEXIST)
		return bs_err_sys(e, "cannot create '%s'", dir);
	__atomic_fetch_or(&l->made[idx / 8], (unsigned char)(1u << (idx % 8)), __ATOMIC_RELAXED);
	return 0;
}

static int put_fail(struct local *l, const char *tmp, const char *path, struct bs_err *e)
{
	int saved = errno;

	unlinkat(l->dirfd, tmp, 0);
	errno = saved;
	return bs_err_sys(e, "cannot write chunk '%s'", path + 11);
}

/* Write n bytes stamped t to a new temporary file in the chunk's
 * directory, flushed to disk when `sync`; its name in tmp. */
static int write_temp(struct local *l, const unsigned char *digest, const void *stored, size_t n,
		      struct bs_time t, int sync, char *tmp, size_t tmpsize, struct bs_err *e)
{
	char path[80];
	struct timespec ts[2];
	unsigned idx = dir_index(digest);
	int fd;

	bs_chunk_path(digest, path);
	ts[0].tv_sec = ts[1].tv_sec = t.sec;
	ts[0].tv_nsec = ts[1].tv_nsec = t.nsec;
	if (chunk_dir(l, idx, path, e) < 0)
		return -1;
	/* host, pid and sequence: a repository shared over a network file
	 * system is written by processes of several hosts */
	snprintf(tmp, tmpsize, "%.10s/.tmp-%s-%ld-%lu", path, l->host, (long)getpid(),
		 __atomic_fetch_add(&temp_seq, 1, __ATOMIC_RELAXED));
	fd = openat(l->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT) {
		/* the directory went (an expiry emptied and removed it) */
		__atomic_fetch_and(&l->made[idx / 8], (unsigned char)~(1u << (idx % 8)), __ATOMIC_RELAXED);
		if (chunk_dir(l, idx, path, e) < 0)
			return -1;
		fd = openat(l->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return bs_err_sys(e, "cannot write chunk '%s'", path + 11);
	if (bs_write_full(fd, stored, n) < 0 || futimens(fd, ts) < 0 || (sync && fsync(fd) < 0)) {
		int saved = errno;
		close(fd);
		errno = saved;
		return put_fail(l, tmp, path, e);
	}
	/* a staged chunk's bytes start for the disk now, not at the batch's
	 * syncfs(2), which then waits the less: a hint whose failure that
	 * syncfs(2) reports */
	if (!sync)
		(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	if (close(fd) < 0)
		return put_fail(l, tmp, path, e);
	return 0;
}

/* Link a whole (flushed) temporary file into place under the chunk's
 * name; the temporary name goes either way.  link(2) never replaces: a
 * chunk another backup wrote first stays and is touched.  Only an empty
 * file, which no writer of ours leaves under a chunk's name, is replaced
 * (by rename) so the chunk is whole again. */
static int link_temp(struct local *l, const unsigned char *digest, const char *tmp, struct bs_time t,
		     int *stored_now, struct bs_err *e)
{
	char path[80];
	int rc;

	*stored_now = 0;
	bs_chunk_path(digest, path);
	if (linkat(l->dirfd, tmp, l->dirfd, path, 0) < 0) {
		if (errno != EEXIST)
			return put_fail(l, tmp, path, e);
		rc = stamp(l, path, t);
		if (rc == BS_STORE_EMPTY) {
			if (renameat(l->dirfd, tmp, l->dirfd, path) < 0)
				return put_fail(l, tmp, path, e);
			*stored_now = 1;
			return 0;
		}
		unlinkat(l->dirfd, tmp, 0);
		if (rc < 0 && errno == ENOENT)
			return bs_err_set(e, BS_INPUT, "chunk '%s' is missing from the repository", path + 11);
		if (rc < 0)
			return bs_err_sys(e, "cannot touch chunk '%s'", path + 11);
		return 0;
	}
	unlinkat(l->dirfd, tmp, 0);
	*stored_now = 1;
	return 0;
}

static int local_put(struct bs_store *s, const unsigned char *digest, const void *stored, size_t n,
		     struct bs_time t, int *stored_now, struct bs_err *e)
{
	char tmp[160];

	*stored_now = 0;
	if (write_temp(L(s), digest, stored, n, t, 1, tmp, sizeof(tmp), e) < 0)
		return -1;
	return link_temp(L(s), digest, tmp, t, stored_now, e);
}

static int local_stage(struct bs_store *s, const unsigned char *digest, const void *stored, size_t n,
		       struct bs_time t, struct bs_store_staged *st, struct bs_err *e)
{
	memcpy(st->digest, digest, BS_DIGEST_LEN);
	st->stored = 0;
	return write_temp(L(s), digest, stored, n, t, 0, st->tmp, sizeof(st->tmp), e);
}

static void local_discard(struct bs_store *s, struct bs_store_staged *st)
{
	if (st->tmp[0])
		unlinkat(L(s)->dirfd, st->tmp, 0);
	st->tmp[0] = '\0';
}

/*
 * A batch: one syncfs(2) flushes every temporary file (and whatever else
 * the file system holds: cheaper than an fsync(2) each, which costs a
 * journal commit a chunk), then the links, then one more syncfs(2) for
 * their names and the directories.  No chunk is linked before its bytes
 * are on disk, so after a crash none exists under its name unless whole.
 */
static int local_commit(struct bs_store *s, struct bs_store_staged *st, size_t count, struct bs_time t,
			struct bs_err *e)
{
	struct local *l = L(s);
	size_t i = 0;

	if (count == 0)
		return 0;
	if (syncfs(l->dirfd) < 0) {
		bs_err_sys(e, "cannot sync the repository '%s'", l->path);
		goto fail;
	}
	for (; i < count; i++) {
		int rc = link_temp(l, st[i].digest, st[i].tmp, t, &st[i].stored, e);
		st[i].tmp[0] = '\0';
		if (rc < 0) {
			i++;
			goto fail;
		}
	}
	if (syncfs(l->dirfd) < 0)
		return bs_err_sys(e, "cannot sync the repository '%s'", l->path);
	return 0;
fail:
	for (; i < count; i++)
		local_discard(s, &st[i]);
	return -1;
}

static int local_get(struct bs_store *s, const unsigned char *digest, struct bs_buf *out, size_t max,
		     struct bs_err *e)
{
	struct local *l = L(s);
	char path[80];
	struct stat st;
	ssize_t n;
	int fd;

	bs_chunk_path(digest, path);
	fd = openat(l->dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return bs_err_set(e, BS_INPUT, "chunk '%s' is missing from the repository", path + 11);
		return bs_err_sys(e, "cannot open chunk '%s'", path + 11);
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		return bs_err_sys(e, "cannot read chunk '%s'", path + 11);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return bs_err_set(e, BS_INPUT, "chunk '%s' is damaged: too large", path + 11);
	}
	bs_buf_grow(out, (size_t)st.st_size + 1);
	n = bs_read_full(fd, out->p + out->len, (size_t)st.st_size + 1);
	close(fd);
	if (n < 0)
		return bs_err_sys(e, "cannot read chunk '%s'", path + 11);
	out->len += (size_t)n;
	out->p[out->len] = '\0';
	return 0;
}

static int scan_dir(struct local *l, const char *dname, bs_chunk_visit *fn, void *arg, struct bs_err *e)
{
	struct bs_chunk_file f;
	struct dirent *d;
	struct stat st;
	DIR *dir;
	int fd, rc = 0;

	fd = openat(l->dirfd, dname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return bs_err_sys(e, "cannot open '%s'", dname);
	}
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return bs_err_sys(e, "cannot read '%s'", dname);
	}
	while (rc == 0 && (errno = 0, d = readdir(dir))) {
		size_t len = strlen(d->d_name);
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (len > 64)
			continue;	/* not a name of ours: leave it */
		memset(&f, 0, sizeof(f));
		snprintf(f.path, sizeof(f.path), "%s/%s", dname, d->d_name);
		f.name = d->d_name;
		if (fstatat(fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			rc = bs_err_sys(e, "cannot stat '%s/%s'", dname, d->d_name);
			break;
		}
		f.size = (uint64_t)st.st_size;
		f.mtime.sec = st.st_mtim.tv_sec;
		f.mtime.nsec = (uint32_t)st.st_mtim.tv_nsec;
		f.is_temp = !strncmp(d->d_name, ".tmp-", 5);
		f.is_chunk = S_ISREG(st.st_mode) && bs_unhex(f.digest, d->d_name, len) == 0 &&
			     !strncmp(d->d_name, dname + 7, 3);
		rc = fn(arg, &f, e);
	}
	if (rc == 0 && errno)
		rc = bs_err_sys(e, "cannot read '%s'", dname);
	closedir(dir);
	return rc;
}

static int local_list(struct bs_store *s, bs_chunk_visit *fn, void (*dir_done)(void *arg, const char *dir),
		      void *arg, struct bs_err *e)
{
	char dname[16];

	for (unsigned idx = 0; idx < 4096; idx++) {
		snprintf(dname, sizeof(dname), "chunks/%03x", idx);
		if (scan_dir(L(s), dname, fn, arg, e) < 0)
			return -1;
		if (dir_done)
			dir_done(arg, dname);
	}
	return 0;
}

/* Only names under chunks/: the store touches nothing else. */
static int local_remove(struct bs_store *s, const char *relpath, struct bs_err *e)
{
	if (strncmp(relpath, "chunks/", 7) || strstr(relpath, ".."))
		return bs_err_set(e, BS_USAGE, "'%s' is not a file of the chunk store", relpath);
	if (unlinkat(L(s)->dirfd, relpath, 0) < 0 && errno != ENOENT)
		return bs_err_sys(e, "cannot remove '%s'", relpath);
	return 0;
}

static void local_prune(struct bs_store *s, const char *dir)
{
	unsigned idx;

	if (strncmp(dir, "chunks/", 7) || sscanf(dir + 7, "%3x", &idx) != 1 || idx >= 4096)
		return;
	/* a busy one stays (rmdir refuses) */
	if (unlinkat(L(s)->dirfd, dir, AT_REMOVEDIR) == 0)
		__atomic_fetch_and(&L(s)->made[idx / 8], (unsigned char)~(1u << (idx % 8)), __ATOMIC_RELAXED);
}

static int local_sync(struct bs_store *s, struct bs_err *e)
{
	/* One syncfs(2) makes durable both the names of new chunks and the
	 * refreshed times of old ones, which expiry trusts: an fsync of the
	 * directories alone would leave the times to chance after a crash. */
	if (syncfs(L(s)->dirfd) < 0)
		return bs_err_sys(e, "cannot sync the repository '%s'", L(s)->path);
	return 0;
}

static void local_close(struct bs_store *s)
{
	struct local *l = L(s);

	if (l->chunksfd >= 0)
		close(l->chunksfd);
	free(l->path);
	free(l);
}

static const struct bs_store_ops local_ops = {
	.name = "local",
	.has = local_has,
	.stat = local_stat,
	.touch = local_touch,
	.put = local_put,
	.stage = local_stage,
	.commit = local_commit,
	.discard = local_discard,
	.get = local_get,
	.list = local_list,
	.remove = local_remove,
	.prune = local_prune,
	.sync = local_sync,
	.close = local_close,
};

int bs_store_local_open(struct bs_store **s, int dirfd, const char *path, struct bs_err *e)
{
	struct local *l = bs_xcalloc(1, sizeof(*l));

	l->base.ops = &local_ops;
	l->dirfd = dirfd;
	l->path = bs_xstrdup(path);
	l->chunksfd = openat(dirfd, "chunks", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (gethostname(l->host, sizeof(l->host)) < 0)
		strcpy(l->host, "host");
	l->host[sizeof(l->host) - 1] = '\0';
	for (char *p = l->host; *p; p++)
		if (*p == '/' || *p == '.')
			*p = '_';
	*s = &l->base;
	return 0;
}

void bs_store_close(struct bs_store *s)
{
	if (s)
		s->ops->close(s);
}
