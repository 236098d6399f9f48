/*
 * everyday.h - what every tool's main adds for everyday use.
 * (cmd/common/everyday.c; linked into each tool, never into the library.)
 *
 *   tool_options(argc, argv, opts, longopts, usage)
 *                         tool_getopt() that answers -h and --help (the
 *                         usage on stdout, exit 0) and --version itself,
 *                         and returns the tool's other options, or -1 at
 *                         their end.  longopts holds only the tool's own
 *                         long options (at most 40); opts still names 'h'
 *   tool_version()        print "TOOL (backshift) VERSION" on stdout and
 *                         exit 0: the --version of every tool
 *   tool_repo(given)      the repository: `given` (from -r) when not NULL,
 *                         else $BACKSHIFT_REPOSITORY when set and not
 *                         empty, else NULL
 *   tool_divert(argc, argv, verb)
 *                         when -r names a repository over ssh, run the tool
 *                         there (bs_remote_divert(), remote.h) and exit
 *                         with its status; return when it is local
 *   tool_threads(arg)     -j's argument: a number of threads from 1 to
 *                         1024, or a usage error naming it
 *   tool_memory(arg)      -m's argument: a size (bs_parse_size: 256M, 1G)
 *                         from 1 MiB to 1 TiB, or a usage error naming it
 *   tool_json_line(b)     write b and a newline to stdout: one JSON object
 *                         a line (JSON Lines), then empty b
 */
#ifndef BS_EVERYDAY_H
#define BS_EVERYDAY_H

#include <stddef.h>
#include "buf.h"

#define TOOL_REPO_ENV "BACKSHIFT_REPOSITORY"

struct option;
int tool_options(int argc, char **argv, const char *opts, const struct option *longopts, const char *usage);
__attribute__((noreturn)) void tool_version(void);
const char *tool_repo(const char *given);
void tool_divert(int argc, char **argv, const char *verb);
size_t tool_threads(const char *arg);
size_t tool_memory(const char *arg);
void tool_json_line(struct bs_buf *b);

#endif
