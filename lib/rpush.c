/* rpush.c - a chunk stream sent to bs-serve's save, in batches, without the chunks the server has (rpush.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "record.h"
#include "rpush.h"
#include "stream.h"
#include "wire.h"

#define FRAME_BYTES (1u << 20)

struct bs_rpush_piece {
	size_t off, len;		/* in the batch's text */
	int chunk;			/* a C item: off/len are its bytes */
	long asked;			/* its answer's index, or -1 */
	unsigned char digest[BS_DIGEST_LEN];
};

void bs_rpush_init(struct bs_rpush *p)
{
	memset(p, 0, sizeof(*p));
	p->c.to = p->c.from = -1;
	bs_buf_init(&p->out);
	bs_buf_init(&p->text);
	bs_buf_init(&p->reply);
}

void bs_rpush_release(struct bs_rpush *p)
{
	if (p->c.pid > 0 && (p->c.to >= 0 || p->c.from >= 0))
		bs_remote_finish(&p->c, NULL);
	bs_reader_release(&p->from);
	bs_buf_release(&p->out);
	bs_buf_release(&p->text);
	bs_buf_release(&p->reply);
	free(p->v);
	free(p->known);
	p->v = NULL;
	p->known = NULL;
}

int bs_rpush_start(struct bs_rpush *p, const struct bs_remote_url *url, struct bs_err *e)
{
	if (bs_remote_start(url, &p->c, e) < 0)
		return -1;
	bs_reader_init(&p->from, p->c.from, "the server");
	return 0;
}

int bs_rpush_request(struct bs_rpush *p, const struct bs_remote_url *url, const char *verb, int argc, char **args,
		     struct bs_err *e)
{
	return bs_remote_request(&p->c, verb, url->path, argc, args, e);
}

int bs_rpush_connect(struct bs_rpush *p, const struct bs_remote_url *url, const char *verb, int argc, char **args,
		     struct bs_err *e)
{
	if (bs_rpush_start(p, url, e) < 0)
		return -1;
	return bs_rpush_request(p, url, verb, argc, args, e);
}

/*
 * The server has gone: when bs-serve refused the request or failed, it
 * said why on standard error (ssh carries it here), and its status is
 * ours, without a second message.
 */
int bs_rpush_gone(struct bs_rpush *p, const char *why, struct bs_err *e)
{
	int status = bs_remote_finish(&p->c, NULL);

	if (status > 0 && status < 255) {
		e->code = status;
		e->msg[0] = '\0';
		return -1;
	}
	return bs_err_set(e, BS_SYS, "%s", why);
}

static int send_frame(struct bs_rpush *p, int type, const void *data, size_t n, struct bs_err *e)
{
	if (bs_frame_write(p->c.to, type, 0, data, n) < 0) {
		char why[160];
		snprintf(why, sizeof(why), "cannot write to the server: %s", strerror(errno));
		return bs_rpush_gone(p, why, e);
	}
	return 0;
}

/* Stream text to the server, in frames of at most FRAME_BYTES. */
static int send_data(struct bs_rpush *p, const char *s, size_t n, struct bs_err *e)
{
	while (n) {
		size_t k = n < FRAME_BYTES ? n : FRAME_BYTES;
		if (send_frame(p, 'D', s, k, e) < 0)
			return -1;
		s += k;
		n -= k;
	}
	return 0;
}

static int cmp_digest(const void *a, const void *b)
{
	return memcmp(a, b, BS_DIGEST_LEN);
}

static int is_known(struct bs_rpush *p, const unsigned char *d)
{
	return p->nknown && bsearch(d, p->known, p->nknown, BS_DIGEST_LEN, cmp_digest) != NULL;
}

/* Remember the batch's chunks: sent, or found there. */
static void add_known(struct bs_rpush *p)
{
	if (p->nknown + p->n > p->knowncap) {
		p->knowncap = (p->nknown + p->n) * 2;
		p->known = bs_xrealloc(p->known, p->knowncap * BS_DIGEST_LEN);
	}
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].chunk)
			memcpy(p->known + p->nknown++ * BS_DIGEST_LEN, p->v[i].digest, BS_DIGEST_LEN);
	if (p->nknown)	/* (qsort wants a pointer even for nothing) */
		qsort(p->known, p->nknown, BS_DIGEST_LEN, cmp_digest);
}

/* The server's next frame, of type want, into p->reply (its count in *count). */
static int expect(struct bs_rpush *p, int want, uint64_t *count, struct bs_err *e)
{
	uint64_t n;
	int type, rc = p->greeted ? 1 : bs_wire_read_greeting(&p->from, e);

	p->greeted = 1;
	if (rc > 0)
		rc = bs_frame_read(&p->from, &type, &n, count, &p->reply, e);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return bs_rpush_gone(p, "the server hung up (see its message above)", e);
	if (type != want)
		return bs_err_set(e, BS_INPUT, "unexpected answer '%c' from the server", type);
	p->reply.len = (size_t)n;
	return 0;
}

