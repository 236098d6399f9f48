/* repo.c - the repository: create, open and close it; its config. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "chunker.h"
#include "repo.h"
#include "store.h"

const char *const bs_config_keep_keys[BS_CONFIG_KEEP] = {
	"keep-last", "keep-hourly", "keep-daily", "keep-weekly", "keep-monthly", "keep-yearly",
};

void bs_config_default(struct bs_config *c)
{
	memset(c->keep, 0, sizeof(c->keep));
	c->version = BS_REPO_VERSION;
	c->chunk_min = BS_CHUNK_MIN_DEFAULT;
	c->chunk_avg = BS_CHUNK_AVG_DEFAULT;
	c->chunk_max = BS_CHUNK_MAX_DEFAULT;
	c->codec = BS_CODEC_DEFAULT;
	c->level = BS_LEVEL_DEFAULT;
	c->max_age = -1;
	c->metadata_max_age = -1;
	c->refresh = BS_REFRESH_DEFAULT;
}


static void config_text(const struct bs_config *c, struct bs_buf *b)
{
	bs_buf_addf(b, "backshift-repository %u\n", c->version);
	bs_buf_addf(b, "chunk-min %zu\nchunk-avg %zu\nchunk-max %zu\n",
		    c->chunk_min, c->chunk_avg, c->chunk_max);
	bs_buf_addf(b, "codec %s\nlevel %d\n", bs_codec_name(c->codec), c->level);
	if (c->max_age >= 0)
		bs_buf_addf(b, "max-age %" PRId64 "\n", c->max_age);
	if (c->metadata_max_age >= 0)
		bs_buf_addf(b, "metadata-max-age %" PRId64 "\n", c->metadata_max_age);
	bs_buf_addf(b, "refresh %" PRId64 "\n", c->refresh);
	for (int i = 0; i < BS_CONFIG_KEEP; i++)
		if (c->keep[i] > 0)
			bs_buf_addf(b, "%s %" PRId64 "\n", bs_config_keep_keys[i], c->keep[i]);
}

static int config_parse(struct bs_config *c, char *text, const char *path, struct bs_err *e)
{
	char *line, *save = NULL;
	int first = 1, have_codec = 0, have_level = 0, xz_preset = -1, min, max;

	bs_config_default(c);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char key[64], word[64];
		long long v;
		if (first) {
			if (sscanf(line, "backshift-repository %u", &c->version) != 1)
				return bs_err_set(e, BS_INPUT, "'%s' is not a backshift repository", path);
			if (c->version != BS_REPO_VERSION)
				return bs_err_set(e, BS_INPUT, "'%s': repository version %u is not supported: this tool knows version %u",
						  path, c->version, BS_REPO_VERSION);
			first = 0;
			continue;
		}
		if (sscanf(line, "%63s %63s", key, word) != 2)
			return bs_err_set(e, BS_INPUT, "'%s/config' has a malformed line", path);
		if (!strcmp(key, "codec")) {
			c->codec = bs_codec_by_name(word);
			if (c->codec < 0)
				return bs_err_set(e, BS_INPUT, "'%s/config' names the unknown codec '%s'", path, word);
			have_codec = 1;
			continue;
		}
		/* every other value is a number */
		if (sscanf(word, "%lld", &v) != 1)
			return bs_err_set(e, BS_INPUT, "'%s/config' has a malformed line", path);
		if (!strcmp(key, "level")) {
			c->level = (int)v;
			have_level = 1;
		} else if (!strcmp(key, "chunk-min"))
			c->chunk_min = (size_t)v;
		else if (!strcmp(key, "chunk-avg"))
			c->chunk_avg = (size_t)v;
		else if (!strcmp(key, "chunk-max"))
			c->chunk_max = (size_t)v;
		else if (!strcmp(key, "xz-preset"))	/* the key before "codec" */
			xz_preset = v < 0 || v > 9 ? 99 : (int)v;
		else if (!strcmp(key, "max-age"))
			c->max_age = v;
		else if (!strcmp(key, "metadata-max-age"))
			c->metadata_max_age = v;
		else if (!strcmp(key, "refresh") && v >= 0)
			c->refresh = v;
		else if (!strncmp(key, "keep-", 5) && v >= 0)
			for (int i = 0; i < BS_CONFIG_KEEP; i++)
				if (!strcmp(key, bs_config_keep_keys[i]))
					c->keep[i] = v;
		/* unknown keys are ignored: a later minor version may add some */
	}
	if (first)
		return bs_err_set(e, BS_INPUT, "'%s' is not a backshift repository", path);
	if (!have_codec && xz_preset >= 0) {
		c->codec = BS_CODEC_XZ;
		if (!have_level)
			c->level = xz_preset;
	} else if (have_codec && !have_level) {
		c->level = c->codec == BS_CODEC_ZSTD ? BS_LEVEL_DEFAULT : c->codec == BS_CODEC_XZ ? 6 : 0;
	}
	if (c->codec == BS_CODEC_RAW)
		c->level = 0;
	bs_codec_levels(c->codec, &min, &max);
	{
		struct bs_chunker ck;
		if (bs_chunker_init(&ck, c->chunk_min, c->chunk_avg, c->chunk_max) < 0 ||
		    c->level < min || c->level > max)
			return bs_err_set(e, BS_INPUT, "'%s/config' holds unusable settings", path);
	}
	return 0;
}

