/*
 * everyday.h - what every tool's main adds for everyday use.
 * (cmd/common/everyday.c; linked into each tool, never into the library.)
 *
 *   tool_version()        print "TOOL (backshift) VERSION" on stdout and
 *                         exit 0: the --version of every tool
 *   tool_repo(given)      the repository: `given` (from -r) when not NULL,
 *                         else $BACKSHIFT_REPOSITORY when set and not
 *                         empty, else NULL
 *   tool_json_line(b)     write b and a newline to stdout: one JSON object
 *                         a line (JSON Lines), then empty b
 */
#ifndef BS_EVERYDAY_H
#define BS_EVERYDAY_H

#include "buf.h"

#define TOOL_REPO_ENV "BACKSHIFT_REPOSITORY"

__attribute__((noreturn)) void tool_version(void);
const char *tool_repo(const char *given);
void tool_json_line(struct bs_buf *b);

#endif
