/*
 * tool.h - what every tool's main shares: its name, reporting, exiting.
 * (cmd/common/tool.c; linked into each tool, never into the library.)
 *
 *   tool_init(name)       set the name that prefixes messages
 *   tool_die(e)           print "name: message" and exit with e->code
 *   tool_fail(code, fmt)  the same from a format
 *   tool_warn(fmt, ...)   print "name: message" and go on
 *   tool_warn_msg(arg, msg)   the same for a library's warn callback
 *                         (its arg unused): tool_warn("%s", msg)
 *   tool_usage(text, fd)  print the usage text; with fd 2, its first line
 *                         and exit 2
 *   tool_getopt(argc, argv, opts, longopts)
 *                         getopt_long(), except that a bad option (unknown,
 *                         or missing its argument) is named in one line and
 *                         the tool exits 2
 *   tool_close_stdout()   flush and close stdout, dying if that fails
 *   tool_hostname(buf, n) the canonical name of this machine, lowercase;
 *                         dies when it is localhost (ask for -H)
 *
 * tool_name is set once, by tool_init() at the start of main, before any
 * thread is started; after that it is only read.
 */
#ifndef BS_TOOL_H
#define BS_TOOL_H

#include <stddef.h>
#include "err.h"

extern const char *tool_name;

void tool_init(const char *name);
__attribute__((noreturn)) void tool_die(const struct bs_err *e);
__attribute__((noreturn, format(printf, 2, 3))) void tool_fail(int code, const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void tool_warn(const char *fmt, ...);
void tool_warn_msg(void *arg, const char *msg);
void tool_usage(const char *text, int fd);
struct option;
int tool_getopt(int argc, char **argv, const char *opts, const struct option *longopts);
void tool_close_stdout(void);
void tool_hostname(char *buf, size_t n);

#endif
