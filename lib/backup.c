/* backup.c - backup ids, summaries, and choosing backups by name. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "backup.h"

int bs_name_ok(const char *s)
{
	if (!*s || strlen(s) > 100 || *s == '.' || *s == '-')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '-' || *s == '_' || *s == '+' || *s == '@'))
			return 0;
	return 1;
}

int bs_backup_names(const char *host, const char *subset, struct bs_err *e)
{
	if (!bs_name_ok(subset))
		return bs_err_set(e, BS_USAGE, "unusable subset name '%s': use letters, digits and . _ + @ -", subset);
	if (!host)
		return 0;
	if (!strcmp(host, "localhost") || !strcmp(host, "localhost.localdomain"))
		return bs_err_set(e, BS_USAGE, "'%s' would mix different machines' backups; give the machine's real name",
				  host);
	if (!bs_name_ok(host))
		return bs_err_set(e, BS_USAGE, "unusable host name '%s'", host);
	return 0;
}

void bs_time_format(char *out, size_t n, struct bs_time t)
{
	time_t sec = (time_t)t.sec;
	struct tm tm;

	if (!localtime_r(&sec, &tm) || !strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(out, n, "%" PRId64, t.sec);
}

static void summary_text(const struct bs_summary *s, struct bs_buf *b)
{
	bs_buf_addf(b, "backshift-summary 1\nid %s\nhost %s\nsubset %s\nstart %" PRId64 ".%09" PRIu32 "\n",
		    s->id, s->host, s->subset, s->start.sec, s->start.nsec);
	if (s->finished)
		bs_buf_addf(b, "finish %" PRId64 ".%09" PRIu32 "\n", s->finish.sec, s->finish.nsec);
	else
		bs_buf_adds(b, "finish -\n");
	bs_buf_addf(b, "floor %" PRId64 ".%09" PRIu32 "\n", s->floor.sec, s->floor.nsec);
	bs_buf_addf(b, "files %" PRIu64 "\nbytes %" PRIu64 "\nproblems %" PRIu64 "\ndata %s\n",
		    s->files, s->bytes, s->problems, s->data_expired ? "expired" : "present");
}

int bs_summary_write(struct bs_repo *repo, const struct bs_summary *s, struct bs_err *e)
{
	struct bs_buf text = BS_BUF_INIT;
	char dir[300], what[320];
	int fd, rc;

	snprintf(dir, sizeof(dir), "backups/%s", s->id);
	snprintf(what, sizeof(what), "%s/summary", dir);
	fd = openat(repo->dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return bs_err_sys(e, "cannot open '%s'", dir);
	summary_text(s, &text);
	rc = bs_write_atomic(fd, "summary", text.p, text.len, what, e);
	close(fd);
	bs_buf_release(&text);
	return rc;
}

static int parse_time_field(const char *v, struct bs_time *t)
{
	return bs_time_parse(t, v, strlen(v));
}

int bs_summary_read(struct bs_repo *repo, const char *id, struct bs_summary *s, struct bs_err *e)
{
	char path[512], text[4096], *line, *save = NULL;
	ssize_t n;
	int fd, seen = 0;

	memset(s, 0, sizeof(*s));
	if (strlen(id) > 200 || strchr(id, '/') || id[0] == '.')
		return bs_err_set(e, BS_INPUT, "no backup '%s'", id);
	snprintf(path, sizeof(path), "backups/%s/summary", id);
	fd = openat(repo->dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return bs_err_set(e, BS_INPUT, "no backup '%s'", id);
		return bs_err_sys(e, "cannot read the summary of '%s'", id);
	}
	n = bs_read_full(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0)
		return bs_err_sys(e, "cannot read the summary of '%s'", id);
	text[n] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, ' ');
		if (!v)
			goto bad;
		*v++ = '\0';
		if (!strcmp(line, "backshift-summary")) {
			if (strcmp(v, "1"))
				return bs_err_set(e, BS_INPUT, "the summary of '%s' has an unknown version", id);
			seen |= 1;
		} else if (!strcmp(line, "id")) {
			snprintf(s->id, sizeof(s->id), "%s", v);
		} else if (!strcmp(line, "host")) {
			snprintf(s->host, sizeof(s->host), "%s", v);
		} else if (!strcmp(line, "subset")) {
			snprintf(s->subset, sizeof(s->subset), "%s", v);
		} else if (!strcmp(line, "start")) {
			if (parse_time_field(v, &s->start) < 0)
				goto bad;
			seen |= 2;
			if (!(seen & 4))
				s->floor = s->start;
		} else if (!strcmp(line, "floor")) {
			if (parse_time_field(v, &s->floor) < 0)
				goto bad;
			seen |= 4;
		} else if (!strcmp(line, "finish")) {
			s->finished = strcmp(v, "-") != 0;
			if (s->finished && parse_time_field(v, &s->finish) < 0)
				goto bad;
		} else if (!strcmp(line, "files")) {
			s->files = strtoull(v, NULL, 10);
		} else if (!strcmp(line, "bytes")) {
			s->bytes = strtoull(v, NULL, 10);
		} else if (!strcmp(line, "problems")) {
			s->problems = strtoull(v, NULL, 10);
		} else if (!strcmp(line, "data")) {
			s->data_expired = !strcmp(v, "expired");
		}
	}
	if ((seen & 3) != 3 || strcmp(s->id, id))
		goto bad;
	return 0;
bad:
	return bs_err_set(e, BS_INPUT, "the summary of '%s' is malformed", id);
}

int bs_backup_create(struct bs_repo *repo, const char *host, const char *subset,
		     struct bs_time start, struct bs_time floor, struct bs_summary *s, struct bs_err *e)
{
	char stamp[32], path[300];
	time_t sec = (time_t)start.sec;
	struct tm tm;

	if (!bs_name_ok(host))
		return bs_err_set(e, BS_USAGE, "unusable host name '%s'", host);
	if (!bs_name_ok(subset))
		return bs_err_set(e, BS_USAGE, "unusable subset name '%s'", subset);
	if (!gmtime_r(&sec, &tm) || !strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm))
		return bs_err_set(e, BS_USAGE, "unusable start time");
	memset(s, 0, sizeof(*s));
	snprintf(s->host, sizeof(s->host), "%s", host);
	snprintf(s->subset, sizeof(s->subset), "%s", subset);
	s->start = start;
	s->floor = bs_time_cmp(floor, start) < 0 ? floor : start;
	for (int i = 1; i < 1000; i++) {
		if (i == 1)
			snprintf(s->id, sizeof(s->id), "%s-%s-%s", stamp, host, subset);
		else
			snprintf(s->id, sizeof(s->id), "%s-%s-%s-%d", stamp, host, subset, i);
		snprintf(path, sizeof(path), "backups/%s", s->id);
		if (mkdirat(repo->dirfd, path, 0700) == 0) {
			/* the new directory's name is durable before anything in
			 * it claims the backup finished */
			int fd = openat(repo->dirfd, "backups", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd < 0 || fsync(fd) < 0) {
				bs_err_sys(e, "cannot sync '%s/backups'", repo->path);
				if (fd >= 0)
					close(fd);
				return -1;
			}
			close(fd);
			return bs_summary_write(repo, s, e);
		}
		if (errno != EEXIST)
			return bs_err_sys(e, "cannot create backup '%s'", s->id);
	}
	return bs_err_set(e, BS_SYS, "cannot find a free id for backup '%s'", s->id);
}

