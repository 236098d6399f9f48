/* select.c - backups chosen by host and subset, by name, and by a path's glob. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "select.h"

/* Whether the id of a backup whose summary is damaged could be one of host
 * and subset: the id is STAMP-HOST-SUBSET or STAMP-HOST-SUBSET-N (backup.c).
 * Host and subset may hold '-', so this can say yes to a backup of another
 * scope: a damaged backup is better shown once too often than hidden. */
static int scope_is(const char *c, size_t n, const char *host, size_t hl, const char *subset, size_t sl)
{
	if (hl && (n <= hl || strncmp(c, host, hl) || c[hl] != '-'))
		return 0;
	if (sl && (n <= sl || strncmp(c + n - sl, subset, sl) || c[n - sl - 1] != '-'))
		return 0;
	return !hl || !sl || n == hl + 1 + sl;
}

static int id_could_be(const char *id, const char *host, const char *subset)
{
	const char *rest = strchr(id, '-');
	size_t hl = host ? strlen(host) : 0, sl = subset ? strlen(subset) : 0, n, k;

	if (!rest || !(rest = strchr(rest + 1, '-')))
		return 1;
	rest++;
	n = strlen(rest);
	if (scope_is(rest, n, host, hl, subset, sl))
		return 1;
	for (k = n; k > 0 && rest[k - 1] >= '0' && rest[k - 1] <= '9'; k--)
		;
	return k < n && k > 1 && rest[k - 1] == '-' && scope_is(rest, k - 1, host, hl, subset, sl);
}

int bs_backup_matches(const struct bs_summary *s, const char *host, const char *subset)
{
	if (s->damaged)
		return id_could_be(s->id, host, subset);
	return (!host || !*host || !strcmp(s->host, host)) && (!subset || !*subset || !strcmp(s->subset, subset));
}

int bs_backup_list_of(struct bs_repo *repo, const char *host, const char *subset, struct bs_summary **v,
		      size_t *n, struct bs_err *e)
{
	size_t k = 0;

	if (bs_backup_list(repo, v, n, e) < 0)
		return -1;
	for (size_t i = 0; i < *n; i++)
		if (bs_backup_matches(&(*v)[i], host, subset))
			(*v)[k++] = (*v)[i];
	*n = k;
	return 0;
}

/* " of host H, subset S" for messages, or "" */
static void scope_text(char *out, size_t n, const char *host, const char *subset)
{
	int h = host && *host, s = subset && *subset;

	snprintf(out, n, "%s%s%s%s%s", h || s ? " of" : "", h ? " host " : "", h ? host : "",
		 s ? (h ? ", subset " : " subset ") : "", s ? subset : "");
}

int bs_backup_resolve_in(struct bs_repo *repo, const char *name, const char *host, const char *subset,
			 struct bs_summary *s, struct bs_err *e)
{
	struct bs_summary *v;
	size_t n;
	char scope[300];

	if (!(host && *host) && !(subset && *subset))
		return bs_backup_resolve(repo, name, s, e);
	if (!*name)
		return bs_err_set(e, BS_USAGE, "empty backup name");
	scope_text(scope, sizeof(scope), host, subset);
	if (bs_backup_list_of(repo, host, subset, &v, &n, e) < 0)
		return -1;
	return bs_backup_pick(v, n, name, scope, repo->path, s, e);
}

size_t bs_glob_literal(const char *p)
{
	size_t i = 0;

	for (; p[i]; i++)
		if (p[i] == '*' || p[i] == '?' || p[i] == '[' || p[i] == '\\')
			break;
	return i;
}

struct finder {
	const char *pattern;
	const struct bs_summary *s;
	bs_find_fn *fn;
	void *arg;
	int64_t found;
};

static int visit(void *arg, const struct bs_entry *ent, const struct bs_buf *path, struct bs_err *e)
{
	struct finder *f = arg;

	if (ent->rec.kind == 'i' || fnmatch(f->pattern, path->p, 0) != 0)
		return 0;
	f->found++;
	return f->fn(f->arg, f->s, ent, path, e);
}

int64_t bs_find(struct bs_repo *repo, const char *pattern, const char *host, const char *subset, bs_find_fn *fn,
		void *arg, struct bs_err *e)
{
	struct finder f = { pattern, NULL, fn, arg, 0 };
	struct bs_buf clean = BS_BUF_INIT, start = BS_BUF_INIT;
	struct bs_summary *v;
	size_t n, lit = bs_glob_literal(pattern);
	int exact = !pattern[lit], rc = 0;

	if (exact) {
		if (bs_path_clean(pattern, strlen(pattern), &clean, e) < 0)
			return -1;
	} else {
		/* walk from the deepest directory the pattern names literally */
		size_t cut = lit;
		while (cut > 0 && pattern[cut - 1] != '/')
			cut--;
		if (cut > 1)
			bs_buf_add(&start, pattern, cut - 1);
		else
			bs_buf_addc(&start, '/');
	}
	if (bs_backup_list_of(repo, host, subset, &v, &n, e) < 0) {
		bs_buf_release(&clean);
		bs_buf_release(&start);
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct bs_meta_reader m;
		f.s = &v[i];
		if (bs_meta_open(&m, repo, v[i].id, e) < 0) {
			rc = -1;
			break;
		}
		if (exact) {
			struct bs_entry *ent;
			int r = bs_meta_lookup(&m, clean.p, clean.len, &ent, e);
			if (r < 0)
				rc = -1;
			else if (r == 1 && ent->rec.kind != 'i') {
				struct bs_entry copy;
				bs_entry_init(&copy);
				bs_entry_copy(&copy, ent);
				f.found++;
				rc = fn(arg, &v[i], &copy, &clean, e);
				bs_entry_release(&copy);
			}
		} else if (bs_meta_walk(&m, start.p, start.len, visit, &f, e) < 0) {
			rc = -1;
		}
		bs_meta_release(&m);
	}
	free(v);
	bs_buf_release(&clean);
	bs_buf_release(&start);
	return rc < 0 ? -1 : f.found;
}
