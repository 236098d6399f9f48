/* bs-chunk - split files into content-defined chunks named by SHA-256. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "backup.h"
#include "chunker.h"
#include "hash.h"
#include "linkmap.h"
#include "meta.h"
#include "progress.h"
#include "record.h"
#include "repo.h"
#include "spool.h"
#include "tool.h"
#include "walk.h"

static const char usage[] =
	"usage: bs-chunk [-P] [-r repo [-H host] [-s subset] [-p backup]...] < stream\n";

#define READ_SIZE (1u << 20)
/* a directory with more entries goes a file at a time */
#define GROUP_MAX 50000

struct linked {
	uint64_t size;
	struct bs_buf extents;	/* the first name's, as read */
	struct bs_entry ent;
};

struct chunker_state {
	struct bs_writer out;
	struct bs_buf scratch;
	struct bs_chunker ck;
	struct bs_hash hash;
	unsigned char *buf;
	size_t bufcap;
	struct bs_repo repo;
	int have_repo;
	struct bs_meta_reader priors[3];
	int fresh[3];		/* its chunks' stamps need no refreshing */
	size_t npriors;
	struct bs_time start;	/* reused chunks are stamped with this */
	struct {		/* one directory's records, gathered */
		struct bs_rec *v;
		size_t n, cap;
		struct bs_buf dir;
		int overflow;	/* too many: the rest go one by one */
	} group;
	struct bs_buf dirs;
	struct bs_linkmap links;
	struct bs_progress progress;
	uint64_t records;
	uint64_t unchanged, read_files, read_bytes, linked;
	uint64_t vanished, denied, unreadable, changed, sockets;
};

static void flush_group(struct chunker_state *s);

/* Bad input: pass on what was complete before it, without a trailer, so
 * that the stages after keep it as an unfinished backup; then fail. */
static void __attribute__((noreturn)) fail(struct chunker_state *s, const struct bs_err *e)
{
	struct bs_err ignored;

	flush_group(s);
	bs_writer_flush(&s->out, &ignored);
	tool_die(e);
}

static void count_error(struct chunker_state *s, int err)
{
	switch (bs_warn_kind(err)) {
	case BS_WARN_VANISHED: s->vanished++; break;
	case BS_WARN_DENIED: s->denied++; break;
	default: s->unreadable++;
	}
}

static void emit_record(struct chunker_state *s, const struct bs_rec *rec)
{
	bs_stream_record(&s->out, rec, &s->scratch);
	s->records++;
	if (s->out.err) {
		struct bs_err e;
		bs_writer_flush(&s->out, &e);
		tool_die(&e);
	}
}

static void emit_refs(struct chunker_state *s, const struct bs_entry *ent)
{
	for (size_t i = 0; i < ent->nrefs; i++)
		bs_stream_ref(&s->out, ent->refs[i].digest, ent->refs[i].size);
}

static int same_time(struct bs_time a, struct bs_time b)
{
	return a.sec == b.sec && a.nsec == b.nsec;
}

/* One warning, then the earlier backup is no longer asked. */
static void drop_prior(struct chunker_state *s, size_t p, const struct bs_err *e)
{
	tool_warn("%s; not using that backup", e->msg);
	bs_meta_release(&s->priors[p]);
	s->priors[p] = s->priors[s->npriors - 1];
	s->fresh[p] = s->fresh[s->npriors - 1];
	s->npriors--;
}

/*
 * Is a chunk that prior p refers to still in the repository?  Its stamp
 * is refreshed here, under this tool's lock, unless p's stamps are recent
 * enough to trust (the refresh setting; see bs-formats.5): then no expiry
 * can take it while a backup that refers to it is kept.
 */
static int chunk_ok(struct chunker_state *s, size_t p, const unsigned char *digest)
{
	struct bs_err ignored;

	if (s->fresh[p])
		return bs_chunk_exists(&s->repo, digest);
	return bs_chunk_touch(&s->repo, digest, s->start, &ignored) == 0;
}

static int same_buf(const struct bs_buf *a, const struct bs_buf *b)
{
	return a->len == b->len && !memcmp(a->p, b->p, a->len);
}

/*
 * Does the inode change time say the content is as the earlier record's?
 * Yes when it is the same, and the extents are.  When only it differs, the
 * content is taken as unchanged if the metadata it also covers (mode,
 * owner, xattrs, flags) differs from the earlier record: that explains the
 * change (a chmod, a setfattr), and the new record carries the new values.
 * Otherwise something unseen changed, and the file is read again.
 */
