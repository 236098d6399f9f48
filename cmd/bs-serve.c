/* bs-serve - the server end of a repository reached over ssh (bs-serve.1). */
#include <errno.h>
#include <fcntl.h>
#include <gdbm.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "backup.h"
#include "meta.h"
#include "record.h"
#include "remote.h"
#include "repo.h"
#include "hash.h"
#include "select.h"
#include "tool.h"

static const char usage[] =
	"usage: bs-serve [--restrict-to-path path]... [--append-only] [--host name]\n";

static char **restrict_to;
static size_t nrestrict;
static int append_only;
static const char *pinned;	/* --host: the only host this key is */
static char tooldir[PATH_MAX];

static struct bs_reader in;
static struct bs_buf payload = BS_BUF_INIT;

/* The tools run by this one: beside it when they are there, else on PATH. */
static void find_tools(void)
{
	ssize_t n = readlink("/proc/self/exe", tooldir, sizeof(tooldir) - 1);
	char *slash;

	tooldir[n > 0 ? n : 0] = '\0';
	slash = strrchr(tooldir, '/');
	if (slash)
		*slash = '\0';
	else
		tooldir[0] = '\0';
}

static const char *tool_path(const char *tool, char *buf, size_t n)
{
	if (tooldir[0]) {
		snprintf(buf, n, "%s/%s", tooldir, tool);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return tool;
}

/* The repository the client asked for, if this key may use it. */
static void check_path(const char *path, char *real)
{
	char q[256];

	if (!realpath(path, real))
		tool_fail(BS_INPUT, "cannot open repository '%s': %s", bs_quote(path, strlen(path), q, sizeof(q)),
			  strerror(errno));
	if (!nrestrict)
		return;
	for (size_t i = 0; i < nrestrict; i++) {
		size_t n = strlen(restrict_to[i]);
		if (!strncmp(real, restrict_to[i], n) && (real[n] == '\0' || real[n] == '/' || n == 1))
			return;
	}
	tool_fail(BS_USAGE, "repository '%s' is not one this key may use (--restrict-to-path)",
		  bs_quote(path, strlen(path), q, sizeof(q)));
}

static void field(struct bs_buf *b, const char *what)
{
	struct bs_err e;
	int rc = bs_reader_until(&in, '\0', b, &e);

	if (rc < 0)
		tool_die(&e);
	if (rc == 0)
		tool_fail(BS_INPUT, "the request ends before its %s", what);
}

static void reply(int type, uint64_t count, const void *p, size_t n)
{
	char head[64];
	int len = count ? snprintf(head, sizeof(head), "%c %" PRIu64 " %zu\n", type, count, n)
			: snprintf(head, sizeof(head), "%c %zu\n", type, n);

	if (bs_write_full(1, head, (size_t)len) < 0 || (n && bs_write_full(1, p, n) < 0))
		tool_fail(BS_SYS, "cannot write to the client: %s", strerror(errno));
}

/*
 * The options a client may give each tool run here (an allow-list): the
 * long or one-letter name, and whether it takes an argument (1), or may
 * have one after '=' (2).  Nothing that names a repository (-r), a file
 * or a directory of the server.
 */
struct allowed {
	const char *name;
	int arg;
};

static const struct allowed ls_opts[] = {
	{ "l", 0 }, { "0", 0 }, { "H", 1 }, { "s", 1 }, { "records", 0 }, { "priors", 0 }, { "json", 0 },
	{ "summary", 0 }, { "diff", 0 }, { "find", 0 }, { "full-time", 0 }, { NULL, 0 },
};
static const struct allowed cat_opts[] = {
	{ "d", 0 }, { "H", 1 }, { "s", 1 }, { "chunk", 1 }, { "format", 1 }, { "fflags", 0 }, { NULL, 0 },
};
static const struct allowed check_opts[] = {
	{ "read-data", 2 }, { "json", 0 }, { NULL, 0 },
};
static const struct allowed expire_opts[] = {
	{ "n", 0 }, { "v", 0 }, { "H", 1 }, { "s", 1 }, { "max-age", 1 }, { "metadata-max-age", 1 },
	{ "check-hashes", 0 }, { "no-wait", 0 }, { "json", 0 }, { "keep-last", 1 }, { "keep-hourly", 1 },
	{ "keep-daily", 1 }, { "keep-weekly", 1 }, { "keep-monthly", 1 }, { "keep-yearly", 1 }, { NULL, 0 },
};

/* The client's arguments, checked and put in order: options, "--", operands. */
struct toolargs {
	char **v;
	int n;
	char **operands;
	int noperands;
	int diff, chunk;	/* --diff, --chunk */
};

static const struct allowed *allowed_opt(const struct allowed *allow, const char *name, size_t len)
{
	for (; allow->name; allow++)
		if (strlen(allow->name) == len && !strncmp(allow->name, name, len))
			return allow;
	return NULL;
}

/* A pinned key (--host) is that host, and no other. */
static void check_host(const char *host)
{
	char q[128];

	if (pinned && strcmp(host, pinned))
		tool_fail(BS_USAGE, "this key is host '%s' (--host), not '%s'", pinned,
			  bs_quote(host, strlen(host), q, sizeof(q)));
}

static void refuse_opt(const char *tool, const char *opt)
{
	char q[128];

	tool_fail(BS_USAGE, "the client may not give '%s' to %s here", bs_quote(opt, strlen(opt), q, sizeof(q)), tool);
}

static void check_args(const char *tool, const struct allowed *allow, int argc, char **args, struct toolargs *t)
{
	int dashdash = 0;
	size_t cap = 1;

	/* an argument gives at most one option for each of its bytes, or
	 * an option and its value */
	for (int i = 0; i < argc; i++)
		cap += strlen(args[i]) + 2;
	memset(t, 0, sizeof(*t));
	t->v = calloc(cap, sizeof(*t->v));
	t->operands = calloc((size_t)argc + 1, sizeof(*t->operands));
	if (!t->v || !t->operands)
		abort();
	for (int i = 0; i < argc; i++) {
		char *a = args[i];
		if (!dashdash && !strcmp(a, "--")) {
			dashdash = 1;
		} else if (dashdash || a[0] != '-' || a[1] == '\0') {
			t->operands[t->noperands++] = a;
		} else if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			const struct allowed *o = allowed_opt(allow, name, eq ? (size_t)(eq - name) : strlen(name));
			struct bs_buf b = BS_BUF_INIT;
			if (!o || (o->arg == 0 && eq))
				refuse_opt(tool, a);
			bs_buf_addf(&b, "--%s", o->name);
			if (o->arg == 1 && !eq) {
				if (i + 1 == argc)
					tool_fail(BS_USAGE, "'--%s' needs an argument", o->name);
				bs_buf_addf(&b, "=%s", args[++i]);
			} else if (eq) {
				bs_buf_adds(&b, eq);
			}
			t->diff |= !strcmp(o->name, "diff");
			t->chunk |= !strcmp(o->name, "chunk");
			t->v[t->n++] = b.p;
		} else {
			for (char *p = a + 1; *p; p++) {
				char letter[3] = { '-', *p, '\0' };
				const struct allowed *o = allowed_opt(allow, p, 1);
				if (*p == 'r')
					tool_fail(BS_USAGE, "the client may not name a repository in its arguments ('%s')", a);
				if (!o)
					refuse_opt(tool, letter);
				t->v[t->n++] = strdup(letter);
				if (o->arg) {
					if (p[1])
						t->v[t->n++] = p + 1;
					else if (i + 1 < argc)
						t->v[t->n++] = args[++i];
					else
						tool_fail(BS_USAGE, "'-%c' needs an argument", *p);
					/* a pinned key names its own host, or none */
					if (*p == 'H' && pinned) {
						check_host(t->v[t->n - 1]);
						t->n -= 2;
					}
					break;
				}
			}
		}
	}
}

