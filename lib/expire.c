/* expire.c - what an expiry removes, in what order: backups, their data, leftovers, chunks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "backup.h"
#include "expire.h"

#define LEFTOVER_AGE 86400	/* temporary files of crashed writers */

int bs_expire_init(struct bs_expire *x, struct bs_repo *repo, const struct bs_policy *policy, int rules_given,
		   struct bs_err *e)
{
	struct bs_policy *p = &x->policy;

	memset(x, 0, sizeof(*x));
	bs_buf_init(&x->data);
	x->repo = repo;
	*p = *policy;
	if (p->max_age < 0)
		p->max_age = repo->cfg.max_age;
	if (p->metadata_max_age < 0)
		p->metadata_max_age = repo->cfg.metadata_max_age;
	for (int r = 0; r < BS_KEEP_RULES; r++)
		p->keep[r] = rules_given ? policy->keep[r] : repo->cfg.keep[r];
	if (p->max_age < 0 && !bs_policy_any_rule(p))
		return bs_err_set(e, BS_USAGE, "no retention: give --max-age or --keep-daily and the like, or store "
				  "them with bs-init --set");
	return 0;
}

void bs_expire_release(struct bs_expire *x)
{
	bs_buf_release(&x->data);
	bs_digests_release(&x->marked);
}

static void report(struct bs_expire *x, enum bs_expired kind, const char *name, const char *why)
{
	if (x->fn)
		x->fn(x->arg, kind, name, why, -1);
}

static int remove_file(struct bs_expire *x, const struct bs_chunk_file *f, const char *why, struct bs_err *e)
{
	report(x, BS_EXPIRED_FILE, f->path, why);
	x->bytes += f->size;
	if (x->dry)
		return 0;
	return bs_repo_unlink(x->repo, f->path, e);
}

static int visit(void *arg, const struct bs_chunk_file *f, struct bs_err *e)
{
	struct bs_expire *x = arg;

	if (f->is_temp) {
		if (f->mtime.sec < x->now.sec - LEFTOVER_AGE) {
			x->temps++;
			return remove_file(x, f, "left by a crashed writer", e);
		}
		return 0;
	}
	if (!f->is_chunk)
		return 0;
	/* two seconds of slack: a file system may keep times coarser than
	 * the stamp a backup gave, rounding it below the backup's start */
	if (f->mtime.sec < x->chunk_cutoff.sec - 2 && !bs_digests_has(&x->marked, f->digest)) {
		/* recorded before the first chunk goes: a stream made before
		 * this run that relies on older stamps is refused from now on
		 * (bs-formats.5) */
		if (!x->dry && !x->expiry_written) {
			if (bs_expiry_write(x->repo, x->chunk_cutoff, e) < 0)
				return -1;
			x->expiry_written = 1;
		}
		x->chunks++;
		return remove_file(x, f, "not referenced within the retention", e);
	}
	if (f->size == 0) {
		x->bad++;
		return remove_file(x, f, "empty", e);
	}
	if (x->check) {
		struct bs_err why;
		bs_buf_reset(&x->data);
		if (bs_chunk_get(x->repo, f->digest, &x->data, &why) < 0) {
			if (why.code != BS_INPUT)
				return bs_err_set(e, why.code, "%s", why.msg);
			x->bad++;
			return remove_file(x, f, "fails verification", e);
		}
	}
	return 0;
}

static void dir_done(void *arg, const char *dir)
{
	struct bs_expire *x = arg;

	/* empty chunk directories go; a busy one stays */
	if (!x->dry)
		x->repo->store->ops->prune(x->repo->store, dir);
}

/* Old temporaries in the directory `name` under `at`, shown as `shown`:
 * what writers of summaries, the config or REPO/expiry left in a crash. */
static void leftover_temps(struct bs_expire *x, int at, const char *name, const char *shown)
{
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *d;
	struct stat st;
	DIR *dir;

	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((d = readdir(dir)))
		if (strstr(d->d_name, ".tmp-") && fstatat(fd, d->d_name, &st, 0) == 0 &&
		    st.st_mtim.tv_sec < x->now.sec - LEFTOVER_AGE) {
			char path[1024];
			snprintf(path, sizeof(path), "%s%s", shown, d->d_name);
			report(x, BS_EXPIRED_FILE, path, "left by a crashed writer");
			x->temps++;
			x->bytes += (uint64_t)st.st_size;
			if (!x->dry)
				unlinkat(fd, d->d_name, 0);
		}
	closedir(dir);
}

/* Leftovers at the top and under backups/: old temporaries, half-removed
 * backups, backups whose summary never got written. */
