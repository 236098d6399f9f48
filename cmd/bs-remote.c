/* bs-remote - the client end of a repository reached over ssh: a mirror for bs-chunk, and a chunk stream sent to bs-serve. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "hash.h"
#include "record.h"
#include "remote.h"
#include "tool.h"

static const char usage[] =
	"usage: bs-remote mirror -r repo [-H host] -s subset [-c cache] dir\n"
	"       bs-remote push -r repo [-H host] -s subset [-m dir] [-q] < chunk-stream\n"
	"       bs-remote save -r repo [-H host] -s subset [-c cache] [-q] [-- bs-chunk-option...] < records\n";

/* A batch of the stream waiting for the server's word on its chunks. */
#define BATCH_CHUNKS 1024
#define BATCH_BYTES (16u << 20)
#define FRAME_BYTES (1u << 20)

struct piece {
	size_t off, len;		/* in the batch's text */
	int chunk;			/* a C item: off/len are its bytes */
	long asked;			/* its answer's index, or -1 */
	unsigned char digest[BS_DIGEST_LEN];
};

struct pusher {
	struct bs_remote_conn c;
	struct bs_reader from;
	struct bs_buf text;		/* the batch, serialized */
	struct piece *v;
	size_t n, cap, nchunks;
	struct bs_buf frame, reply, out;
	/* digests already sent (or found there) in this run: sorted runs */
	unsigned char *known;
	size_t nknown, knowncap;
	uint64_t sent_chunks, skipped_chunks, sent_bytes, skipped_bytes;
};

/*
 * The server has gone: when bs-serve refused the request or failed, it
 * said why on standard error (ssh carries it here), and its status is
 * ours, without a second message.
 */
static void server_gone(struct pusher *p, const char *why)
{
	struct bs_err e;
	int status = bs_remote_finish(&p->c, &e);

	if (status > 0 && status < 255)
		exit(status);
	tool_fail(BS_SYS, "%s", why);
}

static void send_frame(struct pusher *p, int type, const void *data, size_t n)
{
	char head[48];
	int len = snprintf(head, sizeof(head), "%c %zu\n", type, n);

	if (bs_write_full(p->c.to, head, (size_t)len) < 0 || (n && bs_write_full(p->c.to, data, n) < 0)) {
		char why[160];
		snprintf(why, sizeof(why), "cannot write to the server: %s", strerror(errno));
		server_gone(p, why);
	}
}

/* Stream text to the server, in frames of at most FRAME_BYTES. */
static void send_data(struct pusher *p, const char *s, size_t n)
{
	while (n) {
		size_t k = n < FRAME_BYTES ? n : FRAME_BYTES;
		send_frame(p, 'D', s, k);
		s += k;
		n -= k;
	}
}

static int cmp_digest(const void *a, const void *b)
{
	return memcmp(a, b, BS_DIGEST_LEN);
}

static int is_known(struct pusher *p, const unsigned char *d)
{
	return p->nknown && bsearch(d, p->known, p->nknown, BS_DIGEST_LEN, cmp_digest) != NULL;
}

/* Remember the batch's chunks: sent, or found there. */
static void add_known(struct pusher *p)
{
	if (p->nknown + p->n > p->knowncap) {
		p->knowncap = (p->nknown + p->n) * 2;
		p->known = realloc(p->known, p->knowncap * BS_DIGEST_LEN);
		if (!p->known)
			abort();
	}
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].chunk)
			memcpy(p->known + p->nknown++ * BS_DIGEST_LEN, p->v[i].digest, BS_DIGEST_LEN);
	if (p->nknown)	/* (qsort wants a pointer even for nothing) */
		qsort(p->known, p->nknown, BS_DIGEST_LEN, cmp_digest);
}

