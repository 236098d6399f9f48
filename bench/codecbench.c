/* codecbench.c - the codec layer on a chunk stream or a walk stream: ratio and CPU seconds (bench/codecs.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "codec.h"
#include "io.h"
#include "record.h"

static double cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct bs_err *e)
{
	fprintf(stderr, "codecbench: %s: %s\n", what, e ? e->msg : "usage: codecbench chunks CODEC LEVEL STRIDE | "
				      "codecbench listings CODEC LEVEL");
	exit(2);
}

/* chunks: every STRIDE-th chunk of a chunk stream (stdin), stored as a
 * repository stores it (probe, raw when no smaller), then decoded */
static void chunks(int tag, int level, int stride)
{
	struct bs_codec_ctx ctx;
	struct bs_codec_cfg cfg;
	struct bs_reader in;
	struct bs_stream st;
	struct bs_item it;
	struct bs_buf z = BS_BUF_INIT, back = BS_BUF_INIT;
	struct bs_err e;
	unsigned long long n = 0, used = 0, raw = 0, inb = 0, outb = 0;
	double enc = 0, dec = 0, t;

	bs_codec_ctx_init(&ctx);
	bs_codec_cfg_chunks(&cfg, tag, level, 4u << 20);
	bs_reader_init(&in, 0, "standard input");
	if (bs_stream_open(&st, &in, BS_STREAM_CHUNKS, &e) < 0)
		die("stdin", &e);
	st.max_chunk = 64u << 20;
	bs_item_init(&it);
	while (bs_stream_next(&st, &it, &e) > 0) {
		if (it.type != BS_ITEM_CHUNK || n++ % (unsigned)stride)
			continue;
		used++;
		bs_buf_reset(&z);
		t = cpu();
		if (bs_codec_encode(&ctx, &cfg, it.data.p, it.data.len, &z, &e) < 0)
			die("encode", &e);
		enc += cpu() - t;
		bs_buf_reset(&back);
		t = cpu();
		if (bs_codec_decode(&ctx, z.p, z.len, 64u << 20, &back, &e) < 0)
			die("decode", &e);
		dec += cpu() - t;
		if (back.len != it.data.len || memcmp(back.p, it.data.p, back.len))
			die("round trip", NULL);
		raw += z.p[0] == 'r';
		inb += it.data.len;
		outb += z.len;
	}
	if (e.code)
		die("stdin", &e);
	printf("%s %d chunks %llu raw %llu in %llu out %llu enc_cpu %.3f dec_cpu %.3f\n",
	       bs_codec_name(tag), level, used, raw, inb, outb, enc, dec);
}

/* listings: a walk stream's records grouped by directory (consecutive
 * records whose path has the same parent), each group compressed as one
 * value, as a backup's listing is */
static void listings(int tag, int level)
{
	struct bs_codec_ctx ctx;
	struct bs_codec_cfg cfg;
	struct bs_buf all = BS_BUF_INIT, group = BS_BUF_INIT, key = BS_BUF_INIT, z = BS_BUF_INIT;
	struct bs_err e;
	char buf[65536];
	size_t k, start = 0;
	unsigned long long groups = 0, inb = 0, outb = 0;
	double enc = 0, t;

	bs_codec_ctx_init(&ctx);
	bs_codec_cfg_listing(&cfg);
	if (tag != 'd') {
		cfg.tag = tag;
		cfg.level = level;
	}
	while ((k = fread(buf, 1, sizeof(buf), stdin)) > 0)
		bs_buf_add(&all, buf, k);
	for (size_t i = 0; i <= all.len; i++) {
		const char *rec, *path, *slash;
		size_t plen;
		if (i < all.len && all.p[i])
			continue;
		rec = all.p + start;
		path = memmem(rec, i - start, " /", 2);
		for (const char *q; path && (q = memmem(path + 1, (size_t)(all.p + i - path - 1), " /", 2));)
			path = q;
		slash = path ? memrchr(path, '/', (size_t)(all.p + i - path)) : NULL;
		plen = slash ? (size_t)(slash - path) : 0;
		if (i == all.len || key.len != plen || memcmp(key.p, path, plen)) {
			if (group.len) {
				bs_buf_reset(&z);
				t = cpu();
				if (bs_codec_encode(&ctx, &cfg, group.p, group.len, &z, &e) < 0)
					die("encode", &e);
				enc += cpu() - t;
				groups++;
				inb += group.len;
				outb += z.len;
			}
			bs_buf_reset(&group);
			bs_buf_reset(&key);
			if (path)
				bs_buf_add(&key, path, plen);
		}
		bs_buf_add(&group, rec, i - start + (i < all.len));
		start = i + 1;
	}
	printf("%s %d listings %llu in %llu out %llu enc_cpu %.3f\n", tag == 'd' ? "listing-default" : bs_codec_name(tag),
	       level, groups, inb, outb, enc);
}

int main(int argc, char **argv)
{
	int tag;

	if (argc < 4 || (tag = !strcmp(argv[2], "default") ? 'd' : bs_codec_by_name(argv[2])) < 0)
		die("usage", NULL);
	if (!strcmp(argv[1], "chunks") && argc == 5)
		chunks(tag, atoi(argv[3]), atoi(argv[4]));
	else if (!strcmp(argv[1], "listings"))
		listings(tag, atoi(argv[3]));
	else
		die("usage", NULL);
	return 0;
}
