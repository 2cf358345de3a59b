/* Checksums of image files, plain or by chunks (digest.h): XXH3-128 from
 * libxxhash (format 4), SHA-256 over libcrypto's EVP interface (the one that
 * picks the SHA-NI code path at run time) for older images. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <xxhash.h>

#include "image/digest.h"
#include "lib/util.h"

/* 1 MiB reads: measured here, 64 KiB to 4 MiB all run at the hash's speed,
 * and mmap is slower (page faults cost more than the copy). */
#define READ_CHUNK (1 << 20)

/* One running hash of either algorithm. */
struct hctx
{
  enum digest_alg alg;
  EVP_MD_CTX *evp;
  XXH3_state_t *xxh;
};

struct digest
{
  enum digest_alg alg;
  struct hctx ctx;   /* the data, or the current chunk */
  struct hctx outer; /* chunked: over the chunk digests */
  uint64_t chunk_size, in_chunk;
  bool failed;
};

static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md;

/* Fetch the implementation once instead of at every init (OpenSSL 3). */
static void
fetch_sha256 (void)
{
  sha256_md = EVP_MD_fetch (NULL, "SHA256", NULL);
}

size_t
digest_raw_size (enum digest_alg alg)
{
  return alg == DIGEST_SHA256 ? 32 : 16;
}

const char *
digest_alg_name (enum digest_alg alg)
{
  return alg == DIGEST_SHA256 ? "sha256" : "xxh3";
}

/* Load the library of @alg (once per process). */
static int
load_alg (enum digest_alg alg, cryo_error_t *err)
{
  if (alg == DIGEST_XXH3)
    return digest_libxxhash_load (err);
  if (digest_libcrypto_load (err) < 0)
    return -1;
  pthread_once (&md_once, fetch_sha256);
  if (sha256_md == NULL)
    return cryo_error (err, 0, "sha256: not available from libcrypto");
  return 0;
}

static bool
hctx_reset (struct hctx *h)
{
  if (h->alg == DIGEST_XXH3)
    return XXH3_128bits_reset (h->xxh) == XXH_OK;
  return EVP_DigestInit_ex (h->evp, sha256_md, NULL) == 1;
}

static bool
hctx_init (struct hctx *h, enum digest_alg alg)
{
  h->alg = alg;
  if (alg == DIGEST_XXH3)
    h->xxh = XXH3_createState ();
  else
    h->evp = EVP_MD_CTX_new ();
  if (h->xxh == NULL && h->evp == NULL)
    oom ();
  return hctx_reset (h);
}

static bool
hctx_update (struct hctx *h, const void *data, size_t len)
{
  if (h->alg == DIGEST_XXH3)
    return XXH3_128bits_update (h->xxh, data, len) == XXH_OK;
  return EVP_DigestUpdate (h->evp, data, len) == 1;
}

/* The raw digest (digest_raw_size bytes; XXH3-128 in its canonical,
 * big-endian form, as xxh128sum prints it). */
static bool
hctx_final (struct hctx *h, unsigned char md[DIGEST_RAW_MAX])
{
  unsigned int len = 0;

  if (h->alg == DIGEST_XXH3)
    {
      XXH128_canonical_t c;
      XXH128_canonicalFromHash (&c, XXH3_128bits_digest (h->xxh));
      memcpy (md, c.digest, sizeof (c.digest));
      return true;
    }
  return EVP_DigestFinal_ex (h->evp, md, &len) == 1 && len == DIGEST_RAW_SIZE_SHA256;
}

static void
hctx_release (struct hctx *h)
{
  /* Only the library in use: a trampoline would load the other one. */
  if (h->xxh)
    XXH3_freeState (h->xxh);
  if (h->evp)
    EVP_MD_CTX_free (h->evp);
  h->xxh = NULL;
  h->evp = NULL;
}

int
digest_new_chunked (enum digest_alg alg, uint64_t chunk_size, digest_t **out, cryo_error_t *err)
{
  digest_t *d;

  if (load_alg (alg, err) < 0)
    return -1;
  d = xzalloc (sizeof (*d));
  d->alg = alg;
  d->chunk_size = chunk_size;
  if (!hctx_init (&d->ctx, alg) || (chunk_size && !hctx_init (&d->outer, alg)))
    {
      digest_free (d);
      return cryo_error (err, 0, "%s: failed to initialize the digest", digest_alg_name (alg));
    }
  *out = d;
  return 0;
}

