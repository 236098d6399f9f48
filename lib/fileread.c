/* fileread.c - read one regular file into chunks and their digests. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "buf.h"
#include "fileread.h"
#include "walk.h"

#define READ_SIZE (1u << 20)

void bs_fileread_init(struct bs_fileread *r, struct bs_chunker *ck)
{
	memset(r, 0, sizeof(*r));
	r->ck = ck;
	r->bufcap = ck->max + READ_SIZE;
	r->buf = bs_xmalloc(r->bufcap);
	bs_hash_init(&r->hash);
}

void bs_fileread_release(struct bs_fileread *r)
{
	bs_hash_release(&r->hash);
	free(r->buf);
	r->buf = NULL;
}

static void emit_chunk(struct bs_fileread *r, const unsigned char *p, size_t n, struct bs_fileread_result *res)
{
	unsigned char digest[BS_DIGEST_LEN];

	bs_hash_final(&r->hash, digest);
	if (r->chunk)
		r->chunk(r->arg, digest, p, n);
	res->chunks++;
}

/* Open without following a symlink and without blocking: only once fstat
 * shows a regular file is the descriptor made blocking again. */
static int open_file(const char *path, struct stat *st, struct bs_fileread_result *res)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME | O_NONBLOCK);

	if (fd < 0 && errno == EPERM)
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		res->err = errno;
		return errno == ELOOP ? -BS_FILEREAD_SYMLINK : -BS_FILEREAD_OPEN;
	}
	if (fstat(fd, st) < 0) {
		res->err = errno;
		close(fd);
		return -BS_FILEREAD_STAT;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return -BS_FILEREAD_NOTREG;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		res->err = errno;
		close(fd);
		return -BS_FILEREAD_OPEN;
	}
	return fd;
}

/*
 * Reading a file extent by extent: a sparse file (fewer blocks than its
 * size says) is read only where it holds data, found with SEEK_DATA and
 * SEEK_HOLE when it is opened; its record's extents say where that is.
 * A file that is all data is one extent, read as it comes.
 */
struct extent_reader {
	int fd;
	const struct bs_rec *rec;
	size_t ext;		/* the extent being read */
	uint64_t left;		/* bytes of it still to read */
	int sparse;
};

static int extents_open(struct extent_reader *x, int fd, struct bs_rec *rec, const struct stat *st)
{
	memset(x, 0, sizeof(*x));
	x->fd = fd;
	x->rec = rec;
	bs_buf_reset(&rec->extents);
	if ((uint64_t)st->st_blocks * 512 < (uint64_t)st->st_size &&
	    bs_rec_extents(rec, fd, (uint64_t)st->st_size) < 0)
		return -1;
	x->sparse = rec->extents.len > 0;
	x->ext = (size_t)-1;
	return 0;
}

/* Like read(2): the next bytes of the current extent, moving to the next
 * one when it is done; 0 after the last. */
static ssize_t extents_read(struct extent_reader *x, void *buf, size_t n)
{
	ssize_t k;

	if (!x->sparse)
		return read(x->fd, buf, n);
	while (x->left == 0) {
		uint64_t off;
		if (++x->ext >= bs_rec_nextents(x->rec))
			return 0;
		bs_rec_extent(x->rec, x->ext, &off, &x->left);
		if (x->left && lseek(x->fd, (off_t)off, SEEK_SET) < 0)
			return -1;
	}
	k = read(x->fd, buf, x->left < n ? (size_t)x->left : n);
	if (k > 0)
		x->left -= (uint64_t)k;
	return k;
}

/* A sparse file that ended early (it shrank while read): its extents end
 * where the data did, and so does its size. */
static void extents_cut(struct extent_reader *x, struct bs_rec *rec)
{
	uint64_t off, len;

	if (x->ext >= bs_rec_nextents(rec))
		return;
	bs_rec_extent(rec, x->ext, &off, &len);
	len -= x->left;
	bs_buf_setlen(&rec->extents, x->ext * 2 * sizeof(uint64_t));
	if (len)
		bs_rec_extent_add(rec, off, len);
	rec->size = off + len;
	if (!rec->extents.len && rec->size)
		bs_rec_extent_add(rec, rec->size, 0);
}

static int same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

int bs_fileread_file(struct bs_fileread *r, struct bs_rec *rec, struct bs_fileread_result *res)
{
	struct stat before, after;
	struct extent_reader xr;
	struct timespec opened;
	size_t start = 0, len = 0, scanned = 0;
	uint64_t total = 0;
	int fd, status = BS_FILEREAD_OK;

	res->err = 0;
	res->chunks = 0;
	clock_gettime(CLOCK_REALTIME_COARSE, &opened);
	fd = open_file(rec->path.p, &before, res);
	if (fd < 0)
		return -fd;
	bs_rec_fill(rec, &before);
	if (extents_open(&xr, fd, rec, &before) < 0) {
		res->err = errno;
		close(fd);
		return BS_FILEREAD_STAT;
	}
	bs_chunker_reset(r->ck);
	/* buf[start, len) holds the current chunk's bytes, of which the first
	 * `scanned` have been through the chunker and the hash; the buffer is
	 * compacted only when a read would not fit, not after every cut */
	for (;;) {
		ssize_t n, k;

		if (r->bufcap - len < READ_SIZE) {
			memmove(r->buf, r->buf + start, len - start);
			len -= start;
			start = 0;
		}
		n = extents_read(&xr, r->buf + len, READ_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			res->err = errno;
			bs_hash_final(&r->hash, (unsigned char[BS_DIGEST_LEN]){ 0 });
			if (!res->chunks && scanned)
				res->chunks = 1;	/* bytes hashed: abandon all the same */
			close(fd);
			return BS_FILEREAD_READ;
		}
		if (n == 0) {
			if (len > start)
				emit_chunk(r, r->buf + start, len - start, res);
			total += len - start;
			break;
		}
		len += (size_t)n;
		if (r->bytes)
			r->bytes(r->arg, (uint64_t)n);
		while (start + scanned < len) {
			unsigned char *p = r->buf + start + scanned;
			k = bs_chunker_find(r->ck, p, len - start - scanned);
			if (k < 0) {
				bs_hash_update(&r->hash, p, len - start - scanned);
				scanned = len - start;
				break;
			}
			bs_hash_update(&r->hash, p, (size_t)k);
			emit_chunk(r, r->buf + start, scanned + (size_t)k, res);
			total += scanned + (size_t)k;
			start += scanned + (size_t)k;
			scanned = 0;
		}
	}
	if (fstat(fd, &after) == 0 && (!same_stat(&before, &after) || bs_rec_datasize(rec) != total))
		status = BS_FILEREAD_CHANGED;
	close(fd);
	/* "Racily clean": a file changed in the same clock tick as it was
	 * opened could change again after the read without its times telling.
	 * Its recorded ctime (used only to spot unchanged files, never
	 * restored) is zeroed, so the next backup reads it again.  The ctime,
	 * not the mtime: only the kernel sets it, so a file dated in the
	 * future is not read again every time. */
	if (before.st_ctim.tv_sec > opened.tv_sec ||
	    (before.st_ctim.tv_sec == opened.tv_sec && before.st_ctim.tv_nsec >= opened.tv_nsec)) {
		rec->ctime.sec = 0;
		rec->ctime.nsec = 0;
	}
	if (xr.sparse)
		extents_cut(&xr, rec);
	else
		rec->size = total;
	return status;
}
