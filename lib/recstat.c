/* recstat.c - one path's stat record: lstat, owner names, symlink target, inode flags, xattrs, extents. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "recstat.h"

int bs_kind_of(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return 'f';
	case S_IFDIR: return 'd';
	case S_IFLNK: return 'l';
	case S_IFIFO: return 'p';
	case S_IFCHR: return 'c';
	case S_IFBLK: return 'b';
	case S_IFSOCK: return 's';
	}
	return '?';
}

/* uid and gid to name, cached: NSS lookups are slow.  The caches are
 * per thread (__thread), so bs_rec_fill() and bs_rec_stat() may run in
 * several threads at once without a lock. */
#define NAME_SLOTS 1024
static __thread struct name_slot {
	int used;
	uint64_t id;
	char name[33];
} unames[NAME_SLOTS], gnames[NAME_SLOTS];

static const char *cached_name(struct name_slot *tab, uint64_t id, int group)
{
	unsigned h = (unsigned)(id * 2654435761u) % NAME_SLOTS;
	struct name_slot *s = NULL;

	for (unsigned i = 0; i < 8; i++) {
		struct name_slot *c = &tab[(h + i) % NAME_SLOTS];
		if (c->used && c->id == id)
			return c->name;
		if (!c->used) {
			s = c;
			break;
		}
	}
	if (!s)
		s = &tab[h];
	s->used = 1;
	s->id = id;
	s->name[0] = '\0';
	if (group) {
		struct group *g = getgrgid((gid_t)id);
		if (g && strlen(g->gr_name) < sizeof(s->name))
			strcpy(s->name, g->gr_name);
	} else {
		struct passwd *p = getpwuid((uid_t)id);
		if (p && strlen(p->pw_name) < sizeof(s->name))
			strcpy(s->name, p->pw_name);
	}
	return s->name;
}

void bs_rec_fill(struct bs_rec *rec, const struct stat *st)
{
	rec->kind = (char)bs_kind_of(st->st_mode);
	rec->mode = st->st_mode & 07777;
	rec->uid = st->st_uid;
	rec->gid = st->st_gid;
	strcpy(rec->uname, cached_name(unames, st->st_uid, 0));
	strcpy(rec->gname, cached_name(gnames, st->st_gid, 1));
	rec->size = S_ISREG(st->st_mode) ? (uint64_t)st->st_size : 0;
	rec->mtime.sec = st->st_mtim.tv_sec;
	rec->mtime.nsec = (uint32_t)st->st_mtim.tv_nsec;
	rec->ctime.sec = st->st_ctim.tv_sec;
	rec->ctime.nsec = (uint32_t)st->st_ctim.tv_nsec;
	rec->dev = st->st_dev;
	rec->ino = st->st_ino;
	rec->nlink = st->st_nlink;
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
		rec->rmajor = major(st->st_rdev);
		rec->rminor = minor(st->st_rdev);
	} else {
		rec->rmajor = rec->rminor = 0;
	}
	bs_buf_reset(&rec->target);
}

static int read_link(int dirfd, const char *name, const struct stat *st, struct bs_buf *out)
{
	size_t want = st->st_size > 0 ? (size_t)st->st_size + 1 : 256;
	ssize_t n;

	for (;;) {
		bs_buf_reset(out);
		bs_buf_grow(out, want);
		n = readlinkat(dirfd, name, out->p, want);
		if (n < 0)
			return -1;
		if ((size_t)n < want) {
			out->len = (size_t)n;
			out->p[n] = '\0';
			if (n == 0) {
				errno = EINVAL;
				return -1;
			}
			return 0;
		}
		want *= 2;
	}
}

