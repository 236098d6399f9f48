/* backupread.c - stat records in, the chunk stream out: bs-chunk's decisions. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backupread.h"
#include "meta.h"
#include "walk.h"

/* A hard-linked file met in this run: its size and chunk references. */
struct bs_linked {
	uint64_t size;
	int waiting;		/* its first name is queued: its pieces are not all known */
	struct bs_buf extents;	/* the first name's, as read */
	struct bs_entry ent;
};

/* A record held back behind a small file of the open pack chunk. */
struct bs_backupread_queued {
	struct bs_entry ent;		/* the record, and the refs or pieces so far */
	uint64_t left;			/* its bytes not yet in a written pack chunk */
	uint64_t at;			/* where they start in the open pack chunk */
	struct bs_linked *first;	/* a small file with other links: their group */
	struct bs_linked *later;	/* a later name of a file whose first is queued */
};

static int same_buf(const struct bs_buf *a, const struct bs_buf *b)
{
	return a->len == b->len && !memcmp(a->p, b->p, a->len);
}

static void on_chunk(void *arg, const unsigned char *digest, const unsigned char *p, size_t n)
{
	struct bs_backupread *b = arg;

	bs_stream_chunk(b->out, digest, p, n);
	if (b->keep)
		bs_entry_addref(b->keep, digest, n);
}

static void on_bytes(void *arg, uint64_t n)
{
	struct bs_backupread *b = arg;

	if (b->hooks.bytes)
		b->hooks.bytes(b->hooks.arg, n);
}

void bs_backupread_init(struct bs_backupread *b, struct bs_writer *out, struct bs_chunker *ck,
			struct bs_priors *priors)
{
	memset(b, 0, sizeof(*b));
	b->out = out;
	b->priors = priors;
	bs_fileread_init(&b->fr, ck);
	/* the pack's chunker cuts with the same sizes */
	if (bs_chunker_init(&b->pack.ck, ck->min, ck->avg, ck->max) < 0)
		b->pack.ck = *ck;
	bs_chunker_reset(&b->pack.ck);
	bs_hash_init(&b->pack.hash);
	b->fr.chunk = on_chunk;
	b->fr.bytes = on_bytes;
	b->fr.arg = b;
	bs_linkmap_init(&b->links);
}

static void linked_free(void *v)
{
	struct bs_linked *l = v;
	bs_buf_release(&l->extents);
	bs_entry_release(&l->ent);
	free(l);
}

void bs_backupread_release(struct bs_backupread *b)
{
	bs_linkmap_release(&b->links, linked_free);
	for (size_t i = 0; i < b->group.cap; i++)
		bs_rec_release(&b->group.v[i]);
	free(b->group.v);
	bs_buf_release(&b->group.dir);
	bs_buf_release(&b->scratch);
	bs_fileread_release(&b->fr);
	for (size_t i = 0; i < b->pack.cap; i++)
		bs_entry_release(&b->pack.q[i].ent);
	free(b->pack.q);
	bs_buf_release(&b->pack.buf);
	bs_buf_release(&b->pack.file);
	bs_hash_release(&b->pack.hash);
}

uint64_t bs_backupread_problems(const struct bs_backupread *b)
{
	return b->n.vanished + b->n.denied + b->n.unreadable + b->n.changed;
}

void bs_backupread_count(struct bs_backupread *b, int kind)
{
	switch (kind) {
	case BS_WARN_VANISHED: b->n.vanished++; break;
	case BS_WARN_DENIED: b->n.denied++; break;
	default: b->n.unreadable++;
	}
}

__attribute__((format(printf, 2, 3))) static void warn(struct bs_backupread *b, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!b->hooks.warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	b->hooks.warn(b->hooks.arg, msg);
}

static int check_out(struct bs_backupread *b, struct bs_err *e)
{
	if (!b->out->err)
		return 0;
	b->broken = 1;
	bs_writer_flush(b->out, e);
	return -1;
}

static int emit_record(struct bs_backupread *b, const struct bs_rec *rec, struct bs_err *e)
{
	bs_stream_record(b->out, rec, &b->scratch);
	b->n.records++;
	return check_out(b, e);
}

