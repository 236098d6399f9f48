/* rmirror.c - the client's mirror of a repository over ssh: a directory bs-chunk takes for the repository (rmirror.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "parse.h"
#include "rmirror.h"
#include "wire.h"

/* Is this a name the server may send for the mirror? */
int bs_rmirror_name_ok(const char *name)
{
	const char *id, *slash;

	if (!strcmp(name, "config") || !strcmp(name, "expiry"))
		return 1;
	if (strncmp(name, "backups/", 8))
		return 0;
	id = name + 8;
	slash = strchr(id, '/');
	if (!slash || slash == id || id[0] == '.')
		return 0;
	return !strcmp(slash, "/summary") || !strcmp(slash, "/metadata");
}

int bs_rmirror_write(int dfd, const char *name, const char *p, size_t n, struct bs_err *e)
{
	int fd;

	/* a new file: the old one may be a link to the cache's copy */
	unlinkat(dfd, name, 0);
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || bs_write_full(fd, p, n) < 0 || close(fd) < 0)
		return bs_err_sys(e, "cannot write '%s' in the mirror", name);
	return 0;
}

/* Remove what is in the directory dfd: files, and directories emptied first. */
static int empty_dir(int dfd)
{
	DIR *d = fdopendir(dup(dfd));
	struct dirent *de;
	int rc = 0;

	if (!d)
		return -1;
	rewinddir(d);	/* the offset is dfd's, shared */
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dfd, de->d_name, 0) == 0)
			continue;
		if (errno == EISDIR || errno == EPERM) {
			int sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0 || empty_dir(sub) < 0 || unlinkat(dfd, de->d_name, AT_REMOVEDIR) < 0)
				rc = -1;
			if (sub >= 0)
				close(sub);
		} else {
			rc = -1;
		}
	}
	closedir(d);
	return rc;
}

void bs_rmirror_remove(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd >= 0) {
		empty_dir(dfd);
		close(dfd);
	}
	rmdir(dir);
}

/*
 * A directory given for the mirror is empty, or a mirror of an earlier
 * run, which is cleared: its backups may not be the earlier backups now,
 * and its mirror-touched would be sent again.  Anything else is refused,
 * and left as it is.
 */
static int clear_mirror(int dfd, const char *dir, struct bs_err *e)
{
	static const char *const names[] = { "config", "expiry", "lock", "backups", "mirror-missing",
					     "mirror-touched", NULL };
	DIR *d = fdopendir(dup(dfd));
	struct dirent *de;
	char q[256];

	if (!d)
		return bs_err_sys(e, "cannot read '%s'", dir);
	rewinddir(d);
	while ((de = readdir(d))) {
		size_t i = 0;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		while (names[i] && strcmp(names[i], de->d_name))
			i++;
		if (!names[i]) {
			bs_err_set(e, BS_USAGE, "'%s' is not empty, nor a mirror (it holds '%s')",
				   bs_quote(dir, strlen(dir), q, sizeof(q)), de->d_name);
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	if (empty_dir(dfd) < 0)
		return bs_err_sys(e, "cannot clear the mirror '%s'", dir);
	return 0;
}

int bs_rmirror_prepare(struct bs_rmirror *m, const char *dir, const struct bs_remote_url *url, const char *host,
		       const char *subset, const char *cachedir, char **args, int *nargs, struct bs_err *e)
{
	m->dfd = -1;
	m->cache.fd = -1;
	m->nsums = m->nmetas = 0;
	bs_buf_init(&m->payload);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return bs_err_sys(e, "cannot create '%s'", dir);
	m->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->dfd < 0)
		return bs_err_sys(e, "cannot open '%s'", dir);
	if (clear_mirror(m->dfd, dir, e) < 0)
		return -1;
	if (mkdirat(m->dfd, "backups", 0700) < 0)
		return bs_err_sys(e, "cannot create '%s/backups'", dir);
	bs_rcache_open(m, cachedir, url, host, subset);
	if (bs_rcache_load(m, m->dfd, e) < 0)
		return -1;
	for (int i = 0; i < m->cache.n; i++) {
		args[(*nargs)++] = m->cache.ids[i];
		args[(*nargs)++] = m->cache.named[i];
	}
	return 0;
}

/* Is id one of the n ids in v? */
static int among(char (*v)[256], int n, const char *id)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v[i], id))
			return 1;
	return 0;
}

