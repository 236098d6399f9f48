/* bs-cat - write a backup, or part of it, as a GNU tar stream; or one chunk. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backup.h"
#include "linkmap.h"
#include "meta.h"
#include "repo.h"
#include "tar.h"
#include "tool.h"

static const char usage[] =
	"usage: bs-cat -r repo [-d] [--format=pax|gnu] [--fflags] backup [path ...] > archive.tar\n"
	"       bs-cat -r repo --chunk digest > bytes\n";

struct cat {
	struct bs_repo repo;
	struct bs_meta_reader meta;
	struct bs_writer out;
	struct bs_linkmap links;
	struct bs_buf name, data;
	uint64_t members;
	int opts;		/* BS_TAR_PAX, BS_TAR_FFLAGS */
	char **done;		/* ancestors written already */
	size_t ndone;
};

/* Can this record be one name of a file with several (a hard link)? */
static int linkable(const struct bs_rec *rec)
{
	return rec->nlink > 1 && strchr("fpcb", rec->kind);
}

static int visit(void *arg, const struct bs_entry *ent, const struct bs_buf *path, struct bs_err *e)
{
	struct cat *c = arg;
	const struct bs_rec *rec = &ent->rec;
	const char *link = NULL;
	struct bs_tar_data data;
	struct bs_err why;
	char *first;

	if (rec->kind == 'i')
		return 0;	/* tar makes the directories above a member */
	if (bs_tar_name(path->p, path->len, &c->name, e) < 0)
		return -1;
	if (linkable(rec)) {
		first = bs_linkmap_get(&c->links, rec->dev, rec->ino);
		if (first && strcmp(first, c->name.p))
			link = first;
		else if (first)
			return 0;	/* this very member was written already */
		else
			bs_linkmap_put(&c->links, rec->dev, rec->ino, bs_xstrdup(c->name.p));
	}
	if (bs_tar_member(&c->out, rec, c->name.p, c->name.len, link, link ? strlen(link) : 0, c->opts, e) < 0)
		return -1;
	c->members++;
	if (rec->kind == 'f' && !link) {
		bs_tar_data_begin(&data, &c->out, rec, c->opts);
		for (size_t i = 0; i < ent->nrefs; i++) {
			bs_buf_reset(&c->data);
			if (bs_chunk_get(&c->repo, ent->refs[i].digest, &c->data, &why) < 0)
				return bs_err_set(e, why.code, "'%.200s': %s", path->p, why.msg);
			if (c->data.len != ent->refs[i].size)
				return bs_err_set(e, BS_INPUT, "'%.200s': chunk %zu holds %zu bytes, not %" PRIu64,
						  path->p, i, c->data.len, ent->refs[i].size);
			bs_tar_data_add(&data, c->data.p, c->data.len);
		}
		if (bs_tar_data_end(&data, &why) < 0)
			return bs_err_set(e, why.code, "'%.200s': %s", path->p, why.msg);
	}
	if (c->out.err)
		return bs_writer_flush(&c->out, e);
	return 0;
}

/*
 * The directories above a path given, from the backup's listings, so that
 * a partial restore gives them their recorded mode, owner and times rather
 * than tar's defaults; each once, the top first.  "/" itself is left out
 * (it would be the directory restored into), and so are directories the
 * backup did not record (implicit ones).
 */
static int ancestors(struct cat *c, const char *path, struct bs_err *e)
{
	size_t n = strlen(path);
	struct bs_buf p = BS_BUF_INIT;
	struct bs_entry copy;
	int rc = 0;

	bs_entry_init(&copy);
	for (size_t i = 1; i < n && rc == 0; i++) {
		struct bs_entry *ent;
		int seen = 0;
		if (path[i] != '/')
			continue;
		for (size_t j = 0; j < c->ndone && !seen; j++)
			seen = strlen(c->done[j]) == i && !memcmp(c->done[j], path, i);
		if (seen)
			continue;
		c->done = bs_xrealloc(c->done, (c->ndone + 1) * sizeof(*c->done));
		c->done[c->ndone++] = bs_xstrndup(path, i);
		if (bs_meta_lookup(&c->meta, path, i, &ent, e) < 0) {
			rc = -1;
			break;
		}
		if (!ent || ent->rec.kind != 'd')
			continue;
		bs_entry_copy(&copy, ent);
		bs_buf_reset(&p);
		bs_buf_add(&p, path, i);
		rc = visit(c, &copy, &p, e);
	}
	bs_entry_release(&copy);
	bs_buf_release(&p);
	return rc;
}

