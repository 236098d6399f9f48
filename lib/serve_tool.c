/* serve_tool.c - ls, cat, check and expire for a client: the options it may give each tool, checked, and the tool's arguments (serve.h). */
#include <stdlib.h>
#include <string.h>
#include "backup.h"
#include "repo.h"
#include "select.h"
#include "serve.h"

/*
 * The options a client may give each tool run here (an allow-list): the
 * long or one-letter name, and whether it takes an argument (1), or may
 * have one after '=' (2).  Nothing that names a repository (-r), a file
 * or a directory of the server.
 */
struct allowed {
	const char *name;
	int arg;
};

static const struct allowed ls_opts[] = {
	{ "l", 0 }, { "0", 0 }, { "H", 1 }, { "s", 1 }, { "records", 0 }, { "priors", 0 }, { "json", 0 },
	{ "summary", 0 }, { "diff", 0 }, { "find", 0 }, { "full-time", 0 }, { NULL, 0 },
};
static const struct allowed cat_opts[] = {
	{ "d", 0 }, { "H", 1 }, { "s", 1 }, { "chunk", 1 }, { "format", 1 }, { "fflags", 0 }, { NULL, 0 },
};
static const struct allowed check_opts[] = {
	{ "read-data", 2 }, { "json", 0 }, { NULL, 0 },
};
static const struct allowed expire_opts[] = {
	{ "n", 0 }, { "v", 0 }, { "H", 1 }, { "s", 1 }, { "max-age", 1 }, { "metadata-max-age", 1 },
	{ "check-hashes", 0 }, { "no-wait", 0 }, { "json", 0 }, { "keep-last", 1 }, { "keep-hourly", 1 },
	{ "keep-daily", 1 }, { "keep-weekly", 1 }, { "keep-monthly", 1 }, { "keep-yearly", 1 }, { NULL, 0 },
};

static const struct verb {
	const char *verb, *tool;
	const struct allowed *allow;
} verbs[] = {
	{ "ls", "bs-ls", ls_opts },
	{ "cat", "bs-cat", cat_opts },
	{ "check", "bs-check", check_opts },
	{ "expire", "bs-expire", expire_opts },
	{ NULL, NULL, NULL },
};

/* The client's arguments, checked and put in order: options, "--", operands. */
struct toolargs {
	char **v;
	int n;
	char **operands;
	int noperands;
	int diff, chunk;	/* --diff, --chunk */
};

/* A string argv will point to, freed with the exec. */
static char *own(struct bs_serve_exec *x, char *p)
{
	x->owned = bs_xrealloc(x->owned, (x->nowned + 1) * sizeof(*x->owned));
	x->owned[x->nowned++] = p;
	return p;
}

void bs_serve_exec_release(struct bs_serve_exec *x)
{
	for (size_t i = 0; i < x->nowned; i++)
		free(x->owned[i]);
	free(x->owned);
	free(x->argv);
	memset(x, 0, sizeof(*x));
}

static const struct allowed *allowed_opt(const struct allowed *allow, const char *name, size_t len)
{
	for (; allow->name; allow++)
		if (strlen(allow->name) == len && !strncmp(allow->name, name, len))
			return allow;
	return NULL;
}

static int refuse_opt(const char *tool, const char *opt, struct bs_err *e)
{
	char q[128];

	return bs_err_set(e, BS_USAGE, "the client may not give '%s' to %s here", bs_quote(opt, strlen(opt), q, sizeof(q)),
			  tool);
}

/* A long option, args[*i]: in its full name, with its value after '='. */
static int long_opt(struct bs_serve_exec *x, const struct verb *v, int argc, char *const *args, int *i,
		    struct toolargs *t, struct bs_err *e)
{
	const char *a = args[*i], *name = a + 2, *eq = strchr(name, '=');
	const struct allowed *o = allowed_opt(v->allow, name, eq ? (size_t)(eq - name) : strlen(name));
	struct bs_buf b = BS_BUF_INIT;

	if (!o || (o->arg == 0 && eq))
		return refuse_opt(v->tool, a, e);
	bs_buf_addf(&b, "--%s", o->name);
	if (o->arg == 1 && !eq) {
		if (*i + 1 == argc) {
			bs_buf_release(&b);
			return bs_err_set(e, BS_USAGE, "'--%s' needs an argument", o->name);
		}
		bs_buf_addf(&b, "=%s", args[++*i]);
	} else if (eq) {
		bs_buf_adds(&b, eq);
	}
	t->diff |= !strcmp(o->name, "diff");
	t->chunk |= !strcmp(o->name, "chunk");
	t->v[t->n++] = own(x, b.p);
	return 0;
}

/* A cluster of one-letter options, args[*i]; one that takes a value ends it. */
static int short_opts(struct bs_serve *s, struct bs_serve_exec *x, const struct verb *v, int argc, char *const *args,
		      int *i, struct toolargs *t, struct bs_err *e)
{
	const char *a = args[*i];

	for (const char *p = a + 1; *p; p++) {
		char letter[3] = { '-', *p, '\0' };
		const struct allowed *o = allowed_opt(v->allow, p, 1);
		if (*p == 'r')
			return bs_err_set(e, BS_USAGE, "the client may not name a repository in its arguments ('%s')", a);
		if (!o)
			return refuse_opt(v->tool, letter, e);
		t->v[t->n++] = own(x, bs_xstrdup(letter));
		if (!o->arg)
			continue;
		if (p[1])
			t->v[t->n++] = own(x, bs_xstrdup(p + 1));
		else if (*i + 1 < argc)
			t->v[t->n++] = own(x, bs_xstrdup(args[++*i]));
		else
			return bs_err_set(e, BS_USAGE, "'-%c' needs an argument", *p);
		/* a pinned key names its own host, or none */
		if (*p == 'H' && s->pinned) {
			if (bs_serve_check_host(s, t->v[t->n - 1], e) < 0)
				return -1;
			t->n -= 2;
		}
		break;
	}
	return 0;
}

