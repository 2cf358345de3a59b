/* Writing a tmpfs archive (tree.h): a pre-order walk, one fixed-size
 * header per entry, then its path, link target, xattrs, data extents and
 * data.  Runs while the container is frozen, so it stays in one pass with
 * buffered headers and sendfile() for the contents. */
#include "config.h"

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define LOG_PREFIX "image: "
#include "image/tree.h"
#include "lib/log.h"
#include "lib/util.h"

#define BUF_SIZE (1 << 16)

static void
put32 (unsigned char *p, uint32_t v)
{
  v = htole32 (v);
  memcpy (p, &v, 4);
}

static void
put64 (unsigned char *p, uint64_t v)
{
  v = htole64 (v);
  memcpy (p, &v, 8);
}

void
tree_entry_encode (const struct tree_entry *e, unsigned char out[TREE_ENTRY_SIZE])
{
  memset (out, 0, TREE_ENTRY_SIZE);
  out[0] = (unsigned char)e->type;
  put32 (out + 4, e->mode);
  put32 (out + 8, e->uid);
  put32 (out + 12, e->gid);
  put32 (out + 16, e->rdev_major);
  put32 (out + 20, e->rdev_minor);
  put64 (out + 24, (uint64_t)e->atime_sec);
  put64 (out + 32, (uint64_t)e->mtime_sec);
  put32 (out + 40, e->atime_nsec);
  put32 (out + 44, e->mtime_nsec);
  put32 (out + 48, e->path_len);
  put32 (out + 52, e->link_len);
  put32 (out + 56, e->n_xattrs);
  put32 (out + 60, e->n_extents);
  put64 (out + 64, e->size);
}

/* A growable byte buffer for an entry's xattrs and extents. */
struct bytes
{
  unsigned char *p;
  size_t len, cap;
};

static void
bytes_add (struct bytes *b, const void *data, size_t n)
{
  if (b->len + n > b->cap)
    {
      b->cap = (b->len + n) * 2;
      b->p = xrealloc (b->p, b->cap);
    }
  memcpy (b->p + b->len, data, n);
  b->len += n;
}

static void
bytes_add64 (struct bytes *b, uint64_t v)
{
  unsigned char x[8];
  put64 (x, v);
  bytes_add (b, x, 8);
}

struct seen_link
{
  uint64_t ino;
  char *path;
};

struct tw
{
  int out;
  const char *what;
  struct tree_stats *st;
  cryo_error_t *err;
  uint32_t dev_major, dev_minor; /* the tmpfs: anything else is a mount below it */
  struct seen_link *links;
  size_t n_links;
  char path[TREE_MAX_PATH + 1]; /* of the current entry, relative */
  size_t buf_len;
  unsigned char buf[BUF_SIZE];
};

static int
tw_flush (struct tw *w)
{
  if (w->buf_len && write_all (w->out, w->buf, w->buf_len) < 0)
    return cryo_error (w->err, errno, "write the archive of `%s`", w->what);
  w->buf_len = 0;
  return 0;
}

static int
tw_put (struct tw *w, const void *data, size_t n)
{
  if (n == 0) /* an empty name or value may come as NULL: memcpy must not see it */
    return 0;
  if (w->buf_len + n > sizeof (w->buf) && tw_flush (w) < 0)
    return -1;
  if (n > sizeof (w->buf))
    return write_all (w->out, data, n) < 0 ? cryo_error (w->err, errno, "write the archive of `%s`", w->what)
                                           : 0;
  memcpy (w->buf + w->buf_len, data, n);
  w->buf_len += n;
  return 0;
}

/* Every xattr of the entry: through @fd when there is one, else by path
 * (without following a symlink).  Each as u32 name length, u32 value
 * length, name, value. */