static void expect(struct pusher *p, int want)
{
	struct bs_err e;
	uint64_t n, count;
	int type, rc = bs_frame_read(&p->from, &type, &n, &count, &p->reply, &e);

	if (rc < 0)
		tool_die(&e);
	if (rc == 0)
		server_gone(p, "the server hung up (see its message above)");
	if (type != want)
		tool_fail(BS_INPUT, "unexpected answer '%c' from the server", type);
	p->reply.len = (size_t)n;
	if (want == 'z')
		p->out.len = (size_t)count;	/* the status, plus one */
}

/*
 * Send the batch: ask the server which of its chunks it has (one round
 * trip for up to BATCH_CHUNKS chunks), then send the batch with an R line
 * for each of those and the bytes of the others only.
 */
static void flush_batch(struct pusher *p)
{
	struct bs_buf ask = BS_BUF_INIT, line = BS_BUF_INIT;
	size_t from = 0;

	for (size_t i = 0; i < p->n; i++) {
		struct piece *c = &p->v[i];
		c->asked = -1;
		if (!c->chunk || is_known(p, c->digest))
			continue;
		/* a second copy in the batch: the first one's answer */
		for (size_t j = 0; j < i; j++)
			if (p->v[j].chunk && p->v[j].asked >= 0 && !memcmp(p->v[j].digest, c->digest, BS_DIGEST_LEN)) {
				c->asked = -2 - (long)j;
				break;
			}
		if (c->asked != -1)
			continue;
		c->asked = (long)(ask.len / BS_DIGEST_LEN);
		bs_buf_add(&ask, c->digest, BS_DIGEST_LEN);
	}
	if (ask.len) {
		send_frame(p, 'H', ask.p, ask.len);
		expect(p, 'h');
		if (p->reply.len != ask.len / BS_DIGEST_LEN)
			tool_fail(BS_INPUT, "the server answered %zu of %zu questions", p->reply.len,
				  ask.len / BS_DIGEST_LEN);
	}
	/* text before the first chunk goes as it is; each chunk's C line was
	 * left out of the text: written here as C or R */
	for (size_t i = 0; i < p->n; i++) {
		struct piece *c = &p->v[i];
		int here;
		if (!c->chunk)
			continue;
		send_data(p, p->text.p + from, c->off - from);
		if (c->asked >= 0)
			here = p->reply.p[c->asked] == '1';
		else if (c->asked < -1)
			here = 1;	/* its first copy was sent, or was there */
		else
			here = 1;	/* sent, or there, in an earlier batch */
		bs_buf_reset(&line);
		bs_ref_format(&line, here ? 'R' : 'C', c->digest, c->len);
		if (here) {
			send_data(p, line.p, line.len);
			p->skipped_chunks++;
			p->skipped_bytes += c->len;
		} else {
			bs_buf_add(&line, p->text.p + c->off, c->len);
			send_data(p, line.p, line.len);
			p->sent_chunks++;
			p->sent_bytes += c->len;
		}
		from = c->off + c->len;
	}
	send_data(p, p->text.p + from, p->text.len - from);
	add_known(p);
	bs_buf_reset(&p->text);
	p->n = p->nchunks = 0;
	bs_buf_release(&ask);
	bs_buf_release(&line);
}

static struct piece *add_piece(struct pusher *p)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 256;
		p->v = realloc(p->v, p->cap * sizeof(*p->v));
		if (!p->v)
			abort();
	}
	return &p->v[p->n++];
}

/* The stamps bs-chunk made in the mirror (store_mirror.c: "sec.nsec hex"
 * lines in mirror-touched), made on the server too: one T frame a time. */