static int same_content_times(const struct bs_rec *old, const struct bs_rec *rec)
{
	if (!same_buf(&old->extents, &rec->extents))
		return 0;
	if (same_time(old->ctime, rec->ctime))
		return 1;
	if (!old->ctime.sec && !old->ctime.nsec)
		return 0;	/* racily clean when read: read it again */
	return old->mode != rec->mode || old->uid != rec->uid || old->gid != rec->gid ||
	       old->flags != rec->flags || !same_buf(&old->xattrs, &rec->xattrs);
}

/* An earlier backup's entry for this file, when the file has not changed
 * since and all its chunks are still in the repository. */
static const struct bs_entry *unchanged(struct chunker_state *s, const struct bs_rec *rec)
{
	struct bs_err e;

	for (size_t p = 0; p < s->npriors; p++) {
		struct bs_entry *ent;
		uint64_t sum = 0;
		size_t i;
		int rc = bs_meta_lookup(&s->priors[p], rec->path.p, rec->path.len, &ent, &e);

		if (rc < 0) {
			drop_prior(s, p--, &e);
			continue;
		}
		if (rc == 0 || ent->rec.kind != 'f' || ent->rec.size != rec->size ||
		    !same_time(ent->rec.mtime, rec->mtime) || !same_content_times(&ent->rec, rec) ||
		    (ent->rec.dev == rec->dev && ent->rec.ino != rec->ino))
			continue;
		for (i = 0; i < ent->nrefs; i++) {
			sum += ent->refs[i].size;
			if (!chunk_ok(s, p, ent->refs[i].digest))
				break;
		}
		if (i == ent->nrefs && sum == bs_rec_datasize(rec))
			return ent;
	}
	return NULL;
}