/* An F frame: a file for the mirror, its name's length in count. */
static int file_frame(struct bs_rmirror *m, uint64_t n, uint64_t count, struct bs_err *e)
{
	const char *p = m->payload.p;
	char name[512];

	if (count >= sizeof(name) || count > n)
		return bs_err_set(e, BS_INPUT, "malformed F frame from the server");
	memcpy(name, p, (size_t)count);
	name[count] = '\0';
	if (!bs_rmirror_name_ok(name))
		return bs_err_set(e, BS_INPUT, "the server sent a file named '%s'", name);
	if (!strncmp(name, "backups/", 8)) {
		char sub[512], *id = sub + 8;
		const char *base = strrchr(name, '/');
		snprintf(sub, sizeof(sub), "%.*s", (int)(base - name), name);
		if (mkdirat(m->dfd, sub, 0700) < 0 && errno != EEXIST)
			return bs_err_sys(e, "cannot create '%s'", sub);
		if (!strcmp(base, "/summary") && m->nsums < BS_RCACHE_MAX) {
			snprintf(m->sums[m->nsums++], sizeof(m->sums[0]), "%.255s", id);
		} else if (!strcmp(base, "/metadata") && m->nmetas < BS_RCACHE_MAX) {
			snprintf(m->metas[m->nmetas++], sizeof(m->metas[0]), "%.255s", id);
			bs_rcache_store(m, id, p + count, (size_t)(n - count));
		}
	}
	return bs_rmirror_write(m->dfd, name, p + count, (size_t)(n - count), e);
}

/* The SHA-256 of a file of the mirror, in hex. */
static int mirror_digest(int dfd, const char *name, char *hex, struct bs_err *e)
{
	struct bs_buf b = BS_BUF_INIT;
	unsigned char digest[BS_DIGEST_LEN];
	struct stat st;
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t got = -1;

	if (fd >= 0 && fstat(fd, &st) == 0) {
		bs_buf_grow(&b, (size_t)st.st_size);
		got = bs_read_full(fd, b.p, (size_t)st.st_size);
	}
	if (fd >= 0)
		close(fd);
	if (got >= 0) {
		bs_sha256(b.p, (size_t)got, digest);
		bs_hex(hex, digest);
	}
	bs_buf_release(&b);
	return got < 0 ? bs_err_sys(e, "cannot read '%s' in the mirror", name) : 0;
}

/*
 * A G frame: a backup's metadata as what differs from that of a backup the
 * cache held (rdelta.c): name (count bytes), base NUL, the SHA-256 of the
 * server's file NUL, its directories' count NUL, the entries.
 */
