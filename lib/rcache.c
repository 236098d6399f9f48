/* rcache.c - the client's cache of earlier backups' metadata, so that each crosses the link once (rmirror.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rmirror.h"

__attribute__((format(printf, 2, 3)))
static void warn(struct bs_rmirror *m, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (m->warn)
		m->warn(m->warn_arg, msg);
}

void bs_rcache_open(struct bs_rmirror *m, const char *base, const struct bs_remote_url *url, const char *host,
		    const char *subset)
{
	struct bs_rcache *k = &m->cache;
	struct bs_buf b = BS_BUF_INIT;
	unsigned char digest[BS_DIGEST_LEN];
	char hex[BS_HEX_LEN + 1];
	int bfd;

	k->fd = -1;
	k->n = 0;
	if (!base)
		return;
	if (mkdir(base, 0700) < 0 && errno != EEXIST) {
		warn(m, "cannot create the cache '%s': %s", base, strerror(errno));
		return;
	}
	bfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (bfd < 0) {
		warn(m, "cannot open the cache '%s': %s", base, strerror(errno));
		return;
	}
	bs_buf_addf(&b, "%s%c%s%c%s%c%s%c%s%c%s", url->user, 0, url->host, 0, url->port, 0, url->path, 0, host, 0,
		    subset);
	bs_sha256(b.p, b.len, digest);
	bs_hex(hex, digest);
	hex[32] = '\0';
	if (mkdirat(bfd, hex, 0700) < 0 && errno != EEXIST)
		warn(m, "cannot create '%s/%s': %s", base, hex, strerror(errno));
	else
		k->fd = openat(bfd, hex, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(bfd);
	bs_buf_release(&b);
}

void bs_rcache_close(struct bs_rmirror *m)
{
	if (m->cache.fd >= 0)
		close(m->cache.fd);
	m->cache.fd = -1;
}

static int read_whole(int dirfd, const char *name, struct bs_buf *b)
{
	struct stat st;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t got;

	bs_buf_reset(b);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	bs_buf_grow(b, (size_t)st.st_size);
	got = bs_read_full(fd, b->p, (size_t)st.st_size);
	close(fd);
	if (got != st.st_size)
		return -1;
	b->len = (size_t)got;
	return 0;
}

/* "local server" in CACHE/KEY/.sums/ID: the file ID, whose SHA-256 is local,
 * stands for the server's, whose SHA-256 is server (it was made from
 * another backup's and what differs: rdelta.c). */
