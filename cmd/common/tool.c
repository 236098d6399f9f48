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

/* "name: message" and a newline on stderr */
static void say(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", tool_name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void tool_fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
	exit(code);
}

void tool_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
}

void tool_warn_msg(void *arg, const char *msg)
{
	(void)arg;
	tool_warn("%s", msg);
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

int tool_getopt(int argc, char **argv, const char *opts, const struct option *longopts)
{
	char spec[128];
	int before = optind, opt;

	/* a leading ':' tells a missing argument from an unknown option */
	if (snprintf(spec, sizeof(spec), ":%s", opts) >= (int)sizeof(spec))
		tool_fail(BS_SYS, "option string too long");
	opt = getopt_long(argc, argv, spec, longopts, NULL);
	if (opt != '?' && opt != ':')
		return opt;
	/* a long option always moves optind on; a short one may not (-xd) */
	if (optind > before && optind - 1 < argc && !strncmp(argv[optind - 1], "--", 2)) {
		const char *a = argv[optind - 1], *eq = strchr(a, '=');
		int n = eq ? (int)(eq - a) : (int)strlen(a);

		if (opt == ':')
			tool_fail(BS_USAGE, "option '%.*s' needs an argument (see %s -h)", n, a, tool_name);
		if (optopt && eq)
			tool_fail(BS_USAGE, "option '%.*s' takes no argument (see %s -h)", n, a, tool_name);
		tool_fail(BS_USAGE, "unknown option '%.*s' (see %s -h)", n, a, tool_name);
	}
	if (opt == ':')
		tool_fail(BS_USAGE, "option '-%c' needs an argument (see %s -h)", optopt, tool_name);
	if (optopt > 32 && optopt < 127)
		tool_fail(BS_USAGE, "unknown option '-%c' (see %s -h)", optopt, tool_name);
	tool_fail(BS_USAGE, "unknown option (see %s -h)", tool_name);
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
