/* remote_url.c - naming a repository on another machine (ssh://host/path, host:path), and BACKSHIFT_RSH split into words. */
#include <stdio.h>
#include <string.h>
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

