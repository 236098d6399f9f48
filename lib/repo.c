/* repo.c - the repository: config, lock, and atomic chunk files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "chunker.h"
#include "hash.h"
#include "repo.h"
#include "xz.h"

void bs_config_default(struct bs_config *c)
{
	c->version = BS_REPO_VERSION;
	c->chunk_min = BS_CHUNK_MIN_DEFAULT;
	c->chunk_avg = BS_CHUNK_AVG_DEFAULT;
	c->chunk_max = BS_CHUNK_MAX_DEFAULT;
	c->xz_preset = 6;
	c->max_age = -1;
	c->metadata_max_age = -1;
	c->refresh = BS_REFRESH_DEFAULT;
}


static void config_text(const struct bs_config *c, struct bs_buf *b)
{
	bs_buf_addf(b, "backshift-repository %u\n", c->version);
	bs_buf_addf(b, "chunk-min %zu\nchunk-avg %zu\nchunk-max %zu\n",
		    c->chunk_min, c->chunk_avg, c->chunk_max);
	bs_buf_addf(b, "xz-preset %d\n", c->xz_preset);
	if (c->max_age >= 0)
		bs_buf_addf(b, "max-age %" PRId64 "\n", c->max_age);
	if (c->metadata_max_age >= 0)
		bs_buf_addf(b, "metadata-max-age %" PRId64 "\n", c->metadata_max_age);
	bs_buf_addf(b, "refresh %" PRId64 "\n", c->refresh);
}

static int config_parse(struct bs_config *c, char *text, const char *path, struct bs_err *e)
{
	char *line, *save = NULL;
	int first = 1;

	bs_config_default(c);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char key[64];
		long long v;
		if (first) {
			if (sscanf(line, "backshift-repository %u", &c->version) != 1)
				return bs_err_set(e, BS_INPUT, "'%s' is not a backshift repository", path);
			if (c->version != BS_REPO_VERSION)
				return bs_err_set(e, BS_INPUT, "'%s': repository version %u is not supported: this tool knows version %u",
						  path, c->version, BS_REPO_VERSION);
			first = 0;
			continue;
		}
		if (sscanf(line, "%63s %lld", key, &v) != 2)
			return bs_err_set(e, BS_INPUT, "'%s/config' has a malformed line", path);
		if (!strcmp(key, "chunk-min"))
			c->chunk_min = (size_t)v;
		else if (!strcmp(key, "chunk-avg"))
			c->chunk_avg = (size_t)v;
		else if (!strcmp(key, "chunk-max"))
			c->chunk_max = (size_t)v;
		else if (!strcmp(key, "xz-preset"))
			c->xz_preset = (int)v;
		else if (!strcmp(key, "max-age"))
			c->max_age = v;
		else if (!strcmp(key, "metadata-max-age"))
			c->metadata_max_age = v;
		else if (!strcmp(key, "refresh") && v >= 0)
			c->refresh = v;
		/* unknown keys are ignored: a later minor version may add some */
	}
	if (first)
		return bs_err_set(e, BS_INPUT, "'%s' is not a backshift repository", path);
	{
		struct bs_chunker ck;
		if (bs_chunker_init(&ck, c->chunk_min, c->chunk_avg, c->chunk_max) < 0 ||
		    c->xz_preset < 0 || c->xz_preset > 9)
			return bs_err_set(e, BS_INPUT, "'%s/config' holds unusable settings", path);
	}
	return 0;
}

int bs_repo_create(const char *path, const struct bs_config *cfg, struct bs_err *e)
{
	struct bs_buf text = BS_BUF_INIT;
	int dirfd, fd, rc = -1;

	if (mkdir(path, 0700) < 0) {
		if (errno == EEXIST)
			return bs_err_set(e, BS_USAGE, "'%s' already exists", path);
		return bs_err_sys(e, "cannot create '%s'", path);
	}
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return bs_err_sys(e, "cannot open '%s'", path);
	if (mkdirat(dirfd, "chunks", 0700) < 0 || mkdirat(dirfd, "backups", 0700) < 0) {
		bs_err_sys(e, "cannot create the directories of '%s'", path);
		goto out;
	}
	fd = openat(dirfd, "lock", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		bs_err_sys(e, "cannot create '%s/lock'", path);
		goto out;
	}
	close(fd);
	config_text(cfg, &text);
	/* config last: a repository without one is not a repository */
	rc = bs_write_atomic(dirfd, "config", text.p, text.len, "config", e);
out:
	bs_buf_release(&text);
	close(dirfd);
	return rc;
}

