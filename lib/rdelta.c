/* rdelta.c - a backup's metadata in the client's mirror, made from another's and what differs (a G frame; rmirror.h). */
#include <errno.h>
#include <fcntl.h>
#include <gdbm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "parse.h"
#include "rmirror.h"

/* Copy the file from to the new file to, both in dfd. */
static int copy_file(int dfd, const char *from, const char *to, struct bs_err *e)
{
	int in = openat(dfd, from, O_RDONLY | O_CLOEXEC), out;
	char buf[1 << 16];
	ssize_t got;

	if (in < 0)
		return bs_err_sys(e, "cannot read '%s' in the mirror", from);
	out = openat(dfd, to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		close(in);
		return bs_err_sys(e, "cannot write '%s' in the mirror", to);
	}
	while ((got = read(in, buf, sizeof(buf))) > 0)
		if (bs_write_full(out, buf, (size_t)got) < 0)
			break;
	if (got != 0 || close(out) < 0) {
		close(in);
		return bs_err_sys(e, "cannot write '%s' in the mirror", to);
	}
	close(in);
	return 0;
}

/* One entry of a delta at *p (n bytes left): its type, key and value; 0 at its end, -1 when malformed. */
static int entry(const char **p, size_t *n, int *type, datum *key, datum *val)
{
	const char *nl = memchr(*p, '\n', *n), *sp;
	uint64_t klen, vlen = 0;

	if (!*n)
		return 0;
	if (!nl || *n < 3 || (**p != 'S' && **p != 'D') || (*p)[1] != ' ')
		return -1;
	*type = **p;
	sp = memchr(*p + 2, ' ', (size_t)(nl - *p - 2));
	if (*type == 'S' ? !sp || bs_parse_u64(*p + 2, (size_t)(sp - *p - 2), &klen) < 0 ||
				   bs_parse_u64(sp + 1, (size_t)(nl - sp - 1), &vlen) < 0
			 : sp || bs_parse_u64(*p + 2, (size_t)(nl - *p - 2), &klen) < 0)
		return -1;
	*n -= (size_t)(nl + 1 - *p);
	*p = nl + 1;
	if (klen > *n || vlen > *n - klen || klen > INT32_MAX || vlen > INT32_MAX)
		return -1;
	key->dptr = (char *)*p;
	key->dsize = (int)klen;
	val->dptr = (char *)*p + klen;
	val->dsize = (int)vlen;
	*p += klen + vlen;
	*n -= klen + vlen;
	return 1;
}

int bs_rdelta_apply(int dfd, const char *from, const char *to, const char *p, size_t n, uint64_t count,
		    struct bs_err *e)
{
	GDBM_FILE db;
	gdbm_count_t have = 0;
	datum key, val;
	int fd, type, rc;

	unlinkat(dfd, to, 0);
	/* nothing differs: the same file, which nothing writes */
	if (!n && linkat(dfd, from, dfd, to, 0) == 0)
		return 1;
	if (copy_file(dfd, from, to, e) < 0)
		return -1;
	fd = openat(dfd, to, O_RDWR | O_CLOEXEC);
	db = fd < 0 ? NULL : gdbm_fd_open(fd, to, 0, GDBM_WRITER | GDBM_NOMMAP | GDBM_CLOEXEC, NULL);
	if (!db) {
		if (fd >= 0)
			close(fd);
		return bs_err_set(e, BS_SYS, "cannot open '%s' in the mirror: %s", to, gdbm_strerror(gdbm_errno));
	}
	while ((rc = entry(&p, &n, &type, &key, &val)) == 1)
		if (type == 'S' ? gdbm_store(db, key, val, GDBM_REPLACE) != 0 : gdbm_delete(db, key) != 0)
			break;
	if (rc < 0) {
		bs_err_set(e, BS_INPUT, "malformed G frame from the server");
	} else if (rc > 0) {
		rc = bs_err_set(e, BS_SYS, "cannot write '%s' in the mirror: %s", to, gdbm_strerror(gdbm_errno));
	} else if (gdbm_count(db, &have) != 0 || have != count) {
		bs_err_set(e, BS_INPUT, "the metadata made of the server's G frame holds %llu directories, not %llu",
			   (unsigned long long)have, (unsigned long long)count);
		rc = -1;
	}
	if (gdbm_close(db) != 0 && rc == 0)
		rc = bs_err_set(e, BS_SYS, "cannot write '%s' in the mirror", to);
	return rc;
}
