/* xz.c - whole-buffer xz compression and decompression with liblzma, caller-owned coders. */
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include "xz.h"

static const char *lzma_msg(lzma_ret r)
{
	switch (r) {
	case LZMA_MEM_ERROR: return "out of memory";
	case LZMA_FORMAT_ERROR: return "not xz data";
	case LZMA_DATA_ERROR: return "corrupt xz data";
	case LZMA_BUF_ERROR: return "truncated xz data";
	case LZMA_OPTIONS_ERROR: return "unsupported xz options";
	case LZMA_MEMLIMIT_ERROR: return "xz data needs too much memory";
	default: return "xz failure";
	}
}

/*
 * A decoder and one encoder, set up again for each buffer: liblzma then
 * reuses their memory where the settings allow, where a fresh coder each
 * time would allocate (and fault in) its dictionary and hash tables for
 * every buffer.  One encoder, not one for each setting: an encoder takes
 * some 12 times its dictionary, and a thread holding two was most of
 * bs-store's memory with xz.
 */
struct bs_xz {
	lzma_stream dec;
	lzma_stream enc;
};

struct bs_xz *bs_xz_new(void)
{
	static const lzma_stream init = LZMA_STREAM_INIT;
	struct bs_xz *x = bs_xcalloc(1, sizeof(*x));

	x->dec = init;
	x->enc = init;
	return x;
}

void bs_xz_free(struct bs_xz *x)
{
	if (!x)
		return;
	lzma_end(&x->dec);
	lzma_end(&x->enc);
	free(x);
}

size_t bs_xz_encoder_mem(int preset, uint32_t dict)
{
	lzma_options_lzma opt;
	lzma_filter filters[3] = {
		{ LZMA_FILTER_X86, NULL },
		{ LZMA_FILTER_LZMA2, &opt },
		{ LZMA_VLI_UNKNOWN, NULL },
	};
	uint64_t m;

	if (lzma_lzma_preset(&opt, (uint32_t)preset))
		return 0;
	if (dict && dict < opt.dict_size)
		opt.dict_size = dict < LZMA_DICT_SIZE_MIN ? LZMA_DICT_SIZE_MIN : dict;
	m = lzma_raw_encoder_memusage(filters);
	return m == UINT64_MAX ? 0 : (size_t)m;
}

int bs_xz_compress(struct bs_xz *x, const void *in, size_t n, int preset, uint32_t dict, int x86,
		   struct bs_buf *out, struct bs_err *e)
{
	size_t bound = lzma_stream_buffer_bound(n);
	lzma_options_lzma opt;
	lzma_filter filters[3];
	int f = 0;
	lzma_stream *enc = &x->enc;
	lzma_ret r;

	bs_buf_grow(out, bound);
	if (lzma_lzma_preset(&opt, (uint32_t)preset))
		return bs_err_set(e, BS_SYS, "cannot compress: unusable xz preset %d", preset);
	if (dict && dict < opt.dict_size)
		opt.dict_size = dict < LZMA_DICT_SIZE_MIN ? LZMA_DICT_SIZE_MIN : dict;
	/* liblzma's own x86 filter (start offset 0): a part of the .xz
	 * format, which every xz decoder, and so every reader, undoes */
	if (x86) {
		filters[f].id = LZMA_FILTER_X86;
		filters[f++].options = NULL;
	}
	filters[f].id = LZMA_FILTER_LZMA2;
	filters[f++].options = &opt;
	filters[f].id = LZMA_VLI_UNKNOWN;
	filters[f].options = NULL;
	r = lzma_stream_encoder(enc, filters, LZMA_CHECK_CRC32);
	if (r != LZMA_OK)
		return bs_err_set(e, BS_SYS, "cannot compress: %s", lzma_msg(r));
	enc->next_in = in;
	enc->avail_in = n;
	enc->next_out = (uint8_t *)out->p + out->len;
	enc->avail_out = bound;
	r = lzma_code(enc, LZMA_FINISH);
	if (r != LZMA_STREAM_END)
		return bs_err_set(e, BS_SYS, "cannot compress: %s", lzma_msg(r == LZMA_OK ? LZMA_BUF_ERROR : r));
	out->len += bound - enc->avail_out;
	out->p[out->len] = '\0';
	return 0;
}

int bs_xz_decompress(struct bs_xz *x, const void *in, size_t n, size_t limit, struct bs_buf *out,
		     struct bs_err *e)
{
	lzma_stream *dec = &x->dec;
	size_t start = out->len;
	lzma_ret r;

	r = lzma_stream_decoder(dec, 1u << 30, 0);
	if (r != LZMA_OK)
		return bs_err_set(e, BS_SYS, "cannot decompress: %s", lzma_msg(r));
	dec->next_in = in;
	dec->avail_in = n;
	for (;;) {
		if (out->len - start >= limit + 1)
			return bs_err_set(e, BS_INPUT, "decompressed data is larger than %zu bytes", limit);
		bs_buf_grow(out, 64 * 1024);
		dec->next_out = (uint8_t *)out->p + out->len;
		dec->avail_out = out->cap - out->len - 1;
		if (dec->avail_out > limit + 1 - (out->len - start))
			dec->avail_out = limit + 1 - (out->len - start);
		r = lzma_code(dec, LZMA_FINISH);
		out->len = (size_t)((char *)dec->next_out - out->p);
		out->p[out->len] = '\0';
		if (r == LZMA_STREAM_END)
			break;
		if (r != LZMA_OK)
			return bs_err_set(e, BS_INPUT, "cannot decompress: %s", lzma_msg(r));
	}
	if (dec->avail_in != 0)
		return bs_err_set(e, BS_INPUT, "cannot decompress: garbage after xz data");
	if (out->len - start > limit)
		return bs_err_set(e, BS_INPUT, "decompressed data is larger than %zu bytes", limit);
	return 0;
}
