/*
 * codec.h - how a chunk or a listing is stored: the tag byte and the codecs.
 *
 * A stored chunk is one tag byte naming its codec, then the codec's bytes
 * (bs-formats.5):
 *   'r'  raw: the bytes as they are
 *   'x'  xz: one .xz stream (CRC32 check)
 *   'z'  zstd: one zstd frame (content size and XXH64 checksum recorded)
 * A listing's value in the metadata starts with the same tag byte, its
 * head between the tag and the codec's bytes (value.h).  This file and
 * codec.c are the only places that know the tags.
 *
 * Compression is a pure function of its input and its settings; coders
 * are kept for reuse in a caller-owned context, so threads compress at
 * once, each with its own context:
 *   struct bs_codec_ctx ctx;
 *   bs_codec_ctx_init(&ctx)          no allocation until the first use
 *   bs_codec_ctx_release(&ctx)
 *
 * Settings (struct bs_codec_cfg):
 *   tag       the codec to try (BS_CODEC_ZSTD, BS_CODEC_XZ; BS_CODEC_RAW
 *             stores as is)
 *   level     its level (xz: the preset, 0..9; zstd: 1..19)
 *   window    caps its dictionary (bytes; 0: the level's own)
 *   raw_max   inputs no larger are stored raw without trying
 *   probe     when not 0: an input larger than `probe` none of whose
 *             probes (`probe` bytes each) shrinks by 1/64 at the codec's
 *             fastest level is taken as incompressible and stored raw
 *   probe_points  how many probes, spread evenly from the input's start
 *             to its end (0 or 1: the start only); chunks take 3
 *   keep_smaller  store raw when the codec's output is no smaller
 *   bs_codec_cfg_chunks(cfg, tag, level, chunk_max)  a repository's chunks
 *   bs_codec_cfg_listing(cfg)                     metadata listings
 *
 *   bs_codec_encode(ctx, cfg, in, n, out, e)
 *       append the stored form of in (tag byte, then bytes) to out; 0 or -1
 *   bs_codec_decode(ctx, stored, n, limit, out, e)
 *       append the bytes a stored form holds to out; -1 (BS_INPUT, e->msg
 *       the reason: "unknown header byte", "truncated", "corrupt xz data",
 *       "too large", ...) on damage or more than `limit` bytes
 *   bs_codec_encode_body(ctx, cfg, in, n, out, e)
 *       the same without the tag byte: returns the tag, or -1
 *   bs_codec_decode_body(ctx, tag, body, n, limit, out, e)
 *   bs_codec_encoder_mem(cfg, n_max)
 *       the bytes one context's encoder takes for cfg's codec and level on
 *       inputs of at most n_max bytes (xz 6 on 1 MiB chunks: 12.6 MiB;
 *       zstd 3: about 1 MiB); what a stage running encoders on threads
 *       counts against its budget (budget.h)
 *   bs_codec_known(tag)              1 when a tag is one this build reads
 *   bs_codec_name(tag)               "zstd", "xz", "none" (raw), or NULL
 *   bs_codec_by_name(name)           the tag of a name ("raw" is "none"),
 *                                    or -1
 *   bs_codec_levels(tag, &min, &max) the levels a codec takes; -1 unknown
 *
 * Adding a codec: a tag in enum bs_codec_tag, a field in bs_codec_ctx for
 * its reusable state, and one entry in codec.c's table.
 */
#ifndef BS_CODEC_H
#define BS_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"

enum bs_codec_tag {
	BS_CODEC_RAW = 'r',
	BS_CODEC_XZ = 'x',
	BS_CODEC_ZSTD = 'z',
};

struct bs_codec_cfg {
	int tag;
	int level;
	uint32_t window;
	size_t raw_max;
	size_t probe;
	int probe_points;
	int keep_smaller;
};

struct bs_xz;
struct bs_zstd;

struct bs_codec_ctx {
	struct bs_xz *xz;	/* liblzma coders, made when first needed */
	struct bs_zstd *zstd;	/* libzstd contexts, likewise */
};

void bs_codec_ctx_init(struct bs_codec_ctx *ctx);
void bs_codec_ctx_release(struct bs_codec_ctx *ctx);

void bs_codec_cfg_chunks(struct bs_codec_cfg *cfg, int tag, int level, size_t chunk_max);
void bs_codec_cfg_listing(struct bs_codec_cfg *cfg);

size_t bs_codec_encoder_mem(const struct bs_codec_cfg *cfg, size_t n_max);
int bs_codec_known(int tag);
const char *bs_codec_name(int tag);
int bs_codec_by_name(const char *name);
int bs_codec_levels(int tag, int *min, int *max);
int bs_codec_encode(struct bs_codec_ctx *ctx, const struct bs_codec_cfg *cfg, const void *in, size_t n,
		    struct bs_buf *out, struct bs_err *e);
int bs_codec_decode(struct bs_codec_ctx *ctx, const void *stored, size_t n, size_t limit, struct bs_buf *out,
		    struct bs_err *e);
int bs_codec_encode_body(struct bs_codec_ctx *ctx, const struct bs_codec_cfg *cfg, const void *in, size_t n,
			 struct bs_buf *out, struct bs_err *e);
int bs_codec_decode_body(struct bs_codec_ctx *ctx, int tag, const void *body, size_t n, size_t limit,
			 struct bs_buf *out, struct bs_err *e);

#endif
