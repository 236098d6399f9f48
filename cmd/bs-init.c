/* bs-init - create a repository, or change the settings of one. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "chunker.h"
#include "codec.h"
#include "repo.h"
#include "tool.h"
#include "everyday.h"

static const char usage[] =
	"usage: bs-init [-c avg-chunk-size] [--codec zstd|xz|none] [--level n] [--archive] [-z xz-preset]\n"
	"               [--max-age age] [--metadata-max-age age] [--refresh age] [--keep-period n]... [repo]\n"
	"       bs-init --set [--codec zstd|xz|none] [--level n] [--archive] [-z xz-preset]\n"
	"               [--max-age age|none] [--metadata-max-age age|none] [--refresh age] [--keep-period n|none]... [repo]\n";

/* A keep rule's count: a number from 0, or "none" (0: the rule is off). */
static int64_t count_arg(const char *s, const char *opt)
{
	char *end;
	long long v;

	if (!strcmp(s, "none"))
		return 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || end == s || v < 0 || *s == '-' || *s == '+')
		tool_fail(BS_USAGE, "--keep-%s: a count from 0, or none, not '%s'", opt, s);
	return v;
}

/* The level a codec gets when none is given. */
static int default_level(int codec)
{
	return codec == BS_CODEC_ZSTD ? BS_LEVEL_DEFAULT : codec == BS_CODEC_XZ ? 6 : 0;
}

/* Apply --codec, --level, --archive and -z to cfg (codec < 0, level < 0:
 * not given); a level out of the codec's bounds is a usage error. */
static void set_codec(struct bs_config *cfg, int codec, int level)
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
			tool_fail(BS_USAGE, "--level: codec 'none' takes no level");
		cfg->level = 0;
	}
	bs_codec_levels(cfg->codec, &min, &max);
	if (cfg->level < min || cfg->level > max)
		tool_fail(BS_USAGE, "--level: %s levels are %d to %d", bs_codec_name(cfg->codec), min, max);
}

static int level_arg(const char *s, const char *opt)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || end == s || v < 0 || v > 99)
		tool_fail(BS_USAGE, "%s: unusable level '%s'", opt, s);
	return (int)v;
}

