/* Directory helpers for images: names, listing, removal, and the locked
 * temporary directory every image is built in before it is renamed into
 * place. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_PREFIX "image: "
#include "image/image-internal.h"
#include "lib/log.h"
#include "lib/util.h"

#define NAME_MAX_LEN 4096

const char *
image_name_problem (const char *name)
{
  const char *p = name, *slash;
  size_t len;

  if (name[0] == '\0')
    return "is empty";
  if (name[0] == '/')
    return "is an absolute path";
  if (strlen (name) > NAME_MAX_LEN)
    return "is too long";
  for (const unsigned char *c = (const unsigned char *) name; *c; c++)
    if (*c < 0x20 || *c == 0x7f)
      return "contains a control character";
  for (;;)
    {
      slash = strchr (p, '/');
      len = slash ? (size_t) (slash - p) : strlen (p);
      if (len == 0)
        return "has an empty path component";
      if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
        return "has a `.` or `..` component";
      if (slash == NULL)
        return NULL;
      p = slash + 1;
    }
}

bool
image_is_tmp_name (const char *base)
{
  const char *tag;
  size_t len = strlen (base);

  if (base[0] != '.' || len < 12)
    return false;
  tag = base + len - 11;
  if (strncmp (tag, ".tmp-", 5) != 0)
    return false;
  for (const char *c = tag + 5; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
      return false;
  return true;
}

static int
compare_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
sort_strv (char **v)
{
  if (v)
    qsort (v, strv_len (v), sizeof (char *), compare_str);
}

static int
list_dir (int dirfd, const char *prefix, struct image_listing *out, int depth, cryo_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (depth > 32)
    return cryo_error (err, 0, "`%s`: directories nested too deep", prefix);
  fd = openat (dirfd, *prefix ? prefix : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return cryo_error (err, errno, "open directory `%s`", *prefix ? prefix : ".");
  d = fdopendir (fd);
  if (d == NULL)
    return cryo_error (err, errno, "read directory `%s`", prefix);
  fd = -1;
  while ((errno = 0, de = readdir (d)) != NULL)
    {
      cleanup_free char *name = NULL;
      unsigned char type = de->d_type;
      struct stat st;

      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      name = *prefix ? xasprintf ("%s/%s", prefix, de->d_name) : xstrdup (de->d_name);
      if (type == DT_UNKNOWN)
        type = fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode) ? DT_DIR
               : S_ISREG (st.st_mode)                                                       ? DT_REG
                                                                                            : DT_UNKNOWN;
      if (type == DT_DIR)
        {
          strv_append (&out->dirs, name);
          if (list_dir (dirfd, name, out, depth + 1, err) < 0)
            return -1;
        }
      else
        strv_append (type == DT_REG ? &out->files : &out->others, name);
    }
  if (errno != 0)
    return cryo_error (err, errno, "read directory `%s`", prefix);
  return 0;
}

int
image_list_tree (int dirfd, struct image_listing *out, cryo_error_t *err)
{
  memset (out, 0, sizeof (*out));
  if (list_dir (dirfd, "", out, 0, err) < 0)
    {
      image_listing_release (out);
      return -1;
    }
  sort_strv (out->files);
  sort_strv (out->dirs);
  sort_strv (out->others);
  return 0;
}

void
image_listing_release (struct image_listing *l)
{
  strv_free (l->files);
  strv_free (l->dirs);
  strv_free (l->others);
  memset (l, 0, sizeof (*l));
}

int
image_remove_tree_at (int parent_fd, const char *name, cryo_error_t *err)
{
  cleanup_close int fd = openat (parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0 && errno == ENOTDIR)
    return unlinkat (parent_fd, name, 0) < 0 && errno != ENOENT ? cryo_error (err, errno, "remove `%s`", name)
                                                                : 0;
  if (fd < 0)
    return cryo_error (err, errno, "open `%s`", name);
  d = fdopendir (fd);
  if (d == NULL)
    return cryo_error (err, errno, "read directory `%s`", name);
  fd = -1; /* owned by d now */
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN)
        {
          if (image_remove_tree_at (dirfd (d), de->d_name, err) < 0)
            return -1;
        }
      else if (unlinkat (dirfd (d), de->d_name, 0) < 0 && errno != ENOENT)
        return cryo_error (err, errno, "remove `%s/%s`", name, de->d_name);
    }
  if (unlinkat (parent_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return cryo_error (err, errno, "remove directory `%s`", name);
  return 0;
}

int
image_mkdir_parents_at (int dirfd, const char *name, cryo_error_t *err)
{
  cleanup_free char *copy = xstrdup (name);

  for (char *p = strchr (copy, '/'); p; p = strchr (p + 1, '/'))
    {
      *p = '\0';
      if (mkdirat (dirfd, copy, 0700) < 0 && errno != EEXIST)
        return cryo_error (err, errno, "create directory `%s`", copy);
      *p = '/';
    }
  return 0;
}

/* ---- the temporary directory of an image being written ---- */

static void
random_suffix (char out[7])
{
  static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  unsigned char rnd[6];

  if (getrandom (rnd, sizeof (rnd), 0) != (ssize_t) sizeof (rnd))
    {
      uint64_t x = now_ns () ^ ((uint64_t) getpid () << 32);
      memcpy (rnd, &x, sizeof (rnd));
    }
  for (int i = 0; i < 6; i++)
    out[i] = chars[rnd[i] % (sizeof (chars) - 1)];
  out[6] = '\0';
}

/* What may be replaced: an image (v2 manifest or v1 cryo.json), or an empty
 * directory.  Anything else is somebody's data. */
static bool
dir_is_empty (int fd)
{
  int dup = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  cleanup_dir DIR *d = dup >= 0 ? fdopendir (dup) : NULL;
  struct dirent *de;

  if (d == NULL)
    {
      if (dup >= 0)
        close (dup);
      return false;
    }
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      return false;
  return true;
}

static int
check_replaceable (int parent_fd, const char *name, const char *path, cryo_error_t *err)
{
  cleanup_close int fd = openat (parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

  if (fd < 0)
    return cryo_error (err, 0, "`%s` exists and is not a directory: refusing to replace it", path);
  if (faccessat (fd, IMAGE_MANIFEST, F_OK, AT_SYMLINK_NOFOLLOW) == 0
      || faccessat (fd, "cryo.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0 || dir_is_empty (fd))
    return 0;
  return cryo_error (err, 0, "`%s` exists and is not a cryo image: refusing to replace it", path);
}

static int
check_target (struct image_tmpdir *t, bool *exists, cryo_error_t *err)
{
  struct stat st;

  *exists = fstatat (t->parent_fd, t->name, &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (!*exists)
    return errno == ENOENT ? 0 : cryo_error (err, errno, "stat `%s`", t->path);
  if (!t->replace)
    return cryo_error (err, 0, "image `%s` already exists: remove it, or ask to replace it", t->path);
  return check_replaceable (t->parent_fd, t->name, t->path, err);
}

/* Temporary directories of the same target that no live writer holds. */
static void
remove_stale (struct image_tmpdir *t)
{
  cleanup_free char *prefix = xasprintf (".%s.tmp-", t->name);
  cleanup_dir DIR *d = NULL;
  int fd = openat (t->parent_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct dirent *de;

  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return;
    }
  while ((de = readdir (d)) != NULL)
    {
      cleanup_close int lock = -1;
      cleanup_error cryo_error_t ignored = NULL;

      if (strncmp (de->d_name, prefix, strlen (prefix)) != 0 || strlen (de->d_name) != strlen (prefix) + 6
          || !image_is_tmp_name (de->d_name))
        continue;
      lock = openat (t->parent_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (lock < 0 || flock (lock, LOCK_EX | LOCK_NB) < 0)
        continue;
      (void) image_remove_tree_at (t->parent_fd, de->d_name, &ignored);
    }
}

static int
split_path (const char *path, struct image_tmpdir *t, char **parent, cryo_error_t *err)
{
  cleanup_free char *copy = xstrdup (path);
  size_t len = strlen (copy);
  char *slash;

  while (len > 1 && copy[len - 1] == '/')
    copy[--len] = '\0';
  slash = strrchr (copy, '/');
  t->name = xstrdup (slash ? slash + 1 : copy);
  *parent = slash == NULL ? xstrdup (".") : slash == copy ? xstrdup ("/") : xstrndup (copy, slash - copy);
  if (t->name[0] == '\0' || strcmp (t->name, ".") == 0 || strcmp (t->name, "..") == 0)
    return cryo_error (err, 0, "`%s`: not a usable image path (name a new directory)", path);
  if (image_is_tmp_name (t->name))
    return cryo_error (err, 0, "`%s`: names a temporary directory of an image writer", path);
  return 0;
}

static int
create_locked (struct image_tmpdir *t, cryo_error_t *err)
{
  for (int attempt = 0; attempt < 100; attempt++)
    {
      char suffix[7];
      struct stat st;

      random_suffix (suffix);
      free (t->tmp_name);
      t->tmp_name = xasprintf (".%s.tmp-%s", t->name, suffix);
      if (mkdirat (t->parent_fd, t->tmp_name, 0700) < 0)
        {
          if (errno == EEXIST)
            continue;
          return cryo_error (err, errno, "create `%s` next to `%s`", t->tmp_name, t->path);
        }
      t->fd = openat (t->parent_fd, t->tmp_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (t->fd < 0)
        return cryo_error (err, errno, "open `%s`", t->tmp_name);
      /* Another writer's stale-directory sweep may have taken it between
       * mkdir and flock: then it is gone (or going), so pick a new name. */
      if (flock (t->fd, LOCK_EX | LOCK_NB) == 0 && fstat (t->fd, &st) == 0 && st.st_nlink > 0)
        return 0;
      close (t->fd);
      t->fd = -1;
    }
  return cryo_error (err, 0, "create a temporary directory next to `%s`: too many attempts", t->path);
}

int
image_tmpdir_begin (const char *path, bool replace, struct image_tmpdir *t, cryo_error_t *err)
{
  cleanup_free char *parent = NULL;
  bool exists;

  memset (t, 0, sizeof (*t));
  t->parent_fd = t->fd = -1;
  t->replace = replace;
  t->path = xstrdup (path);
  if (split_path (path, t, &parent, err) < 0)
    return -1;
  t->parent_fd = open (parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (t->parent_fd < 0)
    return cryo_error (err, errno, "open directory `%s`", parent);
  if (check_target (t, &exists, err) < 0)
    return -1;
  remove_stale (t);
  if (create_locked (t, err) < 0)
    return -1;
  t->tmp_path = xasprintf ("%s/%s", parent, t->tmp_name);
  return 0;
}

static int
fsync_dirs (struct image_tmpdir *t, cryo_error_t *err)
{
  struct image_listing l;
  int ret = 0;

  if (image_list_tree (t->fd, &l, err) < 0)
    return -1;
  for (size_t i = 0; ret == 0 && l.dirs && l.dirs[i]; i++)
    {
      cleanup_close int fd = openat (t->fd, l.dirs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 || fsync (fd) < 0)
        ret = cryo_error (err, errno, "fsync `%s`", l.dirs[i]);
    }
  image_listing_release (&l);
  if (ret == 0 && fsync (t->fd) < 0)
    ret = cryo_error (err, errno, "fsync `%s`", t->tmp_path);
  return ret;
}

/* Swap the new image with the old one, then remove the old one (which now
 * has the temporary name: if we die before removing it, the next writer's
 * sweep does). */
static int
rename_replacing (struct image_tmpdir *t, cryo_error_t *err)
{
  cleanup_error cryo_error_t rm_err = NULL;

  if (check_replaceable (t->parent_fd, t->name, t->path, err) < 0)
    return -1;
  if (renameat2 (t->parent_fd, t->tmp_name, t->parent_fd, t->name, RENAME_EXCHANGE) < 0)
    return cryo_error (err, errno, "replace `%s`", t->path);
  t->committed = true;
  if (t->keep_replaced)
    {
      t->has_replaced = true;
      return 0;
    }
  if (image_remove_tree_at (t->parent_fd, t->tmp_name, &rm_err) < 0)
    log_warning ("the replaced image is left at `%s`: %s", t->tmp_name, rm_err->msg);
  return 0;
}

int
image_tmpdir_commit (struct image_tmpdir *t, cryo_error_t *err)
{
  struct stat st;

  if (fsync_dirs (t, err) < 0)
    return -1;
  if (t->replace && fstatat (t->parent_fd, t->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      if (rename_replacing (t, err) < 0)
        return -1;
    }
  else if (renameat2 (t->parent_fd, t->tmp_name, t->parent_fd, t->name, RENAME_NOREPLACE) < 0)
    {
      if (errno == EEXIST || errno == ENOTEMPTY)
        return cryo_error (err, 0, "image `%s` already exists: remove it, or ask to replace it", t->path);
      return cryo_error (err, errno, "rename `%s` to `%s`", t->tmp_path, t->path);
    }
  t->committed = true;
  if (fsync (t->parent_fd) < 0)
    return cryo_error (err, errno, "fsync the directory of `%s`", t->path);
  return 0;
}

int
image_tmpdir_unreplace (struct image_tmpdir *t, cryo_error_t *err)
{
  if (renameat2 (t->parent_fd, t->tmp_name, t->parent_fd, t->name, RENAME_EXCHANGE) < 0)
    return cryo_error (err, errno, "put the replaced image back at `%s`", t->path);
  t->has_replaced = false;
  t->committed = false;
  if (fsync (t->parent_fd) < 0)
    return cryo_error (err, errno, "fsync the directory of `%s`", t->path);
  return 0;
}

void
image_tmpdir_release (struct image_tmpdir *t)
{
  struct stat mine, there;

  if (t->committed && t->has_replaced)
    {
      cleanup_error cryo_error_t rm_err = NULL;
      if (image_remove_tree_at (t->parent_fd, t->tmp_name, &rm_err) < 0)
        log_warning ("the replaced image is left at `%s`: %s", t->tmp_name, rm_err->msg);
    }

  /* Remove only what is still our directory under the temporary name. */
  if (!t->committed && t->fd >= 0 && t->tmp_name && fstat (t->fd, &mine) == 0
      && fstatat (t->parent_fd, t->tmp_name, &there, AT_SYMLINK_NOFOLLOW) == 0 && mine.st_ino == there.st_ino
      && mine.st_dev == there.st_dev)
    {
      cleanup_error cryo_error_t ignored = NULL;
      (void) image_remove_tree_at (t->parent_fd, t->tmp_name, &ignored);
    }
  if (t->fd >= 0)
    close (t->fd);
  if (t->parent_fd >= 0)
    close (t->parent_fd);
  free (t->path);
  free (t->name);
  free (t->tmp_name);
  free (t->tmp_path);
  memset (t, 0, sizeof (*t));
  t->fd = t->parent_fd = -1;
}
