/* tmpcopyup: a recursive copy, with metadata, from a directory fd of the
 * rootfs into a new tmpfs.  See copyup.h. */
#define LOG_PREFIX "copyup: "
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/log.h"
#include "ns/copyup.h"
#include "lib/util.h"

/* A copied file with more than one link: later names link to it. */
struct copy_link
{
  dev_t dev;
  ino_t ino;
  char *path; /* relative to the destination root */
};

struct copy_ctx
{
  int dst_root;
  struct copy_link *links;
  size_t n_links;
};

/* Where a node's extended attributes are read or written: its fd, or, for
 * symlinks and device nodes (never opened), its name under a directory fd
 * through /proc/self/fd, with the l*xattr calls that do not follow it. */
struct xnode
{
  int fd;
  char *path;
};

static ssize_t
x_list (const struct xnode *x, char *buf, size_t n)
{
  return x->path ? llistxattr (x->path, buf, n) : flistxattr (x->fd, buf, n);
}

static ssize_t
x_get (const struct xnode *x, const char *name, void *buf, size_t n)
{
  return x->path ? lgetxattr (x->path, name, buf, n) : fgetxattr (x->fd, name, buf, n);
}

static int
x_set (const struct xnode *x, const char *name, const void *buf, size_t n)
{
  return x->path ? lsetxattr (x->path, name, buf, n, 0) : fsetxattr (x->fd, name, buf, n, 0);
}

/* The whole list or value: sized first, again if it grew meanwhile. */
static ssize_t
x_read (const struct xnode *x, const char *name, char **out)
{
  int tries;
  for (tries = 0; tries < 8; tries++)
    {
      ssize_t n = name ? x_get (x, name, NULL, 0) : x_list (x, NULL, 0);
      if (n <= 0)
        return n;
      free (*out);
      *out = xmalloc ((size_t) n);
      n = name ? x_get (x, name, *out, (size_t) n) : x_list (x, *out, (size_t) n);
      if (n >= 0 || errno != ERANGE)
        return n;
    }
  errno = ERANGE;
  return -1;
}

static bool
xattr_unsupported (int e)
{
  return e == EOPNOTSUPP || e == ENOTSUP;
}

static int
copy_xattrs (const struct xnode *s, const struct xnode *d, const char *rel, cryo_error_t *err)
{
  cleanup_free char *names = NULL, *value = NULL;
  ssize_t len = x_read (s, NULL, &names);
  char *name;

  if (len < 0 && xattr_unsupported (errno))
    return 0;
  if (len < 0)
    return cryo_error (err, errno, "list the extended attributes of `%s`", rel);
  for (name = names; len > 0 && name < names + len; name += strlen (name) + 1)
    {
      ssize_t n = x_read (s, name, &value);
      if (n < 0 && errno == ENODATA)
        continue; /* removed meanwhile */
      if (n < 0)
        return cryo_error (err, errno, "read the extended attribute `%s` of `%s`", name, rel);
      if (x_set (d, name, n ? value : "", (size_t) n) == 0)
        continue;
      /* trusted.* in a user namespace, or a name the tmpfs has no handler for */
      if (errno != EPERM && !xattr_unsupported (errno))
        return cryo_error (err, errno, "copy the extended attribute `%s` of `%s`", name, rel);
      log_warning ("the tmpfs does not take the extended attribute `%s` of `%s`: %s", name, rel,
                   strerror (errno));
    }
  return 0;
}

/* chown's result: an owner this user namespace does not map stays root's. */
static int
owner_done (int ret, const struct stat *st, const char *rel, cryo_error_t *err)
{
  if (ret == 0)
    return 0;
  if (errno != EINVAL)
    return cryo_error (err, errno, "chown `%s` to %u:%u", rel, (unsigned) st->st_uid,
                       (unsigned) st->st_gid);
  log_warning ("`%s`: the owner %u:%u is not mapped in the container's user namespace", rel,
               (unsigned) st->st_uid, (unsigned) st->st_gid);
  return 0;
}

/* Owner before mode (chown clears set-id bits), extended attributes after
 * both (chown drops security.capability), times last. */