static void send_touches(struct pusher *p, const char *dir)
{
	struct bs_buf path = BS_BUF_INIT, frame = BS_BUF_INIT, line = BS_BUF_INIT, time = BS_BUF_INIT;
	struct bs_reader r;
	struct bs_err e;
	int fd, rc;

	bs_buf_addf(&path, "%s/mirror-touched", dir);
	fd = open(path.p, O_RDONLY | O_CLOEXEC);
	bs_buf_release(&path);
	if (fd < 0) {
		if (errno == ENOENT)
			return;
		tool_fail(BS_SYS, "cannot read '%s/mirror-touched': %s", dir, strerror(errno));
	}
	bs_reader_init(&r, fd, "mirror-touched");
	while ((rc = bs_reader_until(&r, '\n', &line, &e)) == 1) {
		char *sp = memchr(line.p, ' ', line.len);
		unsigned char digest[BS_DIGEST_LEN];
		if (!sp || line.p + line.len - (sp + 1) != BS_HEX_LEN || bs_unhex(digest, sp + 1, BS_HEX_LEN) < 0)
			tool_fail(BS_INPUT, "'%s/mirror-touched' is damaged", dir);
		if (time.len != (size_t)(sp - line.p) || memcmp(time.p, line.p, time.len)) {
			if (frame.len > time.len + 1)
				send_frame(p, 'T', frame.p, frame.len);
			bs_buf_reset(&time);
			bs_buf_add(&time, line.p, (size_t)(sp - line.p));
			bs_buf_reset(&frame);
			bs_buf_add(&frame, time.p, time.len);
			bs_buf_addc(&frame, '\n');
		}
		bs_buf_add(&frame, digest, BS_DIGEST_LEN);
		if (frame.len > (4u << 20)) {
			send_frame(p, 'T', frame.p, frame.len);
			bs_buf_setlen(&frame, time.len + 1);
		}
	}
	if (rc < 0)
		tool_die(&e);
	if (frame.len > time.len + 1)
		send_frame(p, 'T', frame.p, frame.len);
	bs_reader_release(&r);
	close(fd);
	bs_buf_release(&frame);
	bs_buf_release(&line);
	bs_buf_release(&time);
}

static struct pusher P;

/* The chunk stream read from fd, sent to the server (connected, its save
 * started): the status bs-serve gives. */
static int push_stream(const char *mirror, int quiet, int fd, const char *what)
{
	struct bs_reader in;
	struct bs_stream st;
	struct bs_item it;
	struct bs_err e, ein;
	char floor[64] = "-";
	uint64_t count = 0;
	int rc, status;

	bs_reader_init(&in, fd, what);
	bs_item_init(&it);
	if (bs_stream_open(&st, &in, BS_STREAM_CHUNKS, &e) < 0) {
		/* no stream: bs-chunk failed, or the mirror was refused; if the
		 * server refused us too, it has said why */
		struct pollfd pfd = { .fd = P.c.from, .events = POLLIN };
		char c;
		if (poll(&pfd, 1, 200) == 1 && read(P.c.from, &c, 1) == 0) {
			struct bs_err e2;
			int gone = bs_remote_finish(&P.c, &e2);
			if (gone > 0 && gone < 255)
				exit(gone);
		}
		tool_die(&e);
	}
	st.max_chunk = 64u << 20;
	if (st.has_floor)
		snprintf(floor, sizeof(floor), "%" PRId64 ".%09" PRIu32, st.floor.sec, st.floor.nsec);
	send_frame(&P, 'F', floor, strlen(floor));
	while ((rc = bs_stream_next(&st, &it, &ein)) == 1) {
		struct piece *c;
		switch (it.type) {
		case BS_ITEM_CHUNK:
			c = add_piece(&P);
			c->chunk = 1;
			memcpy(c->digest, it.digest, BS_DIGEST_LEN);
			c->off = P.text.len;
			c->len = it.data.len;
			bs_buf_add(&P.text, it.data.p, it.data.len);
			P.nchunks++;
			break;
		case BS_ITEM_REF:
			bs_ref_format(&P.text, 'R', it.digest, it.size);
			break;
		case BS_ITEM_PIECE:
			bs_piece_format(&P.text, it.digest, it.offset, it.size);
			break;
		case BS_ITEM_ABANDON:
			bs_buf_add(&P.text, "A\n", 2);
			break;
		case BS_ITEM_STAT:
			bs_buf_addf(&P.text, "S %s %" PRIu64 "\n", it.key, it.value);
			break;
		case BS_ITEM_RECORD:
			bs_rec_format(&P.text, &it.rec);
			count++;
			break;
		case BS_ITEM_LISTING: {
			char hex[BS_HEX_LEN + 1];
			bs_hex(hex, it.digest);
			bs_buf_addf(&P.text, "L %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %s ", hex,
				    it.entries, it.files, it.bytes, it.ndirs, it.id);
			bs_buf_add(&P.text, it.dir.p, it.dir.len);
			bs_buf_addc(&P.text, '\0');
			bs_buf_add(&P.text, it.dirs.p, it.dirs.len);
			count++;
			break;
		}
		}
		if (P.nchunks >= BATCH_CHUNKS || P.text.len >= BATCH_BYTES)
			flush_batch(&P);
	}
	flush_batch(&P);
	if (rc == 0) {
		/* the stamps first, then the trailer: the backup is complete
		 * only once the server has both */
		if (mirror)
			send_touches(&P, mirror);
		bs_buf_addf(&P.text, "E %" PRIu64 "\n", count);
		send_data(&P, P.text.p, P.text.len);
		bs_buf_reset(&P.text);
	}
	send_frame(&P, 'Z', NULL, 0);
	expect(&P, 'z');
	status = (int)P.out.len - 1;
	if (fwrite(P.reply.p, 1, P.reply.len, stdout) != P.reply.len)
		tool_fail(BS_SYS, "cannot write to standard output: %s", strerror(errno));
	if (getenv("BS_REMOTE_STATS"))
		fprintf(stderr, "bs-remote: %" PRIu64 " chunks sent (%" PRIu64 " bytes), %" PRIu64
			" already there (%" PRIu64 " bytes)\n", P.sent_chunks, P.sent_bytes, P.skipped_chunks,
			P.skipped_bytes);
	rc == 0 ? (void)0 : tool_die(&ein);
	bs_remote_finish(&P.c, NULL);
	tool_close_stdout();
	return status;
}

