/* One file for an image: a tar archive (zstd, gzip or plain) holding the
 * directory as it is, manifest first.  Unpacking verifies everything before
 * the image appears. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/archive-util.h"
#include "image/digest.h"
#include "image/image-internal.h"
#include "lib/util.h"

#define CHUNK (1 << 20)

int
image_compression_from_name (const char *name, enum image_compression *out, cryo_error_t *err)
{
  static const char *const names[] = {
    [IMAGE_COMPRESS_ZSTD] = "zstd",
    [IMAGE_COMPRESS_GZIP] = "gzip",
    [IMAGE_COMPRESS_NONE] = "none",
  };
  for (size_t i = 0; i < ARRAY_SIZE (names); i++)
    if (strcmp (name, names[i]) == 0)
      {
        *out = i;
        return 0;
      }
  return cryo_error (err, 0, "unknown compression `%s` (use zstd, gzip or none)", name);
}

static int
setup_writer (struct archive *a, enum image_compression c, int fd, cryo_error_t *err)
{
  int r = ARCHIVE_OK;

  if (c == IMAGE_COMPRESS_ZSTD)
    {
      r = archive_write_add_filter_zstd (a);
      /* Compression would otherwise be the slowest step on a multi-core host;
       * older libarchive lacks the option, which is fine. */
      if (r == ARCHIVE_OK)
        (void) archive_write_set_filter_option (a, "zstd", "threads", "0");
    }
  else if (c == IMAGE_COMPRESS_GZIP)
    r = archive_write_add_filter_gzip (a);
  if (r != ARCHIVE_OK || archive_write_set_format_pax_restricted (a) != ARCHIVE_OK
      || archive_write_open_fd (a, fd) != ARCHIVE_OK)
    return cryo_error (err, 0, "archive: %s", archive_error_string (a));
  return 0;
}

static int
write_header (struct archive *a, const char *name, mode_t type, uint64_t size, cryo_error_t *err)
{
  cleanup_entry struct archive_entry *e = archive_entry_new ();

  if (e == NULL)
    oom ();
  archive_entry_set_pathname (e, name);
  archive_entry_set_filetype (e, type);
  archive_entry_set_perm (e, type == AE_IFDIR ? 0700 : 0600);
  archive_entry_set_size (e, type == AE_IFDIR ? 0 : (la_int64_t) size);
  archive_entry_set_mtime (e, time (NULL), 0);
  if (archive_write_header (a, e) != ARCHIVE_OK)
    return cryo_error (err, 0, "archive `%s`: %s", name, archive_error_string (a));
  return 0;
}

