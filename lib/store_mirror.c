/* store_mirror.c - the chunk store of a client's mirror of a repository over ssh: which chunks the server has, and the stamps to make there. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "record.h"
#include "store.h"

/*
 * A mirror (bs-remote(1) mirror) holds no chunk: its file MIRROR/mirror-missing
 * is the sorted digests (32 bytes each) of the chunks that the earlier
 * backups in the mirror refer to and that the server no longer has.  The
 * server checked every chunk those backups refer to, and bs-chunk asks
 * only about those: has() is "not missing".  (Were it asked about another
 * chunk, a wrong yes would make bs-store on the server refuse the R line
 * or the stream's floor: an unfinished backup, never a wrong one.)
 * touch() appends "sec.nsec hex" LF to MIRROR/mirror-touched, which
 * bs-remote push sends to the server before the stream's trailer.  What
 * would store or read a chunk is refused: bs-chunk never does.
 */
struct mirror {
	struct bs_store base;
	int dirfd;
	unsigned char *v;		/* sorted digests of missing chunks */
	size_t n;
	int touched;			/* fd of mirror-touched, or -1 */
	pthread_mutex_t lock;
};

static struct mirror *M(struct bs_store *s)
{
	return (struct mirror *)s;
}

static int cmp(const void *a, const void *b)
{
	return memcmp(a, b, BS_DIGEST_LEN);
}

static int mirror_has(struct bs_store *s, const unsigned char *digest)
{
	return !(M(s)->n && bsearch(digest, M(s)->v, M(s)->n, BS_DIGEST_LEN, cmp) != NULL);
}

static int mirror_stat(struct bs_store *s, const unsigned char *digest, uint64_t *size, struct bs_time *mtime,
		       struct bs_err *e)
{
	if (!mirror_has(s, digest))
		return 0;
	if (size)
		*size = 1;
	if (mtime)
		mtime->sec = 0, mtime->nsec = 0;
	return 1;
}

static int mirror_touch(struct bs_store *s, const unsigned char *digest, struct bs_time t, struct bs_err *e)
{
	struct mirror *m = M(s);
	char line[BS_HEX_LEN + 48];
	int n, rc = 0;

	if (!mirror_has(s, digest))
		return BS_STORE_MISSING;
	n = snprintf(line, sizeof(line), "%" PRId64 ".%09" PRIu32 " ", t.sec, t.nsec);
	bs_hex(line + n, digest);
	n += BS_HEX_LEN;
	line[n++] = '\n';
	pthread_mutex_lock(&m->lock);
	if (m->touched < 0)
		m->touched = openat(m->dirfd, "mirror-touched", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (m->touched < 0 || bs_write_full(m->touched, line, (size_t)n) < 0)
		rc = bs_err_sys(e, "cannot write 'mirror-touched'");
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int refuse(struct bs_err *e)
{
	return bs_err_set(e, BS_USAGE, "a mirror of a remote repository holds no chunks");
}

static int mirror_put(struct bs_store *s, const unsigned char *digest, const void *stored, size_t n,
		      struct bs_time t, int *stored_now, struct bs_err *e)
{
	return refuse(e);
}

static int mirror_get(struct bs_store *s, const unsigned char *digest, struct bs_buf *out, size_t max,
		      struct bs_err *e)
{
	return refuse(e);
}

static int mirror_list(struct bs_store *s, bs_chunk_visit *fn, void (*dir_done)(void *arg, const char *dir),
		       void *arg, struct bs_err *e)
{
	return refuse(e);
}

static int mirror_remove(struct bs_store *s, const char *relpath, struct bs_err *e)
{
	return refuse(e);
}

static void mirror_prune(struct bs_store *s, const char *dir)
{
}

static int mirror_sync(struct bs_store *s, struct bs_err *e)
{
	return 0;
}

static void mirror_close(struct bs_store *s)
{
	struct mirror *m = M(s);

	if (m->touched >= 0)
		close(m->touched);
	pthread_mutex_destroy(&m->lock);
	free(m->v);
	free(m);
}

static const struct bs_store_ops mirror_ops = {
	.name = "mirror",
	.has = mirror_has,
	.stat = mirror_stat,
	.touch = mirror_touch,
	.put = mirror_put,
	.get = mirror_get,
	.list = mirror_list,
	.remove = mirror_remove,
	.prune = mirror_prune,
	.sync = mirror_sync,
	.close = mirror_close,
};

int bs_store_mirror_open(struct bs_store **s, int dirfd, const char *path, struct bs_err *e)
{
	struct mirror *m;
	struct stat st;
	int fd = openat(dirfd, "mirror-missing", O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return bs_err_sys(e, "cannot open '%s/mirror-missing'", path);
	if (fstat(fd, &st) < 0 || st.st_size % BS_DIGEST_LEN) {
		close(fd);
		return bs_err_set(e, BS_INPUT, "'%s/mirror-missing' is damaged", path);
	}
	m = bs_xcalloc(1, sizeof(*m));
	m->base.ops = &mirror_ops;
	m->dirfd = dirfd;
	m->touched = -1;
	m->n = (size_t)st.st_size / BS_DIGEST_LEN;
	m->v = bs_xcalloc(m->n ? m->n : 1, BS_DIGEST_LEN);
	got = bs_read_full(fd, m->v, (size_t)st.st_size);
	close(fd);
	if (got != st.st_size) {
		free(m->v);
		free(m);
		return bs_err_set(e, BS_INPUT, "cannot read '%s/mirror-missing'", path);
	}
	/* sorted by the server; sorted again, cheaply, should it not be */
	for (size_t i = 1; i < m->n; i++) {
		if (memcmp(m->v + (i - 1) * BS_DIGEST_LEN, m->v + i * BS_DIGEST_LEN, BS_DIGEST_LEN) > 0) {
			qsort(m->v, m->n, BS_DIGEST_LEN, cmp);
			break;
		}
	}
	pthread_mutex_init(&m->lock, NULL);
	*s = &m->base;
	return 0;
}