static void emit_refs(struct bs_backupread *b, const struct bs_entry *ent)
{
	for (size_t i = 0; i < ent->nrefs; i++)
		bs_ref_emit(b->out, &ent->refs[i]);
}

/*
 * The queue of records held back behind small files whose bytes are not
 * yet all in written pack chunks: q[head, head+n).  An entry is ready when
 * all its pieces are known (and, for a later name of a hard-linked small
 * file, when its first name's are).
 */
static int queued_ready(const struct bs_backupread_queued *q)
{
	return q->left == 0 && !(q->later && q->later->waiting);
}

static struct bs_backupread_queued *enqueue(struct bs_backupread *b)
{
	struct bs_backupread_queued *q;

	if (b->pack.head + b->pack.n == b->pack.cap && b->pack.head) {
		/* slide down, swapping so that entries keep their allocations */
		for (size_t i = 0; i < b->pack.n; i++) {
			struct bs_backupread_queued t = b->pack.q[i];
			b->pack.q[i] = b->pack.q[b->pack.head + i];
			b->pack.q[b->pack.head + i] = t;
		}
		b->pack.head = 0;
	}
	if (b->pack.n == b->pack.cap) {
		size_t old = b->pack.cap;
		b->pack.cap = old ? 2 * old : 64;
		b->pack.q = bs_xrealloc(b->pack.q, b->pack.cap * sizeof(*b->pack.q));
		for (size_t i = old; i < b->pack.cap; i++)
			bs_entry_init(&b->pack.q[i].ent);
	}
	q = &b->pack.q[b->pack.head + b->pack.n++];
	q->ent.nrefs = 0;
	q->left = q->at = 0;
	q->first = q->later = NULL;
	return q;
}

static int emit_queued(struct bs_backupread *b, struct bs_backupread_queued *q, struct bs_err *e)
{
	emit_refs(b, q->later ? &q->later->ent : &q->ent);
	if (q->first) {
		bs_entry_copy(&q->first->ent, &q->ent);
		q->first->waiting = 0;
	}
	return emit_record(b, &q->ent.rec, e);
}

/* Write the ready records at the front of the queue; with `all`, every
 * ready record, out of order (the queue grew too long). */
static int pop_ready(struct bs_backupread *b, int all, struct bs_err *e)
{
	size_t kept = 0;

	while (b->pack.n && queued_ready(&b->pack.q[b->pack.head])) {
		if (emit_queued(b, &b->pack.q[b->pack.head], e) < 0)
			return -1;
		b->pack.head++;
		b->pack.n--;
	}
	if (!b->pack.n)
		b->pack.head = 0;
	if (!all)
		return 0;
	for (size_t i = 0; i < b->pack.n; i++) {
		struct bs_backupread_queued *q = &b->pack.q[b->pack.head + i], t;
		if (queued_ready(q)) {
			if (emit_queued(b, q, e) < 0)
				return -1;
			continue;
		}
		t = b->pack.q[b->pack.head + kept];
		b->pack.q[b->pack.head + kept] = *q;
		*q = t;
		kept++;
	}
	b->pack.n = kept;
	return 0;
}

/* A record whose refs are known (refs, or those of `later`'s first name):
 * written now, or queued behind the small files before it. */
static int out_ready(struct bs_backupread *b, const struct bs_entry *refs, const struct bs_rec *rec,
		     struct bs_linked *later, struct bs_err *e)
{
	struct bs_backupread_queued *q;

	if (!b->pack.n && !(later && later->waiting)) {
		if (refs)
			emit_refs(b, refs);
		return emit_record(b, rec, e);
	}
	q = enqueue(b);
	bs_rec_copy(&q->ent.rec, rec);
	q->later = later;
	if (refs && !later)
		for (size_t i = 0; i < refs->nrefs; i++) {
			bs_entry_addref(&q->ent, refs->refs[i].digest, 0);
			q->ent.refs[i] = refs->refs[i];
		}
	return b->pack.n > BS_BACKUPREAD_QUEUE_MAX ? pop_ready(b, 1, e) : 0;
}

