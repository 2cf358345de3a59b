/* Resolving and creating paths strictly inside the rootfs, and mounting on
 * the resulting fds.  See safe-path.h for the rules. */
#define LOG_PREFIX "safe-path: "
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "ns/safe-path.h"
#include "lib/util.h"

/* Linux's own limit on symlinks in one lookup. */
#define MAX_SYMLINKS 40

int
safe_openat2 (int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
  struct open_how how = { .flags = flags, .resolve = resolve };
  return (int) syscall (SYS_openat2, dirfd, path, &how, sizeof (how));
}

static int
open_in_root (int rootfd, const char *path, int flags)
{
  return safe_openat2 (rootfd, path, (uint64_t) flags | O_CLOEXEC,
                       RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

int
safe_open_in_root (int rootfd, const char *path, int flags, cryo_error_t *err)
{
  int fd = open_in_root (rootfd, path, flags);
  if (fd < 0)
    return cryo_error (err, errno, "open `%s` in the rootfs", path);
  return fd;
}

/* Split "a/b/c" into its non-empty components. */
static char **
split_path (const char *path)
{
  cleanup_free char *copy = xstrdup (path);
  char **v = xzalloc (sizeof (char *)), *save = NULL, *tok;
  for (tok = strtok_r (copy, "/", &save); tok; tok = strtok_r (NULL, "/", &save))
    strv_append (&v, tok);
  return v;
}

static char *
join_components (char *const *c, size_t n)
{
  size_t i, len = 2;
  char *out;
  for (i = 0; i < n; i++)
    len += strlen (c[i]) + 1;
  out = xzalloc (len);
  strcpy (out, "/");
  for (i = 0; i < n; i++)
    {
      if (i)
        strcat (out, "/");
      strcat (out, c[i]);
    }
  return out;
}

/* @name under @parentfd is a dangling symlink: the path to look up instead,
 * its target spliced in front of the components still to walk.  Relative
 * targets stay relative to the symlink's directory; RESOLVE_IN_ROOT then
 * keeps both kinds, and any "..", inside the root. */
static char *
splice_symlink (int parentfd, const char *name, char *const *c, size_t i, size_t n)
{
  char target[PATH_MAX];
  cleanup_free char *dir = join_components (c, i);
  cleanup_free char *rest = join_components (c + i + 1, n - i - 1);
  ssize_t len = readlinkat (parentfd, name, target, sizeof (target) - 1);
  if (len < 0)
    return NULL;
  target[len] = '\0';
  if (target[0] == '/')
    return xasprintf ("%s%s", target, rest);
  return xasprintf ("%s/%s%s", dir, target, rest);
}

/* Create the single name @name under @parentfd.  Neither mkdirat nor
 * O_CREAT|O_EXCL follows a symlink in the last component: an existing link
 * gives EEXIST, and the caller looks at it. */
static int
create_one (int parentfd, const char *name, bool file, mode_t mode)
{
  int fd;
  if (!file)
    return mkdirat (parentfd, name, mode);
  fd = openat (parentfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0)
    return -1;
  close (fd);
  return 0;
}

/* One pass over @path: returns the leaf fd (>= 0), -1 with errno, or -2
 * with *redirect set when a dangling symlink must be followed. */
static int
walk_create (int rootfd, const char *path, enum safe_leaf leaf, mode_t mode, char **redirect)
{
  cleanup_strv char **c = split_path (path);
  cleanup_close int parentfd = fcntl (rootfd, F_DUPFD_CLOEXEC, 0);
  size_t i, n = strv_len (c);
  struct stat st;

  for (i = 0; i < n && parentfd >= 0; i++)
    {
      cleanup_free char *prefix = join_components (c, i + 1);
      bool last = i + 1 == n;
      int fd = open_in_root (rootfd, prefix, O_PATH);
      if (fd < 0 && errno == ENOENT && strcmp (c[i], ".") && strcmp (c[i], ".."))
        {
          if (create_one (parentfd, c[i], last && leaf == SAFE_LEAF_FILE, last ? mode : 0755) < 0)
            {
              if (errno != EEXIST)
                return -1;
              if (fstatat (parentfd, c[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK (st.st_mode))
                {
                  *redirect = splice_symlink (parentfd, c[i], c, i, n);
                  return *redirect ? -2 : -1;
                }
            }
          fd = open_in_root (rootfd, prefix, O_PATH);
        }
      if (fd < 0)
        return -1;
      close (parentfd);
      parentfd = fd;
    }
  return move_fd (&parentfd);
}

static int
check_leaf (int fd, enum safe_leaf leaf, const char *path, cryo_error_t *err)
{
  struct stat st;
  if (fstat (fd, &st) < 0)
    return cryo_error (err, errno, "stat `%s` in the rootfs", path);
  if (leaf == SAFE_LEAF_DIR && !S_ISDIR (st.st_mode))
    return cryo_error (err, ENOTDIR, "`%s` in the rootfs exists and is not a directory", path);
  if (leaf == SAFE_LEAF_FILE && S_ISDIR (st.st_mode))
    return cryo_error (err, EISDIR, "`%s` in the rootfs is a directory, a file is needed", path);
  return 0;
}

int
safe_mkpath_in_root (int rootfd, const char *path, enum safe_leaf leaf, mode_t mode,
                     cryo_error_t *err)
{
  cleanup_free char *cur = xstrdup (path);
  cleanup_close int fd = -1;
  int i;

  for (i = 0; i <= MAX_SYMLINKS; i++)
    {
      char *redirect = NULL;
      fd = open_in_root (rootfd, cur, O_PATH);
      if (fd < 0 && errno == ENOENT && leaf != SAFE_LEAF_ANY)
        fd = walk_create (rootfd, cur, leaf, mode, &redirect);
      if (fd == -2)
        {
          free (cur);
          cur = redirect;
          continue;
        }
      if (fd < 0)
        return cryo_error (err, errno, "create `%s` in the rootfs", path);
      if (check_leaf (fd, leaf, path, err) < 0)
        return -1;
      return move_fd (&fd);
    }
  return cryo_error (err, ELOOP, "create `%s` in the rootfs", path);
}

int
safe_parent_in_root (int rootfd, const char *path, char **name, cryo_error_t *err)
{
  cleanup_free char *dir = xstrdup (path);
  char *slash;

  while (strlen (dir) > 1 && dir[strlen (dir) - 1] == '/')
    dir[strlen (dir) - 1] = '\0';
  slash = strrchr (dir, '/');
  if (slash == NULL || slash[1] == '\0' || strcmp (slash + 1, ".") == 0
      || strcmp (slash + 1, "..") == 0)
    return cryo_error (err, EINVAL, "`%s` does not name a file in the rootfs", path);
  *name = xstrdup (slash + 1);
  slash[1] = '\0';
  return safe_mkpath_in_root (rootfd, dir, SAFE_LEAF_DIR, 0755, err);
}

int
safe_clone_tree (int dirfd, const char *path, bool recursive, cryo_error_t *err)
{
  unsigned int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  int fd;

  if (path == NULL || path[0] == '\0')
    {
      flags |= AT_EMPTY_PATH;
      path = "";
    }
  fd = open_tree (dirfd, path, flags);
  if (fd < 0)
    return cryo_error (err, errno, "clone the mount tree of `%s`", path[0] ? path : "(fd)");
  return fd;
}

static const struct
{
  unsigned long ms;
  const char *set, *clear;
} sb_flag_names[] = {
  { MS_SYNCHRONOUS, "sync", "async" },
  { MS_DIRSYNC, "dirsync", NULL },
  { MS_LAZYTIME, "lazytime", "nolazytime" },
  { MS_MANDLOCK, "mand", "nomand" },
};

/* The comma-separated data and the superblock flags as fsconfig calls. */
static int
configure_fs (int fsfd, const char *type, const char *data, unsigned long sb_flags,
              cryo_error_t *err)
{
  cleanup_free char *copy = xstrdup (data ? data : "");
  char *save = NULL, *tok, *eq;
  size_t i;
  int ret;

  for (i = 0; i < ARRAY_SIZE (sb_flag_names); i++)
    if (sb_flags & sb_flag_names[i].ms
        && fsconfig (fsfd, FSCONFIG_SET_FLAG, sb_flag_names[i].set, NULL, 0) < 0)
      return cryo_error (err, errno, "%s: option `%s`", type, sb_flag_names[i].set);
  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      eq = strchr (tok, '=');
      if (eq)
        {
          *eq = '\0';
          ret = fsconfig (fsfd, FSCONFIG_SET_STRING, tok, eq + 1, 0);
          *eq = '=';
        }
      else
        ret = fsconfig (fsfd, FSCONFIG_SET_FLAG, tok, NULL, 0);
      if (ret < 0)
        return cryo_error (err, errno, "%s: option `%s`", type, tok);
    }
  return 0;
}

int
safe_new_fs (const char *type, const char *source, const char *data, unsigned long sb_flags,
             uint64_t attr, cryo_error_t *err)
{
  cleanup_close int fsfd = fsopen (type, FSOPEN_CLOEXEC);
  int mfd;

  if (fsfd < 0)
    return cryo_error (err, errno, "open a `%s` file system", type);
  if (source && fsconfig (fsfd, FSCONFIG_SET_STRING, "source", source, 0) < 0)
    return cryo_error (err, errno, "%s: source `%s`", type, source);
  if (configure_fs (fsfd, type, data, sb_flags, err) < 0)
    return -1;
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return cryo_error (err, errno, "create a `%s` file system", type);
  mfd = fsmount (fsfd, FSMOUNT_CLOEXEC, (unsigned int) attr);
  if (mfd < 0)
    return cryo_error (err, errno, "mount a `%s` file system", type);
  return mfd;
}

int
safe_reconfigure_fs (int mntfd, const char *data, unsigned long sb_flags, cryo_error_t *err)
{
  cleanup_close int fsfd = fspick (mntfd, "", FSPICK_EMPTY_PATH | FSPICK_CLOEXEC);
  if (fsfd < 0)
    return cryo_error (err, errno, "pick the file system to reconfigure");
  if (configure_fs (fsfd, "remount", data, sb_flags, err) < 0)
    return -1;
  if (fsconfig (fsfd, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0) < 0)
    return cryo_error (err, errno, "reconfigure the file system");
  return 0;
}

int
safe_setattr (int mntfd, bool recursive, uint64_t set, uint64_t clr, uint64_t propagation,
              int userns_fd, cryo_error_t *err)
{
  struct mount_attr attr = {
    .attr_set = set, .attr_clr = clr, .propagation = propagation,
  };
  if (userns_fd >= 0)
    attr.userns_fd = (uint64_t) userns_fd;
  if (set == 0 && clr == 0 && propagation == 0)
    return 0;
  if (mount_setattr (mntfd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
                     sizeof (attr)) < 0)
    return cryo_error (err, errno, "set mount attributes (set %#llx, clear %#llx, propagation %#llx)",
                       (unsigned long long) set, (unsigned long long) clr,
                       (unsigned long long) propagation);
  return 0;
}

int
safe_attach (int mntfd, int targetfd, cryo_error_t *err)
{
  if (move_mount (mntfd, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return cryo_error (err, errno, "attach the mount");
  return 0;
}

static int
write_map (const char *proc, const char *file, const struct spec_id_mapping *m, size_t n,
           cryo_error_t *err)
{
  cleanup_free char *path = xasprintf ("/proc/%s/%s", proc, file);
  cleanup_free char *buf = xstrdup ("");
  size_t i;

  for (i = 0; i < n; i++)
    {
      char *line = xasprintf ("%s%u %u %u\n", buf, m[i].container_id, m[i].host_id, m[i].size);
      free (buf);
      buf = line;
    }
  return write_file_at (AT_FDCWD, path, buf, strlen (buf), err);
}

/* The child's pid as /proc names it: the caller may be in a new pid
 * namespace whose /proc is not mounted yet (the container's init, before
 * the plan mounts its proc), so the pid clone() returns can be wrong there. */
static void
userns_child (int sock)
{
  char self[32] = { 0 }, c;
  ssize_t n = readlink ("/proc/self", self, sizeof (self) - 1);
  if (n <= 0 || write (sock, self, (size_t) n) != n)
    _exit (1);
  (void) !read (sock, &c, 1); /* until the parent holds the namespace */
  _exit (0);
}

int
safe_userns_fd (const struct spec_id_mapping *uids, size_t n_uids,
                const struct spec_id_mapping *gids, size_t n_gids, cryo_error_t *err)
{
  cleanup_pid pid_t pid = -1;
  cleanup_close int sock = -1;
  cleanup_free char *ns = NULL;
  char proc[32] = { 0 };
  int sv[2], fd;

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return cryo_error (err, errno, "socketpair");
  pid = (pid_t) syscall (SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid == 0)
    {
      close (sv[0]);
      userns_child (sv[1]);
    }
  sock = sv[0];
  close (sv[1]);
  if (pid < 0)
    return cryo_error (err, errno, "create a user namespace for an idmapped mount");
  if (read (sock, proc, sizeof (proc) - 1) <= 0)
    return cryo_error (err, errno, "idmapped mount: the user namespace helper died");
  if (write_map (proc, "uid_map", uids, n_uids, err) < 0
      || write_map (proc, "gid_map", gids, n_gids, err) < 0)
    return cryo_error_wrap (err, "idmapped mount");
  ns = xasprintf ("/proc/%s/ns/user", proc);
  fd = open (ns, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return cryo_error (err, errno, "open `%s`", ns);
  return fd;
}
