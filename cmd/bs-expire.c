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
#include "retain.h"
#include "tool.h"
#include "units.h"
#include "everyday.h"

static const char usage[] =
	"usage: bs-expire -r repo [--max-age age] [--metadata-max-age age] [--keep-period n]...\n"
	"                 [-H host] [-s subset] [--check-hashes] [-n] [-v] [--json] [--no-wait]\n";

#define LEFTOVER_AGE 86400	/* temporary files of crashed writers */

struct expire {
	struct bs_repo repo;
	int dry, verbose, check, json;
	struct bs_digests marked;	/* chunks kept backups refer to, by reference */
	struct bs_buf jb;
	struct bs_time now, cutoff;
	struct bs_time chunk_cutoff;	/* chunks stamped before it go */
	int expiry_written;
	uint64_t backups, listings_kept, chunks, bad, temps, bytes;
	struct bs_buf data;
};


/* A line for a file removed: text, or JSON with --json (only with -v). */
static void said_file(struct expire *x, const char *path, const char *why)
{
	if (x->json) {
		if (!x->verbose)
			return;
		bs_buf_adds(&x->jb, "{");
		bs_json_field(&x->jb, "file", path, strlen(path));
		bs_buf_addf(&x->jb, ",\"reason\":\"%s\",\"dry_run\":%s}", why, x->dry ? "true" : "false");
		tool_json_line(&x->jb);
	} else if (x->dry || x->verbose) {
		printf("%s %s (%s)\n", x->dry ? "would remove" : "removed", path, why);
	}
}