int bs_warn_kind(int err)
{
	if (err == ENOENT || err == ENOTDIR)
		return BS_WARN_VANISHED;
	if (err == EACCES || err == EPERM)
		return BS_WARN_DENIED;
	return BS_WARN_OTHER;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The extended attributes of `path` (every name this process may read,
 * ACLs and capabilities included) into rec->xattrs, sorted by name.  A file
 * system without them, or an attribute gone in between, is no error.
 */
#ifndef SYS_listxattrat
#ifdef __x86_64__
#define SYS_listxattrat 465
#endif
#endif

/* listxattr of name in dirfd (Linux 6.13), else of the full path */
static ssize_t list_at(int dirfd, const char *name, const char *path, char *list, size_t size)
{
#ifdef SYS_listxattrat
	static int no_at;

	if (!no_at && dirfd >= 0) {
		ssize_t n = syscall(SYS_listxattrat, dirfd, name, AT_SYMLINK_NOFOLLOW, list, size);
		if (n >= 0 || errno != ENOSYS)
			return n;
		no_at = 1;
	}
#endif
	return llistxattr(path, list, size);
}

static int rec_xattrs(struct bs_rec *rec, int dirfd, const char *name, const char *path, struct bs_err *e);

int bs_rec_xattrs(struct bs_rec *rec, const char *path, struct bs_err *e)
{
	return rec_xattrs(rec, -1, NULL, path, e);
}

static int rec_xattrs(struct bs_rec *rec, int dirfd, const char *name, const char *path, struct bs_err *e)
{
	char small[1024], *names = small, *v[256], **sorted = v;
	struct bs_buf value = BS_BUF_INIT;
	ssize_t n, k;
	size_t count = 0;
	int rc = 0;

	bs_buf_reset(&rec->xattrs);
	n = list_at(dirfd, name, path, small, sizeof(small));
	if (n < 0 && errno == ERANGE) {
		k = list_at(dirfd, name, path, NULL, 0);
		if (k < 0)
			goto err;
		names = bs_xmalloc((size_t)k + 1);
		n = list_at(dirfd, name, path, names, (size_t)k);
	}
	if (n < 0) {
		if (errno == ENOTSUP || errno == ENOSYS)
			goto out;
		goto err;
	}
	if (n == 0)
		goto out;
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(names + i) + 1)
		count++;
	if (count > sizeof(v) / sizeof(*v))
		sorted = bs_xcalloc(count, sizeof(*sorted));
	count = 0;
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(names + i) + 1)
		sorted[count++] = names + i;
	qsort(sorted, count, sizeof(*sorted), by_name);
	for (size_t i = 0; i < count; i++) {
		for (;;) {
			bs_buf_reset(&value);
			bs_buf_grow(&value, value.cap > 256 ? value.cap - 1 : 256);
			k = lgetxattr(path, sorted[i], value.p, value.cap - 1);
			if (k >= 0 || errno != ERANGE)
				break;
			k = lgetxattr(path, sorted[i], NULL, 0);
			if (k < 0)
				break;
			bs_buf_grow(&value, (size_t)k + 1);
		}
		if (k < 0) {
			if (errno == ENODATA || errno == ENOTSUP)
				continue;	/* gone since it was listed */
			goto err;
		}
		bs_xattr_add(rec, sorted[i], strlen(sorted[i]), value.p, (size_t)k);
	}
	goto out;
err:
	{
		char q[256];
		int err = errno;
		bs_err_sys(e, "cannot read the extended attributes of '%s'", bs_quote(path, strlen(path), q, sizeof(q)));
		e->code = err == ENOMEM ? BS_SYS : BS_PARTIAL;
		errno = err;
		rc = -1;
	}
out:
	if (names != small)
		free(names);
	if (sorted != v)
		free(sorted);
	bs_buf_release(&value);
	return rc;
}

/* The data extents of a regular file open at fd, into rec->extents; none
 * when the whole file is data.  A file all hole has the one extent size+0. */
int bs_rec_extents(struct bs_rec *rec, int fd, uint64_t size)
{
	off_t pos = 0, data, hole;

	bs_buf_reset(&rec->extents);
	while ((uint64_t)pos < size) {
		data = lseek(fd, pos, SEEK_DATA);
		if (data < 0) {
			if (errno == ENXIO)
				break;	/* no data after pos */
			bs_buf_reset(&rec->extents);
			return errno == EINVAL || errno == EOPNOTSUPP ? 0 : -1;
		}
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0) {
			bs_buf_reset(&rec->extents);
			return -1;
		}
		if ((uint64_t)hole > size)
			hole = (off_t)size;
		if (data >= hole)
			break;
		bs_rec_extent_add(rec, (uint64_t)data, (uint64_t)(hole - data));
		pos = hole;
	}
	if (bs_rec_nextents(rec) == 1) {
		uint64_t off, len;
		bs_rec_extent(rec, 0, &off, &len);
		if (off == 0 && len == size)
			bs_buf_reset(&rec->extents);	/* not sparse after all */
	} else if (bs_rec_nextents(rec) == 0 && size) {
		bs_rec_extent_add(rec, size, 0);
	}
	return 0;
}

/* The attributes statx() reports that say a file has inode flags worth
 * an open and an ioctl to read in full. */
#define FLAG_ATTRS (STATX_ATTR_IMMUTABLE | STATX_ATTR_APPEND | STATX_ATTR_NODUMP | STATX_ATTR_COMPRESSED)