int
digest_new (enum digest_alg alg, digest_t **out, cryo_error_t *err)
{
  return digest_new_chunked (alg, 0, out, err);
}

/* The raw digest of the current chunk into the outer one; a new chunk. */
static void
end_chunk (digest_t *d)
{
  unsigned char md[DIGEST_RAW_MAX];

  if (!hctx_final (&d->ctx, md) || !hctx_update (&d->outer, md, digest_raw_size (d->alg))
      || !hctx_reset (&d->ctx))
    d->failed = true;
  d->in_chunk = 0;
}

void
digest_update (digest_t *d, const void *data, size_t len)
{
  const unsigned char *p = data;

  while (len > 0 && !d->failed)
    {
      size_t take = len;
      if (d->chunk_size && take > d->chunk_size - d->in_chunk)
        take = d->chunk_size - d->in_chunk;
      if (!hctx_update (&d->ctx, p, take))
        d->failed = true;
      p += take;
      len -= take;
      d->in_chunk += take;
      if (d->chunk_size && d->in_chunk == d->chunk_size)
        end_chunk (d);
    }
}

static void
to_hex (const unsigned char *md, size_t n, char hex[DIGEST_HEX_SIZE])
{
  static const char digits[] = "0123456789abcdef";

  for (size_t i = 0; i < n; i++)
    {
      hex[2 * i] = digits[md[i] >> 4];
      hex[2 * i + 1] = digits[md[i] & 0xf];
    }
  hex[2 * n] = '\0';
}

static int
final_raw (digest_t *d, unsigned char md[DIGEST_RAW_MAX], cryo_error_t *err)
{
  if (d->chunk_size && d->in_chunk > 0)
    end_chunk (d);
  if (d->failed || !hctx_final (d->chunk_size ? &d->outer : &d->ctx, md))
    return cryo_error (err, 0, "%s: failed to compute the digest", digest_alg_name (d->alg));
  return 0;
}

int
digest_final (digest_t *d, char hex[DIGEST_HEX_SIZE], cryo_error_t *err)
{
  unsigned char md[DIGEST_RAW_MAX];

  if (final_raw (d, md, err) < 0)
    return -1;
  to_hex (md, digest_raw_size (d->alg), hex);
  return 0;
}

void
digest_free (digest_t *d)
{
  if (d == NULL)
    return;
  hctx_release (&d->ctx);
  hctx_release (&d->outer);
  free (d);
}

void
cleanup_digestp (digest_t **d)
{
  digest_free (*d);
  *d = NULL;
}

int
digest_buffer (enum digest_alg alg, const void *data, size_t len, char hex[DIGEST_HEX_SIZE],
               cryo_error_t *err)
{
  cleanup_digest digest_t *d = NULL;

  if (digest_new (alg, &d, err) < 0)
    return -1;
  digest_update (d, data, len);
  return digest_final (d, hex, err);
}

/* Read from @fd (at @off, or its position when @off < 0) into @d until
 * @limit bytes (UINT64_MAX: end of file); the bytes read in *got. */
static int
hash_range (int fd, const char *what, digest_t *d, off_t off, uint64_t limit, char *buf, uint64_t *got,
            cryo_error_t *err)
{
  *got = 0;
  while (*got < limit)
    {
      size_t want = limit - *got < READ_CHUNK ? (size_t)(limit - *got) : READ_CHUNK;
      ssize_t r = off < 0 ? read (fd, buf, want) : pread (fd, buf, want, off + (off_t)*got);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return cryo_error (err, errno, "read `%s`", what);
      if (r == 0)
        break;
      digest_update (d, buf, r);
      *got += r;
    }
  return 0;
}

int
digest_fd (int fd, const char *what, enum digest_alg alg, uint64_t chunk_size, char hex[DIGEST_HEX_SIZE],
           uint64_t *size, cryo_error_t *err)
{
  cleanup_digest digest_t *d = NULL;
  cleanup_free char *buf = xmalloc (READ_CHUNK);
  uint64_t total = 0;

  if (digest_new_chunked (alg, chunk_size, &d, err) < 0)
    return -1;
  (void)posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  if (hash_range (fd, what, d, -1, UINT64_MAX, buf, &total, err) < 0)
    return -1;
  if (size)
    *size = total;
  return digest_final (d, hex, err);
}