/* The pack chunker cut after `len` bytes of the open pack chunk: its C
 * item, then the pieces it holds, and the records now ready. */
static int pack_cut(struct bs_backupread *b, size_t len, struct bs_err *e)
{
	unsigned char d[BS_DIGEST_LEN];

	bs_hash_final(&b->pack.hash, d);
	bs_stream_chunk(b->out, d, b->pack.buf.p, len);
	for (size_t i = 0; i < b->pack.n; i++) {
		struct bs_backupread_queued *q = &b->pack.q[b->pack.head + i];
		uint64_t n;
		if (!q->left)
			continue;
		if (q->at >= len) {
			q->at -= len;
			continue;
		}
		n = q->left < len - q->at ? q->left : len - q->at;
		bs_entry_addpiece(&q->ent, d, q->at, n);
		q->left -= n;
		q->at = 0;	/* the rest starts the next pack chunk */
	}
	memmove(b->pack.buf.p, b->pack.buf.p + len, b->pack.buf.len - len);
	bs_buf_setlen(&b->pack.buf, b->pack.buf.len - len);
	b->pack.scanned = 0;
	if (pop_ready(b, 0, e) < 0)
		return -1;
	return check_out(b, e);
}

/* A small file's bytes into the open pack chunk, cut where the pack's
 * chunker says. */
static int pack_feed(struct bs_backupread *b, const char *p, size_t n, struct bs_err *e)
{
	bs_buf_add(&b->pack.buf, p, n);
	while (b->pack.scanned < b->pack.buf.len) {
		const unsigned char *u = (const unsigned char *)b->pack.buf.p + b->pack.scanned;
		size_t avail = b->pack.buf.len - b->pack.scanned;
		ssize_t k = bs_chunker_find(&b->pack.ck, u, avail);
		if (k < 0) {
			bs_hash_update(&b->pack.hash, u, avail);
			b->pack.scanned = b->pack.buf.len;
			break;
		}
		bs_hash_update(&b->pack.hash, u, (size_t)k);
		if (pack_cut(b, b->pack.scanned + (size_t)k, e) < 0)
			return -1;
	}
	return 0;
}

/* The end of the input: the last pack chunk, and every record held back. */
static int pack_end(struct bs_backupread *b, struct bs_err *e)
{
	if (b->pack.buf.len) {
		bs_hash_update(&b->pack.hash, b->pack.buf.p + b->pack.scanned, b->pack.buf.len - b->pack.scanned);
		bs_chunker_reset(&b->pack.ck);
		if (pack_cut(b, b->pack.buf.len, e) < 0)
			return -1;
	}
	return pop_ready(b, 1, e);
}

/* Say why a file was not read as it was; returns 0 when it was saved all
 * the same (it changed while read), -1 when it was skipped. */
static int read_status(struct bs_backupread *b, struct bs_rec *rec, int rc, const struct bs_fileread_result *res)
{
	char q[512];

	if (rc == BS_FILEREAD_OK) {
		b->n.read_files++;
		b->n.read_bytes += bs_rec_datasize(rec);
		return 0;
	}
	bs_quote(rec->path.p, rec->path.len, q, sizeof(q));
	switch (rc) {
	case BS_FILEREAD_CHANGED:
		warn(b, "'%s' changed while being read; saved as read", q);
		b->n.changed++;
		b->n.read_files++;
		b->n.read_bytes += bs_rec_datasize(rec);
		return 0;
	case BS_FILEREAD_SYMLINK:
		warn(b, "'%s' changed into a symbolic link while being backed up; skipped", q);
		b->n.changed++;
		break;
	case BS_FILEREAD_NOTREG:
		warn(b, "'%s' is no longer a regular file; skipped", q);
		b->n.changed++;
		break;
	case BS_FILEREAD_OPEN:
		warn(b, "cannot open '%s': %s", q, strerror(res->err));
		bs_backupread_count(b, bs_warn_kind(res->err));
		break;
	case BS_FILEREAD_STAT:
		warn(b, "cannot stat '%s': %s", q, strerror(res->err));
		bs_backupread_count(b, bs_warn_kind(res->err));
		break;
	case BS_FILEREAD_READ:
		warn(b, "cannot read '%s': %s", q, strerror(res->err));
		bs_backupread_count(b, bs_warn_kind(res->err == ENOENT ? EIO : res->err));
		if (res->chunks)
			bs_stream_abandon(b->out);
		break;
	}
	return -1;
}

