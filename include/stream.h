/*
 * stream.h - the streams between the tools.
 *
 * The grammar is in man/bs-formats.5; in short, a stream is
 *
 *   "B" SP kind SP version LF      header; kind is walk, chunks or manifest
 *   ["T" SP time LF]               manifest streams: when the repository was
 *                                  first touched for this backup
 *   ["F" SP time LF]               chunks and manifest streams: a time no
 *                                  later than the last-referenced time of
 *                                  any chunk the stream refers to
 *   items...                       see below
 *   "E" SP count LF                trailer: the number of records
 *
 * and an item is one of
 *
 *   record NUL                     metadata; starts with a lowercase kind
 *   "C" SP digest SP size LF bytes a chunk and its bytes (chunk streams)
 *   "R" SP digest SP size LF       a reference to a stored chunk
 *   "P" SP digest SP offset SP length LF
 *                                  a piece: bytes [offset, offset+length) of
 *                                  a chunk (packed small files)
 *   "A" LF                         abandon: the chunks since the last record
 *                                  belong to no file
 *   "S" SP key SP value LF         a count for the closing report
 *   "L" SP digest SP entries SP files SP bytes SP ndirs SP id SP path NUL
 *       (name NUL) x ndirs         a directory whose listing is the one
 *                                  backup `id` stored under that digest,
 *                                  taken whole; the names are those of its
 *                                  entries that are directories
 *
 * The chunks (C or R) of a regular file come before its record; their
 * sizes add up to the record's size, or for a sparse file to the sum of
 * its extents' lengths (bs_rec_datasize()).  Or its pieces (P) do, and
 * then C or R items just before its first P are pack chunks, which belong
 * to no one file: the stream reader sets it->packed on that P (a reader
 * that gathered those chunks as a file's drops them).
 *
 * struct bs_stream reads items from a bs_reader:
 *   bs_stream_open(s, r, kinds, e)  read and check the header; `kinds` is a
 *                                   mask of BS_STREAM_* that are accepted.
 *                                   Returns 0 or -1.
 *   bs_stream_next(s, it, e)        the next item into *it; returns 1, or 0
 *                                   after a trailer whose count matched and
 *                                   that is followed by end of input, or -1
 *                                   (a truncated or malformed stream).  It
 *                                   also checks that a regular file's chunks
 *                                   (or pieces) add up to its size, and that
 *                                   no chunks come before anything else.
 * For a C item the chunk's bytes are in it->data (it->size bytes); the
 * digest is NOT checked here: that is the reader's business.
 *
 * Writers: bs_stream_header(w, kind), bs_stream_chunk(w, digest, p, n),
 * bs_stream_ref(w, digest, n), bs_stream_piece(w, digest, offset, length),
 * bs_stream_stat(w, key, value),
 * bs_stream_trailer(w, count).
 */
#ifndef BS_STREAM_H
#define BS_STREAM_H

#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "io.h"
#include "record.h"

enum {
	BS_STREAM_WALK = 1,
	BS_STREAM_CHUNKS = 2,
	BS_STREAM_MANIFEST = 4,
};

enum bs_item_type {
	BS_ITEM_RECORD = 'r',
	BS_ITEM_CHUNK = 'C',
	BS_ITEM_REF = 'R',
	BS_ITEM_PIECE = 'P',
	BS_ITEM_ABANDON = 'A',
	BS_ITEM_STAT = 'S',
	BS_ITEM_LISTING = 'L',
};

struct bs_item {
	enum bs_item_type type;
	struct bs_rec rec;
	unsigned char digest[BS_DIGEST_LEN];
	uint64_t size;		/* C, R: the chunk's size; P: the piece's length */
	uint64_t offset;	/* P: where the piece starts in its chunk */
	int packed;		/* P: the C or R items just before it (since the
				   last record) were pack chunks, not a file's */
	struct bs_buf data;	/* C: the chunk's bytes */
	char key[64];		/* S */
	uint64_t value;		/* S */
	uint64_t entries, files, bytes, ndirs;	/* L; digest is the listing's */
	char id[256];		/* L: the backup that stored it */
	struct bs_buf dir;	/* L: the directory */
	struct bs_buf dirs;	/* L: ndirs names, each ended by a NUL */
};

void bs_item_init(struct bs_item *it);
void bs_item_release(struct bs_item *it);

struct bs_stream {
	struct bs_reader *r;
	int kind;		/* BS_STREAM_* */
	int has_time;
	struct bs_time time;	/* the T line of a manifest stream */
	int has_floor;
	struct bs_time floor;	/* the F line */
	uint64_t records;	/* records read so far */
	uint64_t pending;	/* bytes of the C and R items since the last
				   record, abandon or listing */
	uint64_t pieces;	/* bytes of the P items since then */
	uint64_t max_chunk;	/* largest chunk accepted, bytes */
	struct bs_buf line;
	int done;
};

const char *bs_stream_name(int kind);
int bs_stream_open(struct bs_stream *s, struct bs_reader *r, int kinds, struct bs_err *e);
int bs_stream_next(struct bs_stream *s, struct bs_item *it, struct bs_err *e);
void bs_stream_release(struct bs_stream *s);

void bs_stream_header(struct bs_writer *w, int kind);
void bs_stream_time(struct bs_writer *w, struct bs_time t);
void bs_stream_floor(struct bs_writer *w, struct bs_time t);
void bs_stream_listing(struct bs_writer *w, const unsigned char *digest, uint64_t entries, uint64_t files,
		       uint64_t bytes, const char *id, const char *dir, size_t dirlen, const char *dirs, size_t dirslen,
		       uint64_t ndirs);
void bs_stream_record(struct bs_writer *w, const struct bs_rec *r, struct bs_buf *scratch);
void bs_stream_chunk(struct bs_writer *w, const unsigned char *digest, const void *p, size_t n);
void bs_stream_ref(struct bs_writer *w, const unsigned char *digest, uint64_t n);
void bs_stream_piece(struct bs_writer *w, const unsigned char *digest, uint64_t offset, uint64_t length);
void bs_stream_abandon(struct bs_writer *w);
void bs_stream_stat(struct bs_writer *w, const char *key, uint64_t value);
void bs_stream_trailer(struct bs_writer *w, uint64_t count);

#endif
