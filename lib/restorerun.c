/* restorerun.c - bs-cat's whole restore: a named backup found, opened, written as tar, its damage counted. */
#include <inttypes.h>
#include <stdio.h>
#include "meta.h"
#include "restore.h"
#include "restorerun.h"
#include "select.h"

static void say(struct bs_restore_run *r, const char *msg)
{
	if (r->warn)
		r->warn(r->arg, msg);
}

/* a listing that cannot be read: said, counted, and the restore goes on */
static void listing_damaged(void *arg, const char *msg)
{
	struct bs_restore_run *r = arg;
	char line[sizeof(((struct bs_err *)0)->msg) + 64];

	snprintf(line, sizeof(line), "%s; that directory is skipped", msg);
	say(r, line);
	r->damage++;
}

/* a chunk written as zeros (restore.h) */
static void chunk_damaged(void *arg, const char *msg)
{
	struct bs_restore_run *r = arg;

	say(r, msg);
	r->damage++;
}

int bs_restore_run(struct bs_restore_run *r, struct bs_repo *repo, const char *name, char *const *paths, int n,
		   struct bs_writer *out, struct bs_err *e)
{
	struct bs_meta_reader meta;
	struct bs_restore x;
	char line[sizeof(r->sum.id) + 128];
	int rc;

	r->damage = 0;
	if (bs_backup_resolve_in(repo, name, r->host, r->subset, &r->sum, e) < 0)
		return -1;
	if (r->sum.data_expired)
		return bs_err_set(e, BS_INPUT, "the data of backup '%s' has expired; only its listing is kept",
				  r->sum.id);
	if (bs_meta_open(&meta, repo, r->sum.id, e) < 0)
		return -1;
	if (r->sum.damaged) {
		snprintf(line, sizeof(line), "the summary of backup '%s' is damaged; restoring what its metadata holds",
			 r->sum.id);
		say(r, line);
	}
	meta.on_damage = listing_damaged;
	meta.damage_arg = r;
	bs_restore_init(&x, repo, &meta, out);
	x.threads = r->threads;
	x.memory = r->memory;
	x.opts = r->opts;
	x.warn = chunk_damaged;
	x.arg = r;
	rc = bs_restore_tar(&x, paths, n, e);
	if (rc == 0)
		rc = bs_writer_flush(out, e);
	bs_restore_release(&x);
	bs_meta_release(&meta);
	if (rc == 0 && r->damage) {
		snprintf(line, sizeof(line), "backup '%s' is damaged: %" PRIu64 " chunk%s or listing%s could not be restored; see above",
			 r->sum.id, r->damage, r->damage == 1 ? "" : "s", r->damage == 1 ? "" : "s");
		say(r, line);
	}
	return rc;
}

int bs_restore_run_partial(const struct bs_restore_run *r)
{
	return r->sum.damaged || r->damage;
}
