/* fuzz_listing.c - libFuzzer harness: a directory's listing text
 * (bs_listing_decode), re-encoded and decoded again when it decodes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "meta.h"
#include "repo.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bs_listing l, m;
	struct bs_err e;
	struct bs_buf t = BS_BUF_INIT;

	bs_listing_init(&l);
	bs_listing_init(&m);
	if (bs_listing_decode(&l, (const char *)data, size, &e) == 0) {
		bs_listing_encode(&l, &t);
		if (bs_listing_decode(&m, t.p, t.len, &e) < 0 || m.n != l.n)
			abort();
	} else if (e.code != BS_INPUT) {
		abort();
	}
	bs_buf_release(&t);
	bs_listing_release(&l);
	bs_listing_release(&m);
	return 0;
}