static void statx_to_stat(const struct statx *x, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = x->stx_mode;
	st->st_uid = x->stx_uid;
	st->st_gid = x->stx_gid;
	st->st_size = (off_t)x->stx_size;
	st->st_blocks = (blkcnt_t)x->stx_blocks;
	st->st_nlink = x->stx_nlink;
	st->st_ino = x->stx_ino;
	st->st_dev = makedev(x->stx_dev_major, x->stx_dev_minor);
	st->st_rdev = makedev(x->stx_rdev_major, x->stx_rdev_minor);
	st->st_mtim.tv_sec = x->stx_mtime.tv_sec;
	st->st_mtim.tv_nsec = x->stx_mtime.tv_nsec;
	st->st_ctim.tv_sec = x->stx_ctime.tv_sec;
	st->st_ctim.tv_nsec = x->stx_ctime.tv_nsec;
}

/*
 * What a stat does not say: inode flags (read only when statx() says one
 * of FLAG_ATTRS is set, so that an ordinary file costs no open), xattrs,
 * and a sparse regular file's extents (looked for only when its blocks
 * hold less than its size).  Returns 0, or -1 with e set (BS_PARTIAL).
 */
static int stat_extra(int dirfd, const char *name, const struct statx *x, struct bs_rec *rec, struct bs_err *e)
{
	int need_fd = 0, fd = -1, rc = 0;
	char q[256];

	rec->flags = 0;
	bs_buf_reset(&rec->extents);
	if ((S_ISREG(x->stx_mode) || S_ISDIR(x->stx_mode)) && (x->stx_attributes & FLAG_ATTRS))
		need_fd = 1;
	if (S_ISREG(x->stx_mode) && x->stx_blocks * 512 < x->stx_size)
		need_fd = 1;
	if (need_fd) {
		fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NOATIME);
		if (fd < 0 && errno == EPERM)
			fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			goto err;
		if (x->stx_attributes & FLAG_ATTRS) {
			int fl = 0;
			if (ioctl(fd, FS_IOC_GETFLAGS, &fl) == 0)
				rec->flags = (uint32_t)fl;
			else if (errno != ENOTTY && errno != ENOTSUP && errno != EINVAL)
				goto err;
		}
		if (S_ISREG(x->stx_mode) && x->stx_blocks * 512 < x->stx_size &&
		    bs_rec_extents(rec, fd, x->stx_size) < 0)
			goto err;
		close(fd);
		fd = -1;
	}
	if (rec_xattrs(rec, dirfd == AT_FDCWD ? -1 : dirfd, name, rec->path.p, e) < 0)
		return -1;
	return rc;
err:
	{
		int err = errno;
		bs_err_sys(e, "cannot read the flags or extents of '%s'", bs_quote(rec->path.p, rec->path.len, q, sizeof(q)));
		e->code = err == ENOMEM || err == EMFILE || err == ENFILE ? BS_SYS : BS_PARTIAL;
		if (fd >= 0)
			close(fd);
		errno = err;
		return -1;
	}
}

int bs_rec_stat_at(int dirfd, const char *name, struct stat *st, struct bs_rec *rec, struct bs_err *e)
{
	char q[256];
	struct statx x;

	if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_BASIC_STATS, &x) == 0) {
		statx_to_stat(&x, st);
	} else {
		int err = errno;
		bs_err_sys(e, "cannot stat '%s'", bs_quote(rec->path.p, rec->path.len, q, sizeof(q)));
		/* a path that cannot be stat'ed is this path's problem, not the
		 * walk's: reported, counted and skipped */
		e->code = err == ENOMEM ? BS_SYS : BS_PARTIAL;
		errno = err;
		return -1;
	}
	if (S_ISSOCK(st->st_mode))
		return 1;
	bs_rec_fill(rec, st);
	if (stat_extra(dirfd, name, &x, rec, e) < 0)
		return -1;
	if (S_ISLNK(st->st_mode) && read_link(dirfd, name, st, &rec->target) < 0) {
		int err = errno;
		bs_err_sys(e, "cannot read link '%s'", bs_quote(rec->path.p, rec->path.len, q, sizeof(q)));
		e->code = BS_PARTIAL;
		errno = err;
		return -1;
	}
	return 0;
}

int bs_rec_stat(struct bs_rec *rec, const char *path, struct bs_err *e)
{
	struct stat st;
	struct bs_buf p = BS_BUF_INIT;
	int rc;

	bs_buf_add(&p, path, strlen(path));
	bs_buf_reset(&rec->path);
	bs_buf_add(&rec->path, path, strlen(path));
	rc = bs_rec_stat_at(AT_FDCWD, p.p, &st, rec, e);
	bs_buf_release(&p);
	return rc;
}
