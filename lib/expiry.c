/* expiry.c - REPO/expiry: the cut-off below which an expiry removed chunks. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "repo.h"

/*
 * REPO/expiry: "chunks-before" SP time LF, the highest stamp below which
 * an expiry has removed chunks.  A stream whose floor is older could
 * refer to a removed chunk.
 */
int bs_expiry_read(struct bs_repo *repo, struct bs_time *t, struct bs_err *e)
{
	char text[128];
	ssize_t n;
	int fd;

	t->sec = INT64_MIN;
	t->nsec = 0;
	fd = openat(repo->dirfd, "expiry", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return bs_err_sys(e, "cannot read '%s/expiry'", repo->path);
	}
	n = bs_read_full(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0)
		return bs_err_sys(e, "cannot read '%s/expiry'", repo->path);
	text[n] = '\0';
	if (n < 15 || strncmp(text, "chunks-before ", 14) || text[n - 1] != '\n' ||
	    bs_time_parse(t, text + 14, (size_t)n - 15) < 0)
		return bs_err_set(e, BS_INPUT, "'%s/expiry' is malformed", repo->path);
	return 0;
}

int bs_expiry_check(struct bs_repo *repo, struct bs_time floor, struct bs_time now, struct bs_err *e)
{
	struct bs_time before;

	if (bs_expiry_read(repo, &before, e) < 0)
		return -1;
	if (bs_time_cmp(before, now) > 0)
		return 1;
	if (bs_time_cmp(floor, before) < 0)
		return bs_err_set(e, BS_INPUT, "standard input relies on chunk stamps older than the last expiry's "
				  "cut-off: make it again");
	return 0;
}

int bs_expiry_write(struct bs_repo *repo, struct bs_time t, struct bs_err *e)
{
	struct bs_time old;
	char text[128];
	char when[BS_TIME_TEXT];
	int n;

	if (bs_expiry_read(repo, &old, e) < 0)
		return -1;
	if (bs_time_cmp(t, old) <= 0)
		return 0;
	bs_time_text(when, t);
	n = snprintf(text, sizeof(text), "chunks-before %s\n", when);
	return bs_write_atomic(repo->dirfd, "expiry", text, (size_t)n, "expiry", e);
}
