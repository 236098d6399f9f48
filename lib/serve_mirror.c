/* serve_mirror.c - bs-serve's mirror: what bs-chunk reads of a repository, sent for a copy on the client (serve.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "backup.h"
#include "chunk.h"
#include "hash.h"
#include "meta.h"
#include "record.h"
#include "repo.h"
#include "serve.h"

static int reply(struct bs_serve *s, int type, uint64_t count, const void *p, size_t n, struct bs_err *e)
{
	if (bs_frame_write(s->out, type, count, p, n) < 0)
		return bs_err_sys(e, "cannot write to the client");
	return 0;
}

static int read_file(int dirfd, const char *rel, struct bs_buf *b)
{
	struct stat st;
	int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	bs_buf_reset(b);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	bs_buf_grow(b, (size_t)st.st_size);
	got = bs_read_full(fd, b->p, (size_t)st.st_size);
	close(fd);
	if (got < 0)
		return -1;
	b->len = (size_t)got;
	b->p[b->len] = '\0';
	return 0;
}

/* A file of the repository (in b), sent to the client's mirror: F namelen len, name, bytes. */
static int send_bytes(struct bs_serve *s, const char *rel, const struct bs_buf *b, struct bs_err *e)
{
	struct bs_buf f = BS_BUF_INIT;
	int rc;

	bs_buf_add(&f, rel, strlen(rel));
	bs_buf_add(&f, b->p, b->len);
	rc = reply(s, 'F', strlen(rel), f.p, f.len, e);
	bs_buf_release(&f);
	return rc;
}

static int send_file(struct bs_serve *s, struct bs_repo *repo, const char *rel, int optional, struct bs_err *e)
{
	struct bs_buf b = BS_BUF_INIT;
	int rc = 0;

	if (read_file(repo->dirfd, rel, &b) < 0) {
		if (!(optional && errno == ENOENT))
			rc = bs_err_sys(e, "cannot read '%s/%s'", repo->path, rel);
	} else {
		rc = send_bytes(s, rel, &b, e);
	}
	bs_buf_release(&b);
	return rc;
}

