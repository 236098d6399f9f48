/*
 * findin.h - stat records from find(1) output on a reader.
 *
 * The input is NUL-terminated paths (find -print0) or, when allowed and
 * the first record looks like one, "SIZE PATH" records (find -printf
 * '%s %p\0'): a number, a space, then a path that does not exist as
 * given.  Each path is cleaned and lstat'ed (bs_rec_stat); sockets are
 * counted and skipped; a path that cannot be stat'ed is passed to warn
 * and skipped.
 *
 *   bs_findin_init(f, in, sized)   sized: accept "SIZE PATH" records
 *   bs_findin_next(f, rec, e)
 *       The next record into rec: 1, or 0 at the end of the input, or -1
 *       with e (bad input, a failure to read).  With SIZE PATH input, each
 *       SIZE is passed to f->total(f->arg, size) when set.
 *   bs_findin_release(f)
 *
 *   f->warn(f->arg, msg, kind)   kind: BS_WARN_VANISHED, _DENIED, _OTHER
 *   f->sockets                   sockets skipped so far
 */
#ifndef BS_FINDIN_H
#define BS_FINDIN_H

#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "io.h"
#include "record.h"

struct bs_findin {
	struct bs_reader *in;
	struct bs_buf line, clean;
	int sized;		/* -1: not decided yet; 0 or 1 */
	uint64_t sockets;
	void (*warn)(void *arg, const char *msg, int kind);
	void (*total)(void *arg, uint64_t bytes);
	void *arg;
};

void bs_findin_init(struct bs_findin *f, struct bs_reader *in, int sized);
int bs_findin_next(struct bs_findin *f, struct bs_rec *rec, struct bs_err *e);
void bs_findin_release(struct bs_findin *f);

#endif
