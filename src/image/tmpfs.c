/* tmpfs contents: CRIU does not see tmpfs mounts that cryo sets up and
 * restores itself, so cryo archives their contents (tmpfs/<n>.tree, see
 * tree.h) and brings them back on restore.  An empty tmpfs is archived
 * too: its root's mode, owner, times and xattrs may have changed since the
 * mount.
 *
 * Format 2 images held pax tar archives (tmpfs/<n>.tar); `cryo image
 * convert` turns them into tree archives with libarchive, the only use of
 * it left on this path. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/archive-util.h"
#include "image/digest.h"
#include "image/image-internal.h"
#include "image/tree.h"
#include "lib/util.h"

int
image_writer_add_tmpfs (struct image_writer *w, const char *destination, const char *source,
                        cryo_error_t *err)
{
  cleanup_free char *name = xasprintf ("%s/%zu%s", IMAGE_DIR_TMPFS, image_writer_n_tmpfs (w), TREE_SUFFIX);
  cleanup_close int src = -1, fd = -1;
  int dirfd = image_writer_dirfd (w);

  if (destination[0] != '/')
    return cryo_error (err, 0, "tmpfs destination `%s`: must be an absolute path", destination);
  src = open (source, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (src < 0)
    return cryo_error (err, errno, "archive tmpfs `%s`: open `%s`", destination, source);
  if (image_mkdir_parents_at (dirfd, name, err) < 0)
    return -1;
  fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return cryo_error (err, errno, "create `%s` in the image", name);
  if (tree_write (src, source, fd, NULL, err) < 0)
    {
      /* A half-written archive must not become part of the image. */
      unlinkat (dirfd, name, 0);
      return cryo_error_wrap (err, "archive tmpfs `%s`", destination);
    }
  image_writer_add_tmpfs_file (w, destination, name);
  return 0;
}

static const struct image_tmpfs *
tmpfs_entry (struct image *img, const char *destination)
{
  const struct image_manifest *m = image_manifest (img);

  for (size_t i = 0; i < m->n_tmpfs; i++)
    if (strcmp (m->tmpfs[i].destination, destination) == 0)
      return &m->tmpfs[i];
  return NULL;
}