static int delta_frame(struct bs_rmirror *m, uint64_t n, uint64_t count, struct bs_err *e)
{
	const char *p = m->payload.p, *end = p + n, *base, *hex, *num, *entries, *local;
	char name[512], id[256], dir[300], from[300], made[BS_HEX_LEN + 1];
	uint64_t dirs;
	int linked;

	if (count >= sizeof(name) || count > n)
		return bs_err_set(e, BS_INPUT, "malformed G frame from the server");
	memcpy(name, p, (size_t)count);
	name[count] = '\0';
	if (!bs_rmirror_name_ok(name) || strncmp(name, "backups/", 8) || strcmp(strrchr(name, '/'), "/metadata") ||
	    (size_t)(strrchr(name, '/') - name - 8) >= sizeof(id))
		return bs_err_set(e, BS_INPUT, "the server sent a file named '%s'", name);
	snprintf(id, sizeof(id), "%.*s", (int)(strrchr(name, '/') - name - 8), name + 8);
	base = p + count;
	hex = memchr(base, '\0', (size_t)(end - base));
	num = hex ? memchr(hex + 1, '\0', (size_t)(end - hex - 1)) : NULL;
	entries = num ? memchr(num + 1, '\0', (size_t)(end - num - 1)) : NULL;
	if (!entries || (size_t)(num - hex - 1) != BS_HEX_LEN || bs_parse_u64(num + 1, (size_t)(entries - num - 1), &dirs) < 0)
		return bs_err_set(e, BS_INPUT, "malformed G frame from the server");
	hex++;
	entries++;
	if (strchr(base, '/') || strlen(base) >= sizeof(id) || !(local = bs_rcache_local(m, base)))
		return bs_err_set(e, BS_INPUT, "the server sent metadata made from a backup this end does not hold");
	snprintf(dir, sizeof(dir), "backups/%s", id);
	if (mkdirat(m->dfd, dir, 0700) < 0 && errno != EEXIST)
		return bs_err_sys(e, "cannot create '%s'", dir);
	snprintf(from, sizeof(from), "backups/%s/metadata", base);
	linked = bs_rdelta_apply(m->dfd, from, name, entries, (size_t)(end - entries), dirs, e);
	if (linked < 0)
		return -1;
	/* a link holds the bytes of the copy it was made from */
	if (!linked) {
		if (mirror_digest(m->dfd, name, made, e) < 0)
			return -1;
		local = made;
	}
	if (m->nmetas < BS_RCACHE_MAX)
		snprintf(m->metas[m->nmetas++], sizeof(m->metas[0]), "%s", id);
	bs_rcache_store_made(m, id, m->dfd, name, local, hex);
	return 0;
}

int bs_rmirror_receive(struct bs_rmirror *m, struct bs_reader *r, struct bs_err *e)
{
	uint64_t n, count;
	int type, rc;

	while ((rc = bs_frame_read(r, &type, &n, &count, &m->payload, e)) == 1) {
		if (type == 'E')
			break;
		if (type == 'F') {
			if (file_frame(m, n, count, e) < 0)
				return -1;
		} else if (type == 'G') {
			if (delta_frame(m, n, count, e) < 0)
				return -1;
		} else if (type == 'M') {
			if (n % BS_DIGEST_LEN)
				return bs_err_set(e, BS_INPUT, "malformed M frame from the server");
			if (bs_rmirror_write(m->dfd, "mirror-missing", m->payload.p, (size_t)n, e) < 0)
				return -1;
		} else {
			return bs_err_set(e, BS_INPUT, "unexpected frame '%c' from the server", type);
		}
	}
	return rc;
}

int bs_rmirror_settle(struct bs_rmirror *m, struct bs_err *e)
{
	char name[512];

	for (int i = 0; i < m->cache.n; i++) {
		const char *id = m->cache.ids[i];
		if (among(m->sums, m->nsums, id))
			continue;
		snprintf(name, sizeof(name), "backups/%s/metadata", id);
		unlinkat(m->dfd, name, 0);
		snprintf(name, sizeof(name), "backups/%s", id);
		unlinkat(m->dfd, name, AT_REMOVEDIR);
		bs_rcache_drop(m, id);
	}
	for (int i = 0; i < m->nsums; i++)
		if (!among(m->metas, m->nmetas, m->sums[i]) && !among(m->cache.ids, m->cache.n, m->sums[i]))
			return bs_err_set(e, BS_INPUT, "the server sent no metadata for backup '%s'", m->sums[i]);
	bs_rcache_close(m);
	return 0;
}

void bs_rmirror_release(struct bs_rmirror *m)
{
	bs_rcache_close(m);
	if (m->dfd >= 0)
		close(m->dfd);
	m->dfd = -1;
	bs_buf_release(&m->payload);
}
