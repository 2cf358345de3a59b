/* tmpfs contents: CRIU does not see tmpfs mounts that cryo sets up and
 * restores itself, so cryo archives their contents (a tar per mount, with
 * modes, owners, times and xattrs) and brings them back on restore. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/archive-util.h"
#include "image/digest.h"
#include "image/image-internal.h"
#include "util.h"

/* Into a tar: sequential data (libarchive fills holes with zeros). */
static int
copy_to_tar (struct archive *from, struct archive *to, const char *what, cryo_error_t *err)
{
  char buf[1 << 16];
  la_ssize_t r;

  while ((r = archive_read_data (from, buf, sizeof (buf))) > 0)
    if (archive_write_data (to, buf, r) != r)
      return cryo_error (err, 0, "archive `%s`: %s", what, archive_error_string (to));
  if (r < 0)
    return cryo_error (err, 0, "read `%s`: %s", what, archive_error_string (from));
  return 0;
}

/* Onto the disk: blocks at their offsets, so sparse files stay sparse. */
static int
copy_to_disk (struct archive *from, struct archive *to, const char *what, cryo_error_t *err)
{
  const void *buf;
  size_t size;
  la_int64_t offset;
  int r;

  while ((r = archive_read_data_block (from, &buf, &size, &offset)) == ARCHIVE_OK)
    if (archive_write_data_block (to, buf, size, offset) < ARCHIVE_OK)
      return cryo_error (err, 0, "extract `%s`: %s", what, archive_error_string (to));
  if (r != ARCHIVE_EOF)
    return cryo_error (err, 0, "read `%s`: %s", what, archive_error_string (from));
  return 0;
}

/* Entry names relative to the tmpfs root; the root itself is ".". */
static void
relativize (struct archive_entry *e, const char *source)
{
  const char *p = archive_entry_pathname (e);
  size_t n = strlen (source);

  if (p == NULL || strncmp (p, source, n) != 0)
    return;
  p += n;
  while (*p == '/')
    p++;
  if (*p == '\0')
    archive_entry_set_pathname (e, ".");
  else
    {
      cleanup_free char *rel = xstrdup (p);
      archive_entry_set_pathname (e, rel);
    }
}

static int
archive_tree (struct archive *out, const char *source, cryo_error_t *err)
{
  cleanup_archive_read struct archive *disk = archive_read_disk_new ();
  cleanup_entry struct archive_entry *e = archive_entry_new ();
  int r;

  if (disk == NULL || e == NULL)
    oom ();
  /* Mounts below the tmpfs are separate entries of the mount plan. */
  archive_read_disk_set_behavior (disk, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS | ARCHIVE_READDISK_NO_ACL);
  archive_read_disk_set_symlink_physical (disk);
  if (archive_read_disk_open (disk, source) != ARCHIVE_OK)
    return cryo_error (err, 0, "tmpfs `%s`: %s", source, archive_error_string (disk));
  while ((r = archive_read_next_header2 (disk, e)) == ARCHIVE_OK)
    {
      cleanup_free char *path = xstrdup (archive_entry_pathname (e));
      archive_read_disk_descend (disk);
      relativize (e, source);
      if (archive_entry_filetype (e) == AE_IFSOCK)
        continue; /* a socket's file is recreated by the process that binds it */
      if (archive_write_header (out, e) < ARCHIVE_OK)
        return cryo_error (err, 0, "archive `%s`: %s", path, archive_error_string (out));
      if (archive_entry_filetype (e) == AE_IFREG && copy_to_tar (disk, out, path, err) < 0)
        return -1;
    }
  if (r != ARCHIVE_EOF)
    return cryo_error (err, 0, "tmpfs `%s`: %s", source, archive_error_string (disk));
  return 0;
}

static int
write_tar (int fd, const char *name, const char *source, cryo_error_t *err)
{
  cleanup_archive_write struct archive *a = archive_write_new ();

  if (a == NULL)
    oom ();
  if (archive_write_set_format_pax_restricted (a) != ARCHIVE_OK
      || archive_write_open_fd (a, fd) != ARCHIVE_OK)
    return cryo_error (err, 0, "create `%s`: %s", name, archive_error_string (a));
  if (archive_tree (a, source, err) < 0)
    return -1;
  if (archive_write_close (a) != ARCHIVE_OK)
    return cryo_error (err, 0, "write `%s`: %s", name, archive_error_string (a));
  return 0;
}

int
image_writer_add_tmpfs (struct image_writer *w, const char *destination, const char *source,
                        cryo_error_t *err)
{
  cleanup_free char *name = xasprintf ("%s/%zu.tar", IMAGE_DIR_TMPFS, image_writer_n_tmpfs (w));
  cleanup_close int fd = -1;
  int dirfd = image_writer_dirfd (w);

  if (destination[0] != '/')
    return cryo_error (err, 0, "tmpfs destination `%s`: must be an absolute path", destination);
  if (image_libarchive_load (err) < 0)
    return -1;
  if (image_mkdir_parents_at (dirfd, name, err) < 0)
    return -1;
  fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return cryo_error (err, errno, "create `%s` in the image", name);
  if (write_tar (fd, name, source, err) < 0)
    {
      /* A half-written archive must not become part of the image. */
      unlinkat (dirfd, name, 0);
      return cryo_error_wrap (err, "archive tmpfs `%s`", destination);
    }
  image_writer_add_tmpfs_file (w, destination, name);
  return 0;
}

