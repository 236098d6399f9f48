/* zstd.c - whole-buffer zstd compression and decompression with libzstd, caller-owned contexts. */
#include <stdlib.h>
/* for ZSTD_estimateCCtxSize_usingCParams and ZSTD_getCParams, which
 * libzstd has exported since 1.3 */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include "zstdc.h"

struct bs_zstd {
	ZSTD_CCtx *c;
	ZSTD_DCtx *d;
};

struct bs_zstd *bs_zstd_new(void)
{
	return bs_xcalloc(1, sizeof(struct bs_zstd));
}

void bs_zstd_free(struct bs_zstd *z)
{
	if (!z)
		return;
	ZSTD_freeCCtx(z->c);
	ZSTD_freeDCtx(z->d);
	free(z);
}

size_t bs_zstd_encoder_mem(int level, size_t n_max)
{
	if (level < BS_ZSTD_LEVEL_MIN || level > BS_ZSTD_LEVEL_MAX)
		return 0;
	return ZSTD_estimateCCtxSize_usingCParams(ZSTD_getCParams(level, n_max, 0));
}

int bs_zstd_compress(struct bs_zstd *z, const void *in, size_t n, int level, uint32_t window, struct bs_buf *out,
		     struct bs_err *e)
{
	size_t bound = ZSTD_compressBound(n), r;

	/* no window setting: knowing the size (ZSTD_compress2), libzstd
	 * already shrinks the window to the buffer, never past the level's */
	(void)window;
	if (level < BS_ZSTD_LEVEL_MIN || level > BS_ZSTD_LEVEL_MAX)
		return bs_err_set(e, BS_SYS, "cannot compress: unusable zstd level %d", level);
	if (!z->c && !(z->c = ZSTD_createCCtx()))
		return bs_err_set(e, BS_SYS, "cannot compress: out of memory");
	ZSTD_CCtx_reset(z->c, ZSTD_reset_session_and_parameters);
	if (ZSTD_isError(ZSTD_CCtx_setParameter(z->c, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->c, ZSTD_c_checksumFlag, 1)))
		return bs_err_set(e, BS_SYS, "cannot compress: unusable zstd settings");
	bs_buf_grow(out, bound);
	r = ZSTD_compress2(z->c, out->p + out->len, bound, in, n);
	if (ZSTD_isError(r))
		return bs_err_set(e, BS_SYS, "cannot compress: %s", ZSTD_getErrorName(r));
	out->len += r;
	out->p[out->len] = '\0';
	return 0;
}

int bs_zstd_decompress(struct bs_zstd *z, const void *in, size_t n, size_t limit, struct bs_buf *out,
		       struct bs_err *e)
{
	ZSTD_inBuffer ib = { in, n, 0 };
	size_t start = out->len, r;
	unsigned long long size;

	if (!z->d && !(z->d = ZSTD_createDCtx()))
		return bs_err_set(e, BS_SYS, "cannot decompress: out of memory");
	ZSTD_DCtx_reset(z->d, ZSTD_reset_session_and_parameters);
	/* a frame that says how large it is gets its room at once */
	size = ZSTD_getFrameContentSize(in, n);
	if (size == ZSTD_CONTENTSIZE_ERROR)
		return bs_err_set(e, BS_INPUT, "corrupt zstd data");
	if (size != ZSTD_CONTENTSIZE_UNKNOWN && size > limit)
		return bs_err_set(e, BS_INPUT, "decompressed data is larger than %zu bytes", limit);
	for (;;) {
		ZSTD_outBuffer ob;
		size_t room;
		if (out->len - start >= limit + 1)
			return bs_err_set(e, BS_INPUT, "decompressed data is larger than %zu bytes", limit);
		bs_buf_grow(out, size != ZSTD_CONTENTSIZE_UNKNOWN ? (size_t)size + 1 : 64 * 1024);
		room = out->cap - out->len - 1;
		if (room > limit + 1 - (out->len - start))
			room = limit + 1 - (out->len - start);
		ob.dst = out->p + out->len;
		ob.size = room;
		ob.pos = 0;
		r = ZSTD_decompressStream(z->d, &ob, &ib);
		out->len += ob.pos;
		out->p[out->len] = '\0';
		if (ZSTD_isError(r))
			return bs_err_set(e, BS_INPUT, "corrupt zstd data");
		if (r == 0)
			break;
		if (ib.pos == ib.size && ob.pos < ob.size)
			return bs_err_set(e, BS_INPUT, "truncated zstd data");
	}
	if (ib.pos != ib.size)
		return bs_err_set(e, BS_INPUT, "garbage after zstd data");
	if (out->len - start > limit)
		return bs_err_set(e, BS_INPUT, "decompressed data is larger than %zu bytes", limit);
	return 0;
}
