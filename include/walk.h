/*
 * walk.h - a tree walked depth first, as stat records (walk.c).
 *
 *   bs_walk(path, flags, ops, e)
 *       walk a tree depth first, a directory before its entries and the
 *       entries of a directory in byte order, all of them before the first
 *       of its subdirectories is entered; for each, a record made by
 *       bs_rec_stat_at() (recstat.h) goes to ops->record(ops->arg, rec, e),
 *       which returns 0 to go on, or -1 to stop the walk (which then
 *       returns -1 with its error).  Sockets are counted in ops->sockets
 *       and skipped.  A path that cannot be read is passed to
 *       ops->warn(ops->arg, msg, kind) (kind: bs_warn_kind()) and skipped;
 *       the walk fails (-1) only when it cannot go on (no memory, no file
 *       descriptors).  BS_WALK_XDEV stays on the file system of `path`.
 *       When ops->exclude is set, what it excludes (exclude.h) is neither
 *       recorded nor entered, `path` itself included; ops->excluded counts
 *       what was left out.  Returns 0 or -1.
 *
 * The stat functions a walk uses (bs_rec_stat() and the rest) are in
 * recstat.h, which this header includes.
 */
#ifndef BS_WALK_H
#define BS_WALK_H

#include "err.h"
#include "recstat.h"

enum { BS_WALK_XDEV = 1 };

struct bs_exclude;

struct bs_walk_ops {
	int (*record)(void *arg, struct bs_rec *rec, struct bs_err *e);
	void (*warn)(void *arg, const char *msg, int kind);
	void *arg;
	unsigned long sockets;
	const struct bs_exclude *exclude;	/* optional */
	unsigned long excluded;
};

int bs_walk(const char *path, int flags, struct bs_walk_ops *ops, struct bs_err *e);

#endif
