/* bs-serve - the server end of a repository reached over ssh (bs-serve.1; the work is lib/serve*.c). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "serve.h"
#include "spawn.h"
#include "tool.h"

static const char usage[] =
	"usage: bs-serve [--restrict-to-path path]... [--append-only] [--host name]\n";

static void warn(void *arg, const char *msg)
{
	tool_warn("%s", msg);
}

/* ls, cat, check, expire: this process becomes the tool, reading nothing from the client. */
static void run_tool(const struct bs_serve_exec *x)
{
	char buf[PATH_MAX + 32];
	int devnull = open("/dev/null", O_RDONLY);

	if (devnull >= 0) {
		dup2(devnull, 0);
		close(devnull);
	}
	execv(bs_tool_path(x->tool, buf, sizeof(buf)), x->argv);
	execvp(x->tool, x->argv);
	tool_fail(BS_SYS, "cannot run '%s': %s", x->tool, strerror(errno));
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "restrict-to-path", required_argument, NULL, 'R' },
		{ "append-only", no_argument, NULL, 'A' },
		{ "host", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bs_serve s;
	struct bs_wire_request rq;
	struct bs_serve_exec x;
	struct bs_err e;
	int opt, status;

	tool_init("bs-serve");
	bs_serve_init(&s, 0, 1);
	s.warn = warn;
	while ((opt = tool_getopt(argc, argv, "h", longopts)) != -1) {
		switch (opt) {
		case 'R': if (bs_serve_restrict(&s, optarg, &e) < 0) tool_die(&e); break;
		case 'A': s.append_only = 1; break;
		case 'H':
			if (!*optarg)
				tool_fail(BS_USAGE, "--host needs a host's name");
			s.pinned = optarg;
			break;
		case 'h': tool_usage(usage, 1); break;
		default: tool_usage(usage, 2);
		}
	}
	/* A forced command's own arguments come from authorized_keys; what
	 * the client asked for (SSH_ORIGINAL_COMMAND) is ignored: the request
	 * comes on standard input. */
	if (optind != argc)
		tool_usage(usage, 2);
	signal(SIGPIPE, SIG_IGN);
	if (bs_serve_read_request(&s, &rq, &e) < 0)
		tool_die(&e);
	status = bs_serve_tool(&s, &rq, &x, &e);
	if (status > 0)
		run_tool(&x);
	if (status == 0)
		status = bs_serve_session(&s, &rq, &e);
	if (status < 0)
		tool_die(&e);
	bs_wire_request_release(&rq);
	bs_serve_release(&s);
	return status;
}