/* The SHA-256 of backup id's metadata file here, in hex; -1 when it cannot be read. */
static int file_digest(struct bs_repo *repo, const char *id, char *hex)
{
	unsigned char digest[BS_DIGEST_LEN];
	char rel[300];
	struct stat st;
	void *map;
	int fd;

	snprintf(rel, sizeof(rel), "backups/%.255s/metadata", id);
	fd = openat(repo->dirfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* mapped, not copied: the files are those of whole backups */
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -1;
	bs_sha256(map, (size_t)st.st_size, digest);
	munmap(map, (size_t)st.st_size);
	bs_hex(hex, digest);
	return 0;
}

/*
 * What the client holds: it named each backup whose metadata it has with
 * the SHA-256 of the file here that its copy stands for (a backup's
 * metadata does not change once written).  held[i] says whether pair i
 * is so: -1 not known yet, 0 no, 1 yes.
 */
struct held {
	char *const *pairs;
	int n;
	signed char *ok;
};

static int holds_pair(struct bs_repo *repo, struct held *h, int i)
{
	char hex[BS_HEX_LEN + 1];

	if (h->ok[i] < 0)
		h->ok[i] = file_digest(repo, h->pairs[2 * i], hex) == 0 && !strcmp(h->pairs[2 * i + 1], hex);
	return h->ok[i];
}

static int holds(struct bs_repo *repo, struct held *h, const char *id)
{
	for (int i = 0; i < h->n; i++)
		if (!strcmp(h->pairs[2 * i], id) && holds_pair(repo, h, i))
			return 1;
	return 0;
}

/* The newest backup other than id that the client holds, to send id's metadata against; or NULL. */
static const char *base_for(struct bs_repo *repo, struct held *h, const char *id)
{
	const char *best = NULL;

	for (int i = 0; i < h->n; i++) {
		const char *c = h->pairs[2 * i];
		if (strcmp(c, id) && (!best || strcmp(c, best) > 0) && holds_pair(repo, h, i))
			best = c;
	}
	return best;
}

static int cmp_digest(const void *a, const void *b)
{
	return memcmp(a, b, BS_DIGEST_LEN);
}

/* Of the digests (sorted here), those whose chunk is not in the repository. */
static void find_missing(struct bs_repo *repo, struct bs_buf *digests, struct bs_buf *missing)
{
	size_t nd = digests->len / BS_DIGEST_LEN;

	if (nd)
		qsort(digests->p, nd, BS_DIGEST_LEN, cmp_digest);
	for (size_t i = 0; i < nd; i++) {
		const unsigned char *d = (const unsigned char *)digests->p + i * BS_DIGEST_LEN;
		if (i && !memcmp(d, d - BS_DIGEST_LEN, BS_DIGEST_LEN))
			continue;
		if (!bs_chunk_exists(repo, d))
			bs_buf_add(missing, d, BS_DIGEST_LEN);
	}
}

/*
 * What bs-chunk reads of a repository, for a copy on the client: the
 * config, the expiry record, the summaries and metadata of the earlier
 * backups it takes unchanged files from (the metadata only of those the
 * client does not have, the pairs naming what it has; and of those, when
 * it has another backup, only what differs from that one's: a G frame),
 * and which of the chunks they refer to are not here any more.  Read
 * under the shared lock.
 */
int bs_serve_mirror(struct bs_serve *s, const char *host, const char *subset, char *const *pairs, int npairs,
		    struct bs_err *e)
{
	struct bs_repo repo;
	struct bs_summary v[3];
	struct bs_buf digests = BS_BUF_INIT, missing = BS_BUF_INIT;
	size_t n = 0;
	char rel[sizeof(v[0].id) + 32];
	struct held h = { pairs, npairs, NULL };
	int rc = -1;

	if (bs_serve_check_host(s, host, e) < 0)
		return -1;
	h.ok = bs_xmalloc((size_t)npairs + 1);
	memset(h.ok, -1, (size_t)npairs + 1);
	if (bs_repo_open(&repo, s->real, e) < 0) {
		free(h.ok);
		return -1;
	}
	if (bs_repo_lock(&repo, BS_LOCK_SHARED | BS_LOCK_READER, e) < 0 || send_file(s, &repo, "config", 0, e) < 0 ||
	    send_file(s, &repo, "expiry", 1, e) < 0 || bs_backup_priors(&repo, host, subset, v, &n, e) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const char *id = v[i].id, *base;
		char hex[BS_HEX_LEN + 1];
		snprintf(rel, sizeof(rel), "backups/%.255s/summary", id);
		if (send_file(s, &repo, rel, 0, e) < 0)
			goto out;
		snprintf(rel, sizeof(rel), "backups/%.255s/metadata", id);
		if (holds(&repo, &h, id)) {
			if (bs_serve_refs(&repo, id, &digests, e) < 0)
				goto out;
		} else if ((base = base_for(&repo, &h, id)) && file_digest(&repo, id, hex) == 0) {
			/* what differs from a backup it has: for a tree that did
			 * not change, nothing */
			if (bs_serve_delta(s, &repo, id, base, hex, &digests, e) < 0)
				goto out;
		} else if (send_file(s, &repo, rel, 0, e) < 0 || bs_serve_refs(&repo, id, &digests, e) < 0) {
			goto out;
		}
	}
	find_missing(&repo, &digests, &missing);
	/* the ones that are gone: usually none, where the list of those
	 * that are there would be as long as the backups are large */
	if (reply(s, 'M', 0, missing.p, missing.len, e) < 0 || reply(s, 'E', 0, NULL, 0, e) < 0)
		goto out;
	rc = 0;
out:
	free(h.ok);
	bs_buf_release(&digests);
	bs_buf_release(&missing);
	bs_repo_close(&repo);
	return rc;
}
