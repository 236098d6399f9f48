/*
 * units.h - numbers for people and for machines.
 *
 *   bs_human_size(out, n, bytes)
 *       bytes in binary units, as bs-init -c and bs_parse_size() read them:
 *       "512 B", "1.5 KiB", "3.2 MiB", "12 GiB", "1.1 TiB" (three
 *       significant digits at most; exact below 1 KiB)
 *   bs_json_string(b, p, len)
 *       append p[0, len) to b as a JSON string, quotes included, when it is
 *       valid UTF-8 (control characters, `"` and `\` escaped); returns 0.
 *       Returns -1, appending nothing, when it is not valid UTF-8: the
 *       caller then writes the value in base64 under a key ending in
 *       "_b64" instead (bs_json_base64)
 *   bs_json_base64(b, p, len)   append "..." holding base64 (RFC 4648) of p
 *   bs_json_field(b, key, p, len)
 *       append `"key":"value"` or, for bytes that are not UTF-8,
 *       `"key_b64":"base64"`: the one escaping every tool uses for paths
 *   bs_utf8_valid(p, len)       1 when p[0, len) is valid UTF-8
 */
#ifndef BS_UNITS_H
#define BS_UNITS_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"

void bs_human_size(char *out, size_t n, uint64_t bytes);
int bs_utf8_valid(const char *p, size_t len);
int bs_json_string(struct bs_buf *b, const char *p, size_t len);
void bs_json_base64(struct bs_buf *b, const char *p, size_t len);
void bs_json_field(struct bs_buf *b, const char *key, const char *p, size_t len);

#endif
