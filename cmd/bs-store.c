/* bs-store - write a chunk stream's chunks into the repository; pass on the manifest. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "chunker.h"
#include "record.h"
#include "repo.h"
#include "tool.h"
#include "common/everyday.h"

static const char usage[] =
	"usage: bs-store -r repo < chunks > manifest\n";

static struct bs_repo repo;
static struct bs_writer out;

/*
 * Bad input: pass on what was complete before it (its chunks made durable
 * first), without a trailer, so that bs-index keeps it as an unfinished
 * backup that the next one reuses; then fail.
 */
static void __attribute__((noreturn)) fail(const struct bs_err *e)
{
	struct bs_err ignored;

	if (bs_repo_sync(&repo, &ignored) == 0)
		bs_writer_flush(&out, &ignored);
	tool_die(e);
}

int main(int argc, char **argv)
{
	struct bs_reader in;
	struct bs_stream st;
	struct bs_item it;
	struct bs_buf scratch = BS_BUF_INIT;
	struct bs_err e;
	struct bs_time now;
	const char *path = NULL;
	uint64_t records = 0;
	uint64_t new_chunks = 0, new_bytes = 0, stored_bytes = 0, new_files = 0, present_files = 0;
	int c, rc, file_new = 0, has_chunks = 0;

	tool_init("bs-store");
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};

	while ((c = getopt_long(argc, argv, "hr:", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': path = optarg; break;
		case 'h': tool_usage(usage, 1); break;
		case 'V': tool_version();
		default: tool_usage(usage, 2);
		}
	}
	path = tool_repo(path);
	if (!path || optind != argc)
		tool_usage(usage, 2);
	if (bs_repo_open(&repo, path, &e) < 0 || bs_repo_lock(&repo, BS_LOCK_SHARED, &e) < 0)
		tool_die(&e);
	/* Every chunk this run refers to is stamped with a time no earlier
	 * than this one, which the manifest carries to bs-index as the
	 * backup's start: backups and chunks expire on one clock. */
	now = bs_now();
	bs_reader_init(&in, 0, "standard input");
	bs_writer_init(&out, 1, "standard output");
	bs_item_init(&it);
	if (bs_stream_open(&st, &in, BS_STREAM_CHUNKS | BS_STREAM_MANIFEST, &e) < 0)
		tool_die(&e);
	/* chunk sizes matter for deduplication, not correctness: accept any
	 * chunk a chunker could make, even one with other settings */
	st.max_chunk = BS_CHUNK_MAX_LIMIT;
	bs_stream_header(&out, BS_STREAM_MANIFEST);
	bs_stream_time(&out, now);
	/* An F line is bs-chunk's word that it refreshed, or found fresh
	 * enough, the stamp of every chunk its R lines and L items refer to
	 * (bs-formats.5): R lines then need only be there.  Without one, each
	 * is stamped here with this run's start. */
	if (st.has_floor) {
		rc = bs_expiry_check(&repo, st.floor, now, &e);
		if (rc < 0)
			tool_die(&e);
		if (rc > 0)
			tool_warn("the last expiry's cut-off is later than this clock: do the clocks of the "
				  "machines that write to '%s' agree?", path);
		bs_stream_floor(&out, bs_time_cmp(st.floor, now) < 0 ? st.floor : now);
	}
	while ((rc = bs_stream_next(&st, &it, &e)) > 0) {
		struct bs_chunk_info info;
		/* every chunk is stamped with the backup's start: no earlier than
		 * it, as expiry needs, and a chunk bs-chunk stamped since needs
		 * no second utimensat(2) */
		struct bs_time t = now;

		switch (it.type) {
		case BS_ITEM_CHUNK:
			if (bs_chunk_put(&repo, it.digest, it.data.p, it.data.len, t, &info, &e) < 0)
				fail(&e);
			if (info.stored) {
				new_chunks++;
				new_bytes += it.size;
				stored_bytes += info.disk_bytes;
				file_new = 1;
			}
			has_chunks = 1;
			bs_stream_ref(&out, it.digest, it.size);
			break;
		case BS_ITEM_REF:
			if (!st.has_floor && bs_chunk_touch(&repo, it.digest, t, &e) < 0)
				fail(&e);
			if (st.has_floor && !bs_chunk_exists(&repo, it.digest)) {
				char hex[BS_HEX_LEN + 1];
				bs_hex(hex, it.digest);
				bs_err_set(&e, BS_INPUT, "chunk '%s' is missing from the repository", hex);
				fail(&e);
			}
			bs_stream_ref(&out, it.digest, it.size);
			break;
		case BS_ITEM_ABANDON:
			file_new = has_chunks = 0;
			bs_stream_abandon(&out);
			break;
		case BS_ITEM_STAT:
			bs_stream_stat(&out, it.key, it.value);
			break;
		case BS_ITEM_LISTING:
			if (!st.has_floor)
				bs_err_set(&e, BS_INPUT, "standard input: a listing of '%.200s' in a stream without an F line",
					   it.dir.p), fail(&e);
			bs_stream_listing(&out, it.digest, it.entries, it.files, it.bytes, it.id, it.dir.p, it.dir.len,
					  it.dirs.p, it.dirs.len, it.ndirs);
			records++;
			break;
		case BS_ITEM_RECORD:
			if (has_chunks)
				file_new ? new_files++ : present_files++;
			bs_stream_record(&out, &it.rec, &scratch);
			records++;
			file_new = has_chunks = 0;
			break;
		}
		if (out.err && bs_writer_flush(&out, &e) < 0)
			fail(&e);
	}
	if (rc < 0)
		fail(&e);
	/* the names of new chunks are durable before anything refers to them */
	if (bs_repo_sync(&repo, &e) < 0)
		tool_die(&e);
	bs_stream_stat(&out, "new-files", new_files);
	bs_stream_stat(&out, "present-files", present_files);
	bs_stream_stat(&out, "new-chunks", new_chunks);
	bs_stream_stat(&out, "new-bytes", new_bytes);
	bs_stream_stat(&out, "stored-bytes", stored_bytes);
	bs_stream_trailer(&out, records);
	if (bs_writer_close(&out, &e) < 0)
		tool_die(&e);
	bs_stream_release(&st);
	bs_item_release(&it);
	bs_reader_release(&in);
	bs_buf_release(&scratch);
	bs_repo_close(&repo);
	return 0;
}
