/* everyday.c - -h and --version, the repository from the environment or over ssh, JSON lines. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "everyday.h"
#include "parse.h"
#include "remote.h"
#include "tool.h"

#ifndef BS_VERSION
#define BS_VERSION "unknown"
#endif

int tool_options(int argc, char **argv, const char *opts, const struct option *longopts, const char *usage)
{
	static struct option all[43];
	size_t n = 0;
	int opt;

	while (longopts && longopts[n].name)
		n++;
	if (n + 3 > sizeof(all) / sizeof(all[0]))
		tool_fail(BS_SYS, "too many options");
	if (n)
		memcpy(all, longopts, n * sizeof(*all));
	all[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	all[n++] = (struct option){ "version", no_argument, NULL, 'V' };
	all[n] = (struct option){ NULL, 0, NULL, 0 };
	opt = tool_getopt(argc, argv, opts, all);
	if (opt == 'h')
		tool_usage(usage, 1);
	if (opt == 'V')
		tool_version();
	return opt;
}

void tool_version(void)
{
	printf("%s (backshift) %s\n", tool_name, BS_VERSION);
	tool_close_stdout();
	exit(0);
}

const char *tool_repo(const char *given)
{
	const char *env;

	if (given)
		return given;
	env = getenv(TOOL_REPO_ENV);
	return env && *env ? env : NULL;
}

void tool_divert(int argc, char **argv, const char *verb)
{
	struct bs_err e;
	int status = bs_remote_divert(argc, argv, verb, &e);

	if (status == -1)
		tool_die(&e);
	if (status >= 0)
		exit(status);
}

size_t tool_threads(const char *arg)
{
	char *end;
	unsigned long n = strtoul(arg, &end, 10);

	if (*end || end == arg || n < 1 || n > 1024)
		tool_fail(BS_USAGE, "-j: a number of threads from 1 to 1024, not '%s'", arg);
	return n;
}

size_t tool_memory(const char *arg)
{
	uint64_t n;

	if (bs_parse_size(arg, &n) < 0 || n < (1 << 20) || n > ((uint64_t)1 << 40) || (size_t)n != n)
		tool_fail(BS_USAGE, "-m: a size from 1M to 1T, such as 256M, not '%s'", arg);
	return n;
}

void tool_json_line(struct bs_buf *b)
{
	fwrite(b->p, 1, b->len, stdout);
	fputc('\n', stdout);
	bs_buf_reset(b);
}
