/*
 * exclude.h - what a walk leaves out: patterns, cache directories, tags.
 *
 *   bs_exclude_add(x, pattern)     a pattern, as find(1)'s -path takes it:
 *                                  fnmatch(3) on the whole absolute path,
 *                                  `*` matching `/` too; a pattern without
 *                                  a `/` is matched against the last
 *                                  component alone, as find's -name
 *   bs_exclude_add_file(x, file, e) one pattern a line; empty lines and
 *                                  lines starting with `#` are skipped
 *   x->caches = 1                  leave out directories holding a
 *                                  CACHEDIR.TAG that starts with the
 *                                  signature of the Cache Directory Tagging
 *                                  Specification
 *   bs_exclude_add_present(x, name) leave out directories holding `name`
 *   bs_exclude_any(x)              is anything to be left out at all?
 *   bs_exclude_path(x, path, len)  1 when path (NUL-terminated) matches a
 *                                  pattern
 *   bs_exclude_dir(x, dirfd, name) 1 when the directory `name` (under
 *                                  dirfd) is a cache or holds a tag file
 *   bs_exclude_release(x)
 * A directory left out is left out whole: it and everything below it.
 */
#ifndef BS_EXCLUDE_H
#define BS_EXCLUDE_H

#include <stddef.h>
#include "err.h"

struct bs_exclude {
	char **patterns;
	size_t npatterns;
	char **present;
	size_t npresent;
	int caches;
};

#define BS_CACHEDIR_SIGNATURE "Signature: 8a477f597d28d172789f06886806bc55"

void bs_exclude_add(struct bs_exclude *x, const char *pattern);
int bs_exclude_add_file(struct bs_exclude *x, const char *file, struct bs_err *e);
void bs_exclude_add_present(struct bs_exclude *x, const char *name);
int bs_exclude_any(const struct bs_exclude *x);
int bs_exclude_path(const struct bs_exclude *x, const char *path, size_t len);
int bs_exclude_dir(const struct bs_exclude *x, int dirfd, const char *name);
void bs_exclude_release(struct bs_exclude *x);

#endif
