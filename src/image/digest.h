/* SHA-256 for image files, on OpenSSL's libcrypto (which uses the CPU's SHA
 * extensions, SHA-NI on x86, when present: ~1.7 GB/s per core here against
 * ~0.37 GB/s without).  Images hold GiBs of memory pages, so files are hashed
 * with large reads and, for a set of files, on several threads. */
#ifndef CRYO_IMAGE_DIGEST_H
#define CRYO_IMAGE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define DIGEST_HEX_SIZE 65 /* 64 hex digits and a NUL */

/* dlopen libcrypto (src/image/libcrypto.c); digest_new does it. */
int digest_libcrypto_load (cryo_error_t *err);

/* An incremental SHA-256 (for data that streams through, as in pack). */
typedef struct digest digest_t;
int digest_new (digest_t **out, cryo_error_t *err);
void digest_update (digest_t *d, const void *data, size_t len);
int digest_final (digest_t *d, char hex[DIGEST_HEX_SIZE], cryo_error_t *err);
void digest_free (digest_t *d);
void cleanup_digestp (digest_t **d);
#define cleanup_digest __attribute__ ((cleanup (cleanup_digestp)))

/* SHA-256 of a buffer. */
int digest_buffer (const void *data, size_t len, char hex[DIGEST_HEX_SIZE], cryo_error_t *err);

/* SHA-256 and size of what remains to be read from @fd; @what names it in errors. */
int digest_fd (int fd, const char *what, char hex[DIGEST_HEX_SIZE], uint64_t *size, cryo_error_t *err);

struct digest_job
{
  const char *name;             /* relative to the dirfd */
  uint64_t size;                /* out */
  char sha256[DIGEST_HEX_SIZE]; /* out */
};

enum
{
  DIGEST_FSYNC = 1 << 0, /* also make every file durable (writeback overlaps hashing) */
};

/**
 * digest_files_at - hash a set of files, several at a time
 * @threads: 0 picks one per CPU (at most 4): on 2 cores, 2 threads hash two
 *           files at twice the speed of one
 *
 * Jobs are taken largest-first from a shared queue.  On failure the error
 * names the first failing file in @jobs order.
 */
int digest_files_at (int dirfd, struct digest_job *jobs, size_t n, unsigned threads, int flags,
                     cryo_error_t *err);

#endif