static int cmd_push(const struct bs_remote_url *url, const char *host, const char *subset, const char *mirror,
		    int quiet)
{
	struct bs_err e;
	char *args[3] = { (char *)host, (char *)subset, "-q" };

	/* connect first: the handshake overlaps bs-chunk's start */
	if (bs_remote_start(url, &P.c, &e) < 0 ||
	    bs_remote_request(&P.c, "save", url->path, quiet ? 3 : 2, args, &e) < 0)
		tool_die(&e);
	bs_reader_init(&P.from, P.c.from, "the server");
	return push_stream(mirror, quiet, 0, "standard input");
}

/* Is this a name the server may send for the mirror? */
static int mirror_name_ok(const char *name)
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

static void write_file(int dirfd, const char *name, const char *p, size_t n)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || bs_write_full(fd, p, n) < 0 || close(fd) < 0)
		tool_fail(BS_SYS, "cannot write '%s' in the mirror: %s", name, strerror(errno));
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

/*
 * A directory given for the mirror is empty, or a mirror of an earlier
 * run, which is cleared: its backups may not be the earlier backups now,
 * and its mirror-touched would be sent again.  Anything else is refused,
 * and left as it is.
 */
static void clear_mirror(int dfd, const char *dir)
{
	static const char *const names[] = { "config", "expiry", "lock", "backups", "mirror-missing",
					     "mirror-touched", NULL };
	DIR *d = fdopendir(dup(dfd));
	struct dirent *de;
	char q[256];

	if (!d)
		tool_fail(BS_SYS, "cannot read '%s': %s", dir, strerror(errno));
	rewinddir(d);
	while ((de = readdir(d))) {
		size_t i = 0;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		while (names[i] && strcmp(names[i], de->d_name))
			i++;
		if (!names[i])
			tool_fail(BS_USAGE, "'%s' is not empty, nor a mirror (it holds '%s')",
				  bs_quote(dir, strlen(dir), q, sizeof(q)), de->d_name);
	}
	closedir(d);
	if (empty_dir(dfd) < 0)
		tool_fail(BS_SYS, "cannot clear the mirror '%s': %s", dir, strerror(errno));
}

