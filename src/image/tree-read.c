/* Extracting a tmpfs archive (tree.h) into a fresh tmpfs at restore.
 *
 * Entries come in pre-order, so the parent of each is on a stack of the
 * directories this extraction created (held open): every object is made
 * relative to one of them, no path is ever resolved through the target,
 * and a symlink in the archive can never redirect a later entry.  A
 * directory's mode and times are set when the walk leaves it (creating its
 * children would change them, a read-only mode would prevent that). */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define LOG_PREFIX "image: "
#include "image/tree.h"
#include "lib/log.h"
#include "lib/util.h"

static uint32_t
get32 (const unsigned char *p)
{
  uint32_t v;
  memcpy (&v, p, 4);
  return le32toh (v);
}

static uint64_t
get64 (const unsigned char *p)
{
  uint64_t v;
  memcpy (&v, p, 8);
  return le64toh (v);
}

void
tree_entry_decode (const unsigned char in[TREE_ENTRY_SIZE], struct tree_entry *e)
{
  memset (e, 0, sizeof *e);
  e->type = (char)in[0];
  e->mode = get32 (in + 4);
  e->uid = get32 (in + 8);
  e->gid = get32 (in + 12);
  e->rdev_major = get32 (in + 16);
  e->rdev_minor = get32 (in + 20);
  e->atime_sec = (int64_t)get64 (in + 24);
  e->mtime_sec = (int64_t)get64 (in + 32);
  e->atime_nsec = get32 (in + 40);
  e->mtime_nsec = get32 (in + 44);
  e->path_len = get32 (in + 48);
  e->link_len = get32 (in + 52);
  e->n_xattrs = get32 (in + 56);
  e->n_extents = get32 (in + 60);
  e->size = get64 (in + 64);
}

struct tr_dir
{
  char *path;
  int fd;
  struct tree_entry meta;
};

struct tr
{
  int in;
  const char *what;
  cryo_error_t *err;
  uint64_t pos, end; /* read position, archive size */
  uint64_t buf_off;  /* archive offset of buf[0] */
  size_t buf_len;
  struct tr_dir *stack;
  size_t depth;
  uint64_t entries;
  unsigned char buf[1 << 16];
};

static int
malformed (struct tr *r, const char *why)
{
  return cryo_error (r->err, 0, "%s: malformed archive at byte %llu: %s", r->what, (unsigned long long)r->pos,
                     why);
}

/* Copy @n bytes at the read position, through the buffer. */
static int
tr_read (struct tr *r, void *dst, size_t n)
{
  unsigned char *d = dst;

  if (n > r->end - r->pos)
    return malformed (r, "truncated");
  while (n > 0)
    {
      size_t have, take;
      if (r->pos < r->buf_off || r->pos >= r->buf_off + r->buf_len)
        {
          ssize_t got = pread (r->in, r->buf, sizeof r->buf, (off_t)r->pos);
          if (got < 0 && errno == EINTR)
            continue;
          if (got <= 0)
            return got < 0 ? cryo_error (r->err, errno, "%s: read", r->what) : malformed (r, "truncated");
          r->buf_off = r->pos;
          r->buf_len = (size_t)got;
        }
      have = r->buf_off + r->buf_len - r->pos;
      take = n < have ? n : have;
      memcpy (d, r->buf + (r->pos - r->buf_off), take);
      d += take;
      r->pos += take;
      n -= take;
    }
  return 0;
}

