/* fuzz_stream.c - libFuzzer harness: the stream reader (walk, chunks and
 * manifest streams) from header to trailer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "meta.h"
#include "repo.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bs_reader r;
	struct bs_stream st;
	struct bs_item it;
	struct bs_err e;
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	lseek(fd, 0, SEEK_SET);
	memset(&st, 0, sizeof st);
	bs_reader_init(&r, fd, "fuzz input");
	bs_item_init(&it);
	e.code = 0;
	if (bs_stream_open(&st, &r, BS_STREAM_WALK | BS_STREAM_CHUNKS | BS_STREAM_MANIFEST, &e) == 0) {
		int n;
		while ((n = bs_stream_next(&st, &it, &e)) == 1)
			;
		/* a failure must say why, and be bad input, not a system error */
		if (n < 0 && (e.code != BS_INPUT || !e.msg[0]))
			abort();
	} else if (e.code != BS_INPUT || !e.msg[0]) {
		abort();
	}
	bs_stream_release(&st);
	bs_item_release(&it);
	bs_reader_release(&r);
	close(fd);
	return 0;
}
