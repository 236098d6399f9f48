/* backuppack.c - small files packed into shared chunks, and the records held back behind them, as text. */
#include <stdlib.h>
#include <string.h>
#include "backuppack.h"

void bs_backupread_pack_release(struct bs_backupread *b)
{
	for (size_t i = 0; i < b->pack.cap; i++)
		free(b->pack.q[i].pieces);
	free(b->pack.q);
	b->pack.q = NULL;
	b->pack.n = b->pack.cap = b->pack.head = 0;
	bs_buf_release(&b->pack.text);
	bs_buf_release(&b->pack.buf);
	bs_buf_release(&b->pack.file);
	bs_hash_release(&b->pack.hash);
}

static void emit_refs(struct bs_backupread *b, const struct bs_entry *ent)
{
	for (size_t i = 0; i < ent->nrefs; i++)
		bs_ref_emit(b->out, &ent->refs[i]);
}

/*
 * The queue of records held back behind small files whose bytes are not
 * yet all in written pack chunks: q[head, head+n), their text in
 * pack.text in the same order.  An entry is ready when all its pieces are
 * known (and, for a later name of a hard-linked small file, when its
 * first name's are).
 */
static int queued_ready(const struct bs_backupread_queued *q)
{
	return q->left == 0 && !(q->later && q->later->waiting);
}

/* A new entry at the end of the queue, its text to be appended. */
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
		memset(b->pack.q + old, 0, (b->pack.cap - old) * sizeof(*b->pack.q));
	}
	q = &b->pack.q[b->pack.head + b->pack.n++];
	q->text = b->pack.text.len;
	q->len = 0;
	q->npieces = 0;
	q->left = q->at = 0;
	q->first = q->later = NULL;
	return q;
}

/* rec (and refs, when known) as the queued entry's text. */
static void queue_text(struct bs_backupread *b, struct bs_backupread_queued *q, const struct bs_entry *refs,
		       const struct bs_rec *rec)
{
	if (refs)
		for (size_t i = 0; i < refs->nrefs; i++)
			bs_ref_text(&b->pack.text, &refs->refs[i]);
	bs_rec_format(&b->pack.text, rec);
	q->len = b->pack.text.len - q->text;
}

static int emit_queued(struct bs_backupread *b, struct bs_backupread_queued *q, struct bs_err *e)
{
	if (q->later) {
		emit_refs(b, &q->later->ent);
	} else {
		for (size_t i = 0; i < q->npieces; i++)
			bs_ref_emit(b->out, &q->pieces[i]);
	}
	if (q->first) {
		q->first->ent.nrefs = 0;
		for (size_t i = 0; i < q->npieces; i++)
			bs_entry_addpiece(&q->first->ent, q->pieces[i].digest, q->pieces[i].offset, q->pieces[i].size);
		q->first->waiting = 0;
	}
	bs_writer_add(b->out, b->pack.text.p + q->text, q->len);
	b->n.records++;
	return bs_backupread_check_out(b, e);
}

/* The queue's text, made contiguous again when more of it is left by
 * records gone (from the front, or out of order) than is still held. */
static void compact_text(struct bs_backupread *b)
{
	size_t live = 0, dst = 0;

	if (!b->pack.n) {
		bs_buf_reset(&b->pack.text);
		return;
	}
	for (size_t i = 0; i < b->pack.n; i++)
		live += b->pack.q[b->pack.head + i].len;
	if (b->pack.text.len - live < ((size_t)64 << 10) || b->pack.text.len - live < live)
		return;
	/* the entries' texts lie in the queue's order */
	for (size_t i = 0; i < b->pack.n; i++) {
		struct bs_backupread_queued *q = &b->pack.q[b->pack.head + i];
		memmove(b->pack.text.p + dst, b->pack.text.p + q->text, q->len);
		q->text = dst;
		dst += q->len;
	}
	bs_buf_setlen(&b->pack.text, dst);
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
	if (all) {
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
	}
	compact_text(b);
	return 0;
}

int bs_backupread_out_ready(struct bs_backupread *b, const struct bs_entry *refs, const struct bs_rec *rec,
			    struct bs_linked *later, struct bs_err *e)
{
	struct bs_backupread_queued *q;

	if (!b->pack.n && !(later && later->waiting)) {
		if (refs)
			emit_refs(b, refs);
		return bs_backupread_emit_record(b, rec, e);
	}
	q = enqueue(b);
	q->later = later;
	queue_text(b, q, later ? NULL : refs, rec);
	return b->pack.n > BS_BACKUPREAD_QUEUE_MAX ? pop_ready(b, 1, e) : 0;
}

static void add_piece(struct bs_backupread_queued *q, const unsigned char *d, uint64_t offset, uint64_t size)
{
	struct bs_ref *r;

	if (q->npieces == q->piececap) {
		q->piececap = q->piececap ? 2 * q->piececap : 2;
		q->pieces = bs_xrealloc(q->pieces, q->piececap * sizeof(*q->pieces));
	}
	r = &q->pieces[q->npieces++];
	memcpy(r->digest, d, BS_DIGEST_LEN);
	r->offset = offset;
	r->size = size;
	r->piece = 1;
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
		add_piece(q, d, q->at, n);
		q->left -= n;
		q->at = 0;	/* the rest starts the next pack chunk */
	}
	memmove(b->pack.buf.p, b->pack.buf.p + len, b->pack.buf.len - len);
	bs_buf_setlen(&b->pack.buf, b->pack.buf.len - len);
	b->pack.scanned = 0;
	b->pack.files = 0;
	if (pop_ready(b, 0, e) < 0)
		return -1;
	return bs_backupread_check_out(b, e);
}

/* The open pack chunk cut where it ends (the input ended, or it holds as
 * many small files as it may); the chunker starts afresh. */
static int pack_cut_here(struct bs_backupread *b, struct bs_err *e)
{
	if (!b->pack.buf.len)
		return 0;
	bs_hash_update(&b->pack.hash, b->pack.buf.p + b->pack.scanned, b->pack.buf.len - b->pack.scanned);
	bs_chunker_reset(&b->pack.ck);
	return pack_cut(b, b->pack.buf.len, e);
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
	if (++b->pack.files >= BS_BACKUPREAD_PACK_FILES)
		return pack_cut_here(b, e);
	return 0;
}

int bs_backupread_pack_small(struct bs_backupread *b, const struct bs_rec *rec, struct bs_linked *hl,
			     struct bs_err *e)
{
	struct bs_backupread_queued *q = enqueue(b);

	queue_text(b, q, NULL, rec);
	q->left = rec->size;
	q->at = b->pack.buf.len;
	q->first = hl;
	if (hl)
		hl->waiting = 1;
	return pack_feed(b, b->pack.file.p, b->pack.file.len, e);
}

int bs_backupread_pack_end(struct bs_backupread *b, struct bs_err *e)
{
	if (pack_cut_here(b, e) < 0)
		return -1;
	return pop_ready(b, 1, e);
}
