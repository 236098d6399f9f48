/* remote.c - a session with bs-serve on another machine, over ssh: starting it, a request, its end; a tool run there for a tool here. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "remote.h"
#include "spawn.h"
#include "wire.h"

int bs_remote_start(const struct bs_remote_url *url, struct bs_remote_conn *c, struct bs_err *e)
{
	const char *rsh = getenv("BACKSHIFT_RSH"), *serve = getenv("BACKSHIFT_SERVE");
	struct bs_buf words = BS_BUF_INIT;
	char target[512], **argv;
	size_t n, i = 0;
	int to[2], from[2];
	const char *p;

	if (!rsh || !*rsh)
		rsh = "ssh";
	if (!serve || !*serve)
		serve = "bs-serve";
	if (bs_shell_split(rsh, &words, &n, e) < 0) {
		bs_buf_release(&words);
		return -1;
	}
	if (n == 0) {
		bs_buf_release(&words);
		return bs_err_set(e, BS_USAGE, "BACKSHIFT_RSH names no command");
	}
	argv = bs_xcalloc(n + 6, sizeof(*argv));
	for (p = words.p; i < n; p += strlen(p) + 1)
		argv[i++] = (char *)p;
	if (url->port[0]) {
		argv[i++] = "-p";
		argv[i++] = (char *)url->port;
	}
	if (url->user[0])
		snprintf(target, sizeof(target), "%s@%s", url->user, url->host);
	else
		snprintf(target, sizeof(target), "%s", url->host);
	argv[i++] = "--";
	argv[i++] = target;
	argv[i++] = (char *)serve;
	argv[i] = NULL;
	from[0] = from[1] = -1;
	if (pipe2(to, O_CLOEXEC) < 0 || (!c->inherit_stdout && pipe2(from, O_CLOEXEC) < 0)) {
		free(argv);
		bs_buf_release(&words);
		return bs_err_sys(e, "cannot make a pipe");
	}
	c->pid = bs_spawn_cmd(argv, to[0], from[1], e);
	close(to[0]);
	if (from[1] >= 0)
		close(from[1]);
	c->to = to[1];
	c->from = from[0];
	free(argv);
	bs_buf_release(&words);
	if (c->pid < 0) {
		close(c->to);
		if (c->from >= 0)
			close(c->from);
		c->to = c->from = -1;
		return -1;
	}
	return 0;
}

int bs_remote_request(struct bs_remote_conn *c, const char *verb, const char *path, int argc,
		      char *const *argv, struct bs_err *e)
{
	return bs_wire_request(c->to, verb, path, argc, argv, e);
}

int bs_remote_finish(struct bs_remote_conn *c, struct bs_err *e)
{
	int status;

	if (c->to >= 0)
		close(c->to);
	if (c->from >= 0)
		close(c->from);
	c->to = c->from = -1;
	while (waitpid(c->pid, &status, 0) < 0) {
		if (errno != EINTR)
			return bs_err_sys(e, "cannot wait for the ssh command");
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) != 255)
		return WEXITSTATUS(status);
	bs_err_set(e, BS_SYS, "the connection to the server failed");
	return 255;
}

int bs_remote_run(const struct bs_remote_url *url, const char *verb, int argc, char *const *argv,
		  struct bs_err *e)
{
	struct bs_remote_conn c = { 0 };
	int rc;

	/* the tool's output goes straight to ours: no copying */
	c.inherit_stdout = 1;
	if (bs_remote_start(url, &c, e) < 0)
		return -1;
	if (bs_remote_request(&c, verb, url->path, argc, argv, e) < 0) {
		bs_remote_finish(&c, NULL);
		return -1;
	}
	rc = bs_remote_finish(&c, e);
	return rc == 255 ? -1 : rc;
}

int bs_remote_divert(int argc, char **argv, const char *verb, struct bs_err *e)
{
	struct bs_remote_url url;
	const char *repo = NULL;
	char **args;
	int n = 0, skip = -1, skip2 = -1, rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-r") && i + 1 < argc) {
			repo = argv[i + 1];
			skip = i;
			skip2 = i + 1;
			i++;
		} else if (!strncmp(argv[i], "-r", 2) && argv[i][2]) {
			repo = argv[i] + 2;
			skip = skip2 = i;
		}
	}
	if (!repo)
		return -2;
	rc = bs_remote_parse(repo, &url, e);
	if (rc <= 0)
		return rc < 0 ? -1 : -2;
	args = bs_xcalloc((size_t)argc, sizeof(*args));
	for (int i = 1; i < argc; i++)
		if (i != skip && i != skip2)
			args[n++] = argv[i];
	rc = bs_remote_run(&url, verb, n, args, e);
	free(args);
	return rc;
}
