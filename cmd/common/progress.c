/* progress.c - the progress line: files, bytes, rate and ETA on stderr. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "progress.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bs_progress_init(struct bs_progress *p, int on)
{
	memset(p, 0, sizeof(*p));
	p->on = on;
	p->tty = isatty(2);
	p->start = p->last = now();
}

static void human(char *out, size_t n, double v)
{
	const char *unit = "B";

	if (v >= 1e9) { v /= 1e9; unit = "GB"; }
	else if (v >= 1e6) { v /= 1e6; unit = "MB"; }
	else if (v >= 1e3) { v /= 1e3; unit = "kB"; }
	snprintf(out, n, "%.1f %s", v, unit);
}

static void draw(struct bs_progress *p, int final)
{
	double t, elapsed, rate;
	char done[32], speed[32], eta[48] = "";
	uint64_t goal;

	if (!p->on)
		return;
	t = now();
	elapsed = t - p->start;
	if (!final && t - p->last < (p->tty ? 0.25 : 10.0))
		return;
	if (p->total_fn) {
		int ended;
		p->total_fn(p->total_arg, &p->total, &ended);
		p->total_known = ended;
		goal = ended || p->total > p->estimate ? p->total : p->estimate;
	} else {
		goal = p->total_known ? p->total : p->estimate;
	}
	p->last = t;
	rate = elapsed > 0 ? (double)p->bytes / elapsed : 0;
	human(done, sizeof(done), (double)p->bytes);
	human(speed, sizeof(speed), rate);
	if (!final && goal > p->bytes && rate > 0) {
		double left = (double)(goal - p->bytes) / rate;
		snprintf(eta, sizeof(eta), ", ETA %d:%02d:%02d%s", (int)(left / 3600), (int)left / 60 % 60,
			 (int)left % 60, p->total_known ? "" : " (estimated)");
	} else if (final) {
		snprintf(eta, sizeof(eta), ", %.1f s", elapsed);
	}
	fprintf(stderr, "%s%llu files, %s, %s/s%s%s", p->tty ? "\r\033[K" : "",
		(unsigned long long)p->files, done, speed, eta, p->tty && !final ? "" : "\n");
	fflush(stderr);
	p->drawn = 1;
}

void bs_progress_file(struct bs_progress *p, const char *path, uint64_t size)
{
	(void)path;
	(void)size;
	p->files++;
	draw(p, 0);
}

void bs_progress_bytes(struct bs_progress *p, uint64_t n)
{
	p->bytes += n;
	draw(p, 0);
}

void bs_progress_skip(struct bs_progress *p, uint64_t n)
{
	p->bytes += n;
	draw(p, 0);
}

void bs_progress_total(struct bs_progress *p, uint64_t n)
{
	p->total += n;
	p->total_known = 1;
}

void bs_progress_done(struct bs_progress *p)
{
	if (p->drawn || p->on)
		draw(p, 1);
}