static int remove_file(struct expire *x, const struct bs_chunk_file *f, const char *why, struct bs_err *e)
{
	said_file(x, f->path, why);
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
	if (f->mtime.sec < x->chunk_cutoff.sec - 2 && !bs_digests_has(&x->marked, f->digest)) {
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
			char p[600];
			snprintf(p, sizeof(p), "%s%s", shown, d->d_name);
			said_file(x, p, "left by a crashed writer");
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
			snprintf(sub, sizeof(sub), "backups/%s", d->d_name);
			said_file(x, sub, "a removal that was cut short");
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
			snprintf(sub, sizeof(sub), "backups/%s", d->d_name);
			said_file(x, sub, "never finished being created");
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

/* What is decided for one backup, said as -n, -v or --json ask. */
static void said_backup(struct expire *x, const struct bs_summary *s, const struct bs_verdict *d)
{
	static const char *const actions[] = { "keep", "keep-listing", "remove-data", "remove" };
	int a = d->action == BS_RETAIN_KEEP ? 0 : d->action == BS_RETAIN_REMOVE ? 3 : s->data_expired ? 1 : 2;

	if (x->json) {
		bs_buf_adds(&x->jb, "{");
		bs_json_field(&x->jb, "backup", s->id, strlen(s->id));
		bs_buf_addf(&x->jb, ",\"action\":\"%s\",", actions[a]);
		bs_json_field(&x->jb, "reason", d->why, strlen(d->why));
		if (d->rule >= 0)
			bs_buf_addf(&x->jb, ",\"rule\":\"%s\"", bs_keep_names[d->rule]);
		else
			bs_buf_adds(&x->jb, ",\"rule\":null");
		bs_buf_addf(&x->jb, ",\"dry_run\":%s}", x->dry ? "true" : "false");
		tool_json_line(&x->jb);
		return;
	}
	switch (a) {
	case 0:
		if (x->verbose)
			printf("keep backup %s (%s)\n", s->id, d->why);
		break;
	case 1:
		if (x->verbose)
			printf("keep the listing of backup %s (%s)\n", s->id, d->why);
		break;
	case 2:
		if (x->dry || x->verbose)
			printf("%s the data of backup %s; its listing is kept (%s)\n", x->dry ? "would remove" : "removed",
			       s->id, d->why);
		break;
	default:
		if (x->dry || x->verbose)
			printf("%s backup %s (%s)\n", x->dry ? "would remove" : "removed", s->id, d->why);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "max-age", required_argument, NULL, 'a' },
		{ "metadata-max-age", required_argument, NULL, 'm' },
		{ "check-hashes", no_argument, NULL, 'c' },
		{ "no-wait", no_argument, NULL, 'W' },
		{ "json", no_argument, NULL, 'J' },
		{ "keep-last", required_argument, NULL, 1000 + BS_KEEP_LAST },
		{ "keep-hourly", required_argument, NULL, 1000 + BS_KEEP_HOURLY },
		{ "keep-daily", required_argument, NULL, 1000 + BS_KEEP_DAILY },
		{ "keep-weekly", required_argument, NULL, 1000 + BS_KEEP_WEEKLY },
		{ "keep-monthly", required_argument, NULL, 1000 + BS_KEEP_MONTHLY },
		{ "keep-yearly", required_argument, NULL, 1000 + BS_KEEP_YEARLY },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct expire x;
	struct bs_summary *v;
	struct bs_verdict *verdicts;
	struct bs_policy policy;
	struct bs_err e;
	const char *path = NULL;
	int64_t age = -1, mage = -1, keep[BS_KEEP_RULES] = { 0 };
	size_t n;
	int c, nowait = 0, rules_given = 0, *mark;

	tool_init("bs-expire");
	memset(&policy, 0, sizeof(policy));
	while ((c = getopt_long(argc, argv, "hr:nvH:s:", longopts, NULL)) != -1) {
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
		case 'J': x.json = 1; break;
		case 'H': policy.host = optarg; break;
		case 's': policy.subset = optarg; break;
		case 'h': tool_usage(usage, 1); break;
		case 'V': tool_version();
		default:
			if (c >= 1000 && c < 1000 + BS_KEEP_RULES) {
				char *end;
				long long k = strtoll(optarg, &end, 10);
				if (!*optarg || *end || *optarg == '-' || *optarg == '+' || k < 0)
					tool_fail(BS_USAGE, "--keep-%s: a count from 0, not '%s'", bs_keep_names[c - 1000],
						  optarg);
				keep[c - 1000] = k;
				rules_given = 1;
				break;
			}
			tool_usage(usage, 2);
		}
	}
	path = tool_repo(path);
	if (!path || optind != argc)
		tool_usage(usage, 2);
	if (bs_repo_open(&x.repo, path, &e) < 0)
		tool_die(&e);
	policy.max_age = age >= 0 ? age : x.repo.cfg.max_age;
	policy.metadata_max_age = mage >= 0 ? mage : x.repo.cfg.metadata_max_age;
	for (int r = 0; r < BS_KEEP_RULES; r++)
		policy.keep[r] = rules_given ? keep[r] : x.repo.cfg.keep[r];
	if (policy.max_age < 0 && !bs_policy_any_rule(&policy))
		tool_fail(BS_USAGE, "no retention: give --max-age or --keep-daily and the like, or store them with "
			  "bs-init --set");
	/* Backups hold the lock shared while they refer to chunks; waiting for
	 * it exclusively means no backup is between checking a chunk and
	 * stamping it while chunks are removed. */
	if (bs_repo_lock(&x.repo, BS_LOCK_EXCLUSIVE | (nowait ? BS_LOCK_NOWAIT : 0), &e) < 0)
		tool_die(&e);
	x.now = bs_now();

	if (bs_backup_list(&x.repo, &v, &n, &e) < 0)
		tool_die(&e);
	verdicts = bs_xcalloc(n ? n : 1, sizeof(*verdicts));
	mark = bs_xcalloc(n ? n : 1, sizeof(*mark));
	bs_retain(v, n, &policy, x.now, verdicts);
	/* A backup may refer to chunks stamped before its start, down to its
	 * floor, when it trusted an earlier backup's stamps (bs-formats.5):
	 * no chunk stamped since the floors of the backups kept goes.  A kept
	 * backup whose floor is far older (a yearly one) keeps its chunks by
	 * reference instead, read from its listings before anything goes. */
	bs_retain_cutoff(v, n, verdicts, &policy, x.repo.cfg.refresh, x.now, &x.chunk_cutoff, mark);
	for (size_t i = 0; i < n; i++)
		if (mark[i] && bs_retain_mark(&x.repo, v[i].id, &x.marked, &e) < 0)
			tool_fail(e.code, "%s; nothing was removed", e.msg);
	for (size_t i = 0; i < n; i++) {
		struct bs_summary *s = &v[i];
		said_backup(&x, s, &verdicts[i]);
		if (verdicts[i].action == BS_RETAIN_REMOVE) {
			if (!x.dry && bs_backup_remove(&x.repo, s->id, &e) < 0)
				tool_die(&e);
			x.backups++;
		} else if (verdicts[i].action == BS_RETAIN_LISTING && !s->data_expired) {
			s->data_expired = 1;
			if (!x.dry && bs_summary_write(&x.repo, s, &e) < 0)
				tool_die(&e);
			x.listings_kept++;
		}
	}
	free(v);
	free(verdicts);
	free(mark);
	if (backup_leftovers(&x, &e) < 0)
		tool_die(&e);
	if (bs_chunks_each(&x.repo, visit, dir_done, &x, &e) < 0)
		tool_die(&e);
	if (x.json) {
		bs_buf_addf(&x.jb, "{\"summary\":true,\"dry_run\":%s,\"backups_removed\":%" PRIu64
			    ",\"data_removed\":%" PRIu64 ",\"chunks_removed\":%" PRIu64 ",\"damaged_removed\":%" PRIu64
			    ",\"temporaries_removed\":%" PRIu64 ",\"bytes_freed\":%" PRIu64 "}",
			    x.dry ? "true" : "false", x.backups, x.listings_kept, x.chunks, x.bad, x.temps, x.bytes);
		tool_json_line(&x.jb);
	} else {
		printf("%s %" PRIu64 " backups, the data of %" PRIu64 " more, %" PRIu64 " chunks, %" PRIu64
		       " damaged or empty chunks, %" PRIu64 " temporary files: %" PRIu64 " bytes%s\n",
		       x.dry ? "would remove" : "removed", x.backups, x.listings_kept, x.chunks, x.bad, x.temps, x.bytes,
		       x.dry ? "" : " freed");
	}
	tool_close_stdout();
	bs_digests_release(&x.marked);
	bs_buf_release(&x.data);
	bs_buf_release(&x.jb);
	bs_repo_close(&x.repo);
	return x.bad ? BS_PARTIAL : BS_OK;	/* damage was found (and removed) */
}