static int backup_leftovers(struct bs_expire *x, struct bs_err *e)
{
	int fd = openat(x->repo->dirfd, "backups", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *d;
	DIR *dir;

	leftover_temps(x, x->repo->dirfd, ".", "");
	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return bs_err_sys(e, "cannot read '%s/backups'", x->repo->path);
	}
	while ((d = readdir(dir))) {
		struct stat st;
		char sub[600];
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "backups/%s", d->d_name);
		if (!strncmp(d->d_name, ".removing-", 10)) {
			report(x, BS_EXPIRED_FILE, sub, "a removal that was cut short");
			if (!x->dry && bs_backup_remove(x->repo, d->d_name, e) < 0)
				goto fail;
			continue;
		}
		/* a summary rewrite cut short */
		snprintf(sub, sizeof(sub), "backups/%s/", d->d_name);
		leftover_temps(x, fd, d->d_name, sub);
		/* a backup directory whose summary never got written */
		snprintf(sub, sizeof(sub), "%s/summary", d->d_name);
		if (fstatat(fd, sub, &st, 0) < 0 && errno == ENOENT &&
		    fstatat(fd, d->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode) &&
		    st.st_mtim.tv_sec < x->now.sec - LEFTOVER_AGE) {
			snprintf(sub, sizeof(sub), "backups/%s", d->d_name);
			report(x, BS_EXPIRED_FILE, sub, "never finished being created");
			if (!x->dry && bs_backup_remove(x->repo, d->d_name, e) < 0)
				goto fail;
		}
	}
	closedir(dir);
	return 0;
fail:
	closedir(dir);
	return -1;
}

/* The backups the policy does not keep, whole; the data of those it keeps
 * only the listing of.  Also sets the chunks' cut-off, and reads which
 * chunks the kept backups too old to hold it back refer to. */
static int expire_backups(struct bs_expire *x, struct bs_err *e)
{
	struct bs_summary *v;
	struct bs_verdict *d;
	size_t n;
	int rc = 0, *mark;

	if (bs_backup_list(x->repo, &v, &n, e) < 0)
		return -1;
	d = bs_xcalloc(n ? n : 1, sizeof(*d));
	mark = bs_xcalloc(n ? n : 1, sizeof(*mark));
	bs_retain(v, n, &x->policy, x->now, d);
	/* A backup may refer to chunks stamped before its start, down to its
	 * floor, when it trusted an earlier backup's stamps (bs-formats.5):
	 * no chunk stamped since the floors of the kept backups goes.  A kept
	 * backup whose floor is far older (a yearly one) keeps its chunks by
	 * reference instead, read from its listings before anything goes. */
	bs_retain_cutoff(v, n, d, &x->policy, x->repo->cfg.refresh, x->now, &x->chunk_cutoff, mark);
	for (size_t i = 0; i < n && rc == 0; i++)
		if (mark[i] && bs_retain_mark(x->repo, v[i].id, &x->marked, e) < 0) {
			char why[sizeof(e->msg)];
			snprintf(why, sizeof(why), "%s", e->msg);
			rc = bs_err_set(e, e->code, "%.900s; nothing was removed", why);
		}
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct bs_summary *s = &v[i];
		enum bs_expired kind = d[i].action == BS_RETAIN_KEEP ? BS_EXPIRED_KEEP :
				       d[i].action == BS_RETAIN_REMOVE ? BS_EXPIRED_BACKUP :
				       s->data_expired ? BS_EXPIRED_KEEP_LISTING : BS_EXPIRED_DATA;
		if (x->fn)
			x->fn(x->arg, kind, s->id, d[i].why, d[i].rule);
		if (kind == BS_EXPIRED_BACKUP) {
			if (!x->dry && bs_backup_remove(x->repo, s->id, e) < 0)
				rc = -1;
			x->backups++;
		} else if (kind == BS_EXPIRED_DATA && !s->damaged) {
			/* (a damaged summary is not rewritten from what little is known) */
			s->data_expired = 1;
			if (!x->dry && bs_summary_write(x->repo, s, e) < 0)
				rc = -1;
			x->listings_kept++;
		}
	}
	free(mark);
	free(d);
	free(v);
	return rc;
}

int bs_expire_lock(struct bs_expire *x, int nowait, void (*waiting)(void *arg, const char *msg), void *arg,
		   struct bs_err *e)
{
	char msg[1024];

	if (bs_repo_lock(x->repo, BS_LOCK_EXCLUSIVE | BS_LOCK_NOWAIT, e) == 0)
		return 0;
	/* busy: say what it waits for, once, rather than hang silently */
	if (nowait || e->code != BS_SYS)
		return -1;
	snprintf(msg, sizeof(msg), "waiting for the backups and restores running in '%s' to finish", x->repo->path);
	if (waiting)
		waiting(arg, msg);
	return bs_repo_lock(x->repo, BS_LOCK_EXCLUSIVE, e);
}

int bs_expire_run(struct bs_expire *x, bs_expire_report *fn, void *arg, struct bs_err *e)
{
	x->fn = fn;
	x->arg = arg;
	x->now = bs_now();	/* after the lock, which may have been a wait */
	if (expire_backups(x, e) < 0 || backup_leftovers(x, e) < 0)
		return -1;
	return bs_chunks_each(x->repo, visit, dir_done, x, e);
}
