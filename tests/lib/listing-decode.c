/* listing-decode.c - decode a listing's text from stdin (bs_listing_decode): "ok N" or the error, exit 3. */
#include <stdio.h>
#include "listing.h"

int main(void)
{
	static char buf[1 << 20];
	struct bs_listing l;
	struct bs_err e;
	size_t n = fread(buf, 1, sizeof(buf), stdin);

	bs_listing_init(&l);
	if (bs_listing_decode(&l, buf, n, &e) < 0) {
		printf("%s\n", e.msg);
		return 3;
	}
	printf("ok %zu\n", l.n);
	bs_listing_release(&l);
	return 0;
}
