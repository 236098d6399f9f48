/*
 * incremental.h - what earlier backups spare a new one from reading.
 *
 * A bs_priors holds up to three earlier backups of the same host and
 * subset, opened for lookups, and answers: is this file unchanged since
 * one of them (so its chunk list can be reused), and is this directory's
 * whole run of records the same as one of their listings (so the listing
 * can be taken whole, as one L item).  Not shared between threads.
 *
 *   bs_priors_init(p, repo, start)
 *       repo: open and locked; start: the new backup's start, with which
 *       reused chunks are stamped.
 *   bs_priors_open(p, host, subset, ids, nids, floor, e)
 *       Open the backups named by ids (the -p option; resolved like any
 *       backup name), or, when nids is 0, bs_backup_priors(host, subset).
 *       A backup whose chunk stamps are recent enough to trust (within the
 *       refresh setting and the retention, not older than the last
 *       expiry's cut-off) is "fresh": its chunks need only exist, and
 *       *floor is lowered to its floor.  A backup that cannot be opened is
 *       passed to p->warn and left out.  p->estimate is set to the bytes
 *       of the largest.  Returns 0, or -1 with e.
 *   bs_priors_unchanged(p, rec)
 *       The earlier entry of a regular file with the same size, mtime,
 *       ctime (and inode, on the same device), all of whose chunks are
 *       still in the repository (stamped if need be); or NULL.
 *   bs_priors_take_group(p, g, out, files)
 *       g holds the records of directory g->dir, in input order, each as
 *       the text a listing holds (bs_rec_format_as() under its bare name)
 *       with where it lies, its kind, link count and size.  When they are,
 *       in name order, what an earlier listing of dir holds (its records
 *       digest), none is a file with other hard links, and every chunk the
 *       listing refers to is still there, the listing is written to out
 *       as an L item and 1 is returned (*files: its regular files); else 0.
 *   bs_priors_release(p)
 *
 * A backup found damaged on the way is dropped: its error goes to
 * p->warn(p->arg, msg) ("...; not using that backup") and it is asked no
 * more.
 */
#ifndef BS_INCREMENTAL_H
#define BS_INCREMENTAL_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "meta.h"
#include "record.h"
#include "repo.h"

#define BS_PRIORS_MAX 3

/* A directory's run of records, gathered as text (a few dozen bytes a
 * record, not a decoded one's few hundred): record i is text[off, end],
 * ended by a NUL at end, its bare name text[name, end). */
struct bs_priors_grec {
	uint32_t off, name, end;
	char kind;
	uint64_t nlink, size;
};

struct bs_priors_group {
	struct bs_buf dir;
	struct bs_buf text;
	struct bs_priors_grec *v;
	size_t n, cap;
};

struct bs_priors {
	struct bs_repo *repo;
	struct bs_meta_reader m[BS_PRIORS_MAX];
	int fresh[BS_PRIORS_MAX];	/* its chunks' stamps need no refreshing */
	size_t n;
	struct bs_time start;
	uint64_t estimate;
	struct bs_buf scratch, dirs;
	/* chunks found (and stamped if need be) lately: the pieces of packed
	 * small files share a few chunks, which are checked once */
	unsigned char ok[8][32];
	unsigned nok;
	void (*warn)(void *arg, const char *msg);
	void *arg;
};

void bs_priors_init(struct bs_priors *p, struct bs_repo *repo, struct bs_time start);
int bs_priors_open(struct bs_priors *p, const char *host, const char *subset, char *const *ids, size_t nids,
		   struct bs_time *floor, struct bs_err *e);
const struct bs_entry *bs_priors_unchanged(struct bs_priors *p, const struct bs_rec *rec);
int bs_priors_take_group(struct bs_priors *p, const struct bs_priors_group *g, struct bs_writer *out,
			 uint64_t *files);
void bs_priors_release(struct bs_priors *p);

#endif