static int read_sum(struct bs_rcache *k, const char *id, char *local, char *server)
{
	char name[300], line[2 * BS_HEX_LEN + 8];
	int fd;
	ssize_t got;

	snprintf(name, sizeof(name), ".sums/%s", id);
	fd = openat(k->fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	got = bs_read_full(fd, line, sizeof(line) - 1);
	close(fd);
	if (got != 2 * BS_HEX_LEN + 2 || line[BS_HEX_LEN] != ' ' || line[2 * BS_HEX_LEN + 1] != '\n')
		return -1;
	memcpy(local, line, BS_HEX_LEN);
	local[BS_HEX_LEN] = '\0';
	memcpy(server, line + BS_HEX_LEN + 1, BS_HEX_LEN);
	server[BS_HEX_LEN] = '\0';
	return 0;
}

/* Put name (in dirfd) into the mirror dfd as to: a link when they share a file system, else a copy of b. */
static int place(int dirfd, const char *name, int dfd, const char *to, const struct bs_buf *b, struct bs_err *e)
{
	if (linkat(dirfd, name, dfd, to, 0) == 0)
		return 0;
	return bs_rmirror_write(dfd, to, b->p, b->len, e);
}

/* Copy what the cache holds into the mirror dfd, each with its digest. */
int bs_rcache_load(struct bs_rmirror *m, int dfd, struct bs_err *e)
{
	struct bs_rcache *k = &m->cache;
	struct bs_buf b = BS_BUF_INIT;
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (k->fd < 0 || !(d = fdopendir(dup(k->fd))))
		return 0;
	rewinddir(d);
	while (rc == 0 && (de = readdir(d)) && k->n < BS_RCACHE_MAX) {
		char name[300], local[BS_HEX_LEN + 1], server[BS_HEX_LEN + 1];
		unsigned char digest[BS_DIGEST_LEN];
		if (strlen(de->d_name) >= sizeof(k->ids[0]))
			continue;
		snprintf(name, sizeof(name), "backups/%s/metadata", de->d_name);
		if (!bs_rmirror_name_ok(name) || strchr(de->d_name, '/') || read_whole(k->fd, de->d_name, &b) < 0)
			continue;
		snprintf(name, sizeof(name), "backups/%s", de->d_name);
		if (mkdirat(dfd, name, 0700) < 0)
			continue;
		snprintf(name, sizeof(name), "backups/%s/metadata", de->d_name);
		rc = place(k->fd, de->d_name, dfd, name, &b, e);
		bs_sha256(b.p, b.len, digest);
		bs_hex(k->local[k->n], digest);
		/* a copy made from a delta is named by the server's file it stands for */
		if (read_sum(k, de->d_name, local, server) == 0 && !strcmp(local, k->local[k->n]))
			memcpy(k->named[k->n], server, sizeof(server));
		else
			memcpy(k->named[k->n], k->local[k->n], sizeof(k->local[0]));
		snprintf(k->ids[k->n], sizeof(k->ids[0]), "%s", de->d_name);
		k->n++;
	}
	closedir(d);
	bs_buf_release(&b);
	return rc;
}

/* A backup's metadata the server sent whole: into the cache, whole or not at all. */
void bs_rcache_store(struct bs_rmirror *m, const char *id, const char *p, size_t n)
{
	struct bs_rcache *k = &m->cache;
	char tmp[64], sum[300];
	int fd;

	if (k->fd < 0)
		return;
	snprintf(sum, sizeof(sum), ".sums/%s", id);
	unlinkat(k->fd, sum, 0);
	snprintf(tmp, sizeof(tmp), ".tmp.%ld", (long)getpid());
	fd = openat(k->fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || bs_write_full(fd, p, n) < 0 || close(fd) < 0 || renameat(k->fd, tmp, k->fd, id) < 0) {
		warn(m, "cannot write the cache of backup '%s': %s", id, strerror(errno));
		unlinkat(k->fd, tmp, 0);
	}
}

/* A backup's metadata made in the mirror dfd (name) from a delta: into the
 * cache, with what it stands for (local: its SHA-256; server: that of the
 * server's file). */
void bs_rcache_store_made(struct bs_rmirror *m, const char *id, int dfd, const char *name, const char *local,
			  const char *server)
{
	struct bs_rcache *k = &m->cache;
	struct bs_buf b = BS_BUF_INIT;
	char tmp[64], tmpsum[64], sum[300], line[2 * BS_HEX_LEN + 8];
	int fd;

	if (k->fd < 0)
		return;
	snprintf(tmp, sizeof(tmp), ".tmp.%ld", (long)getpid());
	snprintf(tmpsum, sizeof(tmpsum), ".sums/.tmp.%ld", (long)getpid());
	snprintf(sum, sizeof(sum), ".sums/%s", id);
	snprintf(line, sizeof(line), "%s %s\n", local, server);
	unlinkat(k->fd, tmp, 0);
	if ((mkdirat(k->fd, ".sums", 0700) < 0 && errno != EEXIST) ||
	    (linkat(dfd, name, k->fd, tmp, 0) < 0 &&
	     (read_whole(dfd, name, &b) < 0 || (fd = openat(k->fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
	      bs_write_full(fd, b.p, b.len) < 0 || close(fd) < 0)) ||
	    (fd = openat(k->fd, tmpsum, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
	    bs_write_full(fd, line, strlen(line)) < 0 || close(fd) < 0 || renameat(k->fd, tmpsum, k->fd, sum) < 0 ||
	    renameat(k->fd, tmp, k->fd, id) < 0) {
		warn(m, "cannot write the cache of backup '%s': %s", id, strerror(errno));
		unlinkat(k->fd, tmp, 0);
		unlinkat(k->fd, tmpsum, 0);
		unlinkat(k->fd, sum, 0);
	}
	bs_buf_release(&b);
}

/* The SHA-256 of the copy of id the cache held, or NULL. */
const char *bs_rcache_local(struct bs_rmirror *m, const char *id)
{
	for (int i = 0; i < m->cache.n; i++)
		if (!strcmp(m->cache.ids[i], id))
			return m->cache.local[i];
	return NULL;
}

void bs_rcache_drop(struct bs_rmirror *m, const char *id)
{
	char sum[300];

	if (m->cache.fd < 0)
		return;
	unlinkat(m->cache.fd, id, 0);
	snprintf(sum, sizeof(sum), ".sums/%s", id);
	unlinkat(m->cache.fd, sum, 0);
}
