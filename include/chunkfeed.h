/*
 * chunkfeed.h - bs-chunk's input: a stage's stream or find's output, told
 * apart by its first bytes, its records handed to a bs_backupread
 * (chunkfeed.c).
 *
 * The input is either a stream another stage wrote (it begins "B ": a
 * walk stream, or any stage's; its S lines are passed on to f->out, and
 * every record's path must be absolute) or find's output: NUL-terminated
 * paths (find -print0) or "SIZE PATH" records (find -printf '%s %p\0'),
 * each lstat'ed (findin.h).  Input with no byte at all is an error: the
 * stage before died, or find failed at once (an empty tree still has its
 * top directory).
 *
 *   struct bs_chunkfeed f = { .br = ..., .out = ... };
 *   bs_chunkfeed_run(&f, in, e)
 *       Every record of in to bs_backupread_take(f->br).  A find path that
 *       cannot be stat'ed goes to f->warn(f->arg, msg), is counted
 *       (bs_backupread_count()) and skipped; the sizes of "SIZE PATH"
 *       records to f->total(f->arg, size) when set; sockets are counted in
 *       f->br.  Returns 0 at the end of the input; -1 with e on bad input
 *       (then what was complete before it has been written without a
 *       trailer: bs_backupread_abort(), so that the stages after keep an
 *       unfinished backup) or when the output cannot be written.  The
 *       caller then flushes and finishes f->br.
 */
#ifndef BS_CHUNKFEED_H
#define BS_CHUNKFEED_H

#include <stdint.h>
#include "backupread.h"
#include "err.h"
#include "io.h"

struct bs_chunkfeed {
	struct bs_backupread *br;
	struct bs_writer *out;
	void (*warn)(void *arg, const char *msg);
	void (*total)(void *arg, uint64_t bytes);
	void *arg;
};

int bs_chunkfeed_run(struct bs_chunkfeed *f, struct bs_reader *in, struct bs_err *e);

#endif