/*
 * The cache of earlier backups' metadata (-c): CACHE/KEY/ID holds the
 * metadata of backup ID, KEY naming the repository, host and subset.  A
 * backup's metadata does not change once written, so what is there is
 * copied into the mirror and named to the server with its digest, and the
 * server sends only the metadata of the others: the earlier backups'
 * metadata crosses the link once, not once a backup.
 */
#define CACHE_MAX 16

struct cache {
	int fd;				/* CACHE/KEY, or -1: no cache */
	char ids[CACHE_MAX][256];	/* what it held, copied into the mirror */
	int n;
};

static void cache_open(struct cache *k, const char *base, const struct bs_remote_url *url, const char *host,
		       const char *subset)
{
	struct bs_buf b = BS_BUF_INIT;
	unsigned char digest[BS_DIGEST_LEN];
	char hex[BS_HEX_LEN + 1];
	int bfd;

	k->fd = -1;
	k->n = 0;
	if (!base)
		return;
	if (mkdir(base, 0700) < 0 && errno != EEXIST) {
		tool_warn("cannot create the cache '%s': %s", base, strerror(errno));
		return;
	}
	bfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (bfd < 0) {
		tool_warn("cannot open the cache '%s': %s", base, strerror(errno));
		return;
	}
	bs_buf_addf(&b, "%s%c%s%c%s%c%s%c%s%c%s", url->user, 0, url->host, 0, url->port, 0, url->path, 0, host, 0,
		    subset);
	bs_sha256(b.p, b.len, digest);
	bs_hex(hex, digest);
	hex[32] = '\0';
	if (mkdirat(bfd, hex, 0700) < 0 && errno != EEXIST)
		tool_warn("cannot create '%s/%s': %s", base, hex, strerror(errno));
	else
		k->fd = openat(bfd, hex, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(bfd);
	bs_buf_release(&b);
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

/* Copy what the cache holds into the mirror; the request's arguments: ID SHA256 for each. */
static void cache_load(struct cache *k, int dfd, char **args, int *nargs)
{
	struct bs_buf b = BS_BUF_INIT;
	DIR *d;
	struct dirent *de;

	if (k->fd < 0 || !(d = fdopendir(dup(k->fd))))
		return;
	rewinddir(d);
	while ((de = readdir(d)) && k->n < CACHE_MAX) {
		char name[300], hex[BS_HEX_LEN + 1];
		unsigned char digest[BS_DIGEST_LEN];
		if (strlen(de->d_name) >= sizeof(k->ids[0]))
			continue;
		snprintf(name, sizeof(name), "backups/%s/metadata", de->d_name);
		if (!mirror_name_ok(name) || strchr(de->d_name, '/') || read_whole(k->fd, de->d_name, &b) < 0)
			continue;
		snprintf(name, sizeof(name), "backups/%s", de->d_name);
		if (mkdirat(dfd, name, 0700) < 0)
			continue;
		snprintf(name, sizeof(name), "backups/%s/metadata", de->d_name);
		write_file(dfd, name, b.p, b.len);
		bs_sha256(b.p, b.len, digest);
		bs_hex(hex, digest);
		snprintf(k->ids[k->n], sizeof(k->ids[0]), "%s", de->d_name);
		args[(*nargs)++] = k->ids[k->n];
		args[(*nargs)++] = strdup(hex);
		k->n++;
	}
	closedir(d);
	bs_buf_release(&b);
}

/* A backup's metadata the server sent: into the cache, whole or not at all. */
static void cache_store(struct cache *k, const char *id, const char *p, size_t n)
{
	char tmp[64];
	int fd;

	if (k->fd < 0)
		return;
	snprintf(tmp, sizeof(tmp), ".tmp.%ld", (long)getpid());
	fd = openat(k->fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || bs_write_full(fd, p, n) < 0 || close(fd) < 0 || renameat(k->fd, tmp, k->fd, id) < 0) {
		tool_warn("cannot write the cache of backup '%s': %s", id, strerror(errno));
		unlinkat(k->fd, tmp, 0);
	}
}

/* Is id one of the n ids in v (each 256 bytes)? */
static int among(char (*v)[256], int n, const char *id)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v[i], id))
			return 1;
	return 0;
}

