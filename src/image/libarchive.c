/* libarchive, loaded when `cryo image pack|unpack` or the conversion of
 * tmpfs tar archives (formats 1 and 2) needs it (src/lib/dynlib.h).  Only
 * the functions cryo and its tests use are here: a call to another one is
 * a link error until it gets its line below. */
#include "config.h"

#include <stddef.h>
#include <time.h>

#include "lib/dynlib.h"
#include "image/archive-util.h"

#ifndef ARCHIVE_LIBDIR
#define ARCHIVE_LIBDIR NULL
#endif
#ifndef ARCHIVE_SONAME
#define ARCHIVE_SONAME "libarchive.so.13"
#endif

#define A struct archive *a
#define E struct archive_entry *e
#define FAIL ARCHIVE_FATAL

/* X-macro: F (ret, name, (params), (args), failure), V (name, (params), (args)). */
#define LIBARCHIVE_FUNCTIONS(F, V)                                                                           \
  F (const char *, archive_error_string, (A), (a), "libarchive is not loaded")                               \
  F (struct archive *, archive_read_new, (void), (), NULL)                                                   \
  F (int, archive_read_free, (A), (a), FAIL)                                                                 \
  F (int, archive_read_support_filter_all, (A), (a), FAIL)                                                   \
  F (int, archive_read_support_format_tar, (A), (a), FAIL)                                                   \
  F (int, archive_read_open_fd, (A, int fd, size_t block), (a, fd, block), FAIL)                             \
  F (int, archive_read_open_filename, (A, const char *f, size_t block), (a, f, block), FAIL)                 \
  F (int, archive_read_next_header, (A, struct archive_entry * *e), (a, e), FAIL)                            \
  F (la_ssize_t, archive_read_data, (A, void *buf, size_t n), (a, buf, n), FAIL)                             \
  F (int, archive_read_data_block, (A, const void **buf, size_t *n, la_int64_t *off), (a, buf, n, off),      \
     FAIL)                                                                                                   \
  F (struct archive *, archive_write_new, (void), (), NULL)                                                  \
  F (int, archive_write_free, (A), (a), FAIL)                                                                \
  F (int, archive_write_add_filter_zstd, (A), (a), FAIL)                                                     \
  F (int, archive_write_add_filter_gzip, (A), (a), FAIL)                                                     \
  F (int, archive_write_set_filter_option, (A, const char *m, const char *o, const char *v), (a, m, o, v),   \
     FAIL)                                                                                                   \
  F (int, archive_write_set_format_pax_restricted, (A), (a), FAIL)                                           \
  F (int, archive_write_open_fd, (A, int fd), (a, fd), FAIL)                                                 \
  F (int, archive_write_open_filename, (A, const char *f), (a, f), FAIL)                                     \
  F (int, archive_write_header, (A, E), (a, e), FAIL)                                                        \
  F (la_ssize_t, archive_write_data, (A, const void *buf, size_t n), (a, buf, n), FAIL)                      \
  F (int, archive_write_close, (A), (a), FAIL)                                                               \
  F (struct archive *, archive_write_disk_new, (void), (), NULL)                                             \
  F (int, archive_write_disk_set_options, (A, int flags), (a, flags), FAIL)                                  \
  F (la_ssize_t, archive_write_data_block, (A, const void *buf, size_t n, la_int64_t off), (a, buf, n, off), \
     FAIL)                                                                                                   \
  F (int, archive_write_finish_entry, (A), (a), FAIL)                                                        \
  F (struct archive_entry *, archive_entry_new, (void), (), NULL)                                            \
  F (struct archive_entry *, archive_entry_clear, (E), (e), NULL)                                            \
  V (archive_entry_free, (E), (e))                                                                           \
  F (const char *, archive_entry_pathname, (E), (e), NULL)                                                   \
  F (mode_t, archive_entry_filetype, (E), (e), 0)                                                            \
  F (la_int64_t, archive_entry_size, (E), (e), 0)                                                            \
  V (archive_entry_set_pathname, (E, const char *p), (e, p))                                                 \
  V (archive_entry_set_filetype, (E, unsigned int t), (e, t))                                                \
  V (archive_entry_set_perm, (E, mode_t m), (e, m))                                                          \
  V (archive_entry_set_size, (E, la_int64_t s), (e, s))                                                      \
  V (archive_entry_set_mtime, (E, time_t t, long ns), (e, t, ns))                                            \
  V (archive_entry_set_symlink, (E, const char *p), (e, p))

DYNLIB_DEFINE (LIBARCHIVE_FUNCTIONS, ARCHIVE_SONAME, ARCHIVE_LIBDIR, "libarchive13", NULL)

int
image_libarchive_load (cryo_error_t *err)
{
  return dynlib_load (&dynlib_self, err);
}
