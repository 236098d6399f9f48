/* everyday.c - --version, the repository from the environment, JSON lines. */
#include <stdio.h>
#include <stdlib.h>
#include "everyday.h"
#include "tool.h"

#ifndef BS_VERSION
#define BS_VERSION "unknown"
#endif

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

void tool_json_line(struct bs_buf *b)
{
	fwrite(b->p, 1, b->len, stdout);
	fputc('\n', stdout);
	bs_buf_reset(b);
}
