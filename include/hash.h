/*
 * hash.h - SHA-256 through OpenSSL's libcrypto.
 *
 *   bs_sha256(p, n, digest)       digest of a buffer
 *   bs_hash_init / _update / _final  incremental form; bs_hash_release frees
 */
#ifndef BS_HASH_H
#define BS_HASH_H

#include <stddef.h>

struct bs_hash {
	void *ctx;
};

void bs_sha256(const void *p, size_t n, unsigned char *digest);
void bs_hash_init(struct bs_hash *h);
void bs_hash_update(struct bs_hash *h, const void *p, size_t n);
void bs_hash_final(struct bs_hash *h, unsigned char *digest);
void bs_hash_release(struct bs_hash *h);

#endif