/* -d: the path itself, without what is below it */
static int visit_one(struct cat *c, const char *path, struct bs_err *e)
{
	struct bs_entry copy, *ent;
	struct bs_buf p = BS_BUF_INIT;
	int rc;

	bs_entry_init(&copy);
	if (!strcmp(path, "/"))
		rc = bs_meta_root(&c->meta, &copy, e);
	else if ((rc = bs_meta_lookup(&c->meta, path, strlen(path), &ent, e)) > 0)
		bs_entry_copy(&copy, ent);
	if (rc > 0) {
		bs_buf_adds(&p, path);
		rc = visit(c, &copy, &p, e);
	}
	bs_entry_release(&copy);
	bs_buf_release(&p);
	return rc < 0 ? -1 : 0;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void cat_chunk(struct cat *c, const char *hex)
{
	unsigned char digest[BS_DIGEST_LEN];
	struct bs_err e;

	if (bs_unhex(digest, hex, strlen(hex)) < 0)
		tool_fail(BS_USAGE, "'%s' is not a chunk digest (64 lowercase hex digits)", hex);
	if (bs_chunk_get(&c->repo, digest, &c->data, &e) < 0)
		tool_die(&e);
	bs_writer_add(&c->out, c->data.p, c->data.len);
	if (bs_writer_close(&c->out, &e) < 0)
		tool_die(&e);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "chunk", required_argument, NULL, 'C' },
		{ "format", required_argument, NULL, 'F' },
		{ "fflags", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct cat c;
	struct bs_summary sum;
	struct bs_buf clean = BS_BUF_INIT;
	struct bs_err e;
	const char *path = NULL, *chunk = NULL;
	int opt, nroots, dironly = 0;
	char **roots;

	tool_init("bs-cat");
	c.opts = BS_TAR_PAX;
	while ((opt = getopt_long(argc, argv, "dhr:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r': path = optarg; break;
		case 'd': dironly = 1; break;
		case 'f': c.opts |= BS_TAR_FFLAGS; break;
		case 'F':
			if (!strcmp(optarg, "gnu"))
				c.opts = 0;
			else if (strcmp(optarg, "pax"))
				tool_fail(BS_USAGE, "unknown format '%s': pax or gnu", optarg);
			break;
		case 'C': chunk = optarg; break;
		case 'h': tool_usage(usage, 1); break;
		default: tool_usage(usage, 2);
		}
	}
	if (!path || (chunk ? optind != argc : optind >= argc))
		tool_usage(usage, 2);
	if ((c.opts & BS_TAR_FFLAGS) && !(c.opts & BS_TAR_PAX))
		tool_fail(BS_USAGE, "--fflags needs the pax format");
	/* shared, like a backup's: an expiry waits until the restore is done */
	if (bs_repo_open(&c.repo, path, &e) < 0 || bs_repo_lock(&c.repo, BS_LOCK_SHARED | BS_LOCK_READER, &e) < 0)
		tool_die(&e);
	bs_writer_init(&c.out, 1, "standard output");
	if (chunk) {
		cat_chunk(&c, chunk);
		return 0;
	}
	if (bs_backup_resolve(&c.repo, argv[optind], &sum, &e) < 0)
		tool_die(&e);
	if (sum.data_expired)
		tool_fail(BS_INPUT, "the data of backup '%s' has expired; only its listing is kept", sum.id);
	if (bs_meta_open(&c.meta, &c.repo, sum.id, &e) < 0)
		tool_die(&e);

	/* every path must be in the backup before a byte is written */
	nroots = argc - optind - 1;
	roots = bs_xcalloc((size_t)(nroots ? nroots : 1), sizeof(*roots));
	if (nroots == 0)
		roots[nroots++] = bs_xstrdup("/");
	else
		for (int i = 0; i < nroots; i++) {
			struct bs_entry *ent;
			const char *arg = argv[optind + 1 + i];
			if (arg[0] != '/')
				tool_fail(BS_USAGE, "'%s': paths in a backup are absolute", arg);
			if (bs_path_clean(arg, strlen(arg), &clean, &e) < 0)
				tool_die(&e);
			if (bs_meta_lookup(&c.meta, clean.p, clean.len, &ent, &e) < 0)
				tool_die(&e);
			if (!ent && !(clean.len == 1))
				tool_fail(BS_INPUT, "'%s' is not in backup '%s'", arg, sum.id);
			roots[i] = bs_xstrdup(clean.p);
		}
	/* a path inside another one given is already in that one's subtree;
	 * sorted, a path's ancestors among them come before it */
	qsort(roots, (size_t)nroots, sizeof(*roots), by_path);
	bs_linkmap_init(&c.links);
	for (int i = 0; i < nroots; i++) {
		int inside = 0;
		for (int j = 0; j < i && !inside; j++)
			inside = roots[j][0] && bs_path_covers(roots[j], strlen(roots[j]), roots[i], strlen(roots[i]));
		if (inside && !dironly) {
			roots[i][0] = '\0';	/* not a root any more */
			continue;
		}
		if (!inside && ancestors(&c, roots[i], &e) < 0)
			tool_die(&e);
		if ((dironly ? visit_one(&c, roots[i], &e) : bs_meta_walk(&c.meta, roots[i], strlen(roots[i]), visit, &c, &e)) < 0)
			tool_die(&e);
		if (dironly) {
			c.done = bs_xrealloc(c.done, (c.ndone + 1) * sizeof(*c.done));
			c.done[c.ndone++] = bs_xstrdup(roots[i]);
		}
	}
	for (size_t i = 0; i < c.ndone; i++)
		free(c.done[i]);
	free(c.done);
	for (int i = 0; i < nroots; i++)
		free(roots[i]);
	free(roots);
	bs_tar_end(&c.out);
	if (bs_writer_close(&c.out, &e) < 0)
		tool_die(&e);
	bs_linkmap_release(&c.links, free);
	bs_meta_release(&c.meta);
	bs_buf_release(&c.name);
	bs_buf_release(&c.data);
	bs_buf_release(&clean);
	bs_repo_close(&c.repo);
	return 0;
}
