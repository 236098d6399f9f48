/* remote.c - naming a repository on another machine, starting bs-serve there over ssh. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "record.h"
#include "remote.h"

static int copy(char *dst, size_t size, const char *p, size_t n)
{
	if (n >= size)
		return -1;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

int bs_remote_parse(const char *name, struct bs_remote_url *url, struct bs_err *e)
{
	const char *p, *slash, *at, *colon;
	char q[64];

	memset(url, 0, sizeof(*url));
	if (!strncmp(name, "ssh://", 6)) {
		p = name + 6;
		slash = strchr(p, '/');
		if (!slash || slash == p)
			return bs_err_set(e, BS_USAGE, "bad repository name '%s': ssh://[user@]host[:port]/path",
					  bs_quote(name, strlen(name), q, sizeof(q)));
		at = memchr(p, '@', (size_t)(slash - p));
		if (at) {
			if (at == p || copy(url->user, sizeof(url->user), p, (size_t)(at - p)) < 0)
				goto bad;
			p = at + 1;
		}
		colon = memchr(p, ':', (size_t)(slash - p));
		if (colon) {
			if (colon + 1 == slash || copy(url->port, sizeof(url->port), colon + 1,
						       (size_t)(slash - colon - 1)) < 0)
				goto bad;
			if (strspn(url->port, "0123456789") != strlen(url->port))
				goto bad;
		} else {
			colon = slash;
		}
		if (colon == p || copy(url->host, sizeof(url->host), p, (size_t)(colon - p)) < 0)
			goto bad;
		if (copy(url->path, sizeof(url->path), slash, strlen(slash)) < 0)
			goto bad;
		return 1;
	}
	colon = strchr(name, ':');
	if (!colon || colon == name || memchr(name, '/', (size_t)(colon - name)))
		return 0;
	p = name;
	at = memchr(p, '@', (size_t)(colon - p));
	if (at) {
		if (at == p || copy(url->user, sizeof(url->user), p, (size_t)(at - p)) < 0)
			goto bad;
		p = at + 1;
	}
	if (colon == p || copy(url->host, sizeof(url->host), p, (size_t)(colon - p)) < 0)
		goto bad;
	if (copy(url->path, sizeof(url->path), colon + 1, strlen(colon + 1)) < 0)
		goto bad;
	if (!url->path[0])
		strcpy(url->path, ".");
	return 1;
bad:
	return bs_err_set(e, BS_USAGE, "bad repository name '%s'", bs_quote(name, strlen(name), q, sizeof(q)));
}

int bs_shell_split(const char *s, struct bs_buf *out, size_t *nwords, struct bs_err *e)
{
	int in_word = 0;

	*nwords = 0;
	bs_buf_reset(out);
	while (*s) {
		char c = *s++;
		if (c == ' ' || c == '\t' || c == '\n') {
			if (in_word) {
				bs_buf_addc(out, '\0');
				in_word = 0;
				(*nwords)++;
			}
			continue;
		}
		in_word = 1;
		if (c == '\'') {
			while (*s && *s != '\'')
				bs_buf_addc(out, *s++);
			if (!*s)
				return bs_err_set(e, BS_USAGE, "unterminated quote in BACKSHIFT_RSH");
			s++;
		} else if (c == '"') {
			while (*s && *s != '"') {
				if (*s == '\\' && s[1] && strchr("\"\\$`\n", s[1]))
					s++;
				bs_buf_addc(out, *s++);
			}
			if (!*s)
				return bs_err_set(e, BS_USAGE, "unterminated quote in BACKSHIFT_RSH");
			s++;
		} else if (c == '\\' && *s) {
			bs_buf_addc(out, *s++);
		} else {
			bs_buf_addc(out, c);
		}
	}
	if (in_word) {
		bs_buf_addc(out, '\0');
		(*nwords)++;
	}
	return 0;
}

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
	argv = calloc(n + 6, sizeof(*argv));
	if (!argv)
		abort();
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
	c->pid = fork();
	if (c->pid < 0) {
		free(argv);
		bs_buf_release(&words);
		return bs_err_sys(e, "cannot fork");
	}
	if (c->pid == 0) {
		dup2(to[0], 0);
		if (from[1] >= 0)
			dup2(from[1], 1);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: cannot run: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(to[0]);
	if (from[1] >= 0)
		close(from[1]);
	c->to = to[1];
	c->from = from[0];
	free(argv);
	bs_buf_release(&words);
	return 0;
}

int bs_remote_request(struct bs_remote_conn *c, const char *verb, const char *path, int argc,
		      char *const *argv, struct bs_err *e)
{
	struct bs_buf b = BS_BUF_INIT;
	int rc = 0;

	bs_buf_add(&b, BS_SERVE_MAGIC, sizeof(BS_SERVE_MAGIC));
	bs_buf_add(&b, verb, strlen(verb) + 1);
	bs_buf_add(&b, path, strlen(path) + 1);
	bs_buf_addf(&b, "%d", argc);
	bs_buf_addc(&b, '\0');
	for (int i = 0; i < argc; i++)
		bs_buf_add(&b, argv[i], strlen(argv[i]) + 1);
	if (bs_write_full(c->to, b.p, b.len) < 0)
		rc = bs_err_sys(e, "cannot send a request to the server");
	bs_buf_release(&b);
	return rc;
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

int bs_frame_read(struct bs_reader *r, int *type, uint64_t *n, uint64_t *count, struct bs_buf *payload,
		  struct bs_err *e)
{
	struct bs_buf line = BS_BUF_INIT;
	char *sp, *sp2;
	int rc = bs_reader_until(r, '\n', &line, e);

	if (rc <= 0) {
		bs_buf_release(&line);
		return rc;
	}
	*n = *count = 0;
	if (line.len < 1 || (line.len > 1 && line.p[1] != ' '))
		goto bad;
	*type = (unsigned char)line.p[0];
	if (line.len > 1) {
		sp = line.p + 2;
		sp2 = strchr(sp, ' ');
		if (sp2) {
			if (bs_parse_u64(sp, (size_t)(sp2 - sp), count) < 0)
				goto bad;
			sp = sp2 + 1;
		}
		if (bs_parse_u64(sp, strlen(sp), n) < 0 || *n > (256u << 20))
			goto bad;
	}
	bs_buf_release(&line);
	bs_buf_reset(payload);
	if (*n) {
		bs_buf_grow(payload, (size_t)*n);
		if (bs_reader_exact(r, payload->p, (size_t)*n, e) < 0)
			return -1;
		payload->len = (size_t)*n;
		payload->p[payload->len] = '\0';
	}
	return 1;
bad:
	bs_buf_release(&line);
	return bs_err_set(e, BS_INPUT, "malformed frame from the other end");
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
	args = calloc((size_t)argc, sizeof(*args));
	if (!args)
		abort();
	for (int i = 1; i < argc; i++)
		if (i != skip && i != skip2)
			args[n++] = argv[i];
	rc = bs_remote_run(&url, verb, n, args, e);
	free(args);
	return rc;
}