static int check_args(struct bs_serve *s, struct bs_serve_exec *x, const struct verb *v, int argc,
		      char *const *args, struct toolargs *t, struct bs_err *e)
{
	int dashdash = 0;
	size_t cap = 1;

	/* an argument gives at most one option for each of its bytes, or
	 * an option and its value */
	for (int i = 0; i < argc; i++)
		cap += strlen(args[i]) + 2;
	t->v = (char **)own(x, bs_xcalloc(cap, sizeof(*t->v)));
	t->operands = bs_xcalloc((size_t)argc + 1, sizeof(*t->operands));
	for (int i = 0; i < argc; i++) {
		char *a = args[i];
		if (!dashdash && !strcmp(a, "--"))
			dashdash = 1;
		else if (dashdash || a[0] != '-' || a[1] == '\0')
			t->operands[t->noperands++] = own(x, bs_xstrdup(a));
		else if (a[1] == '-' ? long_opt(x, v, argc, args, &i, t, e) < 0
				     : short_opts(s, x, v, argc, args, &i, t, e) < 0)
			return -1;
	}
	return 0;
}

/*
 * bs-check for a pinned key: the backups it names, found among those of
 * its host (as bs-ls -H finds them), or all of that host's: full ids.
 */
static int pin_check(struct bs_serve *s, struct bs_serve_exec *x, struct toolargs *t, struct bs_err *e)
{
	struct bs_repo repo;
	struct bs_summary *v = NULL;
	size_t n = 0;
	int rc = -1;

	if (bs_repo_open(&repo, s->real, e) < 0)
		return -1;
	if (t->noperands) {
		for (int i = 0; i < t->noperands; i++) {
			struct bs_summary one;
			if (bs_backup_resolve_in(&repo, t->operands[i], s->pinned, NULL, &one, e) < 0)
				goto out;
			t->operands[i] = own(x, bs_xstrdup(one.id));
		}
	} else {
		if (bs_backup_list_of(&repo, s->pinned, NULL, &v, &n, e) < 0)
			goto out;
		if (!n) {
			bs_err_set(e, BS_INPUT, "no backup of host '%s' to check", s->pinned);
			goto out;
		}
		t->operands = bs_xrealloc(t->operands, (n + 1) * sizeof(*t->operands));
		for (size_t i = 0; i < n; i++)
			t->operands[i] = own(x, bs_xstrdup(v[i].id));
		t->noperands = (int)n;
	}
	rc = 0;
out:
	free(v);
	bs_repo_close(&repo);
	return rc;
}

/* The checks on the whole request, then the tool's argv. */
static int build(struct bs_serve *s, struct bs_serve_exec *x, const struct verb *v, int argc, char *const *args,
		 struct toolargs *t, struct bs_err *e)
{
	int n = 0;

	if (check_args(s, x, v, argc, args, t, e) < 0)
		return -1;
	if (!strcmp(v->verb, "ls") && t->diff && t->noperands >= 2 &&
	    (t->operands[1][0] == '/' || t->operands[1][0] == '.'))
		return bs_err_set(e, BS_USAGE, "a backup is not compared with a directory of the server ('%s')",
				  t->operands[1]);
	if (s->pinned && t->chunk)
		return bs_err_set(e, BS_USAGE, "a key pinned to a host (--host) reads backups, not chunks");
	if (s->pinned && !strcmp(v->verb, "check") && pin_check(s, x, t, e) < 0)
		return -1;
	x->tool = v->tool;
	x->argv = bs_xcalloc((size_t)(t->n + t->noperands) + 7, sizeof(*x->argv));
	x->argv[n++] = (char *)v->tool;
	x->argv[n++] = "-r";
	x->argv[n++] = s->real;
	if (s->pinned && strcmp(v->verb, "check")) {
		/* ls, cat, expire: the backups of that host only */
		x->argv[n++] = "-H";
		x->argv[n++] = (char *)s->pinned;
	}
	for (int i = 0; i < t->n; i++)
		x->argv[n++] = t->v[i];
	x->argv[n++] = "--";
	for (int i = 0; i < t->noperands; i++)
		x->argv[n++] = t->operands[i];
	x->argv[n] = NULL;
	return 0;
}

/*
 * ls, cat, check, expire: the tool itself, on the repository, with the
 * client's options (those allowed, in their canonical form), then "--"
 * and its operands.  None of them may name another repository, nor a
 * file or a directory of the server: bs-ls --diff against a live tree is
 * refused.
 */
int bs_serve_tool(struct bs_serve *s, const struct bs_wire_request *rq, struct bs_serve_exec *x, struct bs_err *e)
{
	const struct verb *v = verbs;
	struct toolargs t;
	int rc;

	memset(x, 0, sizeof(*x));
	while (v->verb && strcmp(v->verb, rq->verb))
		v++;
	if (!v->verb)
		return 0;
	if (!strcmp(v->verb, "expire") && s->append_only)
		return bs_err_set(e, BS_USAGE, "repository '%s' is append-only for this key: expiry runs on the server",
				  rq->path);
	memset(&t, 0, sizeof(t));
	rc = build(s, x, v, rq->argc, rq->args, &t, e);
	free(t.operands);
	if (rc < 0) {
		bs_serve_exec_release(x);
		return -1;
	}
	return 1;
}
