/* The leak scan's memory: hash tables from an object's key to the items
 * of an index array (chained through a parallel "next" array, no
 * allocation per item), and the big arrays the scan fills at once. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "leak/internal.h"
#include "lib/util.h"

void
lk_hash_init (struct lk_hash *h, size_t cap)
{
  size_t n = 16;

  while (n < cap * 2)
    n <<= 1;
  h->mask = n - 1;
  h->head = lk_alloc_big (n * sizeof (uint32_t));
  h->next = lk_alloc_big ((cap + 1) * sizeof (uint32_t));
  memset (h->head, 0, n * sizeof (uint32_t));
  memset (h->next, 0, (cap + 1) * sizeof (uint32_t));
  h->cap = cap;
}

void
lk_hash_free (struct lk_hash *h)
{
  free (h->head);
  free (h->next);
  memset (h, 0, sizeof (*h));
}

uint64_t
lk_key (uint64_t a, uint64_t b)
{
  /* splitmix64 finalizer over both halves: inode numbers are dense and
   * devices few, so the plain values would crowd a few buckets. */
  uint64_t x = a * 0x9e3779b97f4a7c15ULL ^ b;
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

void
lk_hash_add (struct lk_hash *h, uint64_t key, uint32_t item)
{
  size_t b = key & h->mask;

  if (item >= h->cap)
    return;
  h->next[item] = h->head[b];
  h->head[b] = item + 1;
}

uint32_t
lk_hash_first (const struct lk_hash *h, uint64_t key)
{
  if (h->head == NULL)
    return LK_NONE;
  return h->head[key & h->mask] - 1;
}

uint32_t
lk_hash_next (const struct lk_hash *h, uint32_t item)
{
  return h->next[item] - 1;
}

void
lk_prefault (void *p, size_t len)
{
#ifdef MADV_POPULATE_WRITE
  uintptr_t start = ((uintptr_t) p + 4095) & ~(uintptr_t) 4095, end = ((uintptr_t) p + len) & ~(uintptr_t) 4095;

  if (end > start)
    madvise ((void *) start, end - start, MADV_POPULATE_WRITE);
#else
  (void) p, (void) len;
#endif
}

void *
lk_alloc_big (size_t size)
{
  const size_t huge = 2 << 20;
  void *p;

  if (size < huge / 2)
    {
      p = xmalloc (size ? size : 1);
      lk_prefault (p, size);
      return p;
    }
  size = (size + huge - 1) & ~(huge - 1);
  if (posix_memalign (&p, huge, size) != 0)
    oom ();
#ifdef MADV_HUGEPAGE
  madvise (p, size, MADV_HUGEPAGE);
#endif
  lk_prefault (p, size);
  return p;
}
