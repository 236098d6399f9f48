/* lock.c - the repository's lock: shared by backups, exclusive by expiry (flock). */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include "repo.h"

int bs_repo_lock(struct bs_repo *repo, int how, struct bs_err *e)
{
	int op = (how & BS_LOCK_EXCLUSIVE) ? LOCK_EX : LOCK_SH;

	if (how & BS_LOCK_NOWAIT)
		op |= LOCK_NB;
	if (repo->lockfd < 0) {
		/* Open for writing when it can be: on NFS an exclusive
		 * flock(2) becomes a write lock (fcntl), which a descriptor
		 * opened read-only cannot take.  flock(2) itself needs no
		 * write access: a restore from a read-only copy of a
		 * repository works, and there nothing can expire. */
		repo->lockfd = openat(repo->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (repo->lockfd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM))
			repo->lockfd = openat(repo->dirfd, "lock", O_RDONLY | O_CLOEXEC);
		if (repo->lockfd < 0) {
			if ((how & BS_LOCK_READER) && (errno == EROFS || errno == EACCES || errno == EPERM ||
							 errno == ENOENT))
				return 0;
			return bs_err_sys(e, "cannot open '%s/lock'", repo->path);
		}
	}
	while (flock(repo->lockfd, op) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			return bs_err_set(e, BS_SYS, "repository '%s' is busy: %s", repo->path,
					  (how & BS_LOCK_EXCLUSIVE) ? "a backup is running" : "an expiry is running");
		return bs_err_sys(e, "cannot lock '%s/lock'", repo->path);
	}
	return 0;
}
