/* codecbench.c - the codec layer on a chunk stream or a walk stream: ratio and CPU seconds (bench/codecs.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>
#include "bcj.h"
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

/* ---- study: per chunk, the stored size under each candidate, for bench/codecs.sh --study ---- */

struct cand {
	const char *name;
	int tag, level, bcj, longmode, slow, points;
};

/* points: the probes (0: as bs_codec_cfg_chunks has it) */
static const struct cand cands[] = {
	{ "z3", 'z', 3, 0, 0, 0 },
	{ "z3p1", 'z', 3, 0, 0, 0, 1 },
	{ "z4", 'z', 4, 0, 0, 0 },
	{ "z5", 'z', 5, 0, 0, 0 },
	{ "z6", 'z', 6, 0, 0, 0 },
	{ "bz3", 'z', 3, 1, 0, 0 },
	{ "bz4", 'z', 4, 1, 0, 0 },
	{ "bz6", 'z', 6, 1, 0, 0 },
	{ "z3long", 'z', 3, 0, 1, 1 },
	{ "x6", 'x', 6, 0, 0, 1 },
	{ "bx6", 'x', 6, 1, 0, 1 },
};
#define NCAND (sizeof(cands) / sizeof(cands[0]))

struct pend {
	uint64_t size, count;
	uint64_t out[NCAND];
	double cpu[NCAND];
	int slow;
};