/* A backup whose summary file exists but cannot be parsed: what its id
 * says (YYYYMMDD-HHMMSS-...), its floor as early as an earlier backup's
 * stamps can make it (bs-formats.5), so that an expiry keeps its chunks. */
static int damaged(struct bs_repo *repo, const char *id, struct bs_summary *s)
{
	char path[300];
	struct stat st;
	struct tm tm;
	const char *end;

	snprintf(path, sizeof(path), "backups/%s/summary", id);
	if (strlen(id) > 200 || fstatat(repo->dirfd, path, &st, 0) < 0 || !S_ISREG(st.st_mode))
		return 0;
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", id);
	memset(&tm, 0, sizeof(tm));
	end = strptime(id, "%Y%m%d-%H%M%S", &tm);
	s->start.sec = end ? (int64_t)timegm(&tm) : 0;
	s->floor = s->start;
	s->floor.sec -= repo->cfg.refresh > 0 ? repo->cfg.refresh : 0;
	s->damaged = 1;
	return 1;
}

static int by_start(const void *a, const void *b)
{
	const struct bs_summary *x = a, *y = b;
	int c = bs_time_cmp(x->start, y->start);
	return c ? c : strcmp(x->id, y->id);
}

int bs_backup_list(struct bs_repo *repo, struct bs_summary **v, size_t *n, struct bs_err *e)
{
	struct bs_summary *out = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *d;
	DIR *dir;
	int fd;

	*v = NULL;
	*n = 0;
	fd = openat(repo->dirfd, "backups", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return bs_err_sys(e, "cannot read '%s/backups'", repo->path);
	}
	while ((errno = 0, d = readdir(dir))) {
		struct bs_err ignored;
		if (d->d_name[0] == '.')
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			out = bs_xrealloc(out, cap * sizeof(*out));
		}
		/* a directory without a summary is being created or removed:
		 * it is not a backup (yet, or any more); one whose summary is
		 * there but unreadable is a damaged backup, listed as such so
		 * that nothing hides it */
		if (bs_summary_read(repo, d->d_name, &out[cnt], &ignored) == 0 ||
		    (ignored.code == BS_INPUT && damaged(repo, d->d_name, &out[cnt])))
			cnt++;
	}
	if (errno) {
		bs_err_sys(e, "cannot read '%s/backups'", repo->path);
		closedir(dir);
		free(out);
		return -1;
	}
	closedir(dir);
	if (cnt)
		qsort(out, cnt, sizeof(*out), by_start);
	*v = out;
	*n = cnt;
	return 0;
}

