/* units.c - human sizes, and JSON strings that survive any bytes. */
#include <stdio.h>
#include <string.h>
#include "units.h"

void bs_human_size(char *out, size_t n, uint64_t bytes)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	int u = 0;

	if (bytes < 1024) {
		snprintf(out, n, "%u B", (unsigned)bytes);
		return;
	}
	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	/* three significant digits, rounding never showing "1024 KiB" */
	if (v >= 1023.5 && u < 6) {
		v /= 1024;
		u++;
	}
	if (v < 9.995)
		snprintf(out, n, "%.2f %s", v, unit[u]);
	else if (v < 99.95)
		snprintf(out, n, "%.1f %s", v, unit[u]);
	else
		snprintf(out, n, "%.0f %s", v, unit[u]);
}

int bs_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		unsigned c = p[i];
		size_t k;
		unsigned cp;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) { k = 1; cp = c & 0x1f; }
		else if (c >= 0xe0 && c <= 0xef) { k = 2; cp = c & 0x0f; }
		else if (c >= 0xf0 && c <= 0xf4) { k = 3; cp = c & 0x07; }
		else return 0;
		for (size_t j = 1; j <= k; j++) {
			if (i + j >= len || (p[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		/* overlong forms, surrogates, beyond U+10FFFF */
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

int bs_json_string(struct bs_buf *b, const char *p, size_t len)
{
	if (!bs_utf8_valid(p, len))
		return -1;
	bs_buf_addc(b, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		switch (c) {
		case '"': bs_buf_adds(b, "\\\""); break;
		case '\\': bs_buf_adds(b, "\\\\"); break;
		case '\n': bs_buf_adds(b, "\\n"); break;
		case '\t': bs_buf_adds(b, "\\t"); break;
		case '\r': bs_buf_adds(b, "\\r"); break;
		default:
			if (c < 0x20 || c == 0x7f)
				bs_buf_addf(b, "\\u%04x", c);
			else
				bs_buf_addc(b, c);
		}
	}
	bs_buf_addc(b, '"');
	return 0;
}

void bs_json_base64(struct bs_buf *b, const char *s, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	bs_buf_addc(b, '"');
	for (i = 0; i + 2 < len; i += 3) {
		bs_buf_addc(b, tab[p[i] >> 2]);
		bs_buf_addc(b, tab[(p[i] & 3) << 4 | p[i + 1] >> 4]);
		bs_buf_addc(b, tab[(p[i + 1] & 15) << 2 | p[i + 2] >> 6]);
		bs_buf_addc(b, tab[p[i + 2] & 63]);
	}
	if (len - i == 1) {
		bs_buf_addc(b, tab[p[i] >> 2]);
		bs_buf_addc(b, tab[(p[i] & 3) << 4]);
		bs_buf_adds(b, "==");
	} else if (len - i == 2) {
		bs_buf_addc(b, tab[p[i] >> 2]);
		bs_buf_addc(b, tab[(p[i] & 3) << 4 | p[i + 1] >> 4]);
		bs_buf_addc(b, tab[(p[i + 1] & 15) << 2]);
		bs_buf_addc(b, '=');
	}
	bs_buf_addc(b, '"');
}

void bs_json_field(struct bs_buf *b, const char *key, const char *p, size_t len)
{
	if (bs_utf8_valid(p, len)) {
		bs_buf_addf(b, "\"%s\":", key);
		bs_json_string(b, p, len);
	} else {
		bs_buf_addf(b, "\"%s_b64\":", key);
		bs_json_base64(b, p, len);
	}
}
