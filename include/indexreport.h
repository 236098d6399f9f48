/*
 * indexreport.h - bs-index's closing report, for people and as JSON.
 *
 * struct bs_index_counts holds what the S lines of a backup's stream
 * counted (bs-formats.5), by their keys, and what bs-index counted itself.
 *
 *   bs_index_report_text(b, s, c, elapsed)
 *       the report: a first line "backup ID finished: N entries, SIZE"
 *       (without the tool's name), then one indented line for each count
 *       that is not zero, sizes in binary units (bs_human_size())
 *   bs_index_report_json(b, s, c, elapsed)
 *       one JSON object: bs_summary_json()'s fields, then every count,
 *       exact, and "elapsed" in seconds (no newline)
 *   bs_index_report(b, x, json)
 *       the report of the backup indexer x has recorded (indexer.h), its
 *       counts and elapsed time taken from x: the text, with a line of
 *       the regular files recorded when the stream ended before the
 *       stages' counts; or the JSON object
 */
#ifndef BS_INDEXREPORT_H
#define BS_INDEXREPORT_H

#include <stdint.h>
#include "backup.h"
#include "buf.h"

struct bs_index_counts {
	uint64_t unchanged, read_files, read_bytes, new_files, present_files, new_chunks, new_bytes,
		stored_bytes, sockets, vanished, denied, unreadable, changed;
	uint64_t not_regular;
};

/* the field of c that the S line `key` counts, or NULL */
uint64_t *bs_index_count(struct bs_index_counts *c, const char *key);
void bs_index_report_text(struct bs_buf *b, const struct bs_summary *s, const struct bs_index_counts *c,
			  double elapsed);
void bs_index_report_json(struct bs_buf *b, const struct bs_summary *s, const struct bs_index_counts *c,
			  double elapsed);
struct bs_indexer;
void bs_index_report(struct bs_buf *b, const struct bs_indexer *x, int json);

#endif
