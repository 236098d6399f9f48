/*
 * init.h - creating a repository, or changing the settings of one
 * (bs-init's work; the repository itself is repo.h).
 *
 *   bs_init_opts_default(o)         the defaults of a new repository
 *   bs_init_opt(o, opt, arg, e)     one option as given: 'c' average chunk
 *                                   size, 'z' xz preset, 'C' codec, 'L'
 *                                   level, 'A' --archive (xz 6), 'a' max age,
 *                                   'm' metadata max age (ages take "none"),
 *                                   'R' refresh, 'S' --set (arg NULL),
 *                                   BS_INIT_KEEP + i the keep rule
 *                                   bs_config_keep_keys[i] (a count, or
 *                                   "none").
 *                                   0, or -1 with BS_USAGE naming the problem
 *   bs_init_run(o, path, e)         create the repository at path, or with
 *                                   --set change the retention and refresh
 *                                   settings of the one there; 0 or -1
 */
#ifndef BS_INIT_H
#define BS_INIT_H

#include <stdint.h>
#include "err.h"
#include "repo.h"

#define BS_INIT_KEEP 1000

struct bs_init_opts {
	struct bs_config cfg;
	int set, chunk_given, age_given, mage_given;
	int codec, level;		/* -1: not given */
	int64_t age, mage, refresh;	/* -1: not given (or "none") */
	int64_t keep[BS_CONFIG_KEEP];	/* the keep rules given (--keep-*) */
	int keep_given[BS_CONFIG_KEEP];
};

void bs_init_opts_default(struct bs_init_opts *o);
int bs_init_opt(struct bs_init_opts *o, int opt, const char *arg, struct bs_err *e);
int bs_init_run(struct bs_init_opts *o, const char *path, struct bs_err *e);

#endif