/* ---- many files, many threads ---- */

struct job_state
{
  unsigned char *chunks; /* chunked: one raw digest per chunk */
  size_t n_items;
  size_t left;    /* atomic: items not done yet */
  uint64_t bytes; /* atomic: bytes hashed */
  cryo_error_t err;
};

struct item
{
  size_t job;
  size_t chunk;      /* index, chunked jobs only */
  uint64_t off, len; /* len UINT64_MAX: to the end of the file */
};

struct digest_queue
{
  int dirfd;
  int flags;
  struct digest_job *jobs;
  struct job_state *state;
  struct item *items;
  size_t n_items;
  size_t next; /* atomic */
  bool stop;   /* atomic: a job failed, take no more */
};

/* The digest of digests of a chunked job, or nothing to do for a plain one
 * (its item wrote the hex already); then fsync when asked. */
static int
finish_job (struct digest_queue *q, size_t j, cryo_error_t *err)
{
  struct digest_job *job = &q->jobs[j];
  struct job_state *s = &q->state[j];

  job->size = __atomic_load_n (&s->bytes, __ATOMIC_ACQUIRE);
  if (job->chunk_size)
    {
      cleanup_digest digest_t *outer = NULL;
      if (digest_new (job->alg, &outer, err) < 0)
        return -1;
      digest_update (outer, s->chunks, s->n_items * digest_raw_size (job->alg));
      if (digest_final (outer, job->hex, err) < 0)
        return -1;
    }
  if (q->flags & DIGEST_FSYNC)
    {
      cleanup_close int fd = openat (q->dirfd, job->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0 || fsync (fd) < 0)
        return cryo_error (err, errno, "fsync `%s`", job->name);
    }
  return 0;
}

