/* tarname.c - names escaped as GNU tar lists them, aware of a UTF-8 locale. */
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>
#include <wctype.h>
#include "tarname.h"
#include "units.h"

int bs_locale_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs && (!strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "utf8"));
}

/* The length of the UTF-8 sequence at p of a printable character, or 0. */
static size_t printable(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t k = u[0] >= 0xf0 ? 4 : u[0] >= 0xe0 ? 3 : u[0] >= 0xc0 ? 2 : 0;
	mbstate_t st;
	wchar_t wc;

	if (!k || k > n || !bs_utf8_valid(p, k))
		return 0;
	memset(&st, 0, sizeof(st));
	if (mbrtowc(&wc, p, k, &st) != k)
		return 0;
	return iswprint((wint_t)wc) ? k : 0;
}

void bs_name_escape(struct bs_buf *b, const char *p, size_t n, int utf8)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		size_t k;
		switch (ch) {
		case '\\': bs_buf_adds(b, "\\\\"); continue;
		case '\n': bs_buf_adds(b, "\\n"); continue;
		case '\t': bs_buf_adds(b, "\\t"); continue;
		case '\r': bs_buf_adds(b, "\\r"); continue;
		case '\f': bs_buf_adds(b, "\\f"); continue;
		case '\v': bs_buf_adds(b, "\\v"); continue;
		case '\b': bs_buf_adds(b, "\\b"); continue;
		case '\a': bs_buf_adds(b, "\\a"); continue;
		}
		if (ch >= 0x20 && ch < 0x7f) {
			bs_buf_addc(b, ch);
		} else if (utf8 && ch >= 0xc0 && (k = printable(p + i, n - i))) {
			bs_buf_add(b, p + i, k);
			i += k - 1;
		} else {
			bs_buf_addf(b, "\\%03o", ch);
		}
	}
}
