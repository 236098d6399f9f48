/* fuzz_chunk.c - libFuzzer harness: a stored chunk file (bs_chunk_decode).
 * The input is the 32-byte digest it is to match, then the file's bytes;
 * what decodes must hash to that digest and stay within the limit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "meta.h"
#include "repo.h"
#include "record.h"

#define LIMIT (4u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bs_buf out = BS_BUF_INIT;
	struct bs_err e;
	unsigned char check[BS_DIGEST_LEN];

	if (size < BS_DIGEST_LEN)
		return 0;
	bs_buf_addc(&out, 'p');		/* decoding appends: keep what was there */
	if (bs_chunk_decode(data + BS_DIGEST_LEN, size - BS_DIGEST_LEN, data, LIMIT, &out, &e) == 0) {
		if (out.len - 1 > LIMIT || out.p[0] != 'p')
			abort();
		bs_sha256(out.p + 1, out.len - 1, check);
		if (memcmp(check, data, BS_DIGEST_LEN))
			abort();
	} else if (e.code != BS_INPUT || out.len != 1) {
		abort();
	}
	bs_buf_release(&out);
	return 0;
}
