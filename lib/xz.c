/* xz.c - whole-buffer xz compression and decompression with liblzma. */
#include <lzma.h>
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

int bs_xz_compress(const void *in, size_t n, int preset, struct bs_buf *out, struct bs_err *e)
{
	size_t bound = lzma_stream_buffer_bound(n), pos = 0;
	lzma_ret r;

	bs_buf_grow(out, bound);
	r = lzma_easy_buffer_encode((uint32_t)preset, LZMA_CHECK_CRC32, NULL, in, n,
				    (uint8_t *)out->p + out->len, &pos, bound);
	if (r != LZMA_OK)
		return bs_err_set(e, BS_SYS, "cannot compress: %s", lzma_msg(r));
	out->len += pos;
	out->p[out->len] = '\0';
	return 0;
}

int bs_xz_decompress(const void *in, size_t n, size_t limit, struct bs_buf *out, struct bs_err *e)
{
	lzma_stream s = LZMA_STREAM_INIT;
	size_t start = out->len;
	lzma_ret r;

	r = lzma_stream_decoder(&s, 1u << 30, 0);
	if (r != LZMA_OK)
		return bs_err_set(e, BS_SYS, "cannot decompress: %s", lzma_msg(r));
	s.next_in = in;
	s.avail_in = n;
	for (;;) {
		if (out->len - start >= limit + 1) {
			lzma_end(&s);
			return bs_err_set(e, BS_INPUT, "decompressed data is larger than %zu bytes", limit);
		}
		bs_buf_grow(out, 64 * 1024);
		s.next_out = (uint8_t *)out->p + out->len;
		s.avail_out = out->cap - out->len - 1;
		if (s.avail_out > limit + 1 - (out->len - start))
			s.avail_out = limit + 1 - (out->len - start);
		r = lzma_code(&s, LZMA_FINISH);
		out->len = (size_t)((char *)s.next_out - out->p);
		if (r == LZMA_STREAM_END)
			break;
		if (r != LZMA_OK) {
			lzma_end(&s);
			out->p[out->len] = '\0';
			return bs_err_set(e, BS_INPUT, "cannot decompress: %s", lzma_msg(r));
		}
	}
	lzma_end(&s);
	out->p[out->len] = '\0';
	if (s.avail_in != 0)
		return bs_err_set(e, BS_INPUT, "cannot decompress: garbage after xz data");
	if (out->len - start > limit)
		return bs_err_set(e, BS_INPUT, "decompressed data is larger than %zu bytes", limit);
	return 0;
}