int bs_repo_create(const char *path, const struct bs_config *cfg, struct bs_err *e)
{
	struct bs_buf text = BS_BUF_INIT;
	int dirfd, fd, rc = -1;

	if (mkdir(path, 0700) < 0) {
		if (errno == EEXIST)
			return bs_err_set(e, BS_USAGE, "'%s' already exists", path);
		return bs_err_sys(e, "cannot create '%s'", path);
	}
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return bs_err_sys(e, "cannot open '%s'", path);
	if (mkdirat(dirfd, "chunks", 0700) < 0 || mkdirat(dirfd, "backups", 0700) < 0) {
		bs_err_sys(e, "cannot create the directories of '%s'", path);
		goto out;
	}
	fd = openat(dirfd, "lock", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		bs_err_sys(e, "cannot create '%s/lock'", path);
		goto out;
	}
	close(fd);
	config_text(cfg, &text);
	/* config last: a repository without one is not a repository */
	rc = bs_write_atomic(dirfd, "config", text.p, text.len, "config", e);
out:
	bs_buf_release(&text);
	close(dirfd);
	return rc;
}

int bs_repo_open(struct bs_repo *repo, const char *path, struct bs_err *e)
{
	char text[4096];
	ssize_t n;
	int fd;

	memset(repo, 0, sizeof(*repo));
	repo->lockfd = -1;
	bs_buf_init(&repo->scratch);
	bs_codec_ctx_init(&repo->codec);
	repo->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (repo->dirfd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return bs_err_set(e, BS_INPUT, "no repository at '%s'", path);
		return bs_err_sys(e, "cannot open repository '%s'", path);
	}
	fd = openat(repo->dirfd, "config", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int saved = errno;
		close(repo->dirfd);
		repo->dirfd = -1;
		errno = saved;
		if (errno == ENOENT)
			return bs_err_set(e, BS_INPUT, "'%s' is not a backshift repository (no config)", path);
		return bs_err_sys(e, "cannot open '%s/config'", path);
	}
	n = bs_read_full(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0) {
		bs_err_sys(e, "cannot read '%s/config'", path);
		goto fail;
	}
	text[n] = '\0';
	if (config_parse(&repo->cfg, text, path, e) < 0)
		goto fail;
	/* a client's mirror of a repository over ssh has a store of its own */
	if (faccessat(repo->dirfd, "mirror-missing", F_OK, 0) == 0
		    ? bs_store_mirror_open(&repo->store, repo->dirfd, path, e) < 0
		    : bs_store_local_open(&repo->store, repo->dirfd, path, e) < 0)
		goto fail;
	bs_codec_cfg_chunks(&repo->chunk_cfg, repo->cfg.codec, repo->cfg.level, repo->cfg.chunk_max);
	repo->path = bs_xstrdup(path);
	umask(077);
	return 0;
fail:
	close(repo->dirfd);
	repo->dirfd = -1;
	return -1;
}

void bs_repo_close(struct bs_repo *repo)
{
	if (repo->lockfd >= 0)
		close(repo->lockfd);
	if (repo->dirfd >= 0)
		close(repo->dirfd);
	bs_store_close(repo->store);
	repo->store = NULL;
	bs_codec_ctx_release(&repo->codec);
	free(repo->path);
	bs_buf_release(&repo->scratch);
	repo->path = NULL;
	repo->dirfd = repo->lockfd = -1;
}

int bs_config_save(struct bs_repo *repo, struct bs_err *e)
{
	struct bs_buf text = BS_BUF_INIT;
	int rc;

	config_text(&repo->cfg, &text);
	rc = bs_write_atomic(repo->dirfd, "config", text.p, text.len, "config", e);
	bs_buf_release(&text);
	return rc;
}

int bs_repo_unlink(struct bs_repo *repo, const char *relpath, struct bs_err *e)
{
	if (!strncmp(relpath, "chunks/", 7))
		return repo->store->ops->remove(repo->store, relpath, e);
	if (unlinkat(repo->dirfd, relpath, 0) < 0 && errno != ENOENT)
		return bs_err_sys(e, "cannot remove '%s'", relpath);
	return 0;
}