/* ---- extraction ---- */

#define EXTRACT_FLAGS                                                                                        \
  (ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_XATTR               \
   | ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS                                       \
   | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS)

/* In a child whose working directory is the target: libarchive's checks
 * against ".." and symlinks apply to relative paths, and the target path
 * itself may go through symlinks (/proc/PID/root) that are fine to follow. */
static int
extract_here (int tar_fd, char *msg, size_t msg_size)
{
  struct archive *in = archive_read_new (), *out = archive_write_disk_new ();
  struct archive_entry *e;
  cryo_error_t err = NULL;
  int r;

  archive_read_support_format_tar (in);
  archive_write_disk_set_options (out, EXTRACT_FLAGS);
  if (archive_read_open_fd (in, tar_fd, 1 << 16) != ARCHIVE_OK)
    return snprintf (msg, msg_size, "%s", archive_error_string (in)), -1;
  while ((r = archive_read_next_header (in, &e)) == ARCHIVE_OK)
    {
      if (archive_write_header (out, e) < ARCHIVE_WARN)
        return snprintf (msg, msg_size, "%s: %s", archive_entry_pathname (e), archive_error_string (out)), -1;
      if (archive_entry_size (e) > 0 && copy_to_disk (in, out, archive_entry_pathname (e), &err) < 0)
        return snprintf (msg, msg_size, "%s", err->msg), -1;
      if (archive_write_finish_entry (out) < ARCHIVE_WARN)
        return snprintf (msg, msg_size, "%s: %s", archive_entry_pathname (e), archive_error_string (out)), -1;
    }
  if (r != ARCHIVE_EOF)
    return snprintf (msg, msg_size, "%s", archive_error_string (in)), -1;
  if (archive_write_close (out) != ARCHIVE_OK)
    return snprintf (msg, msg_size, "%s", archive_error_string (out)), -1;
  return 0;
}

static int
extract_in_child (int tar_fd, int target_fd, cryo_error_t *err)
{
  char msg[512] = "";
  int pipefd[2], status;
  ssize_t n;
  pid_t pid;

  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return cryo_error (err, errno, "pipe");
  pid = fork ();
  if (pid < 0)
    {
      close (pipefd[0]);
      close (pipefd[1]);
      return cryo_error (err, errno, "fork");
    }
  if (pid == 0)
    {
      close (pipefd[0]);
      if (fchdir (target_fd) < 0)
        snprintf (msg, sizeof (msg), "chdir: %s", strerror (errno));
      else if (extract_here (tar_fd, msg, sizeof (msg)) == 0)
        _exit (0);
      (void) !write (pipefd[1], msg, strlen (msg));
      _exit (1);
    }
  close (pipefd[1]);
  n = read (pipefd[0], msg, sizeof (msg) - 1);
  close (pipefd[0]);
  msg[n > 0 ? n : 0] = '\0';
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return cryo_error (err, 0, "%s", *msg ? msg : "the extracting process failed");
  return 0;
}

static const char *
tmpfs_file (struct image *img, const char *destination)
{
  const struct image_manifest *m = image_manifest (img);

  for (size_t i = 0; i < m->n_tmpfs; i++)
    if (strcmp (m->tmpfs[i].destination, destination) == 0)
      return m->tmpfs[i].file;
  return NULL;
}

int
image_extract_tmpfs (struct image *img, const char *destination, const char *target, cryo_error_t *err)
{
  const char *name = tmpfs_file (img, destination);
  const struct image_file *f;
  char hex[DIGEST_HEX_SIZE];
  cleanup_close int tar_fd = -1, target_fd = -1;
  uint64_t size;

  if (name == NULL)
    return cryo_error (err, 0, "image `%s`: no tmpfs archived for `%s`", image_path (img), destination);
  if (image_libarchive_load (err) < 0)
    return -1;
  f = manifest_find_file (image_manifest (img), name);
  tar_fd = openat (image_dirfd (img), name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (tar_fd < 0)
    return cryo_error (err, errno, "image `%s`: %s", image_path (img), name);
  /* Check it before anything of it lands in the container. */
  if (digest_fd (tar_fd, name, hex, &size, err) < 0)
    return cryo_error_wrap (err, "image `%s`", image_path (img));
  if (size != f->size || strcmp (hex, f->sha256) != 0)
    return cryo_error (err, 0, "image `%s`: %s: checksum mismatch (file corrupt)", image_path (img), name);
  if (lseek (tar_fd, 0, SEEK_SET) < 0)
    return cryo_error (err, errno, "seek `%s`", name);
  target_fd = open (target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (target_fd < 0)
    return cryo_error (err, errno, "open tmpfs target `%s`", target);
  if (extract_in_child (tar_fd, target_fd, err) < 0)
    return cryo_error_wrap (err, "image `%s`: extract %s into `%s`", image_path (img), name, target);
  return 0;
}