/* the candidates STUDY (space-separated names) asks for, or all */
static int wanted(const char *name)
{
	const char *w = getenv("STUDY");
	size_t n = strlen(name);

	if (!w || !*w)
		return 1;
	for (const char *p = w; (p = strstr(p, name)); p += n)
		if ((p == w || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return 1;
	return 0;
}

/* the class of a file from its name and first bytes */
static const char *classify(const char *path, const unsigned char *h, size_t n)
{
	static const char *zext[] = { ".gz", ".xz", ".zst", ".bz2", ".zip", ".jar", ".whl", ".png", ".jpg",
				      ".jpeg", ".gif", ".woff", ".woff2", ".7z", ".lz4", ".tgz", ".deb", ".svgz",
				      ".egg", ".pyc", NULL };
	const char *dot = strrchr(path, '.');
	size_t bad = 0, m = n < 4096 ? n : 4096;

	if (n >= 20 && !memcmp(h, "\177ELF", 4))
		return h[18] == 62 ? "elf-x86" : "elf-other";
	if (n >= 4 && ((h[0] == 0x1f && h[1] == 0x8b) || !memcmp(h, "\3757zXZ", 5) || !memcmp(h, "\x28\xb5\x2f\xfd", 4) ||
		       !memcmp(h, "BZh", 3) || !memcmp(h, "PK\3\4", 4) || !memcmp(h, "\x89PNG", 4) ||
		       !memcmp(h, "\xff\xd8\xff", 3)))
		return "compressed";
	for (int i = 0; dot && zext[i]; i++)
		if (!strcmp(dot, zext[i]))
			return !strcmp(dot, ".pyc") ? "pyc" : "compressed";
	for (size_t i = 0; i < m; i++)
		bad += h[i] == 0 || (h[i] < 32 && h[i] != '\n' && h[i] != '\t' && h[i] != '\r' && h[i] != '\f');
	return bad * 50 < m ? "text" : "binary";
}

static const char *area(const char *path)
{
	static const char *areas[] = { "/usr/local/cuda", "/usr/lib/google-cloud-sdk", "/usr/lib/jvm",
				       "/usr/lib/llvm", "/usr/lib/x86_64-linux-gnu", "/usr/lib/gcc", "/usr/lib/python",
				       "/usr/share", "/usr/bin", "/usr/local/bin", "/usr/lib", "/usr/include", NULL };
	for (int i = 0; areas[i]; i++)
		if (!strncmp(path, areas[i], strlen(areas[i])))
			return areas[i] + 5;
	return "other";
}

/* a digest set, open addressing on the digest's first 8 bytes */
static unsigned char (*seen)[BS_DIGEST_LEN];
static size_t nseen, capseen;

static int seen_add(const unsigned char *d)
{
	uint64_t h;

	if (nseen * 2 >= capseen) {
		unsigned char (*old)[BS_DIGEST_LEN] = seen;
		size_t oc = capseen;
		capseen = capseen ? capseen * 2 : 1 << 16;
		seen = calloc(capseen, BS_DIGEST_LEN);
		nseen = 0;
		for (size_t i = 0; i < oc; i++)
			if (old[i][0] | old[i][1] | old[i][2] | old[i][3])
				seen_add(old[i]);
		free(old);
	}
	memcpy(&h, d, 8);
	for (size_t i = h & (capseen - 1);; i = (i + 1) & (capseen - 1)) {
		if (!memcmp(seen[i], d, BS_DIGEST_LEN))
			return 0;
		if (!(seen[i][0] | seen[i][1] | seen[i][2] | seen[i][3])) {
			memcpy(seen[i], d, BS_DIGEST_LEN);
			nseen++;
			return 1;
		}
	}
}

/* study STRIDE SLOWSTRIDE: for every STRIDE-th new chunk, one line
 * "class area size bcjcount  name=out:cpu ..." (the slow candidates on
 * every SLOWSTRIDE-th of those) */
static void study(int stride, int slowstride)
{
	struct bs_codec_ctx ctx;
	struct bs_reader in;
	struct bs_stream st;
	struct bs_item it;
	struct bs_buf z = BS_BUF_INIT, f = BS_BUF_INIT, back = BS_BUF_INIT;
	struct bs_err e;
	struct pend *pend = NULL;
	size_t npend = 0, cappend = 0;
	unsigned char head[4096];
	size_t headlen = 0;
	int first = 1;
	unsigned long long n = 0, used = 0;

	bs_codec_ctx_init(&ctx);
	bs_reader_init(&in, 0, "standard input");
	if (bs_stream_open(&st, &in, BS_STREAM_CHUNKS, &e) < 0)
		die("stdin", &e);
	st.max_chunk = 64u << 20;
	bs_item_init(&it);
	while (bs_stream_next(&st, &it, &e) > 0) {
		if (it.type == BS_ITEM_CHUNK) {
			struct pend *p;
			if (first) {
				headlen = it.data.len < sizeof(head) ? it.data.len : sizeof(head);
				memcpy(head, it.data.p, headlen);
				first = 0;
			}
			if (!seen_add(it.digest) || n++ % (unsigned)stride)
				continue;
			if (npend == cappend)
				pend = realloc(pend, (cappend = cappend * 2 + 16) * sizeof(*pend));
			p = &pend[npend++];
			memset(p, 0, sizeof(*p));
			p->size = it.data.len;
			p->count = bs_bcj_x86_count((unsigned char *)it.data.p, it.data.len);
			p->slow = used++ % (unsigned)slowstride == 0;
			for (size_t c = 0; c < NCAND; c++) {
				struct bs_codec_cfg cfg;
				const void *src = it.data.p;
				double t;
				if ((cands[c].slow && !p->slow) || !wanted(cands[c].name))
					continue;
				bs_codec_cfg_chunks(&cfg, cands[c].tag, cands[c].level, 16u << 20);
				if (cands[c].points)
					cfg.probe_points = cands[c].points;
				bs_buf_reset(&z);
				t = cpu();
				if (cands[c].bcj) {
					bs_buf_reset(&f);
					bs_buf_add(&f, it.data.p, it.data.len);
					bs_bcj_x86_encode((unsigned char *)f.p, f.len);
					src = f.p;
				}
				if (cands[c].longmode) {
					/* libzstd directly: long-distance matching, a 128 MiB window */
					static ZSTD_CCtx *lc;
					size_t r;
					if (!lc)
						lc = ZSTD_createCCtx();
					ZSTD_CCtx_reset(lc, ZSTD_reset_session_and_parameters);
					ZSTD_CCtx_setParameter(lc, ZSTD_c_compressionLevel, cands[c].level);
					ZSTD_CCtx_setParameter(lc, ZSTD_c_enableLongDistanceMatching, 1);
					ZSTD_CCtx_setParameter(lc, ZSTD_c_windowLog, 27);
					bs_buf_grow(&z, ZSTD_compressBound(it.data.len) + 1);
					r = ZSTD_compress2(lc, z.p, ZSTD_compressBound(it.data.len), src, it.data.len);
					p->cpu[c] = cpu() - t;
					p->out[c] = 1 + (ZSTD_isError(r) || r >= it.data.len ? it.data.len : r);
					continue;
				}
				if (bs_codec_encode(&ctx, &cfg, src, it.data.len, &z, &e) < 0)
					die("encode", &e);
				p->cpu[c] = cpu() - t;
				p->out[c] = z.len;
				if (cands[c].bcj) {
					bs_buf_reset(&back);
					if (bs_codec_decode(&ctx, z.p, z.len, 64u << 20, &back, &e) < 0)
						die("decode", &e);
					bs_bcj_x86_decode((unsigned char *)back.p, back.len);
					if (back.len != it.data.len || memcmp(back.p, it.data.p, back.len))
						die("bcj round trip", NULL);
				}
			}
		} else if (it.type == BS_ITEM_RECORD || it.type == BS_ITEM_PIECE || it.type == BS_ITEM_ABANDON) {
			const char *cls, *ar;
			if (it.type == BS_ITEM_PIECE && !it.packed)
				continue;
			if (it.type == BS_ITEM_RECORD && it.rec.kind != 'f' && !npend)
				continue;
			if (it.type == BS_ITEM_RECORD) {
				cls = classify(it.rec.path.p, head, headlen);
				ar = area(it.rec.path.p);
			} else {
				cls = it.type == BS_ITEM_PIECE ? "pack" : "abandoned";
				ar = "pack";
			}
			for (size_t i = 0; i < npend; i++) {
				printf("%s %s %llu %llu", cls, ar, (unsigned long long)pend[i].size,
				       (unsigned long long)pend[i].count);
				for (size_t c = 0; c < NCAND; c++)
					if ((!cands[c].slow || pend[i].slow) && wanted(cands[c].name))
						printf(" %s=%llu:%.5f", cands[c].name, (unsigned long long)pend[i].out[c],
						       pend[i].cpu[c]);
				putchar('\n');
			}
			npend = 0;
			first = 1;
		}
	}
	if (e.code)
		die("stdin", &e);
}

int main(int argc, char **argv)
{
	int tag;

	if (argc == 4 && !strcmp(argv[1], "study")) {
		study(atoi(argv[2]), atoi(argv[3]));
		return 0;
	}
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
