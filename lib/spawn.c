/* spawn.c - run another tool of the suite, the one beside this program first (spawn.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "spawn.h"

const char *bs_tool_path(const char *tool, char *buf, size_t n)
{
	char self[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	self[len > 0 ? len : 0] = '\0';
	slash = strrchr(self, '/');
	if (slash) {
		*slash = '\0';
		snprintf(buf, n, "%s/%s", self, tool);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return tool;
}

/* Fork and exec path (when not NULL), else name on PATH. */
static pid_t start(const char *path, const char *name, char *const *argv, int fd0, int fd1, struct bs_err *e)
{
	int report[2], err = 0;
	pid_t pid;
	ssize_t got;

	/* the child's exec error, if any, comes back on a close-on-exec pipe */
	if (pipe2(report, O_CLOEXEC) < 0)
		return bs_err_sys(e, "cannot make a pipe");
	pid = fork();
	if (pid < 0) {
		close(report[0]);
		close(report[1]);
		return bs_err_sys(e, "cannot fork");
	}
	if (pid == 0) {
		if (fd0 >= 0)
			dup2(fd0, 0);
		if (fd1 >= 0)
			dup2(fd1, 1);
		signal(SIGPIPE, SIG_DFL);
		if (path)
			execv(path, argv);
		execvp(name, argv);
		err = errno;
		if (write(report[1], &err, sizeof(err)) < 0)
			_exit(BS_SYS);
		_exit(BS_SYS);
	}
	close(report[1]);
	while ((got = read(report[0], &err, sizeof(err))) < 0 && errno == EINTR)
		;
	close(report[0]);
	if (got == (ssize_t)sizeof(err)) {
		bs_spawn_wait(pid);
		errno = err;
		return bs_err_sys(e, "cannot run '%s'", name);
	}
	return pid;
}

pid_t bs_spawn(const char *tool, char *const *argv, int fd0, int fd1, struct bs_err *e)
{
	char buf[PATH_MAX + 32];

	return start(bs_tool_path(tool, buf, sizeof(buf)), tool, argv, fd0, fd1, e);
}

pid_t bs_spawn_cmd(char *const *argv, int fd0, int fd1, struct bs_err *e)
{
	return start(NULL, argv[0], argv, fd0, fd1, e);
}

int bs_spawn_wait(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return BS_SYS;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

int bs_spawn_worst(int a, int b)
{
	int w = 0, sig = 0;
	int s[2] = { a, b };

	for (int i = 0; i < 2; i++) {
		if (s[i] >= 128)
			sig = BS_SYS;
		else if (s[i] > w)
			w = s[i];
	}
	return w ? w : sig;
}