/* Each component a real name: not empty, not "." or "..". */
static bool
path_ok (const char *path)
{
  const char *p = path;

  if (*p == '\0')
    return false;
  while (*p)
    {
      const char *slash = strchr (p, '/');
      size_t n = slash ? (size_t)(slash - p) : strlen (p);
      if (n == 0 || n > NAME_MAX || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
        return false;
      p += n;
      if (*p == '/')
        p++;
      if (slash && *p == '\0')
        return false; /* trailing slash */
    }
  return true;
}

static int
read_string (struct tr *r, uint32_t len, char **out)
{
  if (len > TREE_MAX_PATH)
    return malformed (r, "name too long");
  *out = xmalloc (len + 1);
  if (tr_read (r, *out, len) < 0)
    return -1;
  (*out)[len] = '\0';
  if (memchr (*out, '\0', len) != NULL)
    return malformed (r, "NUL in a name");
  return 0;
}

struct tr_xattr
{
  char name[TREE_MAX_XATTR_NAME + 1];
  size_t len;
  unsigned char *value;
};

static void
free_xattrs (struct tr_xattr *x, uint32_t n)
{
  for (uint32_t i = 0; x && i < n; i++)
    free (x[i].value);
  free (x);
}

static int
read_xattrs (struct tr *r, uint32_t n, struct tr_xattr **out)
{
  struct tr_xattr *x;

  *out = NULL;
  if (n > TREE_MAX_XATTRS)
    return malformed (r, "too many xattrs");
  x = *out = xzalloc ((n + 1) * sizeof *x);
  for (uint32_t i = 0; i < n; i++)
    {
      unsigned char lens[8];
      uint32_t nl, vl;
      if (tr_read (r, lens, 8) < 0)
        return -1;
      nl = get32 (lens);
      vl = get32 (lens + 4);
      if (nl == 0 || nl > TREE_MAX_XATTR_NAME || vl > TREE_MAX_XATTR_VALUE)
        return malformed (r, "bad xattr length");
      x[i].value = xmalloc (vl + 1);
      x[i].len = vl;
      if (tr_read (r, x[i].name, nl) < 0 || tr_read (r, x[i].value, vl) < 0)
        return -1;
      if (memchr (x[i].name, '\0', nl) != NULL)
        return malformed (r, "NUL in an xattr name");
    }
  return 0;
}

/* Extents: ordered, not overlapping, inside the file, with their data
 * inside the archive. */
static int
read_extents (struct tr *r, const struct tree_entry *e, uint64_t **out)
{
  uint64_t *ext, prev_end = 0, total = 0;

  *out = NULL;
  if (e->n_extents > e->size)
    return malformed (r, "too many extents");
  if ((uint64_t)e->n_extents * 16 > r->end - r->pos)
    return malformed (r, "truncated");
  ext = *out = xmalloc ((e->n_extents + 1) * 2 * sizeof (uint64_t));
  for (uint32_t i = 0; i < e->n_extents; i++)
    {
      unsigned char b[16];
      if (tr_read (r, b, 16) < 0)
        return -1;
      ext[2 * i] = get64 (b);
      ext[2 * i + 1] = get64 (b + 8);
      if (ext[2 * i] < prev_end || ext[2 * i + 1] == 0 || ext[2 * i + 1] > e->size
          || ext[2 * i] > e->size - ext[2 * i + 1])
        return malformed (r, "bad data extent");
      prev_end = ext[2 * i] + ext[2 * i + 1];
      total += ext[2 * i + 1];
    }
  if (total > r->end - r->pos)
    return malformed (r, "truncated file data");
  return 0;
}

static int
copy_data (struct tr *r, int fd, const char *path, const uint64_t *ext, uint32_t n)
{
  for (uint32_t i = 0; i < n; i++)
    {
      uint64_t len = ext[2 * i + 1];
      if (lseek (fd, (off_t)ext[2 * i], SEEK_SET) < 0)
        return cryo_error (r->err, errno, "%s: `%s`: seek", r->what, path);
      while (len > 0)
        {
          off_t o = (off_t)r->pos;
          ssize_t w = sendfile (fd, r->in, &o, len > (1u << 30) ? (1u << 30) : len);
          if (w < 0 && errno == EINTR)
            continue;
          if (w < 0)
            return cryo_error (r->err, errno, "%s: `%s`: write", r->what, path);
          if (w == 0)
            return malformed (r, "truncated file data");
          r->pos += (uint64_t)w;
          len -= (uint64_t)w;
        }
    }
  return 0;
}

/* ---- applying metadata ---- */

static int
set_xattrs (struct tr *r, int fd, int dirfd, const char *name, const char *path, const struct tr_xattr *x,
            uint32_t n)
{
  cleanup_free char *proc = fd < 0 ? xasprintf ("/proc/self/fd/%d/%s", dirfd, name) : NULL;

  for (uint32_t i = 0; i < n; i++)
    {
      int ret = fd >= 0 ? fsetxattr (fd, x[i].name, x[i].value, x[i].len, 0)
                        : lsetxattr (proc, x[i].name, x[i].value, x[i].len, 0);
      if (ret == 0)
        continue;
      /* A security label this kernel has no module for, user xattrs on a
       * symlink: what tar extraction also left out, with a warning. */
      if (errno == ENOTSUP || errno == EPERM)
        {
          log_warning ("%s: `%s`: xattr `%s` not restored: %s", r->what, path, x[i].name, strerror (errno));
          continue;
        }
      return cryo_error (r->err, errno, "%s: `%s`: set xattr `%s`", r->what, path, x[i].name);
    }
  return 0;
}

static void
times_of (const struct tree_entry *e, struct timespec ts[2])
{
  ts[0].tv_sec = e->atime_sec;
  ts[0].tv_nsec = e->atime_nsec < 1000000000u ? e->atime_nsec : 0;
  ts[1].tv_sec = e->mtime_sec;
  ts[1].tv_nsec = e->mtime_nsec < 1000000000u ? e->mtime_nsec : 0;
}

/* Owner first: chown clears set-id bits, so the mode comes after it. */
static int
finish_fd (struct tr *r, int fd, const char *path, const struct tree_entry *e, bool with_mode)
{
  struct timespec ts[2];

  times_of (e, ts);
  if (fchown (fd, e->uid, e->gid) < 0)
    return cryo_error (r->err, errno, "%s: `%s`: chown", r->what, path);
  if (with_mode && (fchmod (fd, e->mode & 07777) < 0 || futimens (fd, ts) < 0))
    return cryo_error (r->err, errno, "%s: `%s`: set mode and times", r->what, path);
  return 0;
}

static int
finish_at (struct tr *r, int dirfd, const char *name, const char *path, const struct tree_entry *e)
{
  struct timespec ts[2];

  times_of (e, ts);
  if (fchownat (dirfd, name, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0)
    return cryo_error (r->err, errno, "%s: `%s`: chown", r->what, path);
  if (e->type != TREE_SYMLINK && fchmodat (dirfd, name, e->mode & 07777, 0) < 0)
    return cryo_error (r->err, errno, "%s: `%s`: chmod", r->what, path);
  if (utimensat (dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return cryo_error (r->err, errno, "%s: `%s`: set times", r->what, path);
  return 0;
}

/* Leave the directory on top of the stack: its mode and times now. */
static int
pop_dir (struct tr *r)
{
  struct tr_dir *d = &r->stack[--r->depth];
  struct timespec ts[2];
  int ret = 0;

  times_of (&d->meta, ts);
  if (fchmod (d->fd, d->meta.mode & 07777) < 0 || futimens (d->fd, ts) < 0)
    ret = cryo_error (r->err, errno, "%s: `%s`: set mode and times", r->what, d->path[0] ? d->path : ".");
  if (r->depth > 0)
    close (d->fd); /* the root's fd is the caller's */
  free (d->path);
  return ret;
}

/* Pop until the top is the parent of @path; *name is its last component. */
static int
find_parent (struct tr *r, const char *path, const char **name)
{
  const char *slash = strrchr (path, '/');
  size_t plen = slash ? (size_t)(slash - path) : 0;

  *name = slash ? slash + 1 : path;
  while (r->depth > 1)
    {
      const char *top = r->stack[r->depth - 1].path;
      if (strlen (top) == plen && strncmp (top, path, plen) == 0)
        return 0;
      if (pop_dir (r) < 0)
        return -1;
    }
  if (plen != 0)
    return malformed (r, "an entry comes before its directory");
  return 0;
}

/* ---- creating entries ---- */

struct tr_entry
{
  struct tree_entry e;
  char *path;
  char *link;
  struct tr_xattr *xattrs;
  uint64_t *extents;
};

static void
tr_entry_release (struct tr_entry *t)
{
  free (t->path);
  free (t->link);
  free_xattrs (t->xattrs, t->e.n_xattrs);
  free (t->extents);
  memset (t, 0, sizeof *t);
}

static int
make_dir (struct tr *r, int dirfd, const char *name, struct tr_entry *t)
{
  int fd;

  if (mkdirat (dirfd, name, 0700) < 0)
    return cryo_error (r->err, errno, "%s: `%s`: mkdir", r->what, t->path);
  fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return cryo_error (r->err, errno, "%s: `%s`: open", r->what, t->path);
  r->stack = xreallocarray (r->stack, r->depth + 1, sizeof *r->stack);
  r->stack[r->depth].path = steal_pointer (&t->path);
  r->stack[r->depth].fd = fd;
  r->stack[r->depth].meta = t->e;
  r->depth++;
  if (finish_fd (r, fd, r->stack[r->depth - 1].path, &t->e, false) < 0)
    return -1;
  return set_xattrs (r, fd, -1, NULL, r->stack[r->depth - 1].path, t->xattrs, t->e.n_xattrs);
}

static int
make_file (struct tr *r, int dirfd, const char *name, struct tr_entry *t)
{
  cleanup_close int fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

  if (fd < 0)
    return cryo_error (r->err, errno, "%s: `%s`: create", r->what, t->path);
  if (copy_data (r, fd, t->path, t->extents, t->e.n_extents) < 0)
    return -1;
  if (ftruncate (fd, (off_t)t->e.size) < 0)
    return cryo_error (r->err, errno, "%s: `%s`: set size", r->what, t->path);
  if (set_xattrs (r, fd, -1, NULL, t->path, t->xattrs, t->e.n_xattrs) < 0)
    return -1;
  return finish_fd (r, fd, t->path, &t->e, true);
}

/* A hard link's target: an earlier entry, resolved under the root without
 * following anything. */
static int
make_hardlink (struct tr *r, int dirfd, const char *name, struct tr_entry *t)
{
  struct open_how how
      = { .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
          .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV };
  cleanup_close int target = -1;
  struct stat st;

  if (!path_ok (t->link))
    return malformed (r, "bad hard link target");
  target = (int)syscall (SYS_openat2, r->stack[0].fd, t->link, &how, sizeof how);
  if (target < 0)
    return cryo_error (r->err, errno, "%s: `%s`: hard link target `%s`", r->what, t->path, t->link);
  if (fstat (target, &st) < 0 || !S_ISREG (st.st_mode))
    return malformed (r, "a hard link to something else than a file");
  if (linkat (target, "", dirfd, name, AT_EMPTY_PATH) < 0)
    return cryo_error (r->err, errno, "%s: `%s`: link to `%s`", r->what, t->path, t->link);
  return 0;
}

static int
make_other (struct tr *r, int dirfd, const char *name, struct tr_entry *t)
{
  static const mode_t types[] = { [TREE_CHR] = S_IFCHR, [TREE_BLK] = S_IFBLK, [TREE_FIFO] = S_IFIFO };
  int ret;

  if (t->e.type == TREE_SYMLINK)
    ret = symlinkat (t->link, dirfd, name);
  else
    ret = mknodat (dirfd, name, types[(unsigned char)t->e.type] | 0600,
                   makedev (t->e.rdev_major, t->e.rdev_minor));
  if (ret < 0)
    return cryo_error (r->err, errno, "%s: `%s`: create", r->what, t->path);
  if (set_xattrs (r, -1, dirfd, name, t->path, t->xattrs, t->e.n_xattrs) < 0)
    return -1;
  return finish_at (r, dirfd, name, t->path, &t->e);
}

static int
make_entry (struct tr *r, struct tr_entry *t)
{
  const char *name;
  int dirfd;

  if (find_parent (r, t->path, &name) < 0)
    return -1;
  dirfd = r->stack[r->depth - 1].fd;
  switch (t->e.type)
    {
    case TREE_DIR:
      return make_dir (r, dirfd, name, t);
    case TREE_REG:
      return make_file (r, dirfd, name, t);
    case TREE_HARDLINK:
      return make_hardlink (r, dirfd, name, t);
    default:
      return make_other (r, dirfd, name, t);
    }
}

/* ---- the archive ---- */

static bool
known_type (char type)
{
  return strchr ("dflhcbp", type) != NULL && type != '\0';
}

static int
read_entry (struct tr *r, struct tr_entry *t)
{
  unsigned char head[TREE_ENTRY_SIZE];
  bool root = r->entries == 0;

  if (tr_read (r, head, sizeof head) < 0)
    return -1;
  tree_entry_decode (head, &t->e);
  if (t->e.type == TREE_END)
    return 0;
  if (!known_type (t->e.type))
    return malformed (r, "unknown entry type");
  if (root != (t->e.path_len == 0) || (root && t->e.type != TREE_DIR))
    return malformed (r, root ? "the first entry is not the root directory" : "an empty name");
  if ((t->e.type == TREE_SYMLINK || t->e.type == TREE_HARDLINK) != (t->e.link_len > 0))
    return malformed (r, "a link target where none belongs, or none where one does");
  if (t->e.type != TREE_REG && (t->e.size != 0 || t->e.n_extents != 0))
    return malformed (r, "data for something else than a regular file");
  if (read_string (r, t->e.path_len, &t->path) < 0 || read_string (r, t->e.link_len, &t->link) < 0)
    return -1;
  if (!root && !path_ok (t->path))
    return malformed (r, "a name with an empty, `.` or `..` component");
  if (read_xattrs (r, t->e.n_xattrs, &t->xattrs) < 0)
    return -1;
  return t->e.type == TREE_REG ? read_extents (r, &t->e, &t->extents) : 0;
}

/* The root entry: the target directory itself (owner and xattrs now, mode
 * and times once everything below it exists). */
static int
root_entry (struct tr *r, int targetfd, struct tr_entry *t)
{
  r->stack = xzalloc (sizeof *r->stack);
  r->stack[0].path = xstrdup ("");
  r->stack[0].fd = targetfd;
  r->stack[0].meta = t->e;
  r->depth = 1;
  if (finish_fd (r, targetfd, ".", &t->e, false) < 0)
    return -1;
  return set_xattrs (r, targetfd, -1, NULL, ".", t->xattrs, t->e.n_xattrs);
}

static int
extract_entries (struct tr *r, int targetfd)
{
  for (;;)
    {
      struct tr_entry t = { 0 };
      int ret = read_entry (r, &t);
      if (ret == 0 && t.e.type == TREE_END)
        {
          if (t.e.size != r->entries)
            return malformed (r, "the entry count does not match");
          if (r->pos != r->end)
            return malformed (r, "data after the end");
          return 0;
        }
      if (ret == 0)
        ret = r->entries == 0 ? root_entry (r, targetfd, &t) : make_entry (r, &t);
      tr_entry_release (&t);
      if (ret < 0)
        return -1;
      r->entries++;
    }
}

int
tree_extract (int archive_fd, const char *what, int targetfd, cryo_error_t *err)
{
  struct tr *r = xzalloc (sizeof *r);
  unsigned char header[TREE_HEADER_SIZE];
  struct stat st;
  int ret = -1;

  r->in = archive_fd;
  r->what = what;
  r->err = err;
  if (fstat (archive_fd, &st) < 0)
    {
      cryo_error (err, errno, "%s: stat", what);
      goto out;
    }
  r->end = (uint64_t)st.st_size;
  if (tr_read (r, header, sizeof header) < 0)
    goto out;
  if (memcmp (header, TREE_MAGIC, 8) != 0)
    {
      cryo_error (err, 0, "%s: not a cryo tmpfs archive", what);
      goto out;
    }
  if (get32 (header + 8) != TREE_VERSION)
    {
      cryo_error (err, 0, "%s: tmpfs archive version %u, this cryo reads %d", what, get32 (header + 8),
                  TREE_VERSION);
      goto out;
    }
  ret = extract_entries (r, targetfd);
  while (ret == 0 && r->depth > 0)
    ret = pop_dir (r);
out:
  while (r->depth > 0)
    {
      r->depth--;
      if (r->depth > 0)
        close (r->stack[r->depth].fd);
      free (r->stack[r->depth].path);
    }
  free (r->stack);
  free (r);
  return ret;
}