/*
 * bs-check for a pinned key: the backups it names, found among those of
 * its host (as bs-ls -H finds them), or all of that host's: full ids.
 */
static void pin_check(const char *path, struct toolargs *t)
{
	struct bs_repo repo;
	struct bs_summary *v = NULL;
	struct bs_err e;
	size_t n = 0;

	if (bs_repo_open(&repo, path, &e) < 0)
		tool_die(&e);
	if (t->noperands) {
		for (int i = 0; i < t->noperands; i++) {
			struct bs_summary one;
			if (bs_backup_resolve_in(&repo, t->operands[i], pinned, NULL, &one, &e) < 0)
				tool_die(&e);
			t->operands[i] = strdup(one.id);
		}
	} else {
		if (bs_backup_list_of(&repo, pinned, NULL, &v, &n, &e) < 0)
			tool_die(&e);
		if (!n)
			tool_fail(BS_INPUT, "no backup of host '%s' to check", pinned);
		t->operands = realloc(t->operands, (n + 1) * sizeof(*t->operands));
		if (!t->operands)
			abort();
		for (size_t i = 0; i < n; i++)
			t->operands[i] = strdup(v[i].id);
		t->noperands = (int)n;
		free(v);
	}
	bs_repo_close(&repo);
}

/*
 * ls, cat, check, expire: the tool itself, on the repository, with the
 * client's options (those allowed, in their canonical form), then "--"
 * and its operands.  None of them may name another repository, nor a
 * file or a directory of the server: bs-ls --diff against a live tree is
 * refused.
 */