/*
 * The mirror: a directory that bs-chunk takes for the repository.  It
 * holds what bs-chunk reads (config, expiry, the earlier backups'
 * summaries and metadata) and, for each chunk those refer to that the
 * server has, an empty-looking one-byte file stamped 0, so that bs-chunk
 * knows it is there and its refreshes can be found again (send_touches).
 */
/* What a mirror being fetched has seen: the earlier backups' summaries and metadata. */
static struct cache K;
static char sums[CACHE_MAX][256], metas[CACHE_MAX][256];
static int nsums, nmetas;

/* The directory made a mirror, empty but for what the cache holds: the
 * request's arguments are host, subset (and what the caller adds) then
 * the cache's pairs, from args[*nargs] on. */
static int mirror_prepare(const char *dir, const struct bs_remote_url *url, const char *host, const char *subset,
			  const char *cachedir, char **args, int *nargs)
{
	int dfd;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		tool_fail(BS_SYS, "cannot create '%s': %s", dir, strerror(errno));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		tool_fail(BS_SYS, "cannot open '%s': %s", dir, strerror(errno));
	clear_mirror(dfd, dir);
	if (mkdirat(dfd, "backups", 0700) < 0)
		tool_fail(BS_SYS, "cannot create '%s/backups': %s", dir, strerror(errno));
	cache_open(&K, cachedir, url, host, subset);
	cache_load(&K, dfd, args, nargs);
	return dfd;
}

/* The server's frames up to E, into the mirror: 1, 0 when it hung up first, -1. */
static int mirror_receive(struct bs_reader *from, int dfd, struct bs_err *e)
{
	struct bs_buf payload = BS_BUF_INIT;
	char name[512];
	uint64_t n, count;
	int type, rc;

	while ((rc = bs_frame_read(from, &type, &n, &count, &payload, e)) == 1) {
		if (type == 'E')
			break;
		if (type == 'F') {
			if (count >= sizeof(name) || count > n)
				tool_fail(BS_INPUT, "malformed F frame from the server");
			memcpy(name, payload.p, (size_t)count);
			name[count] = '\0';
			if (!mirror_name_ok(name))
				tool_fail(BS_INPUT, "the server sent a file named '%s'", name);
			if (!strncmp(name, "backups/", 8)) {
				char sub[512], *id = sub + 8;
				snprintf(sub, sizeof(sub), "%.*s", (int)(strrchr(name, '/') - name), name);
				if (mkdirat(dfd, sub, 0700) < 0 && errno != EEXIST)
					tool_fail(BS_SYS, "cannot create '%s': %s", sub, strerror(errno));
				if (!strcmp(strrchr(name, '/'), "/summary") && nsums < CACHE_MAX)
					snprintf(sums[nsums++], sizeof(sums[0]), "%.255s", id);
				else if (!strcmp(strrchr(name, '/'), "/metadata") && nmetas < CACHE_MAX) {
					snprintf(metas[nmetas++], sizeof(metas[0]), "%.255s", id);
					cache_store(&K, id, payload.p + count, (size_t)(n - count));
				}
			}
			write_file(dfd, name, payload.p + count, (size_t)(n - count));
		} else if (type == 'M') {
			if (n % BS_DIGEST_LEN)
				tool_fail(BS_INPUT, "malformed M frame from the server");
			write_file(dfd, "mirror-missing", payload.p, (size_t)n);
		} else {
			tool_fail(BS_INPUT, "unexpected frame '%c' from the server", type);
		}
	}
	bs_buf_release(&payload);
	return rc;
}

