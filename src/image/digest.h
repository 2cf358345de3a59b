/* SHA-256 for image files, on OpenSSL's libcrypto (which uses the CPU's SHA
 * extensions, SHA-NI on x86, when present: ~1.7 GB/s per core here against
 * ~0.37 GB/s without).  Images hold GiBs of memory pages, so files are hashed
 * with large reads, on several threads, big files by chunks. */
#ifndef CRYO_IMAGE_DIGEST_H
#define CRYO_IMAGE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

#define DIGEST_HEX_SIZE 65 /* 64 hex digits and a NUL */

/* dlopen libcrypto (src/image/libcrypto.c); digest_new does it. */
int digest_libcrypto_load (cryo_error_t *err);

/* Files larger than this are hashed in chunks of this size (format 3):
 * the chunks are hashed in parallel, so one big pages-*.img file keeps every
 * thread busy.  64 MiB: 16 chunks per GiB, enough to balance two to four
 * threads, few enough that the digest of digests is free. */
#define DIGEST_CHUNK_SIZE (64ull << 20)
#define DIGEST_RAW_SIZE 32

/* An incremental digest (for data that streams through, as in pack):
 * with chunk_size 0 the SHA-256 of the data; otherwise the SHA-256 of the
 * concatenated raw SHA-256 digests of each chunk_size bytes (the last chunk
 * may be shorter). */
typedef struct digest digest_t;
int digest_new (digest_t **out, cryo_error_t *err); /* chunk_size 0 */
int digest_new_chunked (uint64_t chunk_size, digest_t **out, cryo_error_t *err);
void digest_update (digest_t *d, const void *data, size_t len);
int digest_final (digest_t *d, char hex[DIGEST_HEX_SIZE], cryo_error_t *err);
void digest_free (digest_t *d);
void cleanup_digestp (digest_t **d);
#define cleanup_digest __attribute__ ((cleanup (cleanup_digestp)))

/* SHA-256 of a buffer. */
int digest_buffer (const void *data, size_t len, char hex[DIGEST_HEX_SIZE], cryo_error_t *err);

/* The digest (chunked when @chunk_size > 0) and size of what remains to be
 * read from @fd; @what names it in errors. */
int digest_fd (int fd, const char *what, uint64_t chunk_size, char hex[DIGEST_HEX_SIZE], uint64_t *size,
               cryo_error_t *err);

struct digest_job
{
  const char *name;             /* relative to the dirfd */
  uint64_t chunk_size;          /* in: 0 or the chunk size (see digest_new_chunked);
                                 * out with DIGEST_AUTO_CHUNK */
  uint64_t size;                /* out */
  char sha256[DIGEST_HEX_SIZE]; /* out */
};

enum
{
  DIGEST_FSYNC = 1 << 0,      /* also make every file durable (writeback overlaps hashing) */
  DIGEST_AUTO_CHUNK = 1 << 1, /* chunk_size = DIGEST_CHUNK_SIZE for files larger than it, else 0 */
};

/**
 * digest_files_at - hash a set of files on several threads
 * @threads: 0 picks one per CPU (at most 4)
 *
 * The work is cut into chunks (whole small files, DIGEST_CHUNK_SIZE pieces
 * of chunked ones) taken from a shared queue, largest files first, so that
 * one big file is hashed at the speed of all threads.  On failure the error
 * names the first failing file in @jobs order.
 */
int digest_files_at (int dirfd, struct digest_job *jobs, size_t n, unsigned threads, int flags,
                     cryo_error_t *err);

#endif
