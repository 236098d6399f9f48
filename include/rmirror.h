/*
 * rmirror.h - the client's mirror of a repository over ssh: a directory
 * that bs-chunk takes for the repository (bs-remote(1) mirror), and the
 * cache of earlier backups' metadata that spares fetching it again.
 *
 * A mirror holds what bs-chunk reads of a repository for the backups of
 * one host and subset: config, expiry, backups/ID/summary and
 * backups/ID/metadata of the earlier backups, and mirror-missing, the
 * chunks those refer to that the server no longer has (store_mirror.c
 * opens it as a chunk store).  The cache, CACHE/KEY/ID, holds the
 * metadata of backup ID, KEY naming the repository, host and subset: a
 * backup's metadata does not change once written, so what the cache holds
 * is put into the mirror (a link, or a copy) and named to the server with
 * its SHA-256, and the server sends only the metadata the cache lacks, or
 * holds otherwise; and of that, when the cache holds another backup, only
 * the directories whose listings differ from that one's (a G frame;
 * rdelta.c makes the file).  A file so made is not the server's byte for
 * byte, but holds the same listings: CACHE/KEY/.sums/ID, "local SP server
 * LF", says that the file whose SHA-256 is local stands for the server's
 * whose SHA-256 is server, which is the name given to the server while the
 * file is unchanged.
 *
 *   bs_rmirror_prepare(m, dir, url, host, subset, cachedir, args, &nargs, e)
 *        make dir (private) a mirror, empty but for what the cache
 *        (cachedir, or NULL for none) holds: a directory that holds
 *        anything but a mirror of an earlier run is refused (BS_USAGE) and
 *        left as it is.  The pairs to name to the server (id, SHA-256)
 *        are added to args from args[*nargs] on (room for
 *        2 * BS_RCACHE_MAX); they point into m.
 *   bs_rmirror_receive(m, r, e)
 *        the server's F, G, M and E frames, into the mirror (and the
 *        metadata into the cache): 1 at E, 0 when the server hung up
 *        first, -1 (a name the server may not send, a malformed frame)
 *   bs_rdelta_apply(dfd, from, to, p, n, count, e)
 *        in the mirror dfd, make the metadata file to from the file from
 *        and a G frame's entries (p, n bytes): a link when there are
 *        none (1), else a copy changed by them (0); -1 (BS_INPUT when they
 *        are malformed or the result does not hold count directories)
 *   bs_rmirror_settle(m, e)
 *        after E: the cached backups that are not earlier backups any
 *        more leave the mirror and the cache; -1 when the server sent no
 *        metadata for an earlier backup the cache lacks
 *   bs_rmirror_release(m)
 *   bs_rmirror_remove(dir)   a mirror removed, files and directories
 *
 * Trouble with the cache is never an error: it is passed to
 * m->warn(m->warn_arg, msg) (set it before prepare), and the cache is
 * then not used.
 */
#ifndef BS_RMIRROR_H
#define BS_RMIRROR_H

#include "err.h"
#include "hash.h"
#include "io.h"
#include "record.h"
#include "remote.h"

#define BS_RCACHE_MAX 16

struct bs_rcache {
	int fd;					/* CACHE/KEY, or -1: no cache */
	char ids[BS_RCACHE_MAX][256];		/* what it held, copied into the mirror */
	char local[BS_RCACHE_MAX][BS_HEX_LEN + 1];	/* their SHA-256 */
	char named[BS_RCACHE_MAX][BS_HEX_LEN + 1];	/* that of the server's file each stands for */
	int n;
};

struct bs_rmirror {
	void (*warn)(void *arg, const char *msg);
	void *warn_arg;
	/* private */
	int dfd;
	struct bs_rcache cache;
	/* the earlier backups the server sent summaries, and metadata, of */
	char sums[BS_RCACHE_MAX][256], metas[BS_RCACHE_MAX][256];
	int nsums, nmetas;
	struct bs_buf payload;
};

int bs_rmirror_prepare(struct bs_rmirror *m, const char *dir, const struct bs_remote_url *url, const char *host,
		       const char *subset, const char *cachedir, char **args, int *nargs, struct bs_err *e);
int bs_rmirror_receive(struct bs_rmirror *m, struct bs_reader *r, struct bs_err *e);
int bs_rmirror_settle(struct bs_rmirror *m, struct bs_err *e);
void bs_rmirror_release(struct bs_rmirror *m);
void bs_rmirror_remove(const char *dir);

/* The cache (rcache.c), for the mirror's use: open it (k->fd -1 when
 * there is none or it cannot be used), put what it holds into the mirror
 * dfd, store a backup's metadata whole or not at all (sent whole, or made
 * from a delta), the SHA-256 of a copy it held, and drop one. */
void bs_rcache_open(struct bs_rmirror *m, const char *base, const struct bs_remote_url *url, const char *host,
		    const char *subset);
int bs_rcache_load(struct bs_rmirror *m, int dfd, struct bs_err *e);
void bs_rcache_store(struct bs_rmirror *m, const char *id, const char *p, size_t n);
void bs_rcache_store_made(struct bs_rmirror *m, const char *id, int dfd, const char *name, const char *local,
			  const char *server);
const char *bs_rcache_local(struct bs_rmirror *m, const char *id);
int bs_rdelta_apply(int dfd, const char *from, const char *to, const char *p, size_t n, uint64_t count,
		    struct bs_err *e);
void bs_rcache_drop(struct bs_rmirror *m, const char *id);
void bs_rcache_close(struct bs_rmirror *m);
int bs_rmirror_name_ok(const char *name);
int bs_rmirror_write(int dfd, const char *name, const char *p, size_t n, struct bs_err *e);

#endif