/* The cached backups that are not earlier backups now: out of the mirror
 * and the cache; and every earlier one has its metadata. */
static void mirror_settle(int dfd)
{
	char name[512];

	for (int i = 0; i < K.n; i++) {
		if (among(sums, nsums, K.ids[i]))
			continue;
		snprintf(name, sizeof(name), "backups/%s/metadata", K.ids[i]);
		unlinkat(dfd, name, 0);
		snprintf(name, sizeof(name), "backups/%s", K.ids[i]);
		unlinkat(dfd, name, AT_REMOVEDIR);
		unlinkat(K.fd, K.ids[i], 0);
	}
	for (int i = 0; i < nsums; i++)
		if (!among(metas, nmetas, sums[i]) && !among(K.ids, K.n, sums[i]))
			tool_fail(BS_INPUT, "the server sent no metadata for backup '%s'", sums[i]);
	if (K.fd >= 0)
		close(K.fd);
	K.fd = -1;
	close(dfd);
}

static int cmd_mirror(const struct bs_remote_url *url, const char *host, const char *subset, const char *dir,
		      const char *cachedir)
{
	struct bs_remote_conn c = { 0 };
	struct bs_reader from;
	struct bs_err e;
	char *args[2 + 2 * CACHE_MAX] = { (char *)host, (char *)subset };
	int rc, dfd, status, nargs = 2;

	dfd = mirror_prepare(dir, url, host, subset, cachedir, args, &nargs);
	if (bs_remote_start(url, &c, &e) < 0 || bs_remote_request(&c, "mirror", url->path, nargs, args, &e) < 0)
		tool_die(&e);
	close(c.to);
	c.to = -1;
	bs_reader_init(&from, c.from, "the server");
	rc = mirror_receive(&from, dfd, &e);
	if (rc < 0)
		tool_die(&e);
	status = bs_remote_finish(&c, &e);
	if (status == 255)
		tool_die(&e);
	if (rc == 0 || status)
		exit(status ? status : BS_SYS);
	mirror_settle(dfd);
	return 0;
}

/* bs-chunk, beside this tool when it is there, else on PATH. */
static pid_t spawn_chunk(char **argv, int out)
{
	char self[4096], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 16);
	pid_t pid;

	self[n > 0 ? n : 0] = '\0';
	slash = strrchr(self, '/');
	pid = fork();
	if (pid < 0)
		tool_fail(BS_SYS, "cannot fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(out, 1);
		signal(SIGPIPE, SIG_DFL);
		if (slash) {
			strcpy(slash + 1, "bs-chunk");
			execv(self, argv);
		}
		execvp("bs-chunk", argv);
		fprintf(stderr, "bs-remote: cannot run 'bs-chunk': %s\n", strerror(errno));
		_exit(BS_SYS);
	}
	return pid;
}

static void remove_mirror(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd >= 0) {
		empty_dir(dfd);
		close(dfd);
	}
	rmdir(dir);
}

static char save_mirror[4096];

static void remove_save_mirror(void)
{
	if (save_mirror[0])
		remove_mirror(save_mirror);
}

/*
 * save: mirror, bs-chunk and push in one: one connection to the server,
 * whose bs-serve backup prepares the mirror then runs the save.  bs-chunk
 * (with the arguments after --) reads standard input against a private
 * mirror that is removed at the end.
 */