/* Stream one file into the archive, checking it against the manifest on the way. */
static int
pack_file (struct archive *a, struct image *img, const struct image_file *f, char *buf, cryo_error_t *err)
{
  cleanup_close int fd = openat (image_dirfd (img), f->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_digest digest_t *d = NULL;
  char hex[DIGEST_HEX_SIZE];
  uint64_t done = 0;

  if (fd < 0)
    return cryo_error (err, errno, "image `%s`: open %s", image_path (img), f->name);
  if (digest_new_chunked (f->alg, f->chunk_size, &d, err) < 0
      || write_header (a, f->name, AE_IFREG, f->size, err) < 0)
    return -1;
  (void) posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  while (done < f->size)
    {
      ssize_t r = read (fd, buf, f->size - done < CHUNK ? f->size - done : CHUNK);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return cryo_error (err, errno, "image `%s`: read %s", image_path (img), f->name);
      if (r == 0)
        return cryo_error (err, 0, "image `%s`: %s: truncated: %llu of %llu bytes", image_path (img), f->name,
                           (unsigned long long) done, (unsigned long long) f->size);
      digest_update (d, buf, r);
      if (archive_write_data (a, buf, r) != r)
        return cryo_error (err, 0, "archive `%s`: %s", f->name, archive_error_string (a));
      done += r;
    }
  if (digest_final (d, hex, err) < 0)
    return -1;
  if (strcmp (hex, f->checksum) != 0)
    return cryo_error (err, 0, "image `%s`: %s: checksum mismatch (file corrupt)", image_path (img), f->name);
  return 0;
}

/* Directories first (criu/ always, even when empty), then the manifest,
 * then every file in manifest order. */
static int
pack_entries (struct archive *a, struct image *img, cryo_error_t *err)
{
  cleanup_free char *manifest = NULL, *buf = xmalloc (CHUNK);
  struct image_listing l;
  const struct image_file *files;
  size_t n, len;
  int ret = 0;

  if (image_list_tree (image_dirfd (img), &l, err) < 0)
    return -1;
  for (size_t i = 0; ret == 0 && l.dirs && l.dirs[i]; i++)
    ret = write_header (a, l.dirs[i], AE_IFDIR, 0, err);
  image_listing_release (&l);
  if (ret < 0)
    return -1;
  if (read_all_file_at (image_dirfd (img), IMAGE_MANIFEST, &manifest, &len, err) < 0)
    return cryo_error_wrap (err, "image `%s`", image_path (img));
  if (write_header (a, IMAGE_MANIFEST, AE_IFREG, len, err) < 0)
    return -1;
  if (archive_write_data (a, manifest, len) != (la_ssize_t) len)
    return cryo_error (err, 0, "archive `%s`: %s", IMAGE_MANIFEST, archive_error_string (a));
  files = image_files (img, &n);
  for (size_t i = 0; i < n; i++)
    if (pack_file (a, img, &files[i], buf, err) < 0)
      return -1;
  return 0;
}

/* A hidden temporary file next to @file, renamed over nothing at the end. */
static int
open_output (const char *file, char **tmp, cryo_error_t *err)
{
  cleanup_free char *copy = xstrdup (file);
  char *slash = strrchr (copy, '/');
  const char *dir = slash ? (slash == copy ? "/" : (*slash = '\0', copy)) : ".";
  const char *base = slash ? slash + 1 : copy;
  struct stat st;
  int fd;

  if (*base == '\0')
    return cryo_error (err, 0, "`%s`: not a file name", file);
  if (lstat (file, &st) == 0)
    return cryo_error (err, 0, "`%s` already exists: remove it or choose another name", file);
  *tmp = xasprintf ("%s/.%s.tmp-XXXXXX", dir, base);
  fd = mkostemp (*tmp, O_CLOEXEC);
  if (fd < 0)
    return cryo_error (err, errno, "create a temporary file next to `%s`", file);
  return fd;
}

/* Best effort: the archive is complete either way, this makes its name durable. */
static void
fsync_parent (const char *file)
{
  cleanup_free char *dir = xstrdup (file);
  char *slash = strrchr (dir, '/');
  cleanup_close int fd = -1;

  if (slash == dir)
    slash[1] = '\0';
  else if (slash)
    *slash = '\0';
  fd = open (slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0)
    (void) fsync (fd);
}

int
image_pack (const char *path, const char *file, enum image_compression compression, cryo_error_t *err)
{
  cleanup_image struct image *img = NULL;
  cleanup_archive_write struct archive *a = NULL;
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;

  if (image_libarchive_load (err) < 0)
    return -1;
  a = archive_write_new ();
  if (a == NULL)
    oom ();
  if (image_open (path, &img, err) < 0 || image_check_files (img, err) < 0)
    return -1;
  fd = open_output (file, &tmp, err);
  if (fd < 0)
    return -1;
  if (setup_writer (a, compression, fd, err) < 0 || pack_entries (a, img, err) < 0)
    goto fail;
  if (archive_write_close (a) != ARCHIVE_OK)
    {
      cryo_error (err, 0, "write `%s`: %s", file, archive_error_string (a));
      goto fail;
    }
  if (fsync (fd) < 0)
    {
      cryo_error (err, errno, "fsync `%s`", tmp);
      goto fail;
    }
  if (renameat2 (AT_FDCWD, tmp, AT_FDCWD, file, RENAME_NOREPLACE) < 0)
    {
      cryo_error (err, errno, "rename `%s` to `%s`", tmp, file);
      goto fail;
    }
  fsync_parent (file);
  return 0;

fail:
  unlink (tmp);
  return -1;
}

static int
archive_fail (struct archive *in, const char *file, cryo_error_t *err)
{
  const char *why = archive_error_string (in);
  return cryo_error (err, 0, "`%s`: corrupt or truncated archive: %s", file, why ? why : "read error");
}

/* Unpacking: pack puts the manifest first, so every file after it is
 * checked against its entry as it is written (no second read). */
struct unpack
{
  struct archive *in;
  const char *file; /* the archive, named in errors */
  int dirfd;
  struct image *img; /* once manifest.json is in */
  char *buf;
  uint64_t limit; /* the size the manifest gives the entry being written */
};

/* Copy the entry's data to @fd, into @d when not NULL. */
static int
copy_data (struct unpack *u, int fd, const char *name, digest_t *d, uint64_t *got, cryo_error_t *err)
{
  la_ssize_t r;

  *got = 0;
  while ((r = archive_read_data (u->in, u->buf, CHUNK)) > 0)
    {
      /* An archive cannot write more than its manifest announces (nor fill
       * the disk) before the checksums are verified. */
      if ((uint64_t)r > u->limit - *got)
        return cryo_error (err, 0, "`%s`: entry `%s` is larger than its manifest says (%llu bytes)", u->file,
                           name, (unsigned long long)u->limit);
      if (write_all (fd, u->buf, r) < 0)
        return cryo_error (err, errno, "`%s`: write `%s`", u->file, name);
      if (d)
        digest_update (d, u->buf, r);
      *got += (uint64_t)r;
    }
  if (r < 0)
    return archive_fail (u->in, u->file, err);
  return 0;
}

static int
extract_file (struct unpack *u, const char *name, cryo_error_t *err)
{
  const struct image_file *f = NULL;
  cleanup_digest digest_t *d = NULL;
  char hex[DIGEST_HEX_SIZE];
  cleanup_close int fd = -1;
  uint64_t got;

  if (u->img == NULL && strcmp (name, IMAGE_MANIFEST) != 0)
    return cryo_error (err, 0, "`%s`: `%s` comes before %s (not made by `cryo image pack`)", u->file, name,
                       IMAGE_MANIFEST);
  if (u->img)
    {
      f = manifest_find_file (image_manifest (u->img), name);
      if (f == NULL)
        return cryo_error (err, 0, "`%s`: %s: not in the manifest (unexpected file)", u->file, name);
      if (digest_new_chunked (f->alg, f->chunk_size, &d, err) < 0)
        return -1;
    }
  if (image_mkdir_parents_at (u->dirfd, name, err) < 0)
    return -1;
  fd = openat (u->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return cryo_error (err, errno, "`%s`: create `%s`", u->file, name);
  u->limit = f ? f->size : IMAGE_MANIFEST_MAX_SIZE;
  if (copy_data (u, fd, name, d, &got, err) < 0)
    return -1;
  /* The disk starts writing now; unpack_into fsyncs at the end. */
  (void)sync_file_range (fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  if (f == NULL)
    /* Errors name the archive: that is what the user has in hand. */
    return image_open_fd (u->dirfd, u->file, &u->img, err);
  if (digest_final (d, hex, err) < 0)
    return -1;
  if (got != f->size || strcmp (hex, f->checksum) != 0)
    return cryo_error (err, 0, "`%s`: %s: checksum mismatch (file corrupt)", u->file, name);
  return 0;
}

/* Only what pack writes: relative names, regular files and directories. */
static int
extract_entries (struct unpack *u, cryo_error_t *err)
{
  struct archive_entry *e;
  int r;

  while ((r = archive_read_next_header (u->in, &e)) == ARCHIVE_OK)
    {
      mode_t type = archive_entry_filetype (e);
      cleanup_free char *name = xstrdup (archive_entry_pathname (e));
      const char *why;

      /* pax writes directories as "criu/". */
      if (name && type == AE_IFDIR && strlen (name) > 1 && name[strlen (name) - 1] == '/')
        name[strlen (name) - 1] = '\0';
      why = name ? image_name_problem (name) : "is missing";

      if (why)
        return cryo_error (err, 0, "`%s`: entry name `%s` %s", u->file, name ? name : "", why);
      if (type == AE_IFDIR)
        {
          cleanup_free char *slashed = xasprintf ("%s/", name);
          if (image_mkdir_parents_at (u->dirfd, slashed, err) < 0)
            return -1;
        }
      else if (type == AE_IFREG)
        {
          if (extract_file (u, name, err) < 0)
            return -1;
        }
      else
        return cryo_error (err, 0, "`%s`: entry `%s` is not a regular file or a directory", u->file, name);
    }
  if (r != ARCHIVE_EOF)
    return archive_fail (u->in, u->file, err);
  return 0;
}

/* Every file of the image made durable (their writeback started as each
 * was written). */
static int
fsync_files (struct image *img, cryo_error_t *err)
{
  size_t n;
  const struct image_file *files = image_files (img, &n);

  for (size_t i = 0; i < n; i++)
    {
      cleanup_close int fd = openat (image_dirfd (img), files[i].name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0 || fsync (fd) < 0)
        return cryo_error (err, errno, "fsync `%s`", files[i].name);
    }
  return 0;
}

static int
unpack_into (const char *file, struct image_tmpdir *t, cryo_error_t *err)
{
  cleanup_archive_read struct archive *in = archive_read_new ();
  cleanup_free char *buf = xmalloc (CHUNK);
  struct unpack u = { .in = in, .file = file, .dirfd = t->fd, .buf = buf };
  cleanup_image struct image *img = NULL;
  int ret;

  if (in == NULL)
    oom ();
  archive_read_support_filter_all (in);
  archive_read_support_format_tar (in);
  if (archive_read_open_filename (in, file, CHUNK) != ARCHIVE_OK)
    {
      if (access (file, R_OK) < 0)
        return cryo_error (err, errno, "open `%s`", file);
      return archive_fail (in, file, err);
    }
  ret = extract_entries (&u, err);
  img = u.img;
  if (ret < 0)
    return -1;
  if (img == NULL)
    return cryo_error (err, 0, "`%s`: no %s in the archive (not a cryo image archive)", file, IMAGE_MANIFEST);
  /* Every file was checked as it was written: what is left is that none
   * is missing, then durability. */
  if (image_check_files (img, err) < 0)
    return -1;
  return fsync_files (img, err);
}

int
image_unpack (const char *file, const char *path, cryo_error_t *err)
{
  struct image_tmpdir t;
  int ret;

  if (image_libarchive_load (err) < 0)
    return -1;
  if (image_tmpdir_begin (path, false, &t, err) < 0)
    {
      image_tmpdir_release (&t);
      return -1;
    }
  ret = unpack_into (file, &t, err);
  if (ret == 0)
    {
      /* An empty criu/ is part of every image, even a packed one without it. */
      if (mkdirat (t.fd, IMAGE_DIR_CRIU, 0700) < 0 && errno != EEXIST)
        ret = cryo_error (err, errno, "create `%s/%s`", t.tmp_path, IMAGE_DIR_CRIU);
    }
  if (ret == 0)
    ret = image_tmpdir_commit (&t, err);
  image_tmpdir_release (&t);
  return ret;
}