/* Read and chunk one regular file; returns 0, or -1 when it was skipped. */
static int read_file(struct bs_backupread *b, struct bs_rec *rec)
{
	struct bs_fileread_result res;

	return read_status(b, rec, bs_fileread_file(&b->fr, rec, &res), &res);
}

/* A small file, read whole and packed: queued until its bytes are all in
 * written pack chunks.  Returns 1 when it turned out not small. */
static int read_small(struct bs_backupread *b, struct bs_rec *rec, struct bs_linked *hl, struct bs_err *e)
{
	struct bs_fileread_result res;
	struct bs_backupread_queued *q;
	int rc = bs_fileread_small(&b->fr, rec, b->pack.ck.min, &b->pack.file, &res);

	if (rc == BS_FILEREAD_BIG)
		return 1;
	if (read_status(b, rec, rc, &res) < 0) {
		if (hl)
			hl->size = UINT64_MAX;
		return check_out(b, e);
	}
	if (hl) {
		hl->size = rec->size;
		bs_buf_reset(&hl->extents);	/* a small file is never sparse */
	}
	if (!rec->size) {
		if (hl) {
			hl->ent.nrefs = 0;
			hl->waiting = 0;
		}
		return out_ready(b, NULL, rec, NULL, e);
	}
	b->n.packed++;
	q = enqueue(b);
	bs_rec_copy(&q->ent.rec, rec);
	q->left = rec->size;
	q->at = b->pack.buf.len;
	q->first = hl;
	if (hl)
		hl->waiting = 1;
	return pack_feed(b, b->pack.file.p, b->pack.file.len, e);
}

static int process(struct bs_backupread *b, struct bs_rec *rec, struct bs_err *e)
{
	const struct bs_entry *prior;
	struct bs_linked *hl = NULL;

	if (b->hooks.file)
		b->hooks.file(b->hooks.arg, rec->path.p, rec->kind == 'f' ? rec->size : 0);
	if (rec->kind != 'f')
		return out_ready(b, NULL, rec, NULL, e);
	if (rec->nlink > 1) {
		hl = bs_linkmap_get(&b->links, rec->dev, rec->ino);
		if (hl && hl->size == rec->size && same_buf(&hl->extents, &rec->extents)) {
			b->n.linked++;
			return out_ready(b, &hl->ent, rec, hl, e);
		}
	}
	if (b->priors && b->priors->n && (prior = bs_priors_unchanged(b->priors, rec))) {
		b->n.unchanged++;
		if (b->hooks.skip)
			b->hooks.skip(b->hooks.arg, rec->size);
		return out_ready(b, prior, rec, NULL, e);
	}
	if (rec->nlink > 1 && !hl) {
		hl = bs_xcalloc(1, sizeof(*hl));
		bs_buf_init(&hl->extents);
		bs_entry_init(&hl->ent);
		bs_linkmap_put(&b->links, rec->dev, rec->ino, hl);
	} else {
		hl = NULL;
	}
	if (hl) {
		hl->ent.nrefs = 0;
		hl->waiting = 0;
	}
	if (rec->size < b->pack.ck.min) {
		int rc = read_small(b, rec, hl, e);
		if (rc <= 0)
			return rc;
	}
	b->keep = hl ? &hl->ent : NULL;
	if (read_file(b, rec) < 0) {
		if (hl)
			hl->size = UINT64_MAX;
		return check_out(b, e);
	}
	if (hl) {
		hl->size = rec->size;
		bs_buf_reset(&hl->extents);
		bs_buf_add(&hl->extents, rec->extents.p, rec->extents.len);
	}
	return emit_record(b, rec, e);
}

