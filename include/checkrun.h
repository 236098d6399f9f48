/*
 * checkrun.h - bs-check's run and its report lines (checkrun.c).
 *
 *   bs_check_run(c, names, n, read_data, percent, e)
 *       c: set up by bs_check_init() (check.h).  Check the backups named
 *       in names[0..n) (bs_backup_resolve(): a full id, `latest` or a
 *       unique prefix; BS_INPUT when none), in that order, or every
 *       backup when n is 0; then, with read_data, read and verify about
 *       percent of the chunks (bs_check_data(), chosen at random, the
 *       generator seeded from the time and the process id).  Damage is a
 *       finding, told to c's report callback and counted in c->problems,
 *       not an error: returns 0, or -1 when the check cannot go on.
 *   bs_check_fmt(b, f, json)
 *       a finding as a line of the report: f->line, or with json one
 *       JSON object of what it is about ("backup", "path", "chunk", those
 *       known) and what ("problem" or "note"); with its newline
 *   bs_check_fmt_totals(b, c, read_data, json)
 *       the closing line: "checked N backups, N chunk references[, read N
 *       chunks]: N problems", or {"summary":true,...}; with its newline
 */
#ifndef BS_CHECKRUN_H
#define BS_CHECKRUN_H

#include "buf.h"
#include "check.h"
#include "err.h"

int bs_check_run(struct bs_check *c, char *const *names, int n, int read_data, double percent, struct bs_err *e);
void bs_check_fmt(struct bs_buf *b, const struct bs_check_finding *f, int json);
void bs_check_fmt_totals(struct bs_buf *b, const struct bs_check *c, int read_data, int json);

#endif