/* Which of the batch's chunks to ask about: their digests in ask. */
static void questions(struct bs_rpush *p, struct bs_buf *ask)
{
	for (size_t i = 0; i < p->n; i++) {
		struct bs_rpush_piece *c = &p->v[i];
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
		c->asked = (long)(ask->len / BS_DIGEST_LEN);
		bs_buf_add(ask, c->digest, BS_DIGEST_LEN);
	}
}

/*
 * Send the batch: ask the server which of its chunks it has (one round
 * trip for up to BS_RPUSH_CHUNKS chunks), then send the batch with an R
 * line for each of those and the bytes of the others only.
 */
static int flush_batch(struct bs_rpush *p, struct bs_err *e)
{
	struct bs_buf ask = BS_BUF_INIT, line = BS_BUF_INIT;
	size_t from = 0;
	uint64_t count;
	int rc = -1;

	questions(p, &ask);
	if (ask.len) {
		if (send_frame(p, 'H', ask.p, ask.len, e) < 0 || expect(p, 'h', &count, e) < 0)
			goto out;
		if (p->reply.len != ask.len / BS_DIGEST_LEN) {
			bs_err_set(e, BS_INPUT, "the server answered %zu of %zu questions", p->reply.len,
				   ask.len / BS_DIGEST_LEN);
			goto out;
		}
	}
	/* text before the first chunk goes as it is; each chunk's C line was
	 * left out of the text: written here as C or R */
	for (size_t i = 0; i < p->n; i++) {
		struct bs_rpush_piece *c = &p->v[i];
		int here;
		if (!c->chunk)
			continue;
		if (send_data(p, p->text.p + from, c->off - from, e) < 0)
			goto out;
		/* asked: its answer; a second copy (< -1) or one sent or found
		 * in an earlier batch (-1): there */
		here = c->asked >= 0 ? p->reply.p[c->asked] == '1' : 1;
		bs_buf_reset(&line);
		bs_ref_format(&line, here ? 'R' : 'C', c->digest, c->len);
		if (here) {
			p->skipped_chunks++;
			p->skipped_bytes += c->len;
		} else {
			bs_buf_add(&line, p->text.p + c->off, c->len);
			p->sent_chunks++;
			p->sent_bytes += c->len;
		}
		if (send_data(p, line.p, line.len, e) < 0)
			goto out;
		from = c->off + c->len;
	}
	if (send_data(p, p->text.p + from, p->text.len - from, e) < 0)
		goto out;
	add_known(p);
	bs_buf_reset(&p->text);
	p->n = p->nchunks = 0;
	rc = 0;
out:
	bs_buf_release(&ask);
	bs_buf_release(&line);
	return rc;
}

static struct bs_rpush_piece *add_piece(struct bs_rpush *p)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 256;
		p->v = bs_xrealloc(p->v, p->cap * sizeof(*p->v));
	}
	return &p->v[p->n++];
}

/* One item of the stream into the batch; *count: the records so far. */
static void add_item(struct bs_rpush *p, const struct bs_item *it, uint64_t *count)
{
	struct bs_rpush_piece *c;
	char hex[BS_HEX_LEN + 1];

	switch (it->type) {
	case BS_ITEM_CHUNK:
		c = add_piece(p);
		c->chunk = 1;
		memcpy(c->digest, it->digest, BS_DIGEST_LEN);
		c->off = p->text.len;
		c->len = it->data.len;
		bs_buf_add(&p->text, it->data.p, it->data.len);
		p->nchunks++;
		break;
	case BS_ITEM_REF:
		bs_ref_format(&p->text, 'R', it->digest, it->size);
		break;
	case BS_ITEM_PIECE:
		bs_piece_format(&p->text, it->digest, it->offset, it->size);
		break;
	case BS_ITEM_ABANDON:
		bs_buf_add(&p->text, "A\n", 2);
		break;
	case BS_ITEM_STAT:
		bs_buf_addf(&p->text, "S %s %" PRIu64 "\n", it->key, it->value);
		break;
	case BS_ITEM_RECORD:
		bs_rec_format(&p->text, &it->rec);
		(*count)++;
		break;
	case BS_ITEM_LISTING:
		bs_hex(hex, it->digest);
		bs_buf_addf(&p->text, "L %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %s ", hex, it->entries,
			    it->files, it->bytes, it->ndirs, it->id);
		bs_buf_add(&p->text, it->dir.p, it->dir.len);
		bs_buf_addc(&p->text, '\0');
		bs_buf_add(&p->text, it->dirs.p, it->dirs.len);
		(*count)++;
		break;
	}
}

/* The stamps bs-chunk made in the mirror (store_mirror.c: "sec.nsec hex"
 * lines in mirror-touched), made on the server too: one T frame a time. */
