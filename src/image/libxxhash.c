/* libxxhash's XXH3-128, the checksum of format 4 images, loaded when an
 * image is written or checked (src/lib/dynlib.h). */
#include "config.h"

#include <stddef.h>

#include <xxhash.h>

#include "image/digest.h"
#include "lib/dynlib.h"

#ifndef XXHASH_LIBDIR
#define XXHASH_LIBDIR NULL
#endif
#ifndef XXHASH_SONAME
#define XXHASH_SONAME "libxxhash.so.0"
#endif

/* X-macro: F (ret, name, (params), (args), failure), V (name, (params), (args)). */
#define LIBXXHASH_FUNCTIONS(F, V)                                                                            \
  F (XXH3_state_t *, XXH3_createState, (void), (), NULL)                                                     \
  F (XXH_errorcode, XXH3_freeState, (XXH3_state_t * s), (s), XXH_ERROR)                                      \
  F (XXH_errorcode, XXH3_128bits_reset, (XXH3_state_t * s), (s), XXH_ERROR)                                  \
  F (XXH_errorcode, XXH3_128bits_update, (XXH3_state_t * s, const void *d, size_t n), (s, d, n), XXH_ERROR)  \
  F (XXH128_hash_t, XXH3_128bits_digest, (const XXH3_state_t *s), (s), ((XXH128_hash_t){ 0, 0 }))            \
  V (XXH128_canonicalFromHash, (XXH128_canonical_t * dst, XXH128_hash_t h), (dst, h))

DYNLIB_DEFINE (LIBXXHASH_FUNCTIONS, XXHASH_SONAME, XXHASH_LIBDIR, "libxxhash0", NULL)

int
digest_libxxhash_load (cryo_error_t *err)
{
  return dynlib_load (&dynlib_self, err);
}
