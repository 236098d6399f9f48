/* init.c - bs-init's work: a new repository's settings, checked, or new retention for an existing one. */
#include <stdlib.h>
#include <string.h>
#include "chunker.h"
#include "codec.h"
#include "init.h"
#include "parse.h"

void bs_init_opts_default(struct bs_init_opts *o)
{
	memset(o, 0, sizeof(*o));
	bs_config_default(&o->cfg);
	o->age = o->mage = o->refresh = -1;
	o->codec = o->level = -1;
}

/* The level a codec gets when none is given. */
static int default_level(int codec)
{
	return codec == BS_CODEC_ZSTD ? BS_LEVEL_DEFAULT : codec == BS_CODEC_XZ ? 6 : 0;
}

/* Apply --codec, --level, --archive and -z to cfg (codec < 0, level < 0:
 * not given); a level out of the codec's bounds is a usage error. */
static int set_codec(struct bs_config *cfg, int codec, int level, struct bs_err *e)
{
	int min, max;

	if (codec >= 0 && codec != cfg->codec) {
		cfg->codec = codec;
		cfg->level = default_level(codec);
	}
	if (level >= 0)
		cfg->level = level;
	if (cfg->codec == BS_CODEC_RAW) {
		if (level > 0)
			return bs_err_set(e, BS_USAGE, "--level: codec 'none' takes no level");
		cfg->level = 0;
	}
	bs_codec_levels(cfg->codec, &min, &max);
	if (cfg->level < min || cfg->level > max)
		return bs_err_set(e, BS_USAGE, "--level: %s levels are %d to %d", bs_codec_name(cfg->codec), min, max);
	return 0;
}

static int level_arg(const char *s, const char *opt, int *out, struct bs_err *e)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || end == s || v < 0 || v > 99)
		return bs_err_set(e, BS_USAGE, "%s: unusable level '%s'", opt, s);
	*out = (int)v;
	return 0;
}

static int age_arg(const char *s, const char *opt, int64_t *v, struct bs_err *e)
{
	if (!strcmp(s, "none")) {
		*v = -1;
		return 0;
	}
	if (bs_parse_age(s, v) < 0)
		return bs_err_set(e, BS_USAGE, "%s: unusable age '%s' (a number and a unit: 12h, 90d, 12w, 6m, 2y)",
				  opt, s);
	return 0;
}

/* A keep rule's count: a number from 0, or "none" (0: the rule is off). */
static int count_arg(const char *s, const char *opt, int64_t *v, struct bs_err *e)
{
	char *end;
	long long n;

	if (!strcmp(s, "none")) {
		*v = 0;
		return 0;
	}
	n = strtoll(s, &end, 10);
	if (!*s || *end || end == s || n < 0 || *s == '-' || *s == '+')
		return bs_err_set(e, BS_USAGE, "--keep-%s: a count from 0, or none, not '%s'", opt, s);
	*v = n;
	return 0;
}

int bs_init_opt(struct bs_init_opts *o, int opt, const char *arg, struct bs_err *e)
{
	uint64_t avg;

	if (opt >= BS_INIT_KEEP && opt < BS_INIT_KEEP + BS_CONFIG_KEEP) {
		int i = opt - BS_INIT_KEEP;
		o->keep_given[i] = 1;
		return count_arg(arg, bs_config_keep_keys[i] + 5, &o->keep[i], e);
	}

	switch (opt) {
	case 'c':
		if (bs_parse_size(arg, &avg) < 0 || avg > BS_CHUNK_MAX_LIMIT / 4 || avg < 1024 || (avg & (avg - 1)))
			return bs_err_set(e, BS_USAGE, "-c: the average chunk size must be a power of two from 1K to 16M");
		o->cfg.chunk_avg = (size_t)avg;
		o->cfg.chunk_min = (size_t)avg / 4;
		o->cfg.chunk_max = (size_t)avg * 4;
		o->chunk_given = 1;
		return 0;
	case 'z':	/* the option before --codec: an xz preset */
		if (level_arg(arg, "-z", &o->level, e) < 0)
			return -1;
		if (o->level > 9)
			return bs_err_set(e, BS_USAGE, "-z: the xz preset is a number from 0 to 9");
		o->codec = BS_CODEC_XZ;
		return 0;
	case 'C':
		o->codec = bs_codec_by_name(arg);
		if (o->codec < 0)
			return bs_err_set(e, BS_USAGE, "--codec: unknown codec '%s' (zstd, xz or none)", arg);
		return 0;
	case 'L':
		return level_arg(arg, "--level", &o->level, e);
	case 'A':
		o->codec = BS_CODEC_XZ;
		o->level = 6;
		return 0;
	case 'a':
		o->age_given = 1;
		return age_arg(arg, "--max-age", &o->age, e);
	case 'm':
		o->mage_given = 1;
		return age_arg(arg, "--metadata-max-age", &o->mage, e);
	case 'R':
		if (bs_parse_age(arg, &o->refresh) < 0)
			return bs_err_set(e, BS_USAGE, "--refresh: unusable age '%s' (a number and a unit: 12h, 7d, 2w; or 0)",
					  arg);
		return 0;
	case 'S':
		o->set = 1;
		return 0;
	}
	return bs_err_set(e, BS_USAGE, "unknown setting");
}

static int ages_ok(const struct bs_config *c, struct bs_err *e)
{
	if (c->max_age >= 0 && c->metadata_max_age >= 0 && c->metadata_max_age < c->max_age)
		return bs_err_set(e, BS_USAGE, "--metadata-max-age cannot be shorter than --max-age");
	return 0;
}

static int change(struct bs_init_opts *o, const char *path, struct bs_err *e)
{
	struct bs_repo repo;
	int rc;

	if (o->chunk_given)
		return bs_err_set(e, BS_USAGE, "--set cannot change the chunk sizes; they are fixed at init");
	if (bs_repo_open(&repo, path, e) < 0)
		return -1;
	/* for new chunks: every reader reads every codec */
	if ((o->codec >= 0 || o->level >= 0) && set_codec(&repo.cfg, o->codec, o->level, e) < 0) {
		bs_repo_close(&repo);
		return -1;
	}
	if (o->age_given)
		repo.cfg.max_age = o->age;
	if (o->mage_given)
		repo.cfg.metadata_max_age = o->mage;
	if (o->refresh >= 0)
		repo.cfg.refresh = o->refresh;
	for (int i = 0; i < BS_CONFIG_KEEP; i++)
		if (o->keep_given[i])
			repo.cfg.keep[i] = o->keep[i];
	rc = ages_ok(&repo.cfg, e) < 0 ? -1 : bs_config_save(&repo, e);
	bs_repo_close(&repo);
	return rc;
}

int bs_init_run(struct bs_init_opts *o, const char *path, struct bs_err *e)
{
	struct bs_chunker ck;

	if (o->set)
		return change(o, path, e);
	if (set_codec(&o->cfg, o->codec, o->level, e) < 0)
		return -1;
	o->cfg.max_age = o->age;
	o->cfg.metadata_max_age = o->mage;
	if (o->refresh >= 0)
		o->cfg.refresh = o->refresh;
	for (int i = 0; i < BS_CONFIG_KEEP; i++)
		if (o->keep_given[i])
			o->cfg.keep[i] = o->keep[i];
	if (ages_ok(&o->cfg, e) < 0)
		return -1;
	if (bs_chunker_init(&ck, o->cfg.chunk_min, o->cfg.chunk_avg, o->cfg.chunk_max) < 0)
		return bs_err_set(e, BS_USAGE, "unusable chunk sizes");
	return bs_repo_create(path, &o->cfg, e);
}