static int
meta_fd (int s, int d, const struct stat *st, unsigned keep, const char *rel, cryo_error_t *err)
{
  const struct timespec ts[2] = { st->st_atim, st->st_mtim };

  if (!(keep & COPYUP_KEEP_OWNER) && owner_done (fchown (d, st->st_uid, st->st_gid), st, rel, err) < 0)
    return -1;
  if (!(keep & COPYUP_KEEP_MODE) && fchmod (d, st->st_mode & 07777) < 0)
    return cryo_error (err, errno, "chmod `%s`", rel);
  if (copy_xattrs (&(struct xnode){ s, NULL }, &(struct xnode){ d, NULL }, rel, err) < 0)
    return -1;
  if (futimens (d, ts) < 0)
    return cryo_error (err, errno, "set the times of `%s`", rel);
  return 0;
}

/* The same for a symlink or a node, by name: they are never opened. */
static int
meta_name (int s, int d, const char *name, const struct stat *st, const char *rel, cryo_error_t *err)
{
  const struct timespec ts[2] = { st->st_atim, st->st_mtim };
  cleanup_free char *spath = xasprintf ("/proc/self/fd/%d/%s", s, name);
  cleanup_free char *dpath = xasprintf ("/proc/self/fd/%d/%s", d, name);

  if (owner_done (fchownat (d, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW), st, rel, err) < 0)
    return -1;
  /* a node of our own, in a tmpfs nobody else sees yet: not a symlink */
  if (!S_ISLNK (st->st_mode) && fchmodat (d, name, st->st_mode & 07777, 0) < 0)
    return cryo_error (err, errno, "chmod `%s`", rel);
  if (copy_xattrs (&(struct xnode){ -1, spath }, &(struct xnode){ -1, dpath }, rel, err) < 0)
    return -1;
  if (utimensat (d, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return cryo_error (err, errno, "set the times of `%s`", rel);
  return 0;
}

static int
copy_data (int s, int d, const char *rel, cryo_error_t *err)
{
  ssize_t n;

  /* copy_file_range refuses most pairs of file system types (EXDEV) */
  do
    n = copy_file_range (s, NULL, d, NULL, 1 << 30, 0);
  while (n > 0);
  if (n == 0)
    return 0;
  if (errno != EXDEV && errno != EINVAL && errno != EOPNOTSUPP && errno != ENOSYS)
    return cryo_error (err, errno, "copy `%s`", rel);
  do
    n = sendfile (d, s, NULL, 1 << 30);
  while (n > 0);
  if (n < 0)
    return cryo_error (err, errno, "copy `%s`", rel);
  return 0;
}

static struct copy_link *
find_link (struct copy_ctx *c, const struct stat *st)
{
  size_t i;
  for (i = 0; i < c->n_links; i++)
    if (c->links[i].dev == st->st_dev && c->links[i].ino == st->st_ino)
      return &c->links[i];
  return NULL;
}

static int
copy_file (struct copy_ctx *c, int s, int d, const char *name, const struct stat *st,
           const char *rel, cryo_error_t *err)
{
  struct copy_link *link = st->st_nlink > 1 ? find_link (c, st) : NULL;
  cleanup_close int sf = -1, df = -1;
  struct stat now;

  if (link)
    {
      if (linkat (c->dst_root, link->path, d, name, 0) < 0)
        return cryo_error (err, errno, "link `%s` to `%s`", rel, link->path);
      return 0;
    }
  /* O_NONBLOCK: a fifo swapped in after the stat must not block the open */
  sf = openat (s, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (sf < 0 || fstat (sf, &now) < 0)
    return cryo_error (err, errno, "open `%s`", rel);
  if (!S_ISREG (now.st_mode) || now.st_ino != st->st_ino || now.st_dev != st->st_dev)
    return cryo_error (err, EAGAIN, "`%s` changed while it was copied", rel);
  df = openat (d, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (df < 0)
    return cryo_error (err, errno, "create `%s`", rel);
  if (copy_data (sf, df, rel, err) < 0 || meta_fd (sf, df, &now, 0, rel, err) < 0)
    return -1;
  if (st->st_nlink > 1)
    {
      c->links = xreallocarray (c->links, c->n_links + 1, sizeof (*c->links));
      c->links[c->n_links++] = (struct copy_link){ st->st_dev, st->st_ino, xstrdup (rel) };
    }
  return 0;
}

static int
copy_symlink (int s, int d, const char *name, const struct stat *st, const char *rel,
              cryo_error_t *err)
{
  char target[PATH_MAX];
  ssize_t n = readlinkat (s, name, target, sizeof (target) - 1);

  if (n < 0)
    return cryo_error (err, errno, "read the symlink `%s`", rel);
  target[n] = '\0';
  if (symlinkat (target, d, name) < 0)
    return cryo_error (err, errno, "create the symlink `%s`", rel);
  return meta_name (s, d, name, st, rel, err);
}

static int
copy_node (int s, int d, const char *name, const struct stat *st, const char *rel,
           cryo_error_t *err)
{
  if (mknodat (d, name, (st->st_mode & S_IFMT) | 0600, st->st_rdev) < 0)
    return cryo_error (err, errno, "create the node `%s`", rel);
  return meta_name (s, d, name, st, rel, err);
}

static int copy_dir (struct copy_ctx *c, int s, int d, const char *rel, cryo_error_t *err);

static int
copy_subdir (struct copy_ctx *c, int s, int d, const char *name, const struct stat *st,
             const char *rel, cryo_error_t *err)
{
  cleanup_close int sd = openat (s, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_close int dd = -1;
  struct stat now;

  if (sd < 0 || fstat (sd, &now) < 0)
    return cryo_error (err, errno, "open `%s`", rel);
  if (now.st_ino != st->st_ino || now.st_dev != st->st_dev)
    return cryo_error (err, EAGAIN, "`%s` changed while it was copied", rel);
  if (mkdirat (d, name, 0700) < 0)
    return cryo_error (err, errno, "create the directory `%s`", rel);
  dd = openat (d, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dd < 0)
    return cryo_error (err, errno, "open the new directory `%s`", rel);
  if (copy_dir (c, sd, dd, rel, err) < 0)
    return -1;
  return meta_fd (sd, dd, &now, 0, rel, err);
}

static int
copy_entry (struct copy_ctx *c, int s, int d, const char *name, const char *rel, cryo_error_t *err)
{
  struct stat st;

  if (fstatat (s, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return cryo_error (err, errno, "stat `%s`", rel);
  switch (st.st_mode & S_IFMT)
    {
    case S_IFDIR:
      return copy_subdir (c, s, d, name, &st, rel, err);
    case S_IFREG:
      return copy_file (c, s, d, name, &st, rel, err);
    case S_IFLNK:
      return copy_symlink (s, d, name, &st, rel, err);
    case S_IFCHR:
    case S_IFBLK:
    case S_IFIFO:
    case S_IFSOCK:
      return copy_node (s, d, name, &st, rel, err);
    default:
      return cryo_error (err, 0, "`%s` has an unknown file type %#o", rel,
                         (unsigned) (st.st_mode & S_IFMT));
    }
}

static int
copy_dir (struct copy_ctx *c, int s, int d, const char *rel, cryo_error_t *err)
{
  cleanup_dir DIR *dir = NULL;
  struct dirent *de;
  int fd = fcntl (s, F_DUPFD_CLOEXEC, 0);

  if (fd < 0 || (dir = fdopendir (fd)) == NULL)
    {
      int e = errno;
      if (fd >= 0)
        close (fd);
      return cryo_error (err, e, "read the directory `%s`", *rel ? rel : ".");
    }
  for (errno = 0; (de = readdir (dir)) != NULL; errno = 0)
    {
      cleanup_free char *child = NULL;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      child = *rel ? xasprintf ("%s/%s", rel, de->d_name) : xstrdup (de->d_name);
      if (copy_entry (c, s, d, de->d_name, child, err) < 0)
        return -1;
    }
  if (errno)
    return cryo_error (err, errno, "read the directory `%s`", *rel ? rel : ".");
  return 0;
}

int
copyup_tree (int src, int dst, unsigned keep, cryo_error_t *err)
{
  struct copy_ctx c = { .dst_root = dst };
  cleanup_close int root = openat (dst, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat st;
  size_t i;
  int ret;

  if (root < 0)
    return cryo_error (err, errno, "open the new tmpfs");
  if (fstat (src, &st) < 0)
    return cryo_error (err, errno, "stat the directory to copy");
  ret = copy_dir (&c, src, root, "", err);
  /* the root last: its times changed with every name made in it */
  if (ret == 0)
    ret = meta_fd (src, root, &st, keep, ".", err);
  for (i = 0; i < c.n_links; i++)
    free (c.links[i].path);
  free (c.links);
  return ret;
}
