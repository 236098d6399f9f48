/* path.c - absolute, clean paths: folding, splitting, containment. */
#include <string.h>
#include <unistd.h>
#include "path.h"

/* Is a (a directory) the same as d or above it? */
int bs_path_covers(const char *a, size_t an, const char *d, size_t dn)
{
	if (an == 1)
		return 1;
	return an <= dn && !memcmp(a, d, an) && (an == dn || d[an] == '/');
}

void bs_path_split(const char *p, size_t n, size_t *dirlen, const char **base, size_t *baselen)
{
	size_t i = n;

	while (i > 0 && p[i - 1] != '/')
		i--;
	*base = p + i;
	*baselen = n - i;
	/* the directory of "/x" is "/" */
	*dirlen = i > 1 ? i - 1 : (i == 1 ? 1 : 0);
}

int bs_path_clean(const char *in, size_t n, struct bs_buf *out, struct bs_err *e)
{
	size_t i = 0;

	bs_buf_reset(out);
	if (n == 0)
		return bs_err_set(e, BS_INPUT, "empty path");
	if (in[0] != '/') {
		char cwd[8192];
		if (!getcwd(cwd, sizeof(cwd)))
			return bs_err_sys(e, "cannot find the current directory");
		bs_buf_adds(out, cwd);
	}
	while (i < n) {
		size_t j;
		while (i < n && in[i] == '/')
			i++;
		j = i;
		while (j < n && in[j] != '/')
			j++;
		if (j == i)
			break;
		if (j - i == 1 && in[i] == '.') {
			/* skip */
		} else if (j - i == 2 && in[i] == '.' && in[i + 1] == '.') {
			while (out->len > 0 && out->p[out->len - 1] != '/')
				out->len--;
			if (out->len > 0)
				out->len--;
			out->p[out->len] = '\0';
		} else {
			bs_buf_addc(out, '/');
			bs_buf_add(out, in + i, j - i);
		}
		i = j;
	}
	if (out->len == 0)
		bs_buf_addc(out, '/');
	return 0;
}
