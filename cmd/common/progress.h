/*
 * progress.h - a progress line on stderr for long-running tools.
 * (cmd/common/progress.c: it prints, so it is not part of the library.)
 *
 *   bs_progress_init(p, on)      on: draw at all (-P)
 *   bs_progress_file(p, path, size)   a file begins
 *   bs_progress_bytes(p, n)      n bytes read
 *   bs_progress_skip(p, n)       n bytes not read (an unchanged file)
 *   bs_progress_total(p, n)      n more bytes are to come (sizes in the input)
 *   bs_progress_done(p)          end the line
 * The line shows files and bytes done, the rate, and an ETA from the total
 * when the input carried sizes, else from p->estimate (the bytes of the
 * largest earlier backup; p->total_fn, when set, gives the total of a
 * spooled input, final once the input has ended).  It is redrawn at most four times a second on a
 * terminal (with \r), and every ten seconds as plain lines elsewhere.
 * The library never calls it: a tool passes these functions to the
 * library's hooks (struct bs_backupread_hooks).  One bs_progress belongs
 * to one thread.
 */
#ifndef BS_PROGRESS_H
#define BS_PROGRESS_H

#include <stdint.h>

struct bs_progress {
	int on, tty;
	uint64_t files, bytes, total, estimate;
	int total_known;
	double start, last;
	int drawn;
	/* when set, asked for the total so far and whether it is final */
	void (*total_fn)(void *arg, uint64_t *bytes, int *done);
	void *total_arg;
};

void bs_progress_init(struct bs_progress *p, int on);
void bs_progress_file(struct bs_progress *p, const char *path, uint64_t size);
void bs_progress_bytes(struct bs_progress *p, uint64_t n);
void bs_progress_skip(struct bs_progress *p, uint64_t n);
void bs_progress_total(struct bs_progress *p, uint64_t n);
void bs_progress_done(struct bs_progress *p);

#endif