static int64_t age_arg(const char *s, const char *opt)
{
	int64_t v;

	if (!strcmp(s, "none"))
		return -1;
	if (bs_parse_age(s, &v) < 0)
		tool_fail(BS_USAGE, "%s: unusable age '%s' (like 90d, 12w, 2y)", opt, s);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "max-age", required_argument, NULL, 'a' },
		{ "metadata-max-age", required_argument, NULL, 'm' },
		{ "refresh", required_argument, NULL, 'R' },
		{ "set", no_argument, NULL, 'S' },
		{ "keep-last", required_argument, NULL, 1000 },
		{ "keep-hourly", required_argument, NULL, 1001 },
		{ "keep-daily", required_argument, NULL, 1002 },
		{ "keep-weekly", required_argument, NULL, 1003 },
		{ "keep-monthly", required_argument, NULL, 1004 },
		{ "keep-yearly", required_argument, NULL, 1005 },
		{ "version", no_argument, NULL, 'V' },
		{ "codec", required_argument, NULL, 'C' },
		{ "level", required_argument, NULL, 'L' },
		{ "archive", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bs_config cfg;
	struct bs_chunker ck;
	struct bs_err e;
	uint64_t avg;
	int c, set = 0, chunk_given = 0, age_given = 0, mage_given = 0, codec = -1, level = -1;
	int64_t age = -1, mage = -1, refresh = -1, keep[BS_CONFIG_KEEP];
	int keep_given[BS_CONFIG_KEEP] = { 0 };
	const char *repo_path;

	tool_init("bs-init");
	bs_config_default(&cfg);
	while ((c = getopt_long(argc, argv, "hc:z:", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (bs_parse_size(optarg, &avg) < 0 || avg > BS_CHUNK_MAX_LIMIT / 4 || avg < 1024 ||
			    (avg & (avg - 1)))
				tool_fail(BS_USAGE, "-c: the average chunk size must be a power of two from 1K to 16M");
			cfg.chunk_avg = (size_t)avg;
			cfg.chunk_min = (size_t)avg / 4;
			cfg.chunk_max = (size_t)avg * 4;
			chunk_given = 1;
			break;
		case 'z':	/* the option before --codec: an xz preset */
			level = level_arg(optarg, "-z");
			if (level > 9)
				tool_fail(BS_USAGE, "-z: the xz preset is a number from 0 to 9");
			codec = BS_CODEC_XZ;
			break;
		case 'C':
			codec = bs_codec_by_name(optarg);
			if (codec < 0)
				tool_fail(BS_USAGE, "--codec: unknown codec '%s' (zstd, xz or none)", optarg);
			break;
		case 'L': level = level_arg(optarg, "--level"); break;
		case 'A': codec = BS_CODEC_XZ; level = 6; break;
		case 'a': age = age_arg(optarg, "--max-age"); age_given = 1; break;
		case 'm': mage = age_arg(optarg, "--metadata-max-age"); mage_given = 1; break;
		case 'R':
			if (bs_parse_age(optarg, &refresh) < 0)
				tool_fail(BS_USAGE, "--refresh: unusable age '%s' (like 7d, 12h, 0)", optarg);
			break;
		case 'S': set = 1; break;
		case 'V': tool_version();
		case 1000: case 1001: case 1002: case 1003: case 1004: case 1005:
			keep[c - 1000] = count_arg(optarg, bs_config_keep_keys[c - 1000] + 5);
			keep_given[c - 1000] = 1;
			break;
		case 'h': tool_usage(usage, 1); break;
		default: tool_usage(usage, 2);
		}
	}
	if (optind == argc && (repo_path = tool_repo(NULL)))
		;
	else if (optind != argc - 1)
		tool_usage(usage, 2);
	else
		repo_path = argv[optind];
	if (set) {
		struct bs_repo repo;
		if (chunk_given)
			tool_fail(BS_USAGE, "--set cannot change the chunk sizes; they are fixed at init");
		if (bs_repo_open(&repo, repo_path, &e) < 0)
			tool_die(&e);
		/* for new chunks: every reader reads every codec */
		if (codec >= 0 || level >= 0)
			set_codec(&repo.cfg, codec, level);
		if (age_given)
			repo.cfg.max_age = age;
		if (mage_given)
			repo.cfg.metadata_max_age = mage;
		if (refresh >= 0)
			repo.cfg.refresh = refresh;
		for (int i = 0; i < BS_CONFIG_KEEP; i++)
			if (keep_given[i])
				repo.cfg.keep[i] = keep[i];
		if (repo.cfg.max_age >= 0 && repo.cfg.metadata_max_age >= 0 &&
		    repo.cfg.metadata_max_age < repo.cfg.max_age)
			tool_fail(BS_USAGE, "--metadata-max-age cannot be shorter than --max-age");
		if (bs_config_save(&repo, &e) < 0)
			tool_die(&e);
		bs_repo_close(&repo);
		return 0;
	}
	set_codec(&cfg, codec, level);
	cfg.max_age = age;
	cfg.metadata_max_age = mage;
	if (refresh >= 0)
		cfg.refresh = refresh;
	for (int i = 0; i < BS_CONFIG_KEEP; i++)
		if (keep_given[i])
			cfg.keep[i] = keep[i];
	if (cfg.max_age >= 0 && cfg.metadata_max_age >= 0 && cfg.metadata_max_age < cfg.max_age)
		tool_fail(BS_USAGE, "--metadata-max-age cannot be shorter than --max-age");
	if (bs_chunker_init(&ck, cfg.chunk_min, cfg.chunk_avg, cfg.chunk_max) < 0)
		tool_fail(BS_USAGE, "unusable chunk sizes");
	if (bs_repo_create(repo_path, &cfg, &e) < 0)
		tool_die(&e);
	return 0;
}
