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
		char name[300];
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
		rc = bs_rmirror_write(dfd, name, b.p, b.len, e);
		bs_sha256(b.p, b.len, digest);
		bs_hex(k->hex[k->n], digest);
		snprintf(k->ids[k->n], sizeof(k->ids[0]), "%s", de->d_name);
		k->n++;
	}
	closedir(d);
	bs_buf_release(&b);
	return rc;
}

/* A backup's metadata the server sent: into the cache, whole or not at all. */
void bs_rcache_store(struct bs_rmirror *m, const char *id, const char *p, size_t n)
{
	struct bs_rcache *k = &m->cache;
	char tmp[64];
	int fd;

	if (k->fd < 0)
		return;
	snprintf(tmp, sizeof(tmp), ".tmp.%ld", (long)getpid());
	fd = openat(k->fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || bs_write_full(fd, p, n) < 0 || close(fd) < 0 || renameat(k->fd, tmp, k->fd, id) < 0) {
		warn(m, "cannot write the cache of backup '%s': %s", id, strerror(errno));
		unlinkat(k->fd, tmp, 0);
	}
}

void bs_rcache_drop(struct bs_rmirror *m, const char *id)
{
	if (m->cache.fd >= 0)
		unlinkat(m->cache.fd, id, 0);
}