static int
run_item (struct digest_queue *q, const struct item *it, char *buf, cryo_error_t *err)
{
  struct digest_job *job = &q->jobs[it->job];
  struct job_state *s = &q->state[it->job];
  cleanup_close int fd = openat (q->dirfd, job->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  cleanup_digest digest_t *d = NULL;
  uint64_t got;

  if (fd < 0)
    return cryo_error (err, errno, "open `%s`", job->name);
  (void)posix_fadvise (fd, (off_t)it->off, it->len == UINT64_MAX ? 0 : (off_t)it->len, POSIX_FADV_SEQUENTIAL);
  if (digest_new (job->alg, &d, err) < 0
      || hash_range (fd, job->name, d, (off_t)it->off, it->len, buf, &got, err) < 0)
    return -1;
  __atomic_add_fetch (&s->bytes, got, __ATOMIC_RELEASE);
  if (job->chunk_size)
    {
      size_t raw = digest_raw_size (job->alg);
      unsigned char md[DIGEST_RAW_MAX];
      if (final_raw (d, md, err) < 0)
        return -1;
      memcpy (s->chunks + it->chunk * raw, md, raw);
    }
  else if (digest_final (d, job->hex, err) < 0)
    return -1;
  /* The last item of a job to finish completes it. */
  if (__atomic_sub_fetch (&s->left, 1, __ATOMIC_ACQ_REL) == 0)
    return finish_job (q, it->job, err);
  return 0;
}

static void *
digest_worker (void *arg)
{
  struct digest_queue *q = arg;
  cleanup_free char *buf = xmalloc (READ_CHUNK);

  while (!__atomic_load_n (&q->stop, __ATOMIC_RELAXED))
    {
      size_t i = __atomic_fetch_add (&q->next, 1, __ATOMIC_RELAXED);
      cryo_error_t e = NULL, none = NULL;
      struct job_state *s;
      if (i >= q->n_items)
        break;
      if (run_item (q, &q->items[i], buf, &e) == 0)
        continue;
      s = &q->state[q->items[i].job];
      /* Keep one error per job (the first); stop taking work. */
      if (!__atomic_compare_exchange_n (&s->err, &none, e, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        cryo_error_release (&e);
      __atomic_store_n (&q->stop, true, __ATOMIC_RELAXED);
    }
  return NULL;
}

static unsigned
pick_threads (unsigned threads, size_t n)
{
  long cpus;

  if (threads == 0)
    {
      cpus = sysconf (_SC_NPROCESSORS_ONLN);
      threads = cpus < 1 ? 1 : cpus > 4 ? 4 : (unsigned)cpus;
    }
  return threads > n ? (unsigned)(n ? n : 1) : threads;
}

static int
by_size_desc (const void *a, const void *b, void *arg)
{
  const uint64_t *sizes = arg;
  uint64_t sa = sizes[*(const size_t *)a], sb = sizes[*(const size_t *)b];
  return sa < sb ? 1 : sa > sb ? -1 : 0;
}

/* One item per plain job, one per chunk of a chunked one; largest jobs
 * first, so the long ones start early and the threads end together.  The
 * last item of a job reads to the end of the file (a file that grew since
 * the stat then fails its check instead of passing on a prefix). */
static void
plan_items (struct digest_queue *q, size_t n)
{
  cleanup_free uint64_t *sizes = xreallocarray (NULL, n ? n : 1, sizeof (uint64_t));
  cleanup_free size_t *order = xreallocarray (NULL, n ? n : 1, sizeof (size_t));
  size_t total = 0;
  struct stat st;

  for (size_t i = 0; i < n; i++)
    {
      struct digest_job *job = &q->jobs[i];
      order[i] = i;
      sizes[i] = fstatat (q->dirfd, job->name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? (uint64_t)st.st_size : 0;
      if (q->flags & DIGEST_AUTO_CHUNK)
        job->chunk_size = sizes[i] > DIGEST_CHUNK_SIZE ? DIGEST_CHUNK_SIZE : 0;
      q->state[i].n_items = job->chunk_size ? (sizes[i] + job->chunk_size - 1) / job->chunk_size : 1;
      if (q->state[i].n_items == 0)
        q->state[i].n_items = 1;
      q->state[i].left = q->state[i].n_items;
      if (job->chunk_size)
        q->state[i].chunks = xzalloc (q->state[i].n_items * DIGEST_RAW_MAX);
      total += q->state[i].n_items;
    }
  qsort_r (order, n, sizeof (size_t), by_size_desc, sizes);
  q->items = xreallocarray (NULL, total ? total : 1, sizeof (struct item));
  for (size_t k = 0; k < n; k++)
    {
      size_t j = order[k], m = q->state[j].n_items;
      for (size_t c = 0; c < m; c++)
        q->items[q->n_items++] = (struct item){ .job = j,
                                                .chunk = c,
                                                .off = c * q->jobs[j].chunk_size,
                                                .len = c + 1 < m ? q->jobs[j].chunk_size : UINT64_MAX };
    }
}

/* Writeback of every file starts now, so the disk works while we hash. */
static void
start_writeback (int dirfd, struct digest_job *jobs, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      cleanup_close int fd = openat (dirfd, jobs[i].name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd >= 0)
        (void)sync_file_range (fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    }
}

int
digest_files_at (int dirfd, struct digest_job *jobs, size_t n, unsigned threads, int flags, cryo_error_t *err)
{
  cleanup_free struct job_state *state = xzalloc ((n ? n : 1) * sizeof (*state));
  cleanup_free pthread_t *tids = NULL;
  struct digest_queue q = { .dirfd = dirfd, .flags = flags, .jobs = jobs, .state = state };
  unsigned started = 0;
  int ret = 0;

  /* Load the libraries here, not racing in the workers. */
  for (size_t i = 0; i < n; i++)
    if (load_alg (jobs[i].alg, err) < 0)
      return -1;
  if (flags & DIGEST_FSYNC)
    start_writeback (dirfd, jobs, n);
  plan_items (&q, n);
  threads = pick_threads (threads, q.n_items);
  tids = xzalloc (threads * sizeof (pthread_t));
  /* The calling thread is one of the workers. */
  for (unsigned t = 1; t < threads; t++)
    if (pthread_create (&tids[started], NULL, digest_worker, &q) == 0)
      started++;
  digest_worker (&q);
  for (unsigned t = 0; t < started; t++)
    pthread_join (tids[t], NULL);

  for (size_t i = 0; i < n; i++)
    {
      if (state[i].err != NULL && ret == 0)
        {
          cryo_error_release (err);
          if (err)
            *err = cryo_error_steal (&state[i].err);
          ret = -1;
        }
      cryo_error_release (&state[i].err);
      free (state[i].chunks);
    }
  free (q.items);
  return ret;
}
