/* backupread.c - stat records in, the chunk stream out: bs-chunk's decisions (the pack of small files is backuppack.c). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backuppack.h"
#include "meta.h"
#include "walk.h"

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
	bs_rec_init(&b->rec);
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
	free(b->group.v);
	bs_buf_release(&b->group.dir);
	bs_buf_release(&b->group.text);
	bs_rec_release(&b->rec);
	bs_buf_release(&b->scratch);
	bs_fileread_release(&b->fr);
	bs_backupread_pack_release(b);
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

int bs_backupread_check_out(struct bs_backupread *b, struct bs_err *e)
{
	if (!b->out->err)
		return 0;
	b->broken = 1;
	bs_writer_flush(b->out, e);
	return -1;
}

int bs_backupread_emit_record(struct bs_backupread *b, const struct bs_rec *rec, struct bs_err *e)
{
	bs_stream_record(b->out, rec, &b->scratch);
	b->n.records++;
	return bs_backupread_check_out(b, e);
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
	int rc = bs_fileread_small(&b->fr, rec, b->pack.ck.min, &b->pack.file, &res);

	if (rc == BS_FILEREAD_BIG)
		return 1;
	if (read_status(b, rec, rc, &res) < 0) {
		if (hl)
			hl->size = UINT64_MAX;
		return bs_backupread_check_out(b, e);
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
		return bs_backupread_out_ready(b, NULL, rec, NULL, e);
	}
	b->n.packed++;
	return bs_backupread_pack_small(b, rec, hl, e);
}

static int process(struct bs_backupread *b, struct bs_rec *rec, struct bs_err *e)
{
	const struct bs_entry *prior;
	struct bs_linked *hl = NULL;

	if (b->hooks.file)
		b->hooks.file(b->hooks.arg, rec->path.p, rec->kind == 'f' ? rec->size : 0);
	if (rec->kind != 'f')
		return bs_backupread_out_ready(b, NULL, rec, NULL, e);
	if (rec->nlink > 1) {
		hl = bs_linkmap_get(&b->links, rec->dev, rec->ino);
		if (hl && hl->size == rec->size && same_buf(&hl->extents, &rec->extents)) {
			b->n.linked++;
			return bs_backupread_out_ready(b, &hl->ent, rec, hl, e);
		}
	}
	if (b->priors && b->priors->n && (prior = bs_priors_unchanged(b->priors, rec))) {
		b->n.unchanged++;
		if (b->hooks.skip)
			b->hooks.skip(b->hooks.arg, rec->size);
		return bs_backupread_out_ready(b, prior, rec, NULL, e);
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
		return bs_backupread_check_out(b, e);
	}
	if (hl) {
		hl->size = rec->size;
		bs_buf_reset(&hl->extents);
		bs_buf_add(&hl->extents, rec->extents.p, rec->extents.len);
	}
	return bs_backupread_emit_record(b, rec, e);
}

/*
 * A directory's run of records is gathered as text (bs_priors_group): each
 * record as a listing holds it, under its bare name.  Decoded again, with
 * its full path, only when it is read one by one.
 */
static void group_add(struct bs_backupread *b, const struct bs_rec *rec, const char *base, size_t baselen)
{
	struct bs_priors_group *g = &b->group;
	struct bs_priors_grec *r;
	size_t off = g->text.len;

	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 64;
		g->v = bs_xrealloc(g->v, g->cap * sizeof(*g->v));
	}
	bs_rec_format_as(&g->text, rec, base, baselen);
	r = &g->v[g->n++];
	r->off = (uint32_t)off;
	r->end = (uint32_t)(g->text.len - 1);
	r->name = (uint32_t)(r->end - baselen);
	r->kind = rec->kind;
	r->nlink = rec->nlink;
	r->size = rec->size;
}

/* The gathered record i, decoded into b->rec with its full path. */
static int group_rec(struct bs_backupread *b, size_t i, struct bs_err *e)
{
	const struct bs_priors_group *g = &b->group;
	const struct bs_priors_grec *r = &g->v[i];

	if (bs_rec_parse(&b->rec, g->text.p + r->off, r->end - r->off, e) < 0)
		return -1;
	bs_buf_reset(&b->rec.path);
	bs_buf_add(&b->rec.path, g->dir.p, g->dir.len);
	if (g->dir.len > 1)
		bs_buf_addc(&b->rec.path, '/');
	bs_buf_add(&b->rec.path, g->text.p + r->name, r->end - r->name);
	return 0;
}

/* The gathered records one by one, from the first. */
static int group_each(struct bs_backupread *b, struct bs_err *e)
{
	for (size_t i = 0; i < b->group.n; i++)
		if (group_rec(b, i, e) < 0 || process(b, &b->rec, e) < 0)
			return -1;
	return 0;
}

static void group_clear(struct bs_backupread *b)
{
	b->group.n = 0;
	bs_buf_reset(&b->group.text);
}

/* The gathered records: taken whole as an earlier listing, or one by one. */
static int flush_group(struct bs_backupread *b, struct bs_err *e)
{
	uint64_t files;
	int rc = 0;

	if (!b->group.n)
		return 0;
	if (!bs_priors_take_group(b->priors, &b->group, b->out, &files)) {
		rc = group_each(b, e);
		group_clear(b);
		return rc;
	}
	b->n.records++;
	b->n.unchanged += files;
	for (size_t j = 0; j < b->group.n && (b->hooks.file || b->hooks.skip); j++) {
		const struct bs_priors_grec *r = &b->group.v[j];
		if (b->hooks.file) {
			bs_buf_reset(&b->scratch);
			bs_buf_add(&b->scratch, b->group.dir.p, b->group.dir.len);
			if (b->group.dir.len > 1)
				bs_buf_addc(&b->scratch, '/');
			bs_buf_add(&b->scratch, b->group.text.p + r->name, r->end - r->name);
			b->hooks.file(b->hooks.arg, b->scratch.p, r->kind == 'f' ? r->size : 0);
		}
		if (r->kind == 'f' && b->hooks.skip)
			b->hooks.skip(b->hooks.arg, r->size);
	}
	group_clear(b);
	return bs_backupread_check_out(b, e);
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
		b->overflow = 0;
		bs_buf_reset(&b->group.dir);
		bs_buf_add(&b->group.dir, rec->path.p, dirlen);
	}
	if (!b->overflow && b->group.n == BS_BACKUPREAD_GROUP_MAX) {
		int rc;
		b->overflow = 1;
		rc = group_each(b, e);
		group_clear(b);
		if (rc < 0)
			return -1;
	}
	if (b->overflow)
		return process(b, rec, e);
	group_add(b, rec, base, baselen);
	return 0;
}

void bs_backupread_abort(struct bs_backupread *b)
{
	struct bs_err ignored;

	if (!b->broken && flush_group(b, &ignored) == 0)
		bs_backupread_pack_end(b, &ignored);
	bs_writer_flush(b->out, &ignored);
}

int bs_backupread_flush(struct bs_backupread *b, struct bs_err *e)
{
	if (flush_group(b, e) < 0)
		return -1;
	return bs_backupread_pack_end(b, e);
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
