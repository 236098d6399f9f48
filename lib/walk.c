/* walk.c - a depth-first walk of a tree, as stat records, directories' entries in byte order. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "exclude.h"
#include "path.h"
#include "walk.h"

struct walker {
	struct bs_walk_ops *ops;
	int flags;
	dev_t dev;
	struct bs_rec rec;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void warn(struct walker *w, struct bs_err *e, int err)
{
	if (w->ops->warn)
		w->ops->warn(w->ops->arg, e->msg, bs_warn_kind(err));
}

/* w->rec.path becomes the entry `name` of the directory w->rec.path[0..base) */
static void child(struct walker *w, size_t base, const char *name)
{
	bs_buf_setlen(&w->rec.path, base);
	if (base > 1)
		bs_buf_addc(&w->rec.path, '/');
	bs_buf_adds(&w->rec.path, name);
}

/* Is w->rec.path (`name` under dirfd) left out?  Before it is stat'ed
 * (st NULL): by its path; after, a directory by what it holds. */
static int left_out(struct walker *w, int dirfd, const char *name, const struct stat *st)
{
	const struct bs_exclude *x = w->ops->exclude;
	int out;

	if (!x)
		return 0;
	if (!st)
		out = bs_exclude_path(x, w->rec.path.p, w->rec.path.len);
	else
		out = S_ISDIR(st->st_mode) && bs_exclude_dir(x, dirfd, name);
	if (out)
		w->ops->excluded++;
	return out;
}

/* Open the directory w->rec.path, `name` in dirfd: its fd; -1 when the
 * walk cannot go on (no file descriptors, no memory: e set); -2 when it
 * was told to warn() and is passed over. */
static int open_dir(struct walker *w, int dirfd, const char *name, struct bs_err *e)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), err;
	char q[256];

	if (fd >= 0)
		return fd;
	err = errno;
	bs_err_sys(e, "cannot open directory '%s'", bs_quote(w->rec.path.p, w->rec.path.len, q, sizeof(q)));
	if (err == EMFILE || err == ENFILE || err == ENOMEM)
		return -1;
	warn(w, e, err);
	return -2;
}

/* The names in the directory dir, but . and .., sorted; *n of them. */
static char **read_names(struct walker *w, DIR *dir, size_t *n)
{
	char **names = NULL;
	size_t cap = 0;
	struct dirent *d;

	*n = 0;
	while ((errno = 0, d = readdir(dir))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			names = bs_xrealloc(names, cap * sizeof(*names));
		}
		names[(*n)++] = bs_xstrdup(d->d_name);
	}
	if (errno) {
		struct bs_err we;
		char q[256];
		int err = errno;
		bs_err_sys(&we, "cannot read directory '%s'", bs_quote(w->rec.path.p, w->rec.path.len, q, sizeof(q)));
		warn(w, &we, err);
	}
	if (*n)
		qsort(names, *n, sizeof(*names), by_name);
	return names;
}

/* One entry of a directory, w->rec.path (`name` in dirfd): recorded,
 * unless it is left out or cannot be read (warned, skipped).  1 when it
 * was recorded, with *st its stat; 0 when not; -1 when the walk stops. */
static int entry(struct walker *w, int dirfd, const char *name, struct stat *st, struct bs_err *e)
{
	int r;

	if (left_out(w, dirfd, name, NULL))
		return 0;
	r = bs_rec_stat_at(dirfd, name, st, &w->rec, e);
	if (r == 0 && left_out(w, dirfd, name, st))
		return 0;
	if (r == 1) {
		w->ops->sockets++;
		return 0;
	}
	if (r < 0) {
		if (e->code != BS_PARTIAL)
			return -1;
		warn(w, e, errno);
		return 0;
	}
	return w->ops->record(w->ops->arg, &w->rec, e) < 0 ? -1 : 1;
}

/* Walk the directory open at fd, whose path is in w->rec.path. */
static int walk_dir(struct walker *w, int fd, struct bs_err *e)
{
	char **names;
	size_t n, base = w->rec.path.len;
	DIR *dir;
	int rc = 0;

	dir = fdopendir(fd);
	if (!dir) {
		char q[256];
		bs_err_sys(e, "cannot read directory '%s'", bs_quote(w->rec.path.p, base, q, sizeof(q)));
		close(fd);
		return -1;
	}
	names = read_names(w, dir, &n);
	/* A directory's entries all come before the first of its
	 * subdirectories is entered, so that its records are one run in the
	 * stream (bs-chunk compares a directory at a time).  The
	 * subdirectories to enter keep their names; the rest are freed. */
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct stat st;
		int r;

		child(w, base, names[i]);
		r = entry(w, dirfd(dir), names[i], &st, e);
		if (r != 1 || !S_ISDIR(st.st_mode) || ((w->flags & BS_WALK_XDEV) && st.st_dev != w->dev)) {
			free(names[i]);
			names[i] = NULL;
		}
		rc = r < 0 ? -1 : 0;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		int sub;

		if (!names[i])
			continue;
		child(w, base, names[i]);
		sub = open_dir(w, dirfd(dir), names[i], e);
		if (sub == -1 || (sub >= 0 && walk_dir(w, sub, e) < 0))
			rc = -1;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(dir);
	bs_buf_setlen(&w->rec.path, base);
	return rc;
}

int bs_walk(const char *path, int flags, struct bs_walk_ops *ops, struct bs_err *e)
{
	struct walker w;
	struct stat st;
	int fd, rc = -1;

	memset(&w, 0, sizeof(w));
	w.ops = ops;
	w.flags = flags;
	bs_rec_init(&w.rec);
	if (bs_path_clean(path, strlen(path), &w.rec.path, e) < 0)
		goto out;
	rc = entry(&w, AT_FDCWD, w.rec.path.p, &st, e);
	if (rc == 1 && S_ISDIR(st.st_mode)) {
		w.dev = st.st_dev;
		fd = open_dir(&w, AT_FDCWD, w.rec.path.p, e);
		rc = fd == -1 || (fd >= 0 && walk_dir(&w, fd, e) < 0) ? -1 : 0;
	}
out:
	bs_rec_release(&w.rec);
	return rc < 0 ? -1 : 0;
}
