/*
 * expirefmt.h - bs-expire's report: its lines for people, or JSON (expirefmt.c).
 *
 * Each appends to b whole lines, each ending in a newline, or nothing.
 * `how` is BS_EXPIREFMT_JSON (one JSON object a line) and/or
 * BS_EXPIREFMT_VERBOSE (-v: every decision, kept backups and removed
 * files included); whether it was a dry run (-n) is x->dry.
 *
 *   bs_expire_fmt(b, x, how, kind, name, why, rule)
 *       one decision as bs_expire_run() reports it (expire.h): in text,
 *       "removed backup ID (why)", "would remove the data of backup ID;
 *       its listing is kept (why)", "keep backup ID (why)" and so on; a
 *       removal only in a dry run or verbose, a keep only verbose.  As
 *       JSON, {"backup":ID,"action":...,"reason":...,"rule":...,
 *       "dry_run":...} for every backup, and {"file":...,"reason":...,
 *       "dry_run":...} for a file when verbose.
 *   bs_expire_fmt_totals(b, x, how)
 *       the closing line: what went and the bytes freed
 *       ("removed N backups, the data of N more, N chunks, ..."), or as
 *       JSON {"summary":true,...}
 */
#ifndef BS_EXPIREFMT_H
#define BS_EXPIREFMT_H

#include "buf.h"
#include "expire.h"

enum { BS_EXPIREFMT_JSON = 1, BS_EXPIREFMT_VERBOSE = 2 };

void bs_expire_fmt(struct bs_buf *b, const struct bs_expire *x, int how, enum bs_expired kind, const char *name,
		   const char *why, int rule);
void bs_expire_fmt_totals(struct bs_buf *b, const struct bs_expire *x, int how);

#endif
