/* exclude.c - the predicate a walk asks before it records a path. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "buf.h"
#include "exclude.h"

static void push(char ***v, size_t *n, const char *s, size_t len)
{
	*v = bs_xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n] = bs_xrealloc(NULL, len + 1);
	memcpy((*v)[*n], s, len);
	(*v)[*n][len] = '\0';
	(*n)++;
}

void bs_exclude_add(struct bs_exclude *x, const char *pattern)
{
	size_t len = strlen(pattern);

	/* "/tmp/" means the directory "/tmp" */
	while (len > 1 && pattern[len - 1] == '/')
		len--;
	push(&x->patterns, &x->npatterns, pattern, len);
}

int bs_exclude_add_file(struct bs_exclude *x, const char *file, struct bs_err *e)
{
	FILE *f = !strcmp(file, "-") ? stdin : fopen(file, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return bs_err_sys(e, "cannot open '%s'", file);
	while ((errno = 0, n = getline(&line, &cap, f)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		bs_exclude_add(x, line);
	}
	free(line);
	if (errno || ferror(f)) {
		bs_err_sys(e, "cannot read '%s'", file);
		if (f != stdin)
			fclose(f);
		return -1;
	}
	if (f != stdin)
		fclose(f);
	return 0;
}

void bs_exclude_add_present(struct bs_exclude *x, const char *name)
{
	push(&x->present, &x->npresent, name, strlen(name));
}

int bs_exclude_any(const struct bs_exclude *x)
{
	return x && (x->npatterns || x->npresent || x->caches);
}

int bs_exclude_path(const struct bs_exclude *x, const char *path, size_t len)
{
	const char *base = path;

	if (!x || !x->npatterns)
		return 0;
	for (size_t i = len; i > 0; i--)
		if (path[i - 1] == '/') {
			base = path + i;
			break;
		}
	if (!*base)
		base = path;	/* "/" */
	for (size_t i = 0; i < x->npatterns; i++) {
		const char *p = x->patterns[i];
		if (fnmatch(p, strchr(p, '/') ? path : base, 0) == 0)
			return 1;
	}
	return 0;
}

static int is_cache(int fd)
{
	char buf[sizeof(BS_CACHEDIR_SIGNATURE) - 1];
	int tag = openat(fd, "CACHEDIR.TAG", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	ssize_t n = 0, r;

	if (tag < 0)
		return 0;
	while (n < (ssize_t)sizeof(buf) && (r = read(tag, buf + n, sizeof(buf) - (size_t)n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		n += r;
	}
	close(tag);
	return n == (ssize_t)sizeof(buf) && !memcmp(buf, BS_CACHEDIR_SIGNATURE, sizeof(buf));
}

int bs_exclude_dir(const struct bs_exclude *x, int dirfd, const char *name)
{
	struct stat st;
	int fd, out = 0;

	if (!x || (!x->caches && !x->npresent))
		return 0;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;	/* the walk reports what it cannot open */
	if (x->caches && is_cache(fd))
		out = 1;
	for (size_t i = 0; i < x->npresent && !out; i++)
		if (fstatat(fd, x->present[i], &st, AT_SYMLINK_NOFOLLOW) == 0)
			out = 1;
	close(fd);
	return out;
}

void bs_exclude_release(struct bs_exclude *x)
{
	for (size_t i = 0; i < x->npatterns; i++)
		free(x->patterns[i]);
	for (size_t i = 0; i < x->npresent; i++)
		free(x->present[i]);
	free(x->patterns);
	free(x->present);
	memset(x, 0, sizeof(*x));
}
