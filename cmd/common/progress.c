/* progress.c - the progress line: files, bytes, rate, ETA and the path on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "progress.h"
#include "units.h"

/* the file being read, for the line; kept here so the header's struct
 * stays as it is (one progress line per process) */
static char current[4096];

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
	bs_human_size(out, n, v > 0 ? (uint64_t)v : 0);
}

/* The terminal's width, or $COLUMNS, or 80. */
static int width(void)
{
	struct winsize ws;
	const char *c = getenv("COLUMNS");

	if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (c && atoi(c) > 0)
		return atoi(c);
	return 80;
}

/* Characters (not bytes) of UTF-8 text. */
static size_t columns(const char *p, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)p[i] & 0xc0) != 0x80;
	return c;
}

/* Append the current path to line, fitted into `room` columns: its end
 * kept, its beginning replaced by "..." when it is too long. */
static void fit_path(char *line, size_t size, int room)
{
	size_t len = strlen(line), n = strlen(current), skip = 0;

	if (room < 8 || !n)
		return;
	while (columns(current + skip, n - skip) > (size_t)room - 2 - (skip ? 3 : 0) && skip < n)
		skip++;
	while (skip < n && ((unsigned char)current[skip] & 0xc0) == 0x80)
		skip++;
	snprintf(line + len, size - len, "  %s%s", skip ? "..." : "", current + skip);
}

static void draw(struct bs_progress *p, int final)
{
	double t, elapsed, rate;
	char done[32], speed[32], eta[48] = "", pct[16] = "", line[8192];
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
	if (!final && p->total_known && p->total > 0)
		snprintf(pct, sizeof(pct), "%3d%% ",
			 p->bytes >= p->total ? 100 : (int)((double)p->bytes * 100 / (double)p->total));
	snprintf(line, sizeof(line), "%s%llu files, %s, %s/s%s", pct, (unsigned long long)p->files, done, speed, eta);
	/* the path being read, on a terminal, within its width */
	if (p->tty && !final)
		fit_path(line, sizeof(line), width() - 1 - (int)columns(line, strlen(line)));
	fprintf(stderr, "%s%s%s", p->tty ? "\r\033[K" : "", line, p->tty && !final ? "" : "\n");
	fflush(stderr);
	p->drawn = 1;
}

void bs_progress_file(struct bs_progress *p, const char *path, uint64_t size)
{
	(void)size;
	if (p->tty && path) {
		size_t i;
		/* no control bytes on the terminal */
		for (i = 0; path[i] && i < sizeof(current) - 1; i++)
			current[i] = (unsigned char)path[i] < 0x20 || path[i] == 0x7f ? '?' : path[i];
		current[i] = '\0';
	}
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