static int
collect_xattrs (struct tw *w, int fd, const char *path, struct bytes *out, uint32_t *n)
{
  cleanup_free char *names = NULL;
  ssize_t len = fd >= 0 ? flistxattr (fd, NULL, 0) : llistxattr (path, NULL, 0);
  unsigned char value[TREE_MAX_XATTR_VALUE];

  *n = 0;
  if (len < 0 && (errno == ENOTSUP || errno == ENODATA))
    return 0;
  if (len < 0)
    return cryo_error (w->err, errno, "`%s/%s`: list xattrs", w->what, w->path);
  if (len == 0)
    return 0;
  names = xmalloc (len);
  len = fd >= 0 ? flistxattr (fd, names, len) : llistxattr (path, names, len);
  if (len < 0)
    return cryo_error (w->err, errno, "`%s/%s`: list xattrs", w->what, w->path);
  for (char *name = names; name < names + len; name += strlen (name) + 1)
    {
      ssize_t vlen
          = fd >= 0 ? fgetxattr (fd, name, value, sizeof value) : lgetxattr (path, name, value, sizeof value);
      unsigned char lens[8];
      if (vlen < 0 && errno == ENODATA)
        continue; /* removed since the listing */
      if (vlen < 0)
        return cryo_error (w->err, errno, "`%s/%s`: read xattr `%s`", w->what, w->path, name);
      put32 (lens, (uint32_t)strlen (name));
      put32 (lens + 4, (uint32_t)vlen);
      bytes_add (out, lens, 8);
      bytes_add (out, name, strlen (name));
      bytes_add (out, value, vlen);
      if (++*n > TREE_MAX_XATTRS)
        return cryo_error (w->err, 0, "`%s/%s`: more than %d xattrs", w->what, w->path, TREE_MAX_XATTRS);
    }
  return 0;
}

/* The data extents of a regular file: SEEK_DATA/SEEK_HOLE, so holes stay
 * holes (and take no room in the archive). */
static int
collect_extents (struct tw *w, int fd, uint64_t size, struct bytes *out, uint32_t *n, uint64_t *total)
{
  off_t pos = 0;

  *n = 0;
  *total = 0;
  while ((uint64_t)pos < size)
    {
      off_t data = lseek (fd, pos, SEEK_DATA), hole;
      if (data < 0 && errno == ENXIO)
        break;
      if (data < 0 && errno == EINVAL && pos == 0)
        data = 0; /* no hole support: all data */
      else if (data < 0)
        return cryo_error (w->err, errno, "`%s/%s`: seek", w->what, w->path);
      if ((uint64_t)data >= size)
        break;
      hole = lseek (fd, data, SEEK_HOLE);
      if (hole < 0 || (uint64_t)hole > size)
        hole = (off_t)size;
      bytes_add64 (out, (uint64_t)data);
      bytes_add64 (out, (uint64_t)(hole - data));
      *total += (uint64_t)(hole - data);
      (*n)++;
      pos = hole;
    }
  return 0;
}

static int
copy_extents (struct tw *w, int fd, const struct bytes *ext, uint32_t n)
{
  if (tw_flush (w) < 0)
    return -1;
  for (uint32_t i = 0; i < n; i++)
    {
      uint64_t off, len;
      memcpy (&off, ext->p + 16 * i, 8);
      memcpy (&len, ext->p + 16 * i + 8, 8);
      off = le64toh (off);
      len = le64toh (len);
      while (len > 0)
        {
          off_t o = (off_t)off;
          ssize_t r = sendfile (w->out, fd, &o, len > (1u << 30) ? (1u << 30) : len);
          if (r < 0 && errno == EINTR)
            continue;
          if (r < 0)
            return cryo_error (w->err, errno, "`%s/%s`: copy into the archive", w->what, w->path);
          if (r == 0)
            return cryo_error (w->err, 0, "`%s/%s`: file shrank while it was archived", w->what, w->path);
          off += (uint64_t)r;
          len -= (uint64_t)r;
        }
    }
  return 0;
}

/* Header, path, link target, xattrs, extents; the caller copies data. */
static int
emit (struct tw *w, struct tree_entry *e, const char *link, const struct bytes *xattrs,
      const struct bytes *ext)
{
  unsigned char head[TREE_ENTRY_SIZE];

  e->path_len = (uint32_t)strlen (w->path);
  e->link_len = link ? (uint32_t)strlen (link) : 0;
  tree_entry_encode (e, head);
  if (tw_put (w, head, sizeof head) < 0 || tw_put (w, w->path, e->path_len) < 0
      || (link && tw_put (w, link, e->link_len) < 0) || (xattrs && tw_put (w, xattrs->p, xattrs->len) < 0)
      || (ext && tw_put (w, ext->p, ext->len) < 0))
    return -1;
  w->st->entries++;
  return 0;
}

static void
entry_from_statx (struct tree_entry *e, char type, const struct statx *stx)
{
  memset (e, 0, sizeof *e);
  e->type = type;
  e->mode = stx->stx_mode & 07777;
  e->uid = stx->stx_uid;
  e->gid = stx->stx_gid;
  e->rdev_major = stx->stx_rdev_major;
  e->rdev_minor = stx->stx_rdev_minor;
  e->atime_sec = stx->stx_atime.tv_sec;
  e->atime_nsec = stx->stx_atime.tv_nsec;
  e->mtime_sec = stx->stx_mtime.tv_sec;
  e->mtime_nsec = stx->stx_mtime.tv_nsec;
}