/* The gathered records: taken whole as an earlier listing, or one by one. */
static int flush_group(struct bs_backupread *b, struct bs_err *e)
{
	uint64_t files;
	size_t n = b->group.n;

	b->group.n = 0;
	if (!n)
		return 0;
	if (!bs_priors_take_group(b->priors, b->group.v, n, b->group.dir.p, b->group.dir.len, b->out, &files)) {
		for (size_t i = 0; i < n; i++)
			if (process(b, &b->group.v[i], e) < 0)
				return -1;
		return 0;
	}
	b->n.records++;
	b->n.unchanged += files;
	for (size_t j = 0; j < n; j++) {
		const struct bs_rec *r = &b->group.v[j];
		if (b->hooks.file)
			b->hooks.file(b->hooks.arg, r->path.p, r->kind == 'f' ? r->size : 0);
		if (r->kind == 'f' && b->hooks.skip)
			b->hooks.skip(b->hooks.arg, r->size);
	}
	return check_out(b, e);
}

/* Records come here; with earlier backups to compare with, a directory's
 * run of records is gathered and looked at whole. */
int bs_backupread_take(struct bs_backupread *b, struct bs_rec *rec, struct bs_err *e)
{
	const char *base;
	size_t dirlen, baselen;

	if (!b->priors || !b->priors->n || rec->path.len < 2) {
		if (flush_group(b, e) < 0)
			return -1;
		return process(b, rec, e);
	}
	bs_path_split(rec->path.p, rec->path.len, &dirlen, &base, &baselen);
	if (dirlen != b->group.dir.len || memcmp(rec->path.p, b->group.dir.p, dirlen)) {
		if (flush_group(b, e) < 0)
			return -1;
		b->group.overflow = 0;
		bs_buf_reset(&b->group.dir);
		bs_buf_add(&b->group.dir, rec->path.p, dirlen);
	}
	if (!b->group.overflow && b->group.n == BS_BACKUPREAD_GROUP_MAX) {
		size_t n = b->group.n;
		b->group.n = 0;
		b->group.overflow = 1;
		for (size_t i = 0; i < n; i++)
			if (process(b, &b->group.v[i], e) < 0)
				return -1;
	}
	if (b->group.overflow)
		return process(b, rec, e);
	if (b->group.n == b->group.cap) {
		size_t old = b->group.cap;
		b->group.cap = b->group.cap ? b->group.cap * 2 : 64;
		b->group.v = bs_xrealloc(b->group.v, b->group.cap * sizeof(*b->group.v));
		for (size_t i = old; i < b->group.cap; i++)
			bs_rec_init(&b->group.v[i]);
	}
	bs_rec_copy(&b->group.v[b->group.n++], rec);
	return 0;
}

void bs_backupread_abort(struct bs_backupread *b)
{
	struct bs_err ignored;

	if (!b->broken && flush_group(b, &ignored) == 0)
		pack_end(b, &ignored);
	bs_writer_flush(b->out, &ignored);
}

int bs_backupread_flush(struct bs_backupread *b, struct bs_err *e)
{
	if (flush_group(b, e) < 0)
		return -1;
	return pack_end(b, e);
}

int bs_backupread_finish(struct bs_backupread *b, struct bs_err *e)
{
	struct bs_writer *w = b->out;

	if (bs_backupread_flush(b, e) < 0)
		return -1;
	if (b->n.unchanged)
		bs_stream_stat(w, "unchanged", b->n.unchanged);
	if (b->n.read_files)
		bs_stream_stat(w, "read-files", b->n.read_files);
	if (b->n.packed)
		bs_stream_stat(w, "packed-files", b->n.packed);
	bs_stream_stat(w, "read-bytes", b->n.read_bytes);
	if (b->n.sockets)
		bs_stream_stat(w, "sockets", b->n.sockets);
	if (b->n.vanished)
		bs_stream_stat(w, "vanished", b->n.vanished);
	if (b->n.denied)
		bs_stream_stat(w, "denied", b->n.denied);
	if (b->n.unreadable)
		bs_stream_stat(w, "unreadable", b->n.unreadable);
	if (b->n.changed)
		bs_stream_stat(w, "changed", b->n.changed);
	bs_stream_trailer(w, b->n.records);
	return 0;
}
