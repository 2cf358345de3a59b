/* Checksums of image files.  Format 4 uses XXH3-128 (libxxhash): corruption,
 * not an attacker, is what they are for (whoever can rewrite an image can
 * rewrite its manifest), and it hashes ~15 GB/s per core here against
 * SHA-256's ~1.3-1.7 GB/s (OpenSSL with SHA-NI).  Formats 1-3 used SHA-256,
 * still computed to check an image before `cryo image convert` upgrades it.
 * Images hold GiBs of memory pages, so files are hashed with large reads, on
 * several threads, big files by chunks: with XXH3 the copy out of the page
 * cache (~185 ms of CPU per GiB here, against ~70 ms for the hash) is most
 * of the cost, and it spreads over threads as well as the hash did. */
#ifndef CRYO_IMAGE_DIGEST_H
#define CRYO_IMAGE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

enum digest_alg
{
  DIGEST_XXH3 = 0, /* XXH3-128, format 4 */
  DIGEST_SHA256,   /* formats 1-3 */
};

#define DIGEST_HEX_SIZE 65 /* the longest: SHA-256's 64 hex digits and a NUL */
#define DIGEST_RAW_MAX 32
#define DIGEST_RAW_SIZE_SHA256 32

/* 32 for SHA-256, 16 for XXH3-128; twice as many hex digits. */
size_t digest_raw_size (enum digest_alg alg);
/* "sha256", "xxh3": the name of the manifest field that holds it. */
const char *digest_alg_name (enum digest_alg alg);

/* dlopen libcrypto (src/image/libcrypto.c), libxxhash (libxxhash.c);
 * digest_new does it. */
int digest_libcrypto_load (cryo_error_t *err);
int digest_libxxhash_load (cryo_error_t *err);

/* Files larger than this are hashed in chunks of this size (formats 3, 4):
 * the chunks are hashed in parallel, so one big pages-*.img file keeps every
 * thread busy.  64 MiB: 16 chunks per GiB, enough to balance two to four
 * threads, few enough that the digest of digests is free. */
#define DIGEST_CHUNK_SIZE (64ull << 20)

/* An incremental digest (for data that streams through, as in pack):
 * with chunk_size 0 the digest of the data; otherwise the digest of the
 * concatenated raw digests of each chunk_size bytes (the last chunk may be
 * shorter), all with the same algorithm. */
typedef struct digest digest_t;
int digest_new (enum digest_alg alg, digest_t **out, cryo_error_t *err); /* chunk_size 0 */
int digest_new_chunked (enum digest_alg alg, uint64_t chunk_size, digest_t **out, cryo_error_t *err);
void digest_update (digest_t *d, const void *data, size_t len);
int digest_final (digest_t *d, char hex[DIGEST_HEX_SIZE], cryo_error_t *err);
void digest_free (digest_t *d);
void cleanup_digestp (digest_t **d);
#define cleanup_digest __attribute__ ((cleanup (cleanup_digestp)))

/* The digest of a buffer. */
int digest_buffer (enum digest_alg alg, const void *data, size_t len, char hex[DIGEST_HEX_SIZE],
                   cryo_error_t *err);

/* The digest (chunked when @chunk_size > 0) and size of what remains to be
 * read from @fd; @what names it in errors. */
int digest_fd (int fd, const char *what, enum digest_alg alg, uint64_t chunk_size, char hex[DIGEST_HEX_SIZE],
               uint64_t *size, cryo_error_t *err);

struct digest_job
{
  const char *name;          /* relative to the dirfd */
  enum digest_alg alg;       /* in */
  uint64_t chunk_size;       /* in: 0 or the chunk size (see digest_new_chunked);
                              * out with DIGEST_AUTO_CHUNK */
  uint64_t size;             /* out */
  char hex[DIGEST_HEX_SIZE]; /* out */
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
