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
#include "select.h"
#include "tool.h"
#include "common/everyday.h"

static const char usage[] =
	"usage: bs-cat -r repo [-H host] [-s subset] backup [path ...] > archive.tar\n"
	"       bs-cat -r repo --chunk digest > bytes\n";

struct cat {
	struct bs_repo repo;
	struct bs_meta_reader meta;
	struct bs_writer out;
	struct bs_linkmap links;
	struct bs_buf name, data;
	uint64_t members;
};

static int visit(void *arg, const struct bs_entry *ent, const struct bs_buf *path, struct bs_err *e)
{
	struct cat *c = arg;
	const struct bs_rec *rec = &ent->rec;
	const char *link = NULL;
	uint64_t done = 0;
	char *first;

	if (rec->kind == 'i')
		return 0;	/* tar makes the directories above a member */
	if (bs_tar_name(path->p, path->len, &c->name, e) < 0)
		return -1;
	if (rec->kind == 'f' && rec->nlink > 1) {
		first = bs_linkmap_get(&c->links, rec->dev, rec->ino);
		if (first && strcmp(first, c->name.p))
			link = first;
		else if (first)
			return 0;	/* this very member was written already */
		else
			bs_linkmap_put(&c->links, rec->dev, rec->ino, bs_xstrdup(c->name.p));
	}
	if (bs_tar_header(&c->out, rec, c->name.p, c->name.len, link, link ? strlen(link) : 0, e) < 0)
		return -1;
	c->members++;
	if (rec->kind == 'f' && !link) {
		for (size_t i = 0; i < ent->nrefs; i++) {
			bs_buf_reset(&c->data);
			struct bs_err why;
			if (bs_chunk_get(&c->repo, ent->refs[i].digest, &c->data, &why) < 0)
				return bs_err_set(e, why.code, "'%.200s': %s", path->p, why.msg);
			if (c->data.len != ent->refs[i].size)
				return bs_err_set(e, BS_INPUT, "'%.200s': chunk %zu holds %zu bytes, not %" PRIu64,
						  path->p, i, c->data.len, ent->refs[i].size);
			bs_writer_add(&c->out, c->data.p, c->data.len);
			done += c->data.len;
		}
		if (done != rec->size)
			return bs_err_set(e, BS_INPUT, "'%.200s': its chunks hold %" PRIu64 " bytes, not %" PRIu64,
					  path->p, done, rec->size);
		bs_tar_pad(&c->out, rec->size);
	}
	if (c->out.err)
		return bs_writer_flush(&c->out, e);
	return 0;
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
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct cat c;
	struct bs_summary sum;
	struct bs_buf clean = BS_BUF_INIT;
	struct bs_err e;
	const char *path = NULL, *chunk = NULL, *host = NULL, *subset = NULL;
	int opt, nroots;
	char **roots;

	tool_init("bs-cat");
	while ((opt = getopt_long(argc, argv, "hr:H:s:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r': path = optarg; break;
		case 'C': chunk = optarg; break;
		case 'H': host = optarg; break;
		case 's': subset = optarg; break;
		case 'h': tool_usage(usage, 1); break;
		case 'V': tool_version();
		default: tool_usage(usage, 2);
		}
	}
	path = tool_repo(path);
	if (!path || (chunk ? optind != argc : optind >= argc))
		tool_usage(usage, 2);
	/* shared, like a backup's: an expiry waits until the restore is done */
	if (bs_repo_open(&c.repo, path, &e) < 0 || bs_repo_lock(&c.repo, BS_LOCK_SHARED | BS_LOCK_READER, &e) < 0)
		tool_die(&e);
	bs_writer_init(&c.out, 1, "standard output");
	if (chunk) {
		cat_chunk(&c, chunk);
		return 0;
	}
	if (bs_backup_resolve_in(&c.repo, argv[optind], host, subset, &sum, &e) < 0)
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
		if (inside) {
			roots[i][0] = '\0';	/* not a root any more */
			continue;
		}
		if (bs_meta_walk(&c.meta, roots[i], strlen(roots[i]), visit, &c, &e) < 0)
			tool_die(&e);
	}
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
