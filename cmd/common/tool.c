/* tool.c - reporting and exiting, shared by every tool's main. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "tool.h"

const char *tool_name = "backshift";

void tool_init(const char *name)
{
	tool_name = name;
	opterr = 0;	/* tool_usage() says it in one line */
	setvbuf(stderr, NULL, _IOLBF, 0);
}

void tool_die(const struct bs_err *e)
{
	fprintf(stderr, "%s: %s\n", tool_name, e->msg);
	exit(e->code ? e->code : BS_SYS);
}

void tool_fail(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", tool_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

void tool_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", tool_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void tool_usage(const char *text, int fd)
{
	if (fd != 1) {
		/* one line: the first form of the usage */
		const char *nl = strchr(text, '\n');
		fprintf(stderr, "%s: %.*s (see %s -h)\n", tool_name, nl ? (int)(nl - text) : (int)strlen(text),
			text, tool_name);
		exit(BS_USAGE);
	}
	fputs(text, stdout);
	tool_close_stdout();
	exit(0);
}

void tool_close_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0)
		tool_fail(BS_SYS, "cannot write standard output: %s", strerror(errno));
}

void tool_hostname(char *buf, size_t n)
{
	struct addrinfo hints, *res = NULL;
	char name[256];

	if (gethostname(name, sizeof(name)) < 0)
		tool_fail(BS_SYS, "cannot find the host name: %s", strerror(errno));
	name[sizeof(name) - 1] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_CANONNAME;
	hints.ai_family = AF_UNSPEC;
	if (getaddrinfo(name, NULL, &hints, &res) == 0 && res && res->ai_canonname)
		snprintf(name, sizeof(name), "%s", res->ai_canonname);
	if (res)
		freeaddrinfo(res);
	for (char *p = name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!strcmp(name, "localhost") || !strcmp(name, "localhost.localdomain") || !*name)
		tool_fail(BS_USAGE, "this machine calls itself '%s', which would mix different machines' "
			  "backups; name it with -H", name);
	snprintf(buf, n, "%s", name);
}
