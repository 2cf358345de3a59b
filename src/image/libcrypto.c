/* libcrypto's SHA-256, loaded when an image is written or checked
 * (src/lib/dynlib.h). */
#include "config.h"

#include <stddef.h>

#include <openssl/evp.h>

#include "lib/dynlib.h"
#include "image/digest.h"

#ifndef CRYPTO_LIBDIR
#define CRYPTO_LIBDIR NULL
#endif
#ifndef CRYPTO_SONAME
#define CRYPTO_SONAME "libcrypto.so.3"
#endif

/* X-macro: F (ret, name, (params), (args), failure), V (name, (params), (args)). */
#define LIBCRYPTO_FUNCTIONS(F, V)                                                                            \
  F (EVP_MD *, EVP_MD_fetch, (OSSL_LIB_CTX * ctx, const char *alg, const char *props), (ctx, alg, props),    \
     NULL)                                                                                                   \
  F (EVP_MD_CTX *, EVP_MD_CTX_new, (void), (), NULL)                                                         \
  V (EVP_MD_CTX_free, (EVP_MD_CTX * ctx), (ctx))                                                             \
  F (int, EVP_DigestInit_ex, (EVP_MD_CTX * ctx, const EVP_MD *md, ENGINE *eng), (ctx, md, eng), 0)           \
  F (int, EVP_DigestUpdate, (EVP_MD_CTX * ctx, const void *d, size_t n), (ctx, d, n), 0)                     \
  F (int, EVP_DigestFinal_ex, (EVP_MD_CTX * ctx, unsigned char *md, unsigned int *n), (ctx, md, n), 0)

DYNLIB_DEFINE (LIBCRYPTO_FUNCTIONS, CRYPTO_SONAME, CRYPTO_LIBDIR, "libssl3", NULL)

int
digest_libcrypto_load (cryo_error_t *err)
{
  return dynlib_load (&dynlib_self, err);
}