static void run_tool(const char *verb, const char *tool, const struct allowed *allow, const char *repo, int argc,
		     char **args)
{
	struct toolargs t;
	char **argv, buf[PATH_MAX + 32];
	int devnull, n = 0;

	check_args(tool, allow, argc, args, &t);
	if (!strcmp(verb, "ls") && t.diff && t.noperands >= 2 &&
	    (t.operands[1][0] == '/' || t.operands[1][0] == '.'))
		tool_fail(BS_USAGE, "a backup is not compared with a directory of the server ('%s')", t.operands[1]);
	if (pinned && t.chunk)
		tool_fail(BS_USAGE, "a key pinned to a host (--host) reads backups, not chunks");
	if (pinned && !strcmp(verb, "check"))
		pin_check(repo, &t);
	argv = calloc((size_t)(t.n + t.noperands) + 7, sizeof(*argv));
	if (!argv)
		abort();
	argv[n++] = (char *)tool;
	argv[n++] = "-r";
	argv[n++] = (char *)repo;
	if (pinned && strcmp(verb, "check")) {
		/* ls, cat, expire: the backups of that host only */
		argv[n++] = "-H";
		argv[n++] = (char *)pinned;
	}
	for (int i = 0; i < t.n; i++)
		argv[n++] = t.v[i];
	argv[n++] = "--";
	for (int i = 0; i < t.noperands; i++)
		argv[n++] = t.operands[i];
	argv[n] = NULL;
	devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0) {
		dup2(devnull, 0);
		close(devnull);
	}
	execv(tool_path(tool, buf, sizeof(buf)), argv);
	execvp(tool, argv);
	tool_fail(BS_SYS, "cannot run '%s': %s", tool, strerror(errno));
}

static int read_file(int dirfd, const char *rel, struct bs_buf *b)
{
	struct stat st;
	int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	bs_buf_reset(b);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	bs_buf_grow(b, (size_t)st.st_size);
	got = bs_read_full(fd, b->p, (size_t)st.st_size);
	close(fd);
	if (got < 0)
		return -1;
	b->len = (size_t)got;
	b->p[b->len] = '\0';
	return 0;
}

