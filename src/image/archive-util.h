/* Cleanup attributes for libarchive handles (used by tmpfs.c and pack.c). */
#ifndef CRYO_IMAGE_ARCHIVE_UTIL_H
#define CRYO_IMAGE_ARCHIVE_UTIL_H

#include <archive.h>
#include <archive_entry.h>

#include "lib/error.h"

static inline void
cleanup_archive_writep (struct archive **a)
{
  if (*a)
    archive_write_free (*a);
  *a = NULL;
}

static inline void
cleanup_archive_readp (struct archive **a)
{
  if (*a)
    archive_read_free (*a);
  *a = NULL;
}

static inline void
cleanup_entryp (struct archive_entry **e)
{
  if (*e)
    archive_entry_free (*e);
  *e = NULL;
}

/* dlopen libarchive (src/image/libarchive.c): every entry point that uses
 * it calls this first. */
int image_libarchive_load (cryo_error_t *err);

#define cleanup_archive_write __attribute__ ((cleanup (cleanup_archive_writep)))
#define cleanup_archive_read __attribute__ ((cleanup (cleanup_archive_readp)))
#define cleanup_entry __attribute__ ((cleanup (cleanup_entryp)))

#endif