static int send_touches(struct bs_rpush *p, const char *dir, struct bs_err *e)
{
	struct bs_buf path = BS_BUF_INIT, frame = BS_BUF_INIT, line = BS_BUF_INIT, time = BS_BUF_INIT;
	struct bs_reader r;
	int fd, rc;

	bs_buf_addf(&path, "%s/mirror-touched", dir);
	fd = open(path.p, O_RDONLY | O_CLOEXEC);
	bs_buf_release(&path);
	if (fd < 0)
		return errno == ENOENT ? 0 : bs_err_sys(e, "cannot read '%s/mirror-touched'", dir);
	bs_reader_init(&r, fd, "mirror-touched");
	while ((rc = bs_reader_until(&r, '\n', &line, e)) == 1) {
		char *sp = memchr(line.p, ' ', line.len);
		unsigned char digest[BS_DIGEST_LEN];
		if (!sp || line.p + line.len - (sp + 1) != BS_HEX_LEN || bs_unhex(digest, sp + 1, BS_HEX_LEN) < 0) {
			rc = bs_err_set(e, BS_INPUT, "'%s/mirror-touched' is damaged", dir);
			break;
		}
		if (time.len != (size_t)(sp - line.p) || memcmp(time.p, line.p, time.len)) {
			if (frame.len > time.len + 1 && (rc = send_frame(p, 'T', frame.p, frame.len, e)) < 0)
				break;
			bs_buf_reset(&time);
			bs_buf_add(&time, line.p, (size_t)(sp - line.p));
			bs_buf_reset(&frame);
			bs_buf_add(&frame, time.p, time.len);
			bs_buf_addc(&frame, '\n');
		}
		bs_buf_add(&frame, digest, BS_DIGEST_LEN);
		if (frame.len > (4u << 20)) {
			if ((rc = send_frame(p, 'T', frame.p, frame.len, e)) < 0)
				break;
			bs_buf_setlen(&frame, time.len + 1);
		}
	}
	if (rc == 0 && frame.len > time.len + 1)
		rc = send_frame(p, 'T', frame.p, frame.len, e);
	bs_reader_release(&r);
	close(fd);
	bs_buf_release(&frame);
	bs_buf_release(&line);
	bs_buf_release(&time);
	return rc < 0 ? -1 : 0;
}

/* No stream: bs-chunk failed, or the mirror was refused; if the server
 * refused us too, it has said why, and its status is ours. */
static int no_stream(struct bs_rpush *p, struct bs_err *e)
{
	struct pollfd pfd = { .fd = p->c.from, .events = POLLIN };
	char c;

	if (poll(&pfd, 1, 200) == 1 && read(p->c.from, &c, 1) == 0) {
		int gone = bs_remote_finish(&p->c, NULL);
		if (gone > 0 && gone < 255) {
			e->code = gone;
			e->msg[0] = '\0';
		}
	}
	return -1;
}

int bs_rpush_stream(struct bs_rpush *p, int fd, const char *what, const char *mirror, struct bs_err *e)
{
	struct bs_reader in;
	struct bs_stream st;
	struct bs_item it;
	char floor[64] = "-";
	uint64_t count = 0, status;
	int rc = -1, more;

	bs_reader_init(&in, fd, what);
	bs_item_init(&it);
	p->in_err.code = 0;
	if (bs_stream_open(&st, &in, BS_STREAM_CHUNKS, e) < 0) {
		no_stream(p, e);
		goto out;
	}
	st.max_chunk = 64u << 20;
	if (st.has_floor)
		snprintf(floor, sizeof(floor), "%" PRId64 ".%09" PRIu32, st.floor.sec, st.floor.nsec);
	if (send_frame(p, 'F', floor, strlen(floor), e) < 0)
		goto out;
	while ((more = bs_stream_next(&st, &it, &p->in_err)) == 1) {
		add_item(p, &it, &count);
		/* a batch holds the stream from its first chunk on, until the
		 * server says which it has; what comes before goes at once, so
		 * that bs-store and bs-index there keep up with bs-chunk here */
		if (!p->n && p->text.len >= BS_RPUSH_EAGER) {
			if (send_data(p, p->text.p, p->text.len, e) < 0)
				goto out;
			bs_buf_reset(&p->text);
		}
		if ((p->nchunks >= BS_RPUSH_CHUNKS || p->text.len >= BS_RPUSH_BYTES) && flush_batch(p, e) < 0)
			goto out;
	}
	if (flush_batch(p, e) < 0)
		goto out;
	if (more == 0) {
		p->in_err.code = 0;
		/* the stamps first, then the trailer: the backup is complete
		 * only once the server has both */
		if (mirror && send_touches(p, mirror, e) < 0)
			goto out;
		bs_buf_addf(&p->text, "E %" PRIu64 "\n", count);
		if (send_data(p, p->text.p, p->text.len, e) < 0)
			goto out;
		bs_buf_reset(&p->text);
	}
	clock_gettime(CLOCK_MONOTONIC, &p->sent_at);
	if (send_frame(p, 'Z', NULL, 0, e) < 0 || expect(p, 'z', &status, e) < 0)
		goto out;
	bs_buf_reset(&p->out);
	bs_buf_add(&p->out, p->reply.p, p->reply.len);
	bs_remote_finish(&p->c, NULL);
	rc = (int)status - 1;
out:
	bs_item_release(&it);
	bs_stream_release(&st);
	bs_reader_release(&in);
	return rc;
}