/* A file of the repository, sent to the client's mirror: F namelen len, name, bytes. */
static void send_file(struct bs_repo *repo, const char *rel, int optional)
{
	struct bs_buf b = BS_BUF_INIT;

	if (read_file(repo->dirfd, rel, &b) < 0) {
		if (optional && errno == ENOENT)
			return;
		tool_fail(BS_SYS, "cannot read '%s/%s': %s", repo->path, rel, strerror(errno));
	}
	{
		struct bs_buf f = BS_BUF_INIT;
		bs_buf_add(&f, rel, strlen(rel));
		bs_buf_add(&f, b.p, b.len);
		reply('F', strlen(rel), f.p, f.len);
		bs_buf_release(&f);
	}
	bs_buf_release(&b);
}

static int cmp_digest(const void *a, const void *b)
{
	return memcmp(a, b, BS_DIGEST_LEN);
}

/* The metadata of a backup, unless the client has it already: it named
 * the backup's id with the SHA-256 of its copy (a backup's metadata does
 * not change once written). */
static void send_metadata(struct bs_repo *repo, const char *id, int argc, char **args)
{
	struct bs_buf b = BS_BUF_INIT, f = BS_BUF_INIT;
	char rel[300];

	snprintf(rel, sizeof(rel), "backups/%.255s/metadata", id);
	if (read_file(repo->dirfd, rel, &b) < 0)
		tool_fail(BS_SYS, "cannot read '%s/%s': %s", repo->path, rel, strerror(errno));
	for (int i = 2; i + 1 < argc; i += 2) {
		unsigned char digest[BS_DIGEST_LEN];
		char hex[BS_HEX_LEN + 1];
		if (strcmp(args[i], id))
			continue;
		bs_sha256(b.p, b.len, digest);
		bs_hex(hex, digest);
		if (!strcmp(args[i + 1], hex)) {
			bs_buf_release(&b);
			return;
		}
	}
	bs_buf_add(&f, rel, strlen(rel));
	bs_buf_add(&f, b.p, b.len);
	reply('F', strlen(rel), f.p, f.len);
	bs_buf_release(&f);
	bs_buf_release(&b);
}

/*
 * mirror HOST SUBSET [ID SHA256]...: what bs-chunk reads of a repository,
 * for a copy on the client: the config, the expiry record, the summaries
 * and metadata of the earlier backups it takes unchanged files from (the
 * metadata only of those the client does not have: the pairs name what
 * it has), and which of the chunks they refer to are not here any more.
 * Read under the shared lock.
 */
static void do_mirror(const char *path, int argc, char **args)
{
	struct bs_repo repo;
	struct bs_summary v[3];
	struct bs_err e;
	struct bs_buf digests = BS_BUF_INIT, missing = BS_BUF_INIT;
	size_t n = 0, nd;
	char rel[sizeof(v[0].id) + 32];

	if (argc < 2 || argc % 2)
		tool_fail(BS_USAGE, "mirror takes a host, a subset, and pairs of a backup's id and its metadata's digest");
	check_host(args[0]);
	if (bs_repo_open(&repo, path, &e) < 0 || bs_repo_lock(&repo, BS_LOCK_SHARED | BS_LOCK_READER, &e) < 0)
		tool_die(&e);
	send_file(&repo, "config", 0);
	send_file(&repo, "expiry", 1);
	if (bs_backup_priors(&repo, args[0], args[1], v, &n, &e) < 0)
		tool_die(&e);
	for (size_t i = 0; i < n; i++) {
		struct bs_meta_reader m;
		GDBM_FILE db;
		datum key, next;

		snprintf(rel, sizeof(rel), "backups/%.255s/summary", v[i].id);
		send_file(&repo, rel, 0);
		send_metadata(&repo, v[i].id, argc, args);
		if (bs_meta_open(&m, &repo, v[i].id, &e) < 0)
			tool_die(&e);
		db = m.db;
		for (key = gdbm_firstkey(db); key.dptr; key = next) {
			struct bs_meta_head h;
			if (bs_meta_peek(&m, key.dptr, (size_t)key.dsize, &h, &e) == 1 && bs_meta_sealed(&h))
				bs_buf_add(&digests, h.refs, h.nrefs * BS_DIGEST_LEN);
			next = gdbm_nextkey(db, key);
			free(key.dptr);
		}
		bs_meta_release(&m);
	}
	nd = digests.len / BS_DIGEST_LEN;
	qsort(digests.p, nd, BS_DIGEST_LEN, cmp_digest);
	for (size_t i = 0; i < nd; i++) {
		const unsigned char *d = (const unsigned char *)digests.p + i * BS_DIGEST_LEN;
		if (i && !memcmp(d, d - BS_DIGEST_LEN, BS_DIGEST_LEN))
			continue;
		if (!bs_chunk_exists(&repo, d))
			bs_buf_add(&missing, d, BS_DIGEST_LEN);
	}
	/* the ones that are gone: usually none, where the list of those
	 * that are there would be as long as the backups are large */
	reply('M', 0, missing.p, missing.len);
	reply('E', 0, NULL, 0);
	bs_buf_release(&digests);
	bs_buf_release(&missing);
	bs_repo_close(&repo);
}