/* The backup `name` names among v[0, n) (taken: freed here): `latest`,
 * a full id or a unique prefix; `scope` (" of host H", or "") is put in
 * the messages. */
int bs_backup_pick(struct bs_summary *v, size_t n, const char *name, const char *scope, const char *repopath,
		   struct bs_summary *s, struct bs_err *e)
{
	size_t match = 0, which = 0, len = strlen(name);

	if (!strcmp(name, "latest")) {
		for (size_t i = n; i-- > 0;)
			if (v[i].finished) {
				*s = v[i];
				free(v);
				return 0;
			}
		free(v);
		return bs_err_set(e, BS_INPUT, "no finished backup%s in '%s'", scope, repopath);
	}
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(v[i].id, name)) {
			*s = v[i];
			free(v);
			return 0;
		}
		if (!strncmp(v[i].id, name, len)) {
			match++;
			which = i;
		}
	}
	if (match == 1)
		*s = v[which];
	free(v);
	if (match == 0)
		return bs_err_set(e, BS_INPUT, "no backup '%s'%s", name, scope);
	if (match > 1)
		return bs_err_set(e, BS_INPUT, "'%s' names %zu backups%s; give more of the id", name, match, scope);
	return 0;
}

int bs_backup_resolve(struct bs_repo *repo, const char *name, struct bs_summary *s, struct bs_err *e)
{
	struct bs_summary *v;
	size_t n;

	if (!*name)
		return bs_err_set(e, BS_USAGE, "empty backup name");
	if (bs_backup_list(repo, &v, &n, e) < 0)
		return -1;
	return bs_backup_pick(v, n, name, "", repo->path, s, e);
}

int bs_backup_priors(struct bs_repo *repo, const char *host, const char *subset,
		     struct bs_summary *out, size_t *n, struct bs_err *e)
{
	struct bs_summary *v;
	size_t cnt, k = 0;
	ssize_t recent = -1, finished = -1, most = -1;

	*n = 0;
	if (bs_backup_list(repo, &v, &cnt, e) < 0)
		return -1;
	for (size_t i = 0; i < cnt; i++) {
		if (strcmp(v[i].host, host) || strcmp(v[i].subset, subset) || v[i].data_expired || v[i].damaged)
			continue;
		recent = (ssize_t)i;
		if (v[i].finished && v[i].files > 0)
			finished = (ssize_t)i;
		if (most < 0 || v[i].files > v[most].files)
			most = (ssize_t)i;
	}
	ssize_t pick[3] = { recent, finished, most };
	for (int j = 0; j < 3; j++) {
		int dup = 0;
		if (pick[j] < 0)
			continue;
		for (int m = 0; m < j; m++)
			dup |= pick[m] == pick[j];
		if (!dup)
			out[k++] = v[pick[j]];
	}
	*n = k;
	free(v);
	return 0;
}

int bs_backup_remove(struct bs_repo *repo, const char *id, struct bs_err *e)
{
	char from[300], to[320];
	struct dirent *d;
	DIR *dir;
	int fd;

	if (!strncmp(id, ".removing-", 10)) {
		snprintf(to, sizeof(to), "backups/%s", id);
	} else {
		snprintf(from, sizeof(from), "backups/%s", id);
		snprintf(to, sizeof(to), "backups/.removing-%s", id);
		if (renameat(repo->dirfd, from, repo->dirfd, to) < 0)
			return bs_err_sys(e, "cannot remove backup '%s'", id);
	}
	fd = openat(repo->dirfd, to, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return bs_err_sys(e, "cannot remove backup '%s'", id);
	}
	while ((d = readdir(dir)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..") && unlinkat(fd, d->d_name, 0) < 0) {
			bs_err_sys(e, "cannot remove '%s/%s'", to, d->d_name);
			closedir(dir);
			return -1;
		}
	closedir(dir);
	if (unlinkat(repo->dirfd, to, AT_REMOVEDIR) < 0)
		return bs_err_sys(e, "cannot remove '%s'", to);
	return 0;
}
