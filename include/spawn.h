/*
 * spawn.h - run another tool of the suite as a child process.
 *
 * The tool run is the one beside the running program when it is there (a
 * build tree, or an install whose directory is not on PATH, as a forced
 * command's may not be), else the one found on PATH.
 *
 *   bs_tool_path(tool, buf, n)   the file to exec: buf (beside this
 *                                program), or tool itself (for execvp)
 *   bs_spawn(tool, argv, fd0, fd1, e)
 *                                fork and exec tool with argv, its
 *                                standard input fd0 and output fd1 (-1:
 *                                ours), SIGPIPE back to its default;
 *                                returns its pid once it runs, or -1
 *                                (BS_SYS, "cannot run 'tool': why") when
 *                                it could not be started
 *   bs_spawn_cmd(argv, fd0, fd1, e)
 *                                the same for a command found on PATH,
 *                                argv[0]
 *   bs_spawn_wait(pid)           its exit status, 128 + the signal that
 *                                killed it, or BS_SYS when it cannot be
 *                                waited for
 *   bs_spawn_worst(a, b)         the worse of two statuses of a pipeline,
 *                                a signal (>= 128) counting only when
 *                                nothing else failed, and then as BS_SYS
 */
#ifndef BS_SPAWN_H
#define BS_SPAWN_H

#include <stddef.h>
#include <sys/types.h>
#include "err.h"

const char *bs_tool_path(const char *tool, char *buf, size_t n);
pid_t bs_spawn(const char *tool, char *const *argv, int fd0, int fd1, struct bs_err *e);
pid_t bs_spawn_cmd(char *const *argv, int fd0, int fd1, struct bs_err *e);
int bs_spawn_wait(pid_t pid);
int bs_spawn_worst(int a, int b);

#endif
