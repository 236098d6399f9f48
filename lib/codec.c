/* codec.c - the stored forms of chunks and listings: tag bytes, probe, compress, decompress. */
#include <string.h>
#include "bcj.h"
#include "codec.h"
#include "xz.h"
#include "zstdc.h"

/* ---- the codecs ---- */

static int raw_enc(struct bs_codec_ctx *ctx, int level, uint32_t window, const void *in, size_t n,
		   struct bs_buf *out, struct bs_err *e)
{
	bs_buf_add(out, in, n);
	return 0;
}

static int raw_dec(struct bs_codec_ctx *ctx, const void *in, size_t n, size_t limit, struct bs_buf *out,
		   struct bs_err *e)
{
	if (n > limit)
		return bs_err_set(e, BS_INPUT, "too large");
	bs_buf_add(out, in, n);
	return 0;
}

static struct bs_xz *xz_of(struct bs_codec_ctx *ctx)
{
	if (!ctx->xz)
		ctx->xz = bs_xz_new();
	return ctx->xz;
}

/*
 * Machine code: a buffer with at least X86_PER_MIB near CALL/JMP rel32 a
 * MiB (what bcj.h's filter would convert).  On the chunks of /usr, x86-64
 * code has some 10,000 to 25,000; text none, compressed data about 50;
 * other binary data a few hundred to a few thousand, where the filter
 * gains nothing or loses a little (bench/CODECS.md).
 */
#define X86_PER_MIB 1500

static int looks_x86(const void *in, size_t n)
{
	return n >= 4096 && bs_bcj_x86_count(in, n) * (1u << 20) / n >= X86_PER_MIB;
}

/*
 * xz's dictionary: the next power of two of the buffer, at most
 * XZ_DICT_MAX.  An encoder takes some 12 times its dictionary (12.6 MiB
 * at 1 MiB, 47 at 4 MiB); a chunk larger than 1 MiB loses only matches
 * more than 1 MiB back (on 950 MB of /usr's binaries, 0.22% larger than
 * with a 4 MiB dictionary), and bs-store -j 2 peaked at 52 MiB, not 108.
 */
#define XZ_DICT_MAX (1u << 20)

static uint32_t xz_dict(uint32_t window, size_t n)
{
	uint32_t d = 64 * 1024;

	while (d < n && d < XZ_DICT_MAX)
		d <<= 1;
	return window && window < d ? window : d;
}

static int xz_enc(struct bs_codec_ctx *ctx, int level, uint32_t window, const void *in, size_t n,
		  struct bs_buf *out, struct bs_err *e)
{
	return bs_xz_compress(xz_of(ctx), in, n, level, xz_dict(window, n), looks_x86(in, n), out, e);
}

static size_t xz_mem(int level, uint32_t window, size_t n_max)
{
	return bs_xz_encoder_mem(level, xz_dict(window, n_max));
}

static int xz_dec(struct bs_codec_ctx *ctx, const void *in, size_t n, size_t limit, struct bs_buf *out,
		  struct bs_err *e)
{
	return bs_xz_decompress(xz_of(ctx), in, n, limit, out, e);
}

static struct bs_zstd *zstd_of(struct bs_codec_ctx *ctx)
{
	if (!ctx->zstd)
		ctx->zstd = bs_zstd_new();
	return ctx->zstd;
}

static int zstd_enc(struct bs_codec_ctx *ctx, int level, uint32_t window, const void *in, size_t n,
		    struct bs_buf *out, struct bs_err *e)
{
	return bs_zstd_compress(zstd_of(ctx), in, n, level, window, out, e);
}

static size_t zstd_mem(int level, uint32_t window, size_t n_max)
{
	(void)window;
	return bs_zstd_encoder_mem(level, n_max);
}

static int zstd_dec(struct bs_codec_ctx *ctx, const void *in, size_t n, size_t limit, struct bs_buf *out,
		    struct bs_err *e)
{
	return bs_zstd_decompress(zstd_of(ctx), in, n, limit, out, e);
}

static const struct codec {
	int tag;
	const char *name;
	int min, max;	/* its levels */
	int fastest;	/* the level the probe uses */
	int (*enc)(struct bs_codec_ctx *ctx, int level, uint32_t window, const void *in, size_t n,
		   struct bs_buf *out, struct bs_err *e);
	int (*dec)(struct bs_codec_ctx *ctx, const void *in, size_t n, size_t limit, struct bs_buf *out,
		   struct bs_err *e);
	size_t (*mem)(int level, uint32_t window, size_t n_max);	/* NULL: none */
} codecs[] = {
	{ BS_CODEC_RAW, "none", 0, 0, 0, raw_enc, raw_dec, NULL },
	{ BS_CODEC_XZ, "xz", 0, 9, 0, xz_enc, xz_dec, xz_mem },
	{ BS_CODEC_ZSTD, "zstd", BS_ZSTD_LEVEL_MIN, BS_ZSTD_LEVEL_MAX, 1, zstd_enc, zstd_dec, zstd_mem },
};

static const struct codec *find(int tag)
{
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		if (codecs[i].tag == tag)
			return &codecs[i];
	return NULL;
}

int bs_codec_known(int tag)
{
	return find(tag) != NULL;
}

const char *bs_codec_name(int tag)
{
	const struct codec *c = find(tag);

	return c ? c->name : NULL;
}

int bs_codec_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		if (!strcmp(codecs[i].name, name))
			return codecs[i].tag;
	if (!strcmp(name, "raw"))
		return BS_CODEC_RAW;
	return -1;
}

