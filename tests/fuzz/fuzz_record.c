/* fuzz_record.c - libFuzzer harness: one metadata record (bs_rec_parse),
 * and, when it parses, that formatting it gives a record that parses the
 * same way. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "meta.h"
#include "repo.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bs_rec a, b;
	struct bs_err e;
	struct bs_buf t1 = BS_BUF_INIT, t2 = BS_BUF_INIT;

	bs_rec_init(&a);
	bs_rec_init(&b);
	if (bs_rec_parse(&a, (const char *)data, size, &e) == 0) {
		bs_rec_format(&t1, &a);		/* NUL included */
		if (!t1.len || t1.p[t1.len - 1] != '\0')
			abort();
		if (bs_rec_parse(&b, t1.p, t1.len - 1, &e) < 0)
			abort();
		bs_rec_format(&t2, &b);
		if (t1.len != t2.len || memcmp(t1.p, t2.p, t1.len))
			abort();
	} else if (e.code != BS_INPUT) {
		abort();
	}
	bs_buf_release(&t1);
	bs_buf_release(&t2);
	bs_rec_release(&a);
	bs_rec_release(&b);
	return 0;
}
