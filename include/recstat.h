/*
 * recstat.h - one path's stat record, from the file system (recstat.c).
 *
 *   bs_rec_stat(rec, path, e)
 *       lstat(2) path (absolute and clean) into rec, with the owner's and
 *       group's names and a symlink's target.  Returns 0, or -1: e->code is
 *       BS_PARTIAL for a path that vanished or cannot be read (the caller
 *       reports it and goes on), BS_SYS otherwise.  Sockets return 1:
 *       nothing to record.
 *       It also fills what a stat does not say: the inode flags (read
 *       with an ioctl only when statx(2) reports one of immutable, append,
 *       nodump or compressed), the extended attributes (ACLs and
 *       capabilities among them), and a sparse regular file's extents
 *       (sought only when its blocks hold less than its size).
 *   bs_rec_stat_at(dirfd, name, st, rec, e)
 *       the same for `name` in the directory open at dirfd (AT_FDCWD:
 *       name is a path), rec->path already holding its full path; *st is
 *       its stat.  What a walk calls for each entry (walk.h).
 *   bs_rec_fill(rec, st)      the fields that come from a struct stat;
 *                             flags, xattrs and extents are left as they are
 *   bs_rec_xattrs(rec, path, e)   the xattrs of path into rec: 0, or -1
 *                             (BS_PARTIAL: cannot be read)
 *   bs_rec_extents(rec, fd, size) the data extents of the file open at fd
 *                             (SEEK_DATA/SEEK_HOLE) into rec; none when it
 *                             is all data, the one extent size+0 when it is
 *                             all hole.  0, or -1 with errno
 *   bs_kind_of(mode)          'f' 'd' 'l' 'p' 'c' 'b', 's' for a socket
 *   bs_warn_kind(errno)       how a path that cannot be read is counted:
 *                             BS_WARN_VANISHED (ENOENT, ENOTDIR),
 *                             BS_WARN_DENIED (EACCES, EPERM) or
 *                             BS_WARN_OTHER
 *
 * Owner and group names are cached per thread: these functions may run in
 * several threads at once.
 */
#ifndef BS_RECSTAT_H
#define BS_RECSTAT_H

#include <sys/stat.h>
#include "err.h"
#include "record.h"

enum { BS_WARN_VANISHED = 1, BS_WARN_DENIED = 2, BS_WARN_OTHER = 3 };

int bs_kind_of(mode_t mode);
int bs_warn_kind(int err);
void bs_rec_fill(struct bs_rec *rec, const struct stat *st);
int bs_rec_stat(struct bs_rec *rec, const char *path, struct bs_err *e);
int bs_rec_stat_at(int dirfd, const char *name, struct stat *st, struct bs_rec *rec, struct bs_err *e);
int bs_rec_xattrs(struct bs_rec *rec, const char *path, struct bs_err *e);
int bs_rec_extents(struct bs_rec *rec, int fd, uint64_t size);

#endif
