/*
 * fileread.h - read one regular file into content-defined chunks.
 *
 * A bs_fileread holds what reading needs (a chunker, a hash, a buffer of
 * ck->max + 1 MiB) and is reused from file to file; it is not shared
 * between threads (give each thread its own).
 *
 *   bs_fileread_init(r, ck)    set up for chunks cut by ck (kept, not copied)
 *   bs_fileread_release(r)     free it
 *
 *   bs_fileread_file(r, rec, res)
 *       Open rec->path (O_NOFOLLOW, O_NOATIME when allowed, and O_NONBLOCK
 *       until fstat(2) has shown a regular file: a FIFO or device swapped
 *       in for the file never blocks), read it to its end and call
 *       r->chunk(r->arg, digest, bytes, n) for each chunk, in order, and
 *       r->bytes(r->arg, n) after each read (either may be NULL).  rec's
 *       stat fields are refreshed from the open file and rec->size set to
 *       the bytes read.  A sparse file (fewer blocks than its size) is
 *       read only where it holds data: its extents (SEEK_DATA/SEEK_HOLE)
 *       go into rec->extents, its chunks carry only their bytes, and
 *       rec->size stays its size (cut where the data ended, if it shrank); a file changed in the clock tick it was opened in
 *       ("racily clean") gets a zero ctime, so the next backup reads it
 *       again.  Returns a BS_FILEREAD_ status; res->err is the errno of a
 *       failure and res->chunks the chunks already passed to r->chunk
 *       (after BS_FILEREAD_READ it is also nonzero when bytes were read
 *       but no chunk cut yet: when nonzero, the caller abandons them).
 *
 *   BS_FILEREAD_OK       read in full
 *   BS_FILEREAD_CHANGED  read in full, but it changed while read (saved as read)
 *   BS_FILEREAD_SYMLINK  skipped: it became a symbolic link
 *   BS_FILEREAD_NOTREG   skipped: it is no longer a regular file
 *   BS_FILEREAD_OPEN     skipped: it could not be opened (res->err)
 *   BS_FILEREAD_STAT     skipped: it could not be fstat'ed (res->err)
 *   BS_FILEREAD_READ     abandoned: a read failed (res->err)
 */
#ifndef BS_FILEREAD_H
#define BS_FILEREAD_H

#include <stddef.h>
#include <stdint.h>
#include "chunker.h"
#include "hash.h"
#include "record.h"

enum {
	BS_FILEREAD_OK, BS_FILEREAD_CHANGED, BS_FILEREAD_SYMLINK, BS_FILEREAD_NOTREG,
	BS_FILEREAD_OPEN, BS_FILEREAD_STAT, BS_FILEREAD_READ,
};

struct bs_fileread {
	struct bs_chunker *ck;
	struct bs_hash hash;
	unsigned char *buf;
	size_t bufcap;
	void (*chunk)(void *arg, const unsigned char *digest, const unsigned char *p, size_t n);
	void (*bytes)(void *arg, uint64_t n);
	void *arg;
};

struct bs_fileread_result {
	int err;
	uint64_t chunks;
};

void bs_fileread_init(struct bs_fileread *r, struct bs_chunker *ck);
int bs_fileread_file(struct bs_fileread *r, struct bs_rec *rec, struct bs_fileread_result *res);
void bs_fileread_release(struct bs_fileread *r);

#endif