static bool
is_mount (struct tw *w, const struct statx *stx)
{
  if ((stx->stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx->stx_attributes & STATX_ATTR_MOUNT_ROOT))
    return true;
  return stx->stx_dev_major != w->dev_major || stx->stx_dev_minor != w->dev_minor;
}

static int walk (struct tw *w, int dirfd);

static int
put_dir (struct tw *w, int dirfd, const char *name, const struct statx *stx)
{
  cleanup_close int fd = -1;
  cleanup_free unsigned char *xp = NULL;
  struct bytes x = { 0 };
  struct tree_entry e;
  bool mount = name && is_mount (w, stx);
  int ret;

  entry_from_statx (&e, TREE_DIR, stx);
  /* A mount point: only the directory to mount on (its contents and
   * xattrs belong to the other file system). */
  if (mount)
    return emit (w, &e, NULL, NULL, NULL);
  fd = name ? openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : dup (dirfd);
  if (fd < 0)
    return cryo_error (w->err, errno, "`%s/%s`: open", w->what, w->path);
  ret = collect_xattrs (w, fd, NULL, &x, &e.n_xattrs);
  xp = x.p;
  if (ret < 0 || emit (w, &e, NULL, &x, NULL) < 0)
    return -1;
  return walk (w, fd);
}

static const char *
seen_before (struct tw *w, const struct statx *stx)
{
  for (size_t i = 0; i < w->n_links; i++)
    if (w->links[i].ino == stx->stx_ino)
      return w->links[i].path;
  w->links = xreallocarray (w->links, w->n_links + 1, sizeof (*w->links));
  w->links[w->n_links].ino = stx->stx_ino;
  w->links[w->n_links].path = xstrdup (w->path);
  w->n_links++;
  return NULL;
}

static int
open_file (struct tw *w, int dirfd, const char *name, const struct statx *stx)
{
  int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
  int fd = openat (dirfd, name, flags | O_NOATIME);
  struct stat st;

  if (fd < 0 && errno == EPERM)
    fd = openat (dirfd, name, flags);
  if (fd < 0)
    return cryo_error (w->err, errno, "`%s/%s`: open", w->what, w->path);
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_ino != stx->stx_ino)
    {
      close (fd);
      return cryo_error (w->err, 0, "`%s/%s`: changed while it was archived", w->what, w->path);
    }
  return fd;
}

static int
put_file (struct tw *w, int dirfd, const char *name, const struct statx *stx)
{
  cleanup_close int fd = -1;
  cleanup_free unsigned char *xp = NULL, *ep = NULL;
  struct bytes x = { 0 }, ext = { 0 };
  struct tree_entry e;
  const char *first;
  uint64_t total = 0;
  int ret;

  entry_from_statx (&e, TREE_REG, stx);
  if (is_mount (w, stx))
    return emit (w, &e, NULL, NULL, NULL); /* a file to bind-mount on */
  if (stx->stx_nlink > 1 && (first = seen_before (w, stx)) != NULL)
    {
      e.type = TREE_HARDLINK;
      return emit (w, &e, first, NULL, NULL);
    }
  fd = open_file (w, dirfd, name, stx);
  if (fd < 0)
    return -1;
  e.size = stx->stx_size;
  ret = collect_xattrs (w, fd, NULL, &x, &e.n_xattrs);
  xp = x.p;
  if (ret == 0)
    ret = collect_extents (w, fd, e.size, &ext, &e.n_extents, &total);
  ep = ext.p;
  if (ret < 0 || emit (w, &e, NULL, &x, &ext) < 0 || copy_extents (w, fd, &ext, e.n_extents) < 0)
    return -1;
  w->st->data_bytes += total;
  return 0;
}

/* Symlinks, device nodes, fifos: no fd to read xattrs through, so by path
 * through the parent's fd. */
static int
put_other (struct tw *w, int dirfd, const char *name, const struct statx *stx, char type)
{
  cleanup_free char *path = xasprintf ("/proc/self/fd/%d/%s", dirfd, name);
  cleanup_free unsigned char *xp = NULL;
  struct bytes x = { 0 };
  struct tree_entry e;
  char link[TREE_MAX_PATH + 1];
  ssize_t n = 0;
  int ret;

  entry_from_statx (&e, type, stx);
  if (type == TREE_SYMLINK)
    {
      n = readlinkat (dirfd, name, link, sizeof link);
      if (n < 0)
        return cryo_error (w->err, errno, "`%s/%s`: readlink", w->what, w->path);
      if ((size_t)n >= sizeof link)
        return cryo_error (w->err, 0, "`%s/%s`: symlink target too long", w->what, w->path);
      link[n] = '\0';
    }
  ret = collect_xattrs (w, -1, path, &x, &e.n_xattrs);
  xp = x.p;
  if (ret < 0)
    return -1;
  return emit (w, &e, type == TREE_SYMLINK ? link : NULL, &x, NULL);
}