int bs_repo_open(struct bs_repo *repo, const char *path, struct bs_err *e)
{
	char text[4096];
	ssize_t n;
	int fd;

	memset(repo, 0, sizeof(*repo));
	repo->lockfd = repo->chunksfd = -1;
	bs_buf_init(&repo->scratch);
	repo->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (repo->dirfd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return bs_err_set(e, BS_INPUT, "no repository at '%s'", path);
		return bs_err_sys(e, "cannot open repository '%s'", path);
	}
	fd = openat(repo->dirfd, "config", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int saved = errno;
		close(repo->dirfd);
		repo->dirfd = -1;
		errno = saved;
		if (errno == ENOENT)
			return bs_err_set(e, BS_INPUT, "'%s' is not a backshift repository (no config)", path);
		return bs_err_sys(e, "cannot open '%s/config'", path);
	}
	n = bs_read_full(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0) {
		bs_err_sys(e, "cannot read '%s/config'", path);
		goto fail;
	}
	text[n] = '\0';
	if (config_parse(&repo->cfg, text, path, e) < 0)
		goto fail;
	repo->path = bs_xstrdup(path);
	umask(077);
	return 0;
fail:
	close(repo->dirfd);
	repo->dirfd = -1;
	return -1;
}

void bs_repo_close(struct bs_repo *repo)
{
	if (repo->lockfd >= 0)
		close(repo->lockfd);
	if (repo->dirfd >= 0)
		close(repo->dirfd);
	if (repo->chunksfd >= 0)
		close(repo->chunksfd);
	free(repo->path);
	bs_buf_release(&repo->scratch);
	repo->path = NULL;
	repo->dirfd = repo->lockfd = repo->chunksfd = -1;
}

