/* findin.c - stat records from find -print0 or find -printf '%s %p\0' output. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "findin.h"
#include "meta.h"
#include "walk.h"

void bs_findin_init(struct bs_findin *f, struct bs_reader *in, int sized)
{
	memset(f, 0, sizeof(*f));
	f->in = in;
	f->sized = sized ? -1 : 0;
	in->max_record = 1u << 20;
}

void bs_findin_release(struct bs_findin *f)
{
	bs_buf_release(&f->line);
	bs_buf_release(&f->clean);
}

/* Is the first record of find output "SIZE PATH" (find -printf '%s %p\0')? */
static int looks_sized(const char *p, size_t n)
{
	size_t i = 0;
	struct stat st;

	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++;
	if (i == 0 || i >= n - 1 || p[i] != ' ')
		return 0;
	return lstat(p, &st) < 0;
}

int bs_findin_next(struct bs_findin *f, struct bs_rec *rec, struct bs_err *e)
{
	int rc;

	while ((rc = bs_reader_until(f->in, '\0', &f->line, e)) > 0) {
		const char *path = f->line.p;
		size_t n = f->line.len;

		if (n == 0)
			continue;
		if (f->sized < 0)
			f->sized = looks_sized(f->line.p, f->line.len);
		if (f->sized) {
			const char *sp = memchr(path, ' ', n);
			size_t digits = 0;
			while (digits < n && path[digits] >= '0' && path[digits] <= '9')
				digits++;
			if (!sp || sp == path || (size_t)(sp - path) != digits || digits + 1 == n)
				return bs_err_set(e, BS_INPUT, "standard input: expected 'SIZE PATH' records");
			if (f->total)
				f->total(f->arg, strtoull(path, NULL, 10));
			n -= (size_t)(sp + 1 - path);
			path = sp + 1;
		}
		if (bs_path_clean(path, n, &f->clean, e) < 0)
			return -1;
		rc = bs_rec_stat(rec, f->clean.p, e);
		if (rc == 1) {
			f->sockets++;
			continue;
		}
		if (rc < 0) {
			if (e->code != BS_PARTIAL)
				return -1;
			if (f->warn)
				f->warn(f->arg, e->msg, bs_warn_kind(errno));
			continue;
		}
		return 1;
	}
	return rc;
}