static int
put_entry (struct tw *w, int dirfd, const char *name)
{
  struct statx stx;

  if (statx (dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0)
    return cryo_error (w->err, errno, "`%s/%s`: stat", w->what, w->path);
  switch (stx.stx_mode & S_IFMT)
    {
    case S_IFDIR:
      return put_dir (w, dirfd, name, &stx);
    case S_IFREG:
      return put_file (w, dirfd, name, &stx);
    case S_IFLNK:
      return put_other (w, dirfd, name, &stx, TREE_SYMLINK);
    case S_IFCHR:
      return put_other (w, dirfd, name, &stx, TREE_CHR);
    case S_IFBLK:
      return put_other (w, dirfd, name, &stx, TREE_BLK);
    case S_IFIFO:
      return put_other (w, dirfd, name, &stx, TREE_FIFO);
    case S_IFSOCK:
      /* The process that bound it binds it again at restore. */
      w->st->sockets++;
      log_debug ("`%s/%s`: socket not archived", w->what, w->path);
      return 0;
    default:
      return cryo_error (w->err, 0, "`%s/%s`: unknown file type %#o", w->what, w->path,
                         stx.stx_mode & S_IFMT);
    }
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* The names in a directory, sorted (the archive does not depend on the
 * order the file system returns them in). */
static int
list_names (struct tw *w, int dirfd, char ***out)
{
  cleanup_dir DIR *d = NULL;
  /* Not dup(): that would share (and move) the caller's offset. */
  int fd = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct dirent *de;

  *out = NULL;
  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return cryo_error (w->err, errno, "`%s/%s`: open directory", w->what, w->path);
    }
  errno = 0;
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      strv_append (out, de->d_name);
  if (errno != 0)
    return cryo_error (w->err, errno, "`%s/%s`: read directory", w->what, w->path);
  if (*out)
    qsort (*out, strv_len (*out), sizeof (char *), compare_names);
  return 0;
}

static int
walk (struct tw *w, int dirfd)
{
  cleanup_strv char **names = NULL;
  size_t base = strlen (w->path);

  if (list_names (w, dirfd, &names) < 0)
    return -1;
  for (size_t i = 0; names && names[i]; i++)
    {
      size_t n = strlen (names[i]);
      if (base + (base ? 1 : 0) + n > TREE_MAX_PATH)
        return cryo_error (w->err, 0, "`%s/%s/%s`: path too long", w->what, w->path, names[i]);
      if (base)
        w->path[base] = '/';
      memcpy (w->path + base + (base ? 1 : 0), names[i], n + 1);
      if (put_entry (w, dirfd, names[i]) < 0)
        return -1;
      w->path[base] = '\0';
    }
  return 0;
}

int
tree_write (int srcfd, const char *what, int outfd, struct tree_stats *st, cryo_error_t *err)
{
  static const char header[TREE_HEADER_SIZE] = TREE_MAGIC "\x01\0\0\0\0\0\0\0";
  struct tw *w = xzalloc (sizeof *w);
  struct tree_stats local = { 0 };
  struct tree_entry end = { .type = TREE_END };
  unsigned char head[TREE_ENTRY_SIZE];
  struct statx stx;
  int ret = -1;

  w->out = outfd;
  w->what = what;
  w->st = st ? st : &local;
  w->err = err;
  memset (w->st, 0, sizeof *w->st);
  if (statx (srcfd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) < 0)
    {
      cryo_error (err, errno, "`%s`: stat", what);
      goto out;
    }
  w->dev_major = stx.stx_dev_major;
  w->dev_minor = stx.stx_dev_minor;
  if (tw_put (w, header, sizeof header) < 0 || put_dir (w, srcfd, NULL, &stx) < 0)
    goto out;
  end.size = w->st->entries;
  tree_entry_encode (&end, head);
  if (tw_put (w, head, sizeof head) < 0 || tw_flush (w) < 0)
    goto out;
  if (w->st->sockets)
    log_info ("`%s`: %u socket%s not archived (a process binds it again at restore)", what, w->st->sockets,
              w->st->sockets == 1 ? "" : "s");
  ret = 0;
out:
  for (size_t i = 0; i < w->n_links; i++)
    free (w->links[i].path);
  free (w->links);
  free (w);
  return ret;
}