static pid_t spawn(const char *tool, char **argv, int fd0, int fd1)
{
	char buf[PATH_MAX + 32];
	pid_t pid = fork();

	if (pid < 0)
		tool_fail(BS_SYS, "cannot fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(fd0, 0);
		dup2(fd1, 1);
		signal(SIGPIPE, SIG_DFL);
		execv(tool_path(tool, buf, sizeof(buf)), argv);
		execvp(tool, argv);
		fprintf(stderr, "bs-serve: cannot run '%s': %s\n", tool, strerror(errno));
		_exit(BS_SYS);
	}
	return pid;
}

static int status_of(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return BS_SYS;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* The worst status of a pipeline, a signal counting only when nothing else failed. */
static int worst(int a, int b)
{
	int w = 0, sig = 0;
	int s[2] = { a, b };

	for (int i = 0; i < 2; i++) {
		if (s[i] >= 128)
			sig = BS_SYS;
		else if (s[i] > w)
			w = s[i];
	}
	return w ? w : sig;
}

/*
 * save HOST SUBSET [-q]: bs-store | bs-index here, fed with the chunk
 * stream the client sends in D frames, after a header and an F line
 * written here when the client's F frame gives its floor.  H frames ask which chunks are here (and stamp those that
 * are: the client then sends an R line instead of the bytes); T frames
 * stamp chunks that bs-chunk refreshed on the client.  Z ends it.  A
 * connection lost before the stream's trailer leaves bs-store a stream
 * cut short, so bs-index records the backup as unfinished; one lost after
 * it, before Z, leaves a finished backup, and bs-index's status.
 */
static void do_save(const char *path, int argc, char **args)
{
	struct bs_repo repo;
	struct bs_err e;
	struct bs_time start, floor;
	struct bs_writer head;
	struct bs_buf answer = BS_BUF_INIT, out = BS_BUF_INIT;
	char *store_argv[] = { "bs-store", "-r", (char *)path, NULL };
	char *index_argv[] = { "bs-index", "-r", (char *)path, "-H", NULL, "-s", NULL, NULL, NULL };
	int p1[2], p2[2], p3[2], type, rc, lost = 0, broken = 0, header = 0, st_store, st_index, status;
	pid_t store, index;
	uint64_t n, count;
	char buf[4096];
	ssize_t got;

	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(args[2], "-q")))
		tool_fail(BS_USAGE, "save takes a host, a subset and -q");
	check_host(args[0]);
	index_argv[4] = args[0];
	index_argv[6] = args[1];
	if (argc == 3)
		index_argv[7] = "-q";
	if (bs_repo_open(&repo, path, &e) < 0 || bs_repo_lock(&repo, BS_LOCK_SHARED, &e) < 0)
		tool_die(&e);
	/* Chunks found here are stamped with the time of the asking, no
	 * earlier than this start: the floor written for bs-store is no later
	 * than it, nor than the client's (its F frame). */
	start = bs_now();
	if (pipe2(p1, O_CLOEXEC) < 0 || pipe2(p2, O_CLOEXEC) < 0 || pipe2(p3, O_CLOEXEC) < 0)
		tool_fail(BS_SYS, "cannot make a pipe: %s", strerror(errno));
	store = spawn("bs-store", store_argv, p1[0], p2[1]);
	index = spawn("bs-index", index_argv, p2[0], p3[1]);
	close(p1[0]);
	close(p2[0]);
	close(p2[1]);
	close(p3[1]);
	while (!broken) {
		rc = bs_frame_read(&in, &type, &n, &count, &payload, &e);
		if (rc <= 0) {
			lost = 1;
			break;
		}
		if (type == 'Z')
			break;
		if (type == 'F' && !header) {
			/* the client's floor ("-": none), then the stream */
			floor = start;
			if (strcmp(payload.p, "-")) {
				struct bs_time f;
				if (bs_time_parse(&f, payload.p, payload.len) < 0)
					tool_fail(BS_INPUT, "bad floor '%s'", payload.p);
				if (bs_time_cmp(f, floor) < 0)
					floor = f;
			}
			bs_writer_init(&head, p1[1], "bs-store's input");
			bs_stream_header(&head, BS_STREAM_CHUNKS);
			bs_stream_floor(&head, floor);
			if (bs_writer_flush(&head, &e) < 0)
				broken = 1;
			free(head.buf);
			header = 1;
		} else if (!header) {
			kill(store, SIGTERM);
			tool_fail(BS_INPUT, "the client sent '%c' before its floor", type);
		} else if (type == 'D') {
			if (bs_write_full(p1[1], payload.p, payload.len) < 0)
				broken = 1;
		} else if (type == 'H') {
			struct bs_time now = bs_now();
			if (payload.len % BS_DIGEST_LEN)
				tool_fail(BS_INPUT, "malformed H frame");
			bs_buf_reset(&answer);
			for (size_t i = 0; i < payload.len; i += BS_DIGEST_LEN) {
				rc = bs_chunk_touch(&repo, (unsigned char *)payload.p + i, now, &e);
				if (rc < 0 && e.code != BS_INPUT)
					tool_die(&e);
				bs_buf_addc(&answer, rc == 0 ? '1' : '0');
			}
			reply('h', 0, answer.p, answer.len);
		} else if (type == 'T') {
			struct bs_time t;
			char *nl = memchr(payload.p, '\n', payload.len);
			size_t off = nl ? (size_t)(nl - payload.p) + 1 : 0;
			if (!nl || bs_time_parse(&t, payload.p, (size_t)(nl - payload.p)) < 0 ||
			    (payload.len - off) % BS_DIGEST_LEN)
				tool_fail(BS_INPUT, "malformed T frame");
			for (size_t i = off; i < payload.len; i += BS_DIGEST_LEN) {
				if (bs_chunk_touch(&repo, (unsigned char *)payload.p + i, t, &e) < 0) {
					/* the backup must not be recorded complete */
					kill(store, SIGTERM);
					tool_die(&e);
				}
			}
		} else {
			kill(store, SIGTERM);
			tool_fail(BS_INPUT, "unknown frame '%c'", type);
		}
	}
	close(p1[1]);
	while ((got = read(p3[0], buf, sizeof(buf))) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		bs_buf_add(&out, buf, (size_t)got);
	}
	close(p3[0]);
	st_store = status_of(store);
	st_index = status_of(index);
	status = worst(st_store, st_index);
	if (lost) {
		/* what bs-index made of it: the trailer (and the stamps before
		 * it) may have come before the connection went */
		const char *id = out.len ? out.p : "";
		size_t idlen = out.len;
		while (idlen && out.p[idlen - 1] == '\n')
			idlen--;
		for (size_t i = idlen; i > 0; i--)
			if (out.p[i - 1] == '\n') {
				id = out.p + i;
				idlen -= i;
				break;
			}
		if (status > BS_PARTIAL)
			tool_fail(BS_SYS, "the connection was lost: the backup is left unfinished");
		tool_warn("the connection was lost after the stream's end: backup '%.*s' is recorded finished",
			  (int)idlen, id);
		exit(status);	/* 0, or 1 for files that could not be read */
	}
	reply('z', (uint64_t)status + 1, out.p, out.len);
	bs_buf_release(&answer);
	bs_buf_release(&out);
	bs_repo_close(&repo);
	exit(status);
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
	struct bs_buf magic = BS_BUF_INIT, verb = BS_BUF_INIT, path = BS_BUF_INIT, num = BS_BUF_INIT;
	char real[PATH_MAX], **args;
	uint64_t nargs;
	int opt;

	tool_init("bs-serve");
	while ((opt = tool_getopt(argc, argv, "h", longopts)) != -1) {
		switch (opt) {
		case 'R': {
			char r[PATH_MAX];
			if (!realpath(optarg, r))
				tool_fail(BS_USAGE, "cannot use '%s' for --restrict-to-path: %s", optarg,
					  strerror(errno));
			restrict_to = realloc(restrict_to, (nrestrict + 1) * sizeof(*restrict_to));
			if (!restrict_to || !(restrict_to[nrestrict++] = strdup(r)))
				abort();
			break;
		}
		case 'A': append_only = 1; break;
		case 'H':
			if (!*optarg)
				tool_fail(BS_USAGE, "--host needs a host's name");
			pinned = optarg;
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
	find_tools();
	bs_reader_init(&in, 0, "the client");
	field(&magic, "header");
	if (strcmp(magic.p, BS_SERVE_MAGIC))
		tool_fail(BS_INPUT, "not a backshift client, or another version (expected '%s')", BS_SERVE_MAGIC);
	field(&verb, "verb");
	field(&path, "repository");
	field(&num, "argument count");
	if (bs_parse_u64(num.p, num.len, &nargs) < 0 || nargs > 4096)
		tool_fail(BS_INPUT, "bad argument count in the request");
	args = calloc((size_t)nargs + 1, sizeof(*args));
	if (!args)
		abort();
	for (uint64_t i = 0; i < nargs; i++) {
		struct bs_buf a = BS_BUF_INIT;
		field(&a, "arguments");
		args[i] = a.p;
	}
	check_path(path.p, real);
	if (!strcmp(verb.p, "ls"))
		run_tool("ls", "bs-ls", ls_opts, real, (int)nargs, args);
	else if (!strcmp(verb.p, "cat"))
		run_tool("cat", "bs-cat", cat_opts, real, (int)nargs, args);
	else if (!strcmp(verb.p, "check"))
		run_tool("check", "bs-check", check_opts, real, (int)nargs, args);
	else if (!strcmp(verb.p, "expire")) {
		if (append_only)
			tool_fail(BS_USAGE, "repository '%s' is append-only for this key: expiry runs on the server",
				  path.p);
		run_tool("expire", "bs-expire", expire_opts, real, (int)nargs, args);
	} else if (!strcmp(verb.p, "mirror"))
		do_mirror(real, (int)nargs, args);
	else if (!strcmp(verb.p, "save"))
		do_save(real, (int)nargs, args);
	else if (!strcmp(verb.p, "backup")) {
		/* mirror, then save, in one session: HOST SUBSET -q|- [ID SHA256]... */
		char *save_args[3];
		if (nargs < 3 || (strcmp(args[2], "-q") && strcmp(args[2], "-")))
			tool_fail(BS_USAGE, "backup takes a host, a subset, -q or -, and pairs");
		save_args[0] = args[0];
		save_args[1] = args[1];
		save_args[2] = args[2];
		args[2] = args[1];
		args[1] = args[0];
		do_mirror(real, (int)nargs - 1, args + 1);
		do_save(real, strcmp(save_args[2], "-q") ? 2 : 3, save_args);
	}
	else
		tool_fail(BS_USAGE, "unknown request '%s'", verb.p);
	return 0;
}
