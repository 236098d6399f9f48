/*
 * walkrun.h - bs-walk's run: the stat records of trees walked, or of
 * find's paths, as a walk stream (walkrun.c).
 *
 * The stream (bs-formats.5) is its header, a record for each path, the
 * counts of what was skipped as S lines (sockets, vanished, denied,
 * unreadable; those that are not zero) and the trailer.  A path that
 * cannot be read is told to r->warn(r->arg, msg), counted by its kind
 * (bs_warn_kind(), recstat.h) and skipped.
 *
 *   bs_walkrun_init(r, out)
 *       out: where the stream goes; its header is written at once.  Set
 *       r->flags (walk.h: BS_WALK_XDEV), r->exclude (exclude.h, or NULL),
 *       r->warn and r->arg after this.
 *   bs_walkrun_tree(r, path, e)
 *       the records of the tree at path (bs_walk()).  0, or -1 with e.
 *   bs_walkrun_find(r, in, e)
 *       the records of the NUL-delimited paths on in (find -print0;
 *       findin.h).  Input with no byte at all is an error (BS_INPUT,
 *       "standard input is empty: no paths came (did find fail?)"):
 *       find always prints its starting points.  On bad input, what came
 *       before it is flushed without a trailer, so that the stages after
 *       keep it as unfinished.  0, or -1 with e.
 *   bs_walkrun_finish(r, e)
 *       the S lines and the trailer, flushed (closing out is the
 *       caller's).  0, or -1 with e.
 *   bs_walkrun_problems(r)     the paths that could not be read (exit 1)
 *   bs_walkrun_release(r)
 */
#ifndef BS_WALKRUN_H
#define BS_WALKRUN_H

#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "io.h"

struct bs_exclude;

struct bs_walkrun {
	struct bs_writer *out;
	int flags;
	const struct bs_exclude *exclude;
	void (*warn)(void *arg, const char *msg);
	void *arg;
	uint64_t records, sockets, vanished, denied, unreadable;
	struct bs_buf scratch;
};

void bs_walkrun_init(struct bs_walkrun *r, struct bs_writer *out);
int bs_walkrun_tree(struct bs_walkrun *r, const char *path, struct bs_err *e);
int bs_walkrun_find(struct bs_walkrun *r, struct bs_reader *in, struct bs_err *e);
int bs_walkrun_finish(struct bs_walkrun *r, struct bs_err *e);
uint64_t bs_walkrun_problems(const struct bs_walkrun *r);
void bs_walkrun_release(struct bs_walkrun *r);

#endif
