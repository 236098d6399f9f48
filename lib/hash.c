/* hash.c - SHA-256 through OpenSSL's EVP interface. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include "hash.h"

static void fail(void)
{
	fprintf(stderr, "backshift: libcrypto cannot compute SHA-256\n");
	abort();
}

void bs_sha256(const void *p, size_t n, unsigned char *digest)
{
	unsigned int len;

	if (!EVP_Digest(p, n, digest, &len, EVP_sha256(), NULL))
		fail();
}

void bs_hash_init(struct bs_hash *h)
{
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || !EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL))
		fail();
}

void bs_hash_update(struct bs_hash *h, const void *p, size_t n)
{
	if (!EVP_DigestUpdate(h->ctx, p, n))
		fail();
}

void bs_hash_final(struct bs_hash *h, unsigned char *digest)
{
	unsigned int len;

	if (!EVP_DigestFinal_ex(h->ctx, digest, &len) || !EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL))
		fail();
}

void bs_hash_release(struct bs_hash *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}