int bs_repo_lock(struct bs_repo *repo, int how, struct bs_err *e)
{
	int op = (how & BS_LOCK_EXCLUSIVE) ? LOCK_EX : LOCK_SH;

	if (how & BS_LOCK_NOWAIT)
		op |= LOCK_NB;
	if (repo->lockfd < 0) {
		/* flock(2) needs no write access: a restore from a read-only
		 * copy of a repository works, and there nothing can expire */
		repo->lockfd = openat(repo->dirfd, "lock", O_RDONLY | O_CLOEXEC);
		if (repo->lockfd < 0 && errno == ENOENT)
			repo->lockfd = openat(repo->dirfd, "lock", O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
		if (repo->lockfd < 0) {
			if ((how & BS_LOCK_READER) && (errno == EROFS || errno == EACCES))
				return 0;
			return bs_err_sys(e, "cannot open '%s/lock'", repo->path);
		}
	}
	while (flock(repo->lockfd, op) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			return bs_err_set(e, BS_SYS, "repository '%s' is busy: %s", repo->path,
					  (how & BS_LOCK_EXCLUSIVE) ? "a backup is running" : "an expiry is running");
		return bs_err_sys(e, "cannot lock '%s/lock'", repo->path);
	}
	return 0;
}

int bs_config_save(struct bs_repo *repo, struct bs_err *e)
{
	struct bs_buf text = BS_BUF_INIT;
	int rc;

	config_text(&repo->cfg, &text);
	rc = bs_write_atomic(repo->dirfd, "config", text.p, text.len, "config", e);
	bs_buf_release(&text);
	return rc;
}

/*
 * REPO/expiry: "chunks-before" SP time LF, the highest stamp below which
 * an expiry has removed chunks.  A stream whose floor is older could
 * refer to a removed chunk.
 */
int bs_expiry_read(struct bs_repo *repo, struct bs_time *t, struct bs_err *e)
{
	char text[128];
	ssize_t n;
	int fd;

	t->sec = INT64_MIN;
	t->nsec = 0;
	fd = openat(repo->dirfd, "expiry", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return bs_err_sys(e, "cannot read '%s/expiry'", repo->path);
	}
	n = bs_read_full(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0)
		return bs_err_sys(e, "cannot read '%s/expiry'", repo->path);
	text[n] = '\0';
	if (n < 15 || strncmp(text, "chunks-before ", 14) || text[n - 1] != '\n' ||
	    bs_time_parse(t, text + 14, (size_t)n - 15) < 0)
		return bs_err_set(e, BS_INPUT, "'%s/expiry' is malformed", repo->path);
	return 0;
}

int bs_expiry_check(struct bs_repo *repo, struct bs_time floor, struct bs_time now, struct bs_err *e)
{
	struct bs_time before;

	if (bs_expiry_read(repo, &before, e) < 0)
		return -1;
	if (bs_time_cmp(before, now) > 0)
		return 1;
	if (bs_time_cmp(floor, before) < 0)
		return bs_err_set(e, BS_INPUT, "standard input relies on chunk stamps older than the last expiry's "
				  "cut-off: make it again");
	return 0;
}

int bs_expiry_write(struct bs_repo *repo, struct bs_time t, struct bs_err *e)
{
	struct bs_time old;
	char text[128];
	int n;

	if (bs_expiry_read(repo, &old, e) < 0)
		return -1;
	if (bs_time_cmp(t, old) <= 0)
		return 0;
	n = snprintf(text, sizeof(text), "chunks-before %" PRId64 ".%09" PRIu32 "\n", t.sec, t.nsec);
	return bs_write_atomic(repo->dirfd, "expiry", text, (size_t)n, "expiry", e);
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

/* fstatat(2) of a chunk, from chunks/ when it can be opened: one path
 * lookup fewer for each of the many chunks an incremental backup checks */
static int chunk_stat(struct bs_repo *repo, const char *path, struct stat *st)
{
	if (repo->chunksfd < 0)
		repo->chunksfd = openat(repo->dirfd, "chunks", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (repo->chunksfd >= 0)
		return fstatat(repo->chunksfd, path + 7, st, 0);
	return fstatat(repo->dirfd, path, st, 0);
}

int bs_chunk_exists(struct bs_repo *repo, const unsigned char *digest)
{
	char path[80];
	struct stat st;

	bs_chunk_path(digest, path);
	return chunk_stat(repo, path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

/*
 * Stamp a chunk with t, never moving its stamp back: a backup whose clock
 * is behind another's must not shorten the life of a chunk that a later
 * backup refers to.  Returns 0, 1 when the chunk is there but empty (a
 * damaged file to be replaced), or -1 with errno (ENOENT: missing).
 */
static int stamp(struct bs_repo *repo, const char *path, struct bs_time t)
{
	struct timespec ts[2];
	struct stat st;

	if (chunk_stat(repo, path, &st) < 0)
		return -1;
	if (st.st_size == 0)
		return 1;
	if (st.st_mtim.tv_sec > t.sec || (st.st_mtim.tv_sec == t.sec && st.st_mtim.tv_nsec >= (long)t.nsec))
		return 0;
	ts[0].tv_sec = ts[1].tv_sec = t.sec;
	ts[0].tv_nsec = ts[1].tv_nsec = t.nsec;
	return utimensat(repo->dirfd, path, ts, 0);
}

int bs_chunk_touch(struct bs_repo *repo, const unsigned char *digest, struct bs_time t, struct bs_err *e)
{
	char path[80];
	int rc;

	bs_chunk_path(digest, path);
	rc = stamp(repo, path, t);
	if (rc == 1 || (rc < 0 && errno == ENOENT))
		return bs_err_set(e, BS_INPUT, "chunk '%s' is %s", path + 11,
				  rc == 1 ? "empty in the repository" : "missing from the repository");
	if (rc < 0)
		return bs_err_sys(e, "cannot touch chunk '%s'", path + 11);
	return 0;
}

/* Make chunks/abc when it is not there yet. */
static int chunk_dir(struct bs_repo *repo, unsigned idx, const char *path, struct bs_err *e)
{
	char dir[16];

	if (repo->made[idx / 8] & (1u << (idx % 8)))
		return 0;
	memcpy(dir, path, 10);
	dir[10] = '\0';
	if (mkdirat(repo->dirfd, dir, 0700) < 0 && errno != EEXIST)
		return bs_err_sys(e, "cannot create '%s'", dir);
	repo->made[idx / 8] |= (unsigned char)(1u << (idx % 8));
	return 0;
}

#define PROBE (64u * 1024)

int bs_chunk_put(struct bs_repo *repo, const unsigned char *digest, const void *p, size_t n,
		 struct bs_time t, struct bs_chunk_info *info, struct bs_err *e)
{
	unsigned char check[BS_DIGEST_LEN];
	char path[80], tmp[128];
	struct bs_buf *z = &repo->scratch;
	struct timespec ts[2];
	unsigned idx = dir_index(digest);
	static unsigned long seq;
	int fd, replace;

	if (info) {
		info->stored = 0;
		info->disk_bytes = 0;
	}
	bs_sha256(p, n, check);
	if (memcmp(check, digest, BS_DIGEST_LEN)) {
		char want[BS_HEX_LEN + 1], got[BS_HEX_LEN + 1];
		bs_hex(want, digest);
		bs_hex(got, check);
		return bs_err_set(e, BS_INPUT, "chunk '%s' has the digest '%s': refused", want, got);
	}
	bs_chunk_path(digest, path);
	ts[0].tv_sec = ts[1].tv_sec = t.sec;
	ts[0].tv_nsec = ts[1].tv_nsec = t.nsec;
	replace = stamp(repo, path, t);
	if (replace == 0)
		return 0;
	if (replace < 0 && errno != ENOENT)
		return bs_err_sys(e, "cannot touch chunk '%s'", path + 11);

	/* Compress; keep the raw bytes when that is no smaller.  A chunk
	 * larger than the probe whose first PROBE bytes do not shrink (already
	 * compressed data: archives, media) is stored raw without running xz
	 * over the whole of it, which would cost its full time for nothing. */
	bs_buf_reset(z);
	if (n > PROBE) {
		bs_buf_addc(z, 'x');
		if (bs_xz_compress(p, PROBE, 0, PROBE, z, e) < 0)
			return -1;
		if (z->len - 1 >= PROBE - PROBE / 64)
			z->len = n + 1;	/* taken as incompressible */
		else
			bs_buf_reset(z);
	}
	if (z->len == 0) {
		bs_buf_addc(z, 'x');
		/* no chunk is larger than chunk-max: a larger dictionary
		 * (8 MiB at preset 6) would be memory for nothing */
		if (bs_xz_compress(p, n, repo->cfg.xz_preset, (uint32_t)repo->cfg.chunk_max, z, e) < 0)
			return -1;
	}
	if (z->len >= n + 1) {
		bs_buf_reset(z);
		bs_buf_addc(z, 'r');
		bs_buf_add(z, p, n);
	}
	if (chunk_dir(repo, idx, path, e) < 0)
		return -1;
	snprintf(tmp, sizeof(tmp), "%.10s/.tmp-%ld-%lu", path, (long)getpid(), seq++);
	fd = openat(repo->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT) {
		/* the directory went (an expiry emptied and removed it) */
		repo->made[idx / 8] &= (unsigned char)~(1u << (idx % 8));
		if (chunk_dir(repo, idx, path, e) < 0)
			return -1;
		fd = openat(repo->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return bs_err_sys(e, "cannot write chunk '%s'", path + 11);
	if (bs_write_full(fd, z->p, z->len) < 0 || futimens(fd, ts) < 0 || fsync(fd) < 0) {
		bs_err_sys(e, "cannot write chunk '%s'", path + 11);
		close(fd);
		unlinkat(repo->dirfd, tmp, 0);
		return -1;
	}
	if (close(fd) < 0) {
		bs_err_sys(e, "cannot write chunk '%s'", path + 11);
		unlinkat(repo->dirfd, tmp, 0);
		return -1;
	}
	/* link(2) never replaces: a chunk another backup wrote first stays.
	 * Only an empty file, which no writer of ours leaves under a chunk's
	 * name, is replaced (by rename) so the chunk is whole again. */
	if (replace == 1) {
		if (renameat(repo->dirfd, tmp, repo->dirfd, path) < 0) {
			bs_err_sys(e, "cannot write chunk '%s'", path + 11);
			unlinkat(repo->dirfd, tmp, 0);
			return -1;
		}
	} else if (linkat(repo->dirfd, tmp, repo->dirfd, path, 0) < 0) {
		int saved = errno;
		unlinkat(repo->dirfd, tmp, 0);
		if (saved == EEXIST)
			return bs_chunk_touch(repo, digest, t, e);
		errno = saved;
		return bs_err_sys(e, "cannot write chunk '%s'", path + 11);
	}
	unlinkat(repo->dirfd, tmp, 0);
	if (info) {
		info->stored = 1;
		info->disk_bytes = z->len;
	}
	return 0;
}

int bs_repo_sync(struct bs_repo *repo, struct bs_err *e)
{
	/* One syncfs(2) makes durable both the names of new chunks and the
	 * refreshed times of old ones, which expiry trusts: an fsync of the
	 * directories alone would leave the times to chance after a crash. */
	if (syncfs(repo->dirfd) < 0)
		return bs_err_sys(e, "cannot sync the repository '%s'", repo->path);
	return 0;
}

int bs_chunk_decode(const void *file, size_t n, const unsigned char *digest, size_t limit,
		    struct bs_buf *out, struct bs_err *e)
{
	const char *p = file;
	unsigned char check[BS_DIGEST_LEN];
	char hex[BS_HEX_LEN + 1];
	size_t start = out->len;

	bs_hex(hex, digest);
	if (n < 2)
		return bs_err_set(e, BS_INPUT, "chunk '%s' is %s", hex, n ? "truncated" : "empty");
	if (p[0] == 'x') {
		struct bs_err why;
		if (bs_xz_decompress(p + 1, n - 1, limit, out, &why) < 0) {
			bs_buf_setlen(out, start);
			return bs_err_set(e, BS_INPUT, "chunk '%s' is damaged: %s", hex, why.msg);
		}
	} else if (p[0] == 'r') {
		if (n - 1 > limit)
			return bs_err_set(e, BS_INPUT, "chunk '%s' is too large", hex);
		bs_buf_add(out, p + 1, n - 1);
	} else {
		return bs_err_set(e, BS_INPUT, "chunk '%s' is damaged: unknown header byte", hex);
	}
	bs_sha256(out->p + start, out->len - start, check);
	if (memcmp(check, digest, BS_DIGEST_LEN)) {
		bs_buf_setlen(out, start);
		return bs_err_set(e, BS_INPUT, "chunk '%s' is damaged: its content does not match its name", hex);
	}
	return 0;
}

int bs_chunk_get(struct bs_repo *repo, const unsigned char *digest, struct bs_buf *out, struct bs_err *e)
{
	char path[80];
	struct stat st;
	struct bs_buf *raw = &repo->scratch;
	int fd;
	ssize_t n;

	bs_chunk_path(digest, path);
	fd = openat(repo->dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return bs_err_set(e, BS_INPUT, "chunk '%s' is missing from the repository", path + 11);
		return bs_err_sys(e, "cannot open chunk '%s'", path + 11);
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		return bs_err_sys(e, "cannot read chunk '%s'", path + 11);
	}
	if ((uint64_t)st.st_size > 2 * (uint64_t)BS_CHUNK_MAX_LIMIT) {
		close(fd);
		return bs_err_set(e, BS_INPUT, "chunk '%s' is damaged: too large", path + 11);
	}
	bs_buf_reset(raw);
	bs_buf_grow(raw, (size_t)st.st_size + 1);
	n = bs_read_full(fd, raw->p, (size_t)st.st_size + 1);
	close(fd);
	if (n < 0)
		return bs_err_sys(e, "cannot read chunk '%s'", path + 11);
	raw->len = (size_t)n;
	return bs_chunk_decode(raw->p, raw->len, digest, BS_CHUNK_MAX_LIMIT, out, e);
}

int bs_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-')
		return -1;
	v = strtoull(s, &end, 10);
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

int bs_parse_age(const char *s, int64_t *out)
{
	char *end;
	long long v;
	int64_t mult = 1;

	if (!*s || *s == '-')
		return -1;
	v = strtoll(s, &end, 10);
	if (end == s)
		return -1;
	if (*end) {
		switch (*end) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		case 'w': mult = 7 * 86400; break;
		case 'y': mult = 365 * 86400; break;
		default: return -1;
		}
		if (end[1])
			return -1;
	}
	if (v < 0 || v > INT64_MAX / mult)
		return -1;
	*out = (int64_t)v * mult;
	return 0;
}

int bs_repo_unlink(struct bs_repo *repo, const char *relpath, struct bs_err *e)
{
	if (unlinkat(repo->dirfd, relpath, 0) < 0 && errno != ENOENT)
		return bs_err_sys(e, "cannot remove '%s'", relpath);
	return 0;
}

static int scan_dir(struct bs_repo *repo, const char *dname, bs_chunk_visit *fn, void *arg, struct bs_err *e)
{
	struct bs_chunk_file f;
	struct dirent *d;
	struct stat st;
	DIR *dir;
	int fd, rc = 0;

	fd = openat(repo->dirfd, dname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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

int bs_chunks_each(struct bs_repo *repo, bs_chunk_visit *fn, void (*dir_done)(void *arg, const char *dir),
		   void *arg, struct bs_err *e)
{
	char dname[16];

	for (unsigned idx = 0; idx < 4096; idx++) {
		snprintf(dname, sizeof(dname), "chunks/%03x", idx);
		if (scan_dir(repo, dname, fn, arg, e) < 0)
			return -1;
		if (dir_done)
			dir_done(arg, dname);
	}
	return 0;
}
