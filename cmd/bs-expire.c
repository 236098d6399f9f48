/* bs-expire - remove backups, metadata and chunks past their retention. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "backup.h"
#include "repo.h"
#include "remote.h"
#include "tool.h"

static const char usage[] =
	"usage: bs-expire -r repo [--max-age age] [--metadata-max-age age] [--check-hashes] [-n] [-v] [--no-wait]\n";

#define LEFTOVER_AGE 86400	/* temporary files of crashed writers */

struct expire {
	struct bs_repo repo;
	int dry, verbose, check;
	struct bs_time now, cutoff;
	struct bs_time chunk_cutoff;	/* chunks stamped before it go */
	int expiry_written;
	uint64_t backups, listings_kept, chunks, bad, temps, bytes;
	struct bs_buf data;
};


static int remove_file(struct expire *x, const struct bs_chunk_file *f, const char *why, struct bs_err *e)
{
	if (x->dry || x->verbose)
		printf("%s %s (%s)\n", x->dry ? "would remove" : "removed", f->path, why);
	x->bytes += f->size;
	if (x->dry)
		return 0;
	return bs_repo_unlink(&x->repo, f->path, e);
}

static int visit(void *arg, const struct bs_chunk_file *f, struct bs_err *e)
{
	struct expire *x = arg;

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
	if (f->mtime.sec < x->chunk_cutoff.sec - 2) {
		/* recorded before the first chunk goes: a stream made before
		 * this run that relies on older stamps is refused from now on
		 * (bs-formats.5) */
		if (!x->dry && !x->expiry_written) {
			if (bs_expiry_write(&x->repo, x->chunk_cutoff, e) < 0)
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
		if (bs_chunk_get(&x->repo, f->digest, &x->data, &why) < 0) {
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
	struct expire *x = arg;

	/* empty chunk directories go; a busy one stays (rmdir refuses) */
	if (!x->dry)
		unlinkat(x->repo.dirfd, dir, AT_REMOVEDIR);
}

/* Old temporary files (summary.tmp-PID) in one backup's directory. */
/* Old temporaries in the directory `name` under `at`, shown as `shown`:
 * what writers of summaries, the config or REPO/expiry left in a crash. */
static void leftover_temps(struct expire *x, int at, const char *name, const char *shown)
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
			if (x->dry || x->verbose)
				printf("%s %s%s (left by a crashed writer)\n",
				       x->dry ? "would remove" : "removed", shown, d->d_name);
			x->temps++;
			x->bytes += (uint64_t)st.st_size;
			if (!x->dry)
				unlinkat(fd, d->d_name, 0);
		}
	closedir(dir);
}

/* Leftovers under backups/: half-removed backups and old temporaries. */
static int backup_leftovers(struct expire *x, struct bs_err *e)
{
	int fd = openat(x->repo.dirfd, "backups", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *d;
	DIR *dir;

	leftover_temps(x, x->repo.dirfd, ".", "");

	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return bs_err_sys(e, "cannot read '%s/backups'", x->repo.path);
	}
	while ((d = readdir(dir))) {
		struct stat st;
		char sub[600];
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (!strncmp(d->d_name, ".removing-", 10)) {
			if (x->dry || x->verbose)
				printf("%s backups/%s (a removal that was cut short)\n", x->dry ? "would remove" : "removed", d->d_name);
			if (!x->dry && bs_backup_remove(&x->repo, d->d_name, e) < 0)
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
			if (x->dry || x->verbose)
				printf("%s backups/%s (never finished being created)\n", x->dry ? "would remove" : "removed", d->d_name);
			if (!x->dry && bs_backup_remove(&x->repo, d->d_name, e) < 0)
				goto fail;
		}
	}
	closedir(dir);
	return 0;
fail:
	closedir(dir);
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "max-age", required_argument, NULL, 'a' },
		{ "metadata-max-age", required_argument, NULL, 'm' },
		{ "check-hashes", no_argument, NULL, 'c' },
		{ "no-wait", no_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct expire x;
	struct bs_summary *v;
	struct bs_time mcutoff;
	struct bs_err e;
	const char *path = NULL;
	int64_t age = -1, mage = -1;
	size_t n;
	int c, nowait = 0;

	tool_init("bs-expire");
	/* a repository over ssh: the same tool runs there (bs-serve.1) */
	{
		int remote = bs_remote_divert(argc, argv, "expire", &e);
		if (remote == -1)
			tool_die(&e);
		if (remote >= 0)
			return remote;
	}
	while ((c = getopt_long(argc, argv, "hr:nv", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': path = optarg; break;
		case 'a':
			if (bs_parse_age(optarg, &age) < 0)
				tool_fail(BS_USAGE, "--max-age: unusable age '%s' (like 90d, 12w, 2y)", optarg);
			break;
		case 'm':
			if (bs_parse_age(optarg, &mage) < 0)
				tool_fail(BS_USAGE, "--metadata-max-age: unusable age '%s' (like 90d, 12w, 2y)", optarg);
			break;
		case 'c': x.check = 1; break;
		case 'n': x.dry = 1; break;
		case 'v': x.verbose = 1; break;
		case 'W': nowait = 1; break;
		case 'h': tool_usage(usage, 1); break;
		default: tool_usage(usage, 2);
		}
	}
	if (!path || optind != argc)
		tool_usage(usage, 2);
	if (bs_repo_open(&x.repo, path, &e) < 0)
		tool_die(&e);
	if (age < 0)
		age = x.repo.cfg.max_age;
	if (mage < 0)
		mage = x.repo.cfg.metadata_max_age;
	if (age < 0)
		tool_fail(BS_USAGE, "no retention: give --max-age, or store one with bs-init --set --max-age");
	if (mage < age)
		mage = age;
	/* Backups hold the lock shared while they refer to chunks; waiting for
	 * it exclusively means no backup is between checking a chunk and
	 * stamping it while chunks are removed. */
	if (bs_repo_lock(&x.repo, BS_LOCK_EXCLUSIVE | (nowait ? BS_LOCK_NOWAIT : 0), &e) < 0)
		tool_die(&e);
	x.now = bs_now();
	x.cutoff = x.now;
	x.cutoff.sec -= age;
	mcutoff = x.now;
	mcutoff.sec -= mage;

	if (bs_backup_list(&x.repo, &v, &n, &e) < 0)
		tool_die(&e);
	/* A backup may refer to chunks stamped before its start, down to its
	 * floor, when it trusted an earlier backup's stamps (bs-formats.5):
	 * no chunk stamped since the lowest floor of the kept backups goes. */
	x.chunk_cutoff = x.cutoff;
	for (size_t i = 0; i < n; i++) {
		struct bs_summary *s = &v[i];
		if (bs_time_cmp(s->start, x.cutoff) >= 0 && !s->data_expired &&
		    bs_time_cmp(s->floor, x.chunk_cutoff) < 0)
			x.chunk_cutoff = s->floor;
	}
	for (size_t i = 0; i < n; i++) {
		struct bs_summary *s = &v[i];
		if (bs_time_cmp(s->start, mcutoff) < 0) {
			if (x.dry || x.verbose)
				printf("%s backup %s\n", x.dry ? "would remove" : "removed", s->id);
			if (!x.dry && bs_backup_remove(&x.repo, s->id, &e) < 0)
				tool_die(&e);
			x.backups++;
		} else if (bs_time_cmp(s->start, x.cutoff) < 0 && !s->data_expired) {
			if (x.dry || x.verbose)
				printf("%s the data of backup %s; its listing is kept\n",
				       x.dry ? "would remove" : "removed", s->id);
			s->data_expired = 1;
			if (!x.dry && bs_summary_write(&x.repo, s, &e) < 0)
				tool_die(&e);
			x.listings_kept++;
		}
	}
	free(v);
	if (backup_leftovers(&x, &e) < 0)
		tool_die(&e);
	if (bs_chunks_each(&x.repo, visit, dir_done, &x, &e) < 0)
		tool_die(&e);
	printf("%s %" PRIu64 " backups, the data of %" PRIu64 " more, %" PRIu64 " chunks, %" PRIu64
	       " damaged or empty chunks, %" PRIu64 " temporary files: %" PRIu64 " bytes%s\n",
	       x.dry ? "would remove" : "removed", x.backups, x.listings_kept, x.chunks, x.bad, x.temps, x.bytes,
	       x.dry ? "" : " freed");
	tool_close_stdout();
	bs_buf_release(&x.data);
	bs_repo_close(&x.repo);
	return x.bad ? BS_PARTIAL : BS_OK;	/* damage was found (and removed) */
}