int bs_codec_levels(int tag, int *min, int *max)
{
	const struct codec *c = find(tag);

	if (!c)
		return -1;
	*min = c->min;
	*max = c->max;
	return 0;
}

size_t bs_codec_encoder_mem(const struct bs_codec_cfg *cfg, size_t n_max)
{
	const struct codec *c = find(cfg->tag);

	return c && c->mem ? c->mem(cfg->level, cfg->window, n_max) : 0;
}

void bs_codec_ctx_init(struct bs_codec_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
}

void bs_codec_ctx_release(struct bs_codec_ctx *ctx)
{
	bs_xz_free(ctx->xz);
	ctx->xz = NULL;
	bs_zstd_free(ctx->zstd);
	ctx->zstd = NULL;
}

#define CHUNK_PROBE (64u * 1024)
/* start, middle and end: on /usr, a third of what a start-only probe
 * stored raw was in chunks of CUDA libraries whose middle or end
 * compresses (bench/CODECS.md) */
#define CHUNK_PROBE_POINTS 3
/* zstd 3 rather than xz preset 1 (what listings used before version 3):
 * 11% smaller and 4.6 times faster on the bench corpus (bench/CODECS.md) */
#define LISTING_CODEC BS_CODEC_ZSTD
#define LISTING_LEVEL 3
#define LISTING_RAW_MAX 256	/* smaller listings are not worth compressing */

void bs_codec_cfg_chunks(struct bs_codec_cfg *cfg, int tag, int level, size_t chunk_max)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->tag = tag;
	cfg->level = level;
	/* no chunk is larger than chunk-max: a larger dictionary (8 MiB at
	 * xz preset 6, up to 8 MiB for zstd 19) would be memory for nothing */
	cfg->window = (uint32_t)chunk_max;
	cfg->probe = CHUNK_PROBE;
	cfg->probe_points = CHUNK_PROBE_POINTS;
	cfg->keep_smaller = 1;
}

void bs_codec_cfg_listing(struct bs_codec_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->tag = LISTING_CODEC;
	cfg->level = LISTING_LEVEL;
	cfg->raw_max = LISTING_RAW_MAX;
}

int bs_codec_encode_body(struct bs_codec_ctx *ctx, const struct bs_codec_cfg *cfg, const void *in, size_t n,
			 struct bs_buf *out, struct bs_err *e)
{
	const struct codec *c = find(cfg->tag);
	size_t start = out->len;

	if (!c)
		return bs_err_set(e, BS_SYS, "cannot compress: unknown codec '%c'", cfg->tag);
	if (c->tag == BS_CODEC_RAW || n <= cfg->raw_max)
		goto raw;
	/* A buffer larger than the probe none of whose probes shrinks
	 * (already compressed data: archives, media) is stored raw without
	 * compressing the whole of it, which would cost its full time for
	 * nothing.  The probes are taken at its start, middle and end, the
	 * first that shrinks ending the search: a chunk of a program is often
	 * compressed data (an archive or GPU code inside it) at one end and
	 * compressible code or tables at the other. */
	if (cfg->probe && n > cfg->probe) {
		int points = cfg->probe_points > 0 ? cfg->probe_points : 1, shrinks = 0;
		for (int i = 0; i < points && !shrinks; i++) {
			size_t at = points == 1 ? 0 : (n - cfg->probe) / (size_t)(points - 1) * (size_t)i;
			int rc = c->enc(ctx, c->fastest, (uint32_t)cfg->probe, (const char *)in + at, cfg->probe, out, e);
			size_t got = out->len - start;
			bs_buf_setlen(out, start);
			if (rc < 0)
				return -1;
			shrinks = got < cfg->probe - cfg->probe / 64;
		}
		if (!shrinks)
			goto raw;
	}
	if (c->enc(ctx, cfg->level, cfg->window, in, n, out, e) < 0) {
		bs_buf_setlen(out, start);
		return -1;
	}
	if (!cfg->keep_smaller || out->len - start < n)
		return c->tag;
	bs_buf_setlen(out, start);
raw:
	bs_buf_add(out, in, n);
	return BS_CODEC_RAW;
}

int bs_codec_encode(struct bs_codec_ctx *ctx, const struct bs_codec_cfg *cfg, const void *in, size_t n,
		    struct bs_buf *out, struct bs_err *e)
{
	size_t start = out->len;
	int tag;

	bs_buf_addc(out, 0);
	tag = bs_codec_encode_body(ctx, cfg, in, n, out, e);
	if (tag < 0) {
		bs_buf_setlen(out, start);
		return -1;
	}
	out->p[start] = (char)tag;
	return 0;
}

int bs_codec_decode_body(struct bs_codec_ctx *ctx, int tag, const void *body, size_t n, size_t limit,
			 struct bs_buf *out, struct bs_err *e)
{
	const struct codec *c = find(tag);
	size_t start = out->len;

	if (!c)
		return bs_err_set(e, BS_INPUT, "unknown header byte");
	if (c->dec(ctx, body, n, limit, out, e) < 0) {
		bs_buf_setlen(out, start);
		return -1;
	}
	return 0;
}

int bs_codec_decode(struct bs_codec_ctx *ctx, const void *stored, size_t n, size_t limit, struct bs_buf *out,
		    struct bs_err *e)
{
	const unsigned char *p = stored;

	if (n < 1)
		return bs_err_set(e, BS_INPUT, "empty");
	return bs_codec_decode_body(ctx, p[0], p + 1, n - 1, limit, out, e);
}