static int cmd_save(const struct bs_remote_url *url, const char *host, const char *subset, const char *cachedir,
		    int quiet, int nchunk, char **chunk_args)
{
	struct bs_err e;
	char *args[3 + 2 * CACHE_MAX] = { (char *)host, (char *)subset, quiet ? "-q" : "-" };
	char **argv = calloc((size_t)nchunk + 8, sizeof(*argv));
	const char *tmp = getenv("TMPDIR");
	int rc, dfd, nargs = 3, p[2], st, status, chunk_status;
	pid_t chunk;

	if (!argv)
		abort();
	snprintf(save_mirror, sizeof(save_mirror), "%s/bs-remote-mirror.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(save_mirror))
		tool_fail(BS_SYS, "cannot create a mirror in '%s': %s", tmp && *tmp ? tmp : "/tmp", strerror(errno));
	atexit(remove_save_mirror);
	dfd = mirror_prepare(save_mirror, url, host, subset, cachedir, args, &nargs);
	if (bs_remote_start(url, &P.c, &e) < 0 || bs_remote_request(&P.c, "backup", url->path, nargs, args, &e) < 0)
		tool_die(&e);
	bs_reader_init(&P.from, P.c.from, "the server");
	rc = mirror_receive(&P.from, dfd, &e);
	if (rc < 0)
		tool_die(&e);
	if (rc == 0)
		server_gone(&P, "the server hung up (see its message above)");
	mirror_settle(dfd);
	argv[0] = "bs-chunk";
	argv[1] = "-r";
	argv[2] = save_mirror;
	argv[3] = "-H";
	argv[4] = (char *)host;
	argv[5] = "-s";
	argv[6] = (char *)subset;
	for (int i = 0; i < nchunk; i++)
		argv[7 + i] = chunk_args[i];
	if (pipe2(p, O_CLOEXEC) < 0)
		tool_fail(BS_SYS, "cannot make a pipe: %s", strerror(errno));
	chunk = spawn_chunk(argv, p[1]);
	close(p[1]);
	status = push_stream(save_mirror, quiet, p[0], "bs-chunk's output");
	while (waitpid(chunk, &st, 0) < 0)
		if (errno != EINTR)
			break;
	chunk_status = WIFEXITED(st) ? WEXITSTATUS(st) : BS_SYS;
	free(argv);
	return chunk_status > status ? chunk_status : status;
}

int main(int argc, char **argv)
{
	struct bs_remote_url url;
	struct bs_err e;
	const char *verb, *repo = NULL, *subset = NULL, *mirror = NULL, *cache = NULL;
	char host[128] = "";
	int opt, quiet = 0;

	tool_init("bs-remote");
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		tool_usage(usage, 1);
	if (argc < 2)
		tool_usage(usage, 2);
	verb = argv[1];
	if (verb[0] == '-')
		tool_fail(BS_USAGE, "unknown option '%s' (see bs-remote -h)", verb);
	if (strcmp(verb, "mirror") && strcmp(verb, "save") && strcmp(verb, "push"))
		tool_fail(BS_USAGE, "unknown verb '%s': mirror, save or push (see bs-remote -h)", verb);
	optind = 2;
	while ((opt = tool_getopt(argc, argv, "hr:H:s:m:qc:", NULL)) != -1) {
		switch (opt) {
		case 'r': repo = optarg; break;
		case 'H': snprintf(host, sizeof(host), "%s", optarg); break;
		case 's': subset = optarg; break;
		case 'm': mirror = optarg; break;
		case 'c': cache = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': tool_usage(usage, 1); break;
		default: tool_usage(usage, 2);
		}
	}
	if (!repo || !subset)
		tool_usage(usage, 2);
	e.code = 0;
	if (bs_remote_parse(repo, &url, &e) <= 0) {
		if (e.code == 0)
			tool_fail(BS_USAGE, "'%s' is not a remote repository (ssh://host/path or host:path)", repo);
		tool_die(&e);
	}
	if (!host[0])
		tool_hostname(host, sizeof(host));
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(verb, "mirror")) {
		if (optind != argc - 1)
			tool_usage(usage, 2);
		return cmd_mirror(&url, host, subset, argv[optind], cache);
	}
	if (!strcmp(verb, "save"))
		return cmd_save(&url, host, subset, cache, quiet, argc - optind, argv + optind);
	if (!strcmp(verb, "push")) {
		if (optind != argc)
			tool_usage(usage, 2);
		return cmd_push(&url, host, subset, mirror, quiet);
	}
	tool_usage(usage, 2);
	return 2;
}