int
image_extract_tmpfs (struct image *img, const char *destination, const char *target, cryo_error_t *err)
{
  const struct image_tmpfs *t = tmpfs_entry (img, destination);
  const struct image_file *f;
  char hex[DIGEST_HEX_SIZE];
  cleanup_close int fd = -1, target_fd = -1;
  uint64_t size;

  if (t == NULL)
    return cryo_error (err, 0, "image `%s`: no tmpfs archived for `%s`", image_path (img), destination);
  f = manifest_find_file (image_manifest (img), t->file);
  fd = openat (image_dirfd (img), t->file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return cryo_error (err, errno, "image `%s`: %s", image_path (img), t->file);
  /* Check it before anything of it lands in the container. */
  if (digest_fd (fd, t->file, f->alg, f->chunk_size, hex, &size, err) < 0)
    return cryo_error_wrap (err, "image `%s`", image_path (img));
  if (size != f->size || strcmp (hex, f->checksum) != 0)
    return cryo_error (err, 0, "image `%s`: %s: checksum mismatch (file corrupt)", image_path (img), t->file);
  target_fd = open (target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (target_fd < 0)
    return cryo_error (err, errno, "open tmpfs target `%s`", target);
  if (tree_extract (fd, t->file, target_fd, err) < 0)
    return cryo_error_wrap (err, "image `%s`: extract into `%s`", image_path (img), target);
  return 0;
}

/* ---- format 2 tar archives, for `cryo image convert` ---- */

#define EXTRACT_FLAGS                                                                                        \
  (ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_XATTR               \
   | ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS                                       \
   | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS)

/* Onto the disk: blocks at their offsets, so sparse files stay sparse. */
static int
copy_to_disk (struct archive *from, struct archive *to, const char *what, char *msg, size_t msg_size)
{
  const void *buf;
  size_t size;
  la_int64_t offset;
  int r;

  while ((r = archive_read_data_block (from, &buf, &size, &offset)) == ARCHIVE_OK)
    if (archive_write_data_block (to, buf, size, offset) < ARCHIVE_OK)
      return snprintf (msg, msg_size, "extract `%s`: %s", what, archive_error_string (to)), -1;
  if (r != ARCHIVE_EOF)
    return snprintf (msg, msg_size, "read `%s`: %s", what, archive_error_string (from)), -1;
  return 0;
}

/* Into the working directory: libarchive's checks against ".." and
 * symlinks apply to relative paths. */
static int
extract_here (int tar_fd, char *msg, size_t msg_size)
{
  struct archive *in = archive_read_new (), *out = archive_write_disk_new ();
  struct archive_entry *e;
  int r;

  archive_read_support_format_tar (in);
  archive_write_disk_set_options (out, EXTRACT_FLAGS);
  if (archive_read_open_fd (in, tar_fd, 1 << 16) != ARCHIVE_OK)
    return snprintf (msg, msg_size, "%s", archive_error_string (in)), -1;
  while ((r = archive_read_next_header (in, &e)) == ARCHIVE_OK)
    {
      const char *p = archive_entry_pathname (e);
      if (archive_write_header (out, e) < ARCHIVE_WARN)
        return snprintf (msg, msg_size, "%s: %s", p, archive_error_string (out)), -1;
      if (archive_entry_size (e) > 0 && copy_to_disk (in, out, p, msg, msg_size) < 0)
        return -1;
      if (archive_write_finish_entry (out) < ARCHIVE_WARN)
        return snprintf (msg, msg_size, "%s: %s", p, archive_error_string (out)), -1;
    }
  if (r != ARCHIVE_EOF)
    return snprintf (msg, msg_size, "%s", archive_error_string (in)), -1;
  if (archive_write_close (out) != ARCHIVE_OK)
    return snprintf (msg, msg_size, "%s", archive_error_string (out)), -1;
  return 0;
}

/* The child: a private mount namespace with a tmpfs on @scratch (gone
 * with the child), the tar extracted there, then archived as a tree. */
static int
tar_to_tree_child (int tar_fd, const char *scratch, int out_fd, char *msg, size_t msg_size)
{
  cryo_error_t err = NULL;
  int src;

  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0
      || mount ("tmpfs", scratch, "tmpfs", MS_NOSUID, "mode=0700") < 0 || chdir (scratch) < 0)
    return snprintf (msg, msg_size, "private tmpfs on `%s`: %s", scratch, strerror (errno)), -1;
  if (extract_here (tar_fd, msg, msg_size) < 0)
    return -1;
  src = open (".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (src < 0 || tree_write (src, scratch, out_fd, NULL, &err) < 0)
    {
      snprintf (msg, msg_size, "%s", err ? err->msg : strerror (errno));
      return -1;
    }
  return 0;
}

static int
run_tar_to_tree (int tar_fd, const char *scratch, int out_fd, cryo_error_t *err)
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
      if (tar_to_tree_child (tar_fd, scratch, out_fd, msg, sizeof msg) == 0)
        _exit (0);
      (void)!write (pipefd[1], msg, strlen (msg));
      _exit (1);
    }
  close (pipefd[1]);
  n = read (pipefd[0], msg, sizeof (msg) - 1);
  close (pipefd[0]);
  msg[n > 0 ? n : 0] = '\0';
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return cryo_error (err, 0, "%s", *msg ? msg : "the converting process failed");
  return 0;
}

int
image_tmpfs_tar_to_tree (int src_dirfd, const char *tar, int dst_dirfd, const char *dst_path,
                         const char *tree, cryo_error_t *err)
{
  cleanup_free char *scratch_name = xasprintf ("%s.scratch", tree);
  cleanup_free char *scratch = xasprintf ("%s/%s", dst_path, scratch_name);
  cleanup_close int tar_fd = -1, out_fd = -1;
  int ret;

  if (image_libarchive_load (err) < 0)
    return -1;
  tar_fd = openat (src_dirfd, tar, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (tar_fd < 0)
    return cryo_error (err, errno, "open `%s`", tar);
  if (image_mkdir_parents_at (dst_dirfd, tree, err) < 0)
    return -1;
  out_fd = openat (dst_dirfd, tree, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out_fd < 0)
    return cryo_error (err, errno, "create `%s`", tree);
  if (mkdirat (dst_dirfd, scratch_name, 0700) < 0)
    return cryo_error (err, errno, "create `%s`", scratch);
  ret = run_tar_to_tree (tar_fd, scratch, out_fd, err);
  unlinkat (dst_dirfd, scratch_name, AT_REMOVEDIR);
  if (ret < 0)
    return cryo_error_wrap (err, "convert `%s`", tar);
  return 0;
}
