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
struct linked {
	uint64_t size;
	struct bs_buf extents;	/* the first name's, as read */
	struct bs_entry ent;
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
	b->fr.chunk = on_chunk;
	b->fr.bytes = on_bytes;
	b->fr.arg = b;
	bs_linkmap_init(&b->links);
}

static void linked_free(void *v)
{
	struct linked *l = v;
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
		bs_stream_ref(b->out, ent->refs[i].digest, ent->refs[i].size);
}

/* Read and chunk one regular file; returns 0, or -1 when it was skipped. */
static int read_file(struct bs_backupread *b, struct bs_rec *rec)
{
	struct bs_fileread_result res;
	char q[512];
	int rc = bs_fileread_file(&b->fr, rec, &res);

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
		warn(b, "cannot open '%s': %s", q, strerror(res.err));
		bs_backupread_count(b, bs_warn_kind(res.err));
		break;
	case BS_FILEREAD_STAT:
		warn(b, "cannot stat '%s': %s", q, strerror(res.err));
		bs_backupread_count(b, bs_warn_kind(res.err));
		break;
	case BS_FILEREAD_READ:
		warn(b, "cannot read '%s': %s", q, strerror(res.err));
		bs_backupread_count(b, bs_warn_kind(res.err == ENOENT ? EIO : res.err));
		if (res.chunks)
			bs_stream_abandon(b->out);
		break;
	}
	return -1;
}

static int process(struct bs_backupread *b, struct bs_rec *rec, struct bs_err *e)
{
	const struct bs_entry *prior;
	struct linked *hl = NULL;

	if (b->hooks.file)
		b->hooks.file(b->hooks.arg, rec->path.p, rec->kind == 'f' ? rec->size : 0);
	if (rec->kind != 'f')
		return emit_record(b, rec, e);
	if (rec->nlink > 1) {
		hl = bs_linkmap_get(&b->links, rec->dev, rec->ino);
		if (hl && hl->size == rec->size && same_buf(&hl->extents, &rec->extents)) {
			emit_refs(b, &hl->ent);
			b->n.linked++;
			return emit_record(b, rec, e);
		}
	}
	if (b->priors && b->priors->n && (prior = bs_priors_unchanged(b->priors, rec))) {
		emit_refs(b, prior);
		b->n.unchanged++;
		if (b->hooks.skip)
			b->hooks.skip(b->hooks.arg, rec->size);
		return emit_record(b, rec, e);
	}
	if (rec->nlink > 1 && !hl) {
		hl = bs_xcalloc(1, sizeof(*hl));
		bs_buf_init(&hl->extents);
		bs_entry_init(&hl->ent);
		bs_linkmap_put(&b->links, rec->dev, rec->ino, hl);
	} else {
		hl = NULL;
	}
	if (hl)
		hl->ent.nrefs = 0;
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

	if (!b->broken)
		flush_group(b, &ignored);
	bs_writer_flush(b->out, &ignored);
}

int bs_backupread_flush(struct bs_backupread *b, struct bs_err *e)
{
	return flush_group(b, e);
}

int bs_backupread_finish(struct bs_backupread *b, struct bs_err *e)
{
	struct bs_writer *w = b->out;

	if (flush_group(b, e) < 0)
		return -1;
	if (b->n.unchanged)
		bs_stream_stat(w, "unchanged", b->n.unchanged);
	if (b->n.read_files)
		bs_stream_stat(w, "read-files", b->n.read_files);
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