static void emit_chunk(struct chunker_state *s, const unsigned char *p, size_t n, struct bs_entry *keep)
{
	unsigned char digest[BS_DIGEST_LEN];

	bs_hash_final(&s->hash, digest);
	bs_stream_chunk(&s->out, digest, p, n);
	if (keep)
		bs_entry_addref(keep, digest, n);
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

	if (!x->sparse || x->ext >= bs_rec_nextents(rec))
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

/* Read and chunk one regular file; returns 0, or -1 when it was skipped. */
static int read_file(struct chunker_state *s, struct bs_rec *rec, struct bs_entry *keep)
{
	struct stat before, after;
	struct extent_reader xr;
	struct timespec opened;
	size_t start = 0, len = 0, scanned = 0;
	uint64_t total = 0;
	char q[512];
	int fd;

	bs_quote(rec->path.p, rec->path.len, q, sizeof(q));
	clock_gettime(CLOCK_REALTIME_COARSE, &opened);
	fd = open(rec->path.p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(rec->path.p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		if (err == ELOOP) {
			tool_warn("'%s' changed into a symbolic link while being backed up; skipped", q);
			s->changed++;
			return -1;
		}
		tool_warn("cannot open '%s': %s", q, strerror(err));
		count_error(s, err);
		return -1;
	}
	if (fstat(fd, &before) < 0 || !S_ISREG(before.st_mode)) {
		if (S_ISREG(before.st_mode)) {
			tool_warn("cannot stat '%s': %s", q, strerror(errno));
			count_error(s, errno);
		} else {
			tool_warn("'%s' is no longer a regular file; skipped", q);
			s->changed++;
		}
		close(fd);
		return -1;
	}
	bs_rec_fill(rec, &before);
	if (extents_open(&xr, fd, rec, &before) < 0) {
		tool_warn("cannot find the data in '%s': %s", q, strerror(errno));
		count_error(s, errno);
		close(fd);
		return -1;
	}
	bs_chunker_reset(&s->ck);
	/* buf[start, len) holds the current chunk's bytes, of which the first
	 * `scanned` have been through the chunker and the hash; the buffer is
	 * compacted only when a read would not fit, not after every cut */
	for (;;) {
		ssize_t n, k;

		if (s->bufcap - len < READ_SIZE) {
			memmove(s->buf, s->buf + start, len - start);
			len -= start;
			start = 0;
		}
		n = extents_read(&xr, s->buf + len, READ_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			tool_warn("cannot read '%s': %s", q, strerror(errno));
			count_error(s, errno == ENOENT ? EIO : errno);
			bs_hash_final(&s->hash, (unsigned char[BS_DIGEST_LEN]){ 0 });
			if (total || scanned)
				bs_stream_abandon(&s->out);
			close(fd);
			return -1;
		}
		if (n == 0) {
			if (len > start)
				emit_chunk(s, s->buf + start, len - start, keep);
			total += len - start;
			break;
		}
		len += (size_t)n;
		bs_progress_bytes(&s->progress, (uint64_t)n);
		while (start + scanned < len) {
			unsigned char *p = s->buf + start + scanned;
			k = bs_chunker_find(&s->ck, p, len - start - scanned);
			if (k < 0) {
				bs_hash_update(&s->hash, p, len - start - scanned);
				scanned = len - start;
				break;
			}
			bs_hash_update(&s->hash, p, (size_t)k);
			emit_chunk(s, s->buf + start, scanned + (size_t)k, keep);
			total += scanned + (size_t)k;
			start += scanned + (size_t)k;
			scanned = 0;
		}
	}
	if (fstat(fd, &after) == 0 &&
	    (after.st_size != before.st_size || after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
	     after.st_mtim.tv_nsec != before.st_mtim.tv_nsec || after.st_ctim.tv_sec != before.st_ctim.tv_sec ||
	     after.st_ctim.tv_nsec != before.st_ctim.tv_nsec || bs_rec_datasize(rec) != total)) {
		tool_warn("'%s' changed while being read; saved as read", q);
		s->changed++;
	}
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
	s->read_files++;
	s->read_bytes += total;
	return 0;
}

static void linked_free(void *v)
{
	struct linked *l = v;
	bs_buf_release(&l->extents);
	bs_entry_release(&l->ent);
	free(l);
}

static void process(struct chunker_state *s, struct bs_rec *rec)
{
	const struct bs_entry *prior;
	struct linked *hl = NULL;

	bs_progress_file(&s->progress, rec->path.p, rec->kind == 'f' ? rec->size : 0);
	if (rec->kind != 'f') {
		emit_record(s, rec);
		return;
	}
	if (rec->nlink > 1) {
		hl = bs_linkmap_get(&s->links, rec->dev, rec->ino);
		if (hl && hl->size == rec->size && same_buf(&hl->extents, &rec->extents)) {
			emit_refs(s, &hl->ent);
			emit_record(s, rec);
			s->linked++;
			return;
		}
	}
	if (s->npriors && (prior = unchanged(s, rec))) {
		emit_refs(s, prior);
		emit_record(s, rec);
		s->unchanged++;
		bs_progress_skip(&s->progress, rec->size);
		return;
	}
	if (rec->nlink > 1 && !hl) {
		hl = bs_xcalloc(1, sizeof(*hl));
		bs_buf_init(&hl->extents);
		bs_entry_init(&hl->ent);
		bs_linkmap_put(&s->links, rec->dev, rec->ino, hl);
	} else {
		hl = NULL;
	}
	if (hl)
		hl->ent.nrefs = 0;
	if (read_file(s, rec, hl ? &hl->ent : NULL) < 0) {
		if (hl)
			hl->size = UINT64_MAX;
		return;
	}
	if (hl) {
		hl->size = rec->size;
		bs_buf_reset(&hl->extents);
		bs_buf_add(&hl->extents, rec->extents.p, rec->extents.len);
	}
	emit_record(s, rec);
}

/*
 * A whole directory unchanged: when its records, in name order, are those
 * an earlier backup's listing of it holds (the listing's records digest)
 * and every chunk the listing refers to is still there, the listing is
 * taken whole: one L item instead of its records and R lines.  A file with
 * other hard links goes the long way, for the link map.
 */
static int take_group(struct chunker_state *s)
{
	unsigned char stat[BS_DIGEST_LEN];
	struct bs_hash h;
	uint64_t bytes = 0, files = 0, ndirs = 0;
	const char *base, *prev = NULL;
	size_t dirlen, baselen, prevlen = 0;

	bs_hash_init(&h);
	bs_buf_reset(&s->dirs);
	for (size_t i = 0; i < s->group.n; i++) {
		const struct bs_rec *r = &s->group.v[i];
		bs_path_split(r->path.p, r->path.len, &dirlen, &base, &baselen);
		if ((prev && bs_name_cmp(prev, prevlen, base, baselen) >= 0) || (r->kind != 'd' && r->nlink > 1)) {
			bs_hash_release(&h);
			return 0;
		}
		prev = base;
		prevlen = baselen;
		bs_stat_digest_add(&h, r, base, baselen, &s->scratch);
		if (r->kind == 'f') {
			files++;
			bytes += r->size;
		} else if (r->kind == 'd') {
			bs_buf_add(&s->dirs, base, baselen);
			bs_buf_addc(&s->dirs, '\0');
			ndirs++;
		}
	}
	bs_hash_final(&h, stat);
	bs_hash_release(&h);
	for (size_t p = 0; p < s->npriors; p++) {
		struct bs_meta_head head;
		struct bs_err e;
		size_t i;
		int rc = bs_meta_peek(&s->priors[p], s->group.dir.p, s->group.dir.len, &head, &e);

		if (rc < 0) {
			drop_prior(s, p--, &e);
			continue;
		}
		if (rc == 0 || memcmp(head.stat, stat, BS_DIGEST_LEN))
			continue;
		if (!bs_meta_sealed(&head)) {
			bs_err_set(&e, BS_INPUT, "the metadata of '%s' is damaged at '%.200s'", s->priors[p].id,
				   s->group.dir.p);
			drop_prior(s, p--, &e);
			continue;
		}
		for (i = 0; i < head.nrefs; i++)
			if (!chunk_ok(s, p, head.refs + i * BS_DIGEST_LEN))
				break;
		if (i < head.nrefs)
			continue;
		bs_stream_listing(&s->out, head.digest, s->group.n, files, bytes, s->priors[p].id, s->group.dir.p,
				  s->group.dir.len, s->dirs.p, s->dirs.len, ndirs);
		s->records++;
		s->unchanged += files;
		for (size_t j = 0; j < s->group.n; j++) {
			const struct bs_rec *r = &s->group.v[j];
			bs_progress_file(&s->progress, r->path.p, r->kind == 'f' ? r->size : 0);
			if (r->kind == 'f')
				bs_progress_skip(&s->progress, r->size);
		}
		if (s->out.err) {
			bs_writer_flush(&s->out, &e);
			tool_die(&e);
		}
		return 1;
	}
	return 0;
}

static void flush_group(struct chunker_state *s)
{
	if (s->group.n && !take_group(s))
		for (size_t i = 0; i < s->group.n; i++)
			process(s, &s->group.v[i]);
	s->group.n = 0;
}

/* Records come here; with earlier backups to compare with, a directory's
 * run of records is gathered and looked at whole. */
static void take(struct chunker_state *s, struct bs_rec *rec)
{
	const char *base;
	size_t dirlen, baselen;

	if (!s->npriors || rec->path.len < 2) {
		flush_group(s);
		process(s, rec);
		return;
	}
	bs_path_split(rec->path.p, rec->path.len, &dirlen, &base, &baselen);
	if (dirlen != s->group.dir.len || memcmp(rec->path.p, s->group.dir.p, dirlen)) {
		flush_group(s);
		s->group.overflow = 0;
		bs_buf_reset(&s->group.dir);
		bs_buf_add(&s->group.dir, rec->path.p, dirlen);
	}
	if (!s->group.overflow && s->group.n == GROUP_MAX) {
		for (size_t i = 0; i < s->group.n; i++)
			process(s, &s->group.v[i]);
		s->group.n = 0;
		s->group.overflow = 1;
	}
	if (s->group.overflow) {
		process(s, rec);
		return;
	}
	if (s->group.n == s->group.cap) {
		size_t old = s->group.cap;
		s->group.cap = s->group.cap ? s->group.cap * 2 : 64;
		s->group.v = bs_xrealloc(s->group.v, s->group.cap * sizeof(*s->group.v));
		for (size_t i = old; i < s->group.cap; i++)
			bs_rec_init(&s->group.v[i]);
	}
	bs_rec_copy(&s->group.v[s->group.n++], rec);
}

/* Is the first record of find output "SIZE PATH" (find -printf '%s %p\0')? */
static int looks_sized(const char *p, size_t n)
{
	size_t i = 0;
	struct stat st;

	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++;
	if (i == 0 || i >= n - 1 || p[i] != ' ')
		return 0;
	return lstat(p, &st) < 0;
}

static void open_priors(struct chunker_state *s, const char *host, const char *subset,
			char **ids, size_t nids, struct bs_time *floor)
{
	struct bs_summary sums[3];
	struct bs_time expired;
	struct bs_err e;
	size_t n = 0;

	if (nids) {
		for (size_t i = 0; i < nids; i++)
			if (bs_backup_resolve(&s->repo, ids[i], &sums[n++], &e) < 0)
				tool_die(&e);
	} else if (bs_backup_priors(&s->repo, host, subset, sums, &n, &e) < 0) {
		tool_die(&e);
	}
	if (bs_expiry_read(&s->repo, &expired, &e) < 0)
		tool_die(&e);
	for (size_t i = 0; i < n; i++) {
		if (bs_meta_open(&s->priors[s->npriors], &s->repo, sums[i].id, &e) < 0) {
			tool_warn("%s; not using it for unchanged files", e.msg);
			continue;
		}
		/* its chunks' stamps are trusted while they are recent, within
		 * the retention and not older than the last expiry's cut-off;
		 * the new backup's floor is then no later than theirs */
		if (s->repo.cfg.refresh > 0 && sums[i].floor.sec >= s->start.sec - s->repo.cfg.refresh &&
		    (s->repo.cfg.max_age < 0 || sums[i].floor.sec >= s->start.sec - s->repo.cfg.max_age) &&
		    bs_time_cmp(sums[i].floor, expired) >= 0) {
			s->fresh[s->npriors] = 1;
			if (bs_time_cmp(sums[i].floor, *floor) < 0)
				*floor = sums[i].floor;
		}
		s->npriors++;
	}
	for (size_t i = 0; i < n; i++)
		if (sums[i].bytes > s->progress.estimate)
			s->progress.estimate = sums[i].bytes;
}

int main(int argc, char **argv)
{
	static struct chunker_state s;
	struct bs_reader in;
	struct bs_err e;
	struct bs_item it;
	struct bs_rec rec;
	const char *repo = NULL, *subset = NULL, *peek;
	char host[128] = "", *ids[3];
	struct bs_time floor;
	size_t nids = 0;
	int c, rc, progress = 0, spooled = 0;
	static struct bs_spool spool;

	tool_init("bs-chunk");
	while ((c = getopt(argc, argv, "hPr:H:s:p:")) != -1) {
		switch (c) {
		case 'P': progress = 1; break;
		case 'r': repo = optarg; break;
		case 'H': snprintf(host, sizeof(host), "%s", optarg); break;
		case 's': subset = optarg; break;
		case 'p':
			if (nids == 3)
				tool_fail(BS_USAGE, "at most three -p backups");
			ids[nids++] = optarg;
			break;
		case 'h': tool_usage(usage, 1); break;
		default: tool_usage(usage, 2);
		}
	}
	if (optind != argc)
		tool_usage(usage, 2);
	if (!repo && (subset || nids || host[0]))
		tool_fail(BS_USAGE, "-s, -H and -p need -r");
	if (subset && nids)
		tool_fail(BS_USAGE, "give -s or -p, not both");

	bs_progress_init(&s.progress, progress);
	if (bs_chunker_init(&s.ck, BS_CHUNK_MIN_DEFAULT, BS_CHUNK_AVG_DEFAULT, BS_CHUNK_MAX_DEFAULT) < 0)
		tool_fail(BS_SYS, "cannot set up the chunker");
	if (repo) {
		if (bs_repo_open(&s.repo, repo, &e) < 0 || bs_repo_lock(&s.repo, BS_LOCK_SHARED, &e) < 0)
			tool_die(&e);
		s.have_repo = 1;
		if (bs_chunker_init(&s.ck, s.repo.cfg.chunk_min, s.repo.cfg.chunk_avg, s.repo.cfg.chunk_max) < 0)
			tool_fail(BS_INPUT, "the repository's chunk sizes are unusable");
		if (subset && !host[0])
			tool_hostname(host, sizeof(host));
		s.start = floor = bs_now();
		if (subset || nids)
			open_priors(&s, host, subset, ids, nids, &floor);
	}
	s.bufcap = s.ck.max + READ_SIZE;
	s.buf = bs_xmalloc(s.bufcap);
	bs_hash_init(&s.hash);
	bs_linkmap_init(&s.links);
	bs_writer_init(&s.out, 1, "standard output");
	bs_reader_init(&in, 0, "standard input");
	if (progress) {
		/* read the input ahead so that the total is known early */
		if (bs_spool_start(&spool, 0, &e) == 0) {
			spooled = 1;
			in.fd = spool.rfd;
			in.more = bs_spool_more;
			in.more_arg = &spool;
			s.progress.total_fn = bs_spool_total;
			s.progress.total_arg = &spool;
		}
	}
	bs_item_init(&it);
	bs_rec_init(&rec);

	bs_stream_header(&s.out, BS_STREAM_CHUNKS);
	if (s.npriors)
		bs_stream_floor(&s.out, floor);
	rc = (int)bs_reader_peekn(&in, 7, &peek, &e);
	if (rc < 0)
		tool_die(&e);
	if (rc == 7 && (!memcmp(peek, "B walk ", 7) || !memcmp(peek, "B chunk", 7) || !memcmp(peek, "B manif", 7))) {
		struct bs_stream st;
		if (bs_stream_open(&st, &in, BS_STREAM_WALK, &e) < 0)
			fail(&s, &e);
		while ((rc = bs_stream_next(&st, &it, &e)) > 0) {
			if (it.type == BS_ITEM_STAT) {
				bs_stream_stat(&s.out, it.key, it.value);
				continue;
			}
			if (it.rec.path.p[0] != '/') {
				bs_err_set(&e, BS_INPUT, "standard input: path '%.200s' is not absolute", it.rec.path.p);
				fail(&s, &e);
			}
			take(&s, &it.rec);
		}
		flush_group(&s);
		if (rc < 0)
			fail(&s, &e);
		bs_stream_release(&st);
	} else {
		/* find -print0, or find -printf '%s %p\0' */
		struct bs_buf line = BS_BUF_INIT, clean = BS_BUF_INIT;
		int sized = -1;	/* decided by the first record */

		in.max_record = 1u << 20;
		while ((rc = bs_reader_until(&in, '\0', &line, &e)) > 0) {
			const char *path = line.p;
			size_t n = line.len;
			if (n == 0)
				continue;
			if (sized < 0)
				sized = looks_sized(line.p, line.len);
			if (sized) {
				const char *sp = memchr(line.p, ' ', line.len);
				size_t digits = 0;
				while (digits < line.len && line.p[digits] >= '0' && line.p[digits] <= '9')
					digits++;
				if (!sp || sp == line.p || (size_t)(sp - line.p) != digits || digits + 1 == line.len)
					tool_fail(BS_INPUT, "standard input: expected 'SIZE PATH' records");
				if (!spooled)
					bs_progress_total(&s.progress, strtoull(line.p, NULL, 10));
				n -= (size_t)(sp + 1 - line.p);
				path = sp + 1;
			}
			if (bs_path_clean(path, n, &clean, &e) < 0)
				tool_die(&e);
			rc = bs_rec_stat(&rec, clean.p, &e);
			if (rc == 1) {
				s.sockets++;
				continue;
			}
			if (rc < 0) {
				if (e.code != BS_PARTIAL)
					tool_die(&e);
				tool_warn("%s", e.msg);
				count_error(&s, errno);
				continue;
			}
			take(&s, &rec);
		}
		flush_group(&s);
		if (rc < 0)
			fail(&s, &e);
		bs_buf_release(&line);
		bs_buf_release(&clean);
	}
	if (spooled && bs_spool_finish(&spool, &e) < 0)
		fail(&s, &e);
	bs_progress_done(&s.progress);
	if (s.unchanged)
		bs_stream_stat(&s.out, "unchanged", s.unchanged);
	if (s.read_files)
		bs_stream_stat(&s.out, "read-files", s.read_files);
	bs_stream_stat(&s.out, "read-bytes", s.read_bytes);
	if (s.sockets)
		bs_stream_stat(&s.out, "sockets", s.sockets);
	if (s.vanished)
		bs_stream_stat(&s.out, "vanished", s.vanished);
	if (s.denied)
		bs_stream_stat(&s.out, "denied", s.denied);
	if (s.unreadable)
		bs_stream_stat(&s.out, "unreadable", s.unreadable);
	if (s.changed)
		bs_stream_stat(&s.out, "changed", s.changed);
	bs_stream_trailer(&s.out, s.records);
	if (bs_writer_close(&s.out, &e) < 0)
		tool_die(&e);

	for (size_t i = 0; i < s.npriors; i++)
		bs_meta_release(&s.priors[i]);
	if (s.have_repo)
		bs_repo_close(&s.repo);
	bs_linkmap_release(&s.links, linked_free);
	for (size_t i = 0; i < s.group.cap; i++)
		bs_rec_release(&s.group.v[i]);
	free(s.group.v);
	bs_buf_release(&s.group.dir);
	bs_buf_release(&s.dirs);
	bs_hash_release(&s.hash);
	bs_item_release(&it);
	bs_rec_release(&rec);
	bs_reader_release(&in);
	bs_buf_release(&s.scratch);
	free(s.buf);
	return s.vanished + s.denied + s.unreadable + s.changed ? BS_PARTIAL : BS_OK;
}
