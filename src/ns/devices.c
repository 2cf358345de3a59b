/* Device nodes and /dev symlinks: planned from the spec (the default
 * devices every container gets, then linux.devices), created inside the
 * rootfs by rootfs_prepare. */
#define LOG_PREFIX "devices: "
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/log.h"
#include "ns/mount-plan.h"
#include "ns/rootfs.h"
#include "ns/safe-path.h"
#include "lib/util.h"

/* What runc and crun give every container, rw for everyone. */
static const struct
{
  const char *path;
  int major, minor;
} default_devices[] = {
  { "/dev/null", 1, 3 },   { "/dev/zero", 1, 5 },    { "/dev/full", 1, 7 },
  { "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

static const struct
{
  const char *target, *path;
} default_links[] = {
  { "/proc/self/fd", "/dev/fd" },
  { "/proc/self/fd/0", "/dev/stdin" },
  { "/proc/self/fd/1", "/dev/stdout" },
  { "/proc/self/fd/2", "/dev/stderr" },
  { "pts/ptmx", "/dev/ptmx" },
  { "/proc/kcore", "/dev/core" },
};

static bool
plan_has (const struct mount_plan *plan, const char *path)
{
  cleanup_free char *clean = mount_path_clean (path);
  size_t i;
  for (i = 0; i < plan->n_ops; i++)
    if (strcmp (plan->ops[i].destination, clean) == 0)
      return true;
  return false;
}

static int
plan_spec_device (const struct spec_device *d, size_t i, struct mount_plan *plan, cryo_error_t *err)
{
  struct mount_op *op;
  char type = d->type == 'u' ? 'c' : d->type;

  if (d->path == NULL || d->path[0] != '/')
    return cryo_error (err, 0, "linux.devices[%zu].path: `%s` is not an absolute path", i,
                       d->path ? d->path : "");
  if (type != 'c' && type != 'b' && type != 'p')
    return cryo_error (err, 0, "linux.devices[%zu].type: `%c` is not c, b, u or p", i, d->type);
  if (type != 'p' && (d->major < 0 || d->minor < 0 || d->major > 0xfff || d->minor > 0xfffff))
    return cryo_error (err, 0, "linux.devices[%zu]: major %lld minor %lld out of range", i,
                       (long long) d->major, (long long) d->minor);
  op = mount_plan_append (plan, MOUNT_OP_DEVICE, d->path);
  op->dev_type = type;
  op->major = type == 'p' ? 0 : d->major;
  op->minor = type == 'p' ? 0 : d->minor;
  op->mode = d->file_mode.set ? (mode_t) (d->file_mode.value & 07777) : 0666;
  op->uid = d->uid.set ? (uid_t) d->uid.value : 0;
  op->gid = d->gid.set ? (gid_t) d->gid.value : 0;
  return 0;
}

int
mount_plan_add_devices (const struct spec *spec, struct mount_plan *plan, cryo_error_t *err)
{
  const struct spec_linux *l = spec->linux_;
  size_t i, j;
  int ret;

  for (i = 0; i < ARRAY_SIZE (default_devices); i++)
    {
      struct mount_op *op;
      bool overridden = false;
      for (j = 0; l && j < l->n_devices; j++)
        {
          cleanup_free char *clean = l->devices[j].path ? mount_path_clean (l->devices[j].path) : NULL;
          if (clean && strcmp (clean, default_devices[i].path) == 0)
            overridden = true;
        }
      if (overridden)
        continue;
      op = mount_plan_append (plan, MOUNT_OP_DEVICE, default_devices[i].path);
      op->dev_type = 'c';
      op->major = default_devices[i].major;
      op->minor = default_devices[i].minor;
      op->mode = 0666;
    }
  for (j = 0; l && j < l->n_devices; j++)
    {
      ret = plan_spec_device (&l->devices[j], j, plan, err);
      if (ret < 0)
        return ret;
    }
  for (i = 0; i < ARRAY_SIZE (default_links); i++)
    {
      /* a device or mount at the same place wins; core only where the
       * kernel has one (runc) */
      if (plan_has (plan, default_links[i].path))
        continue;
      if (strcmp (default_links[i].path, "/dev/core") == 0 && access ("/proc/kcore", F_OK) < 0)
        continue;
      mount_plan_append (plan, MOUNT_OP_SYMLINK, default_links[i].path)->target
          = xstrdup (default_links[i].target);
    }
  return 0;
}

/* mknod is refused in a user namespace: bind the host's node instead
 * (runc does the same), onto an empty file made inside the rootfs. */
static int
bind_host_device (int rootfd, const struct mount_op *op, cryo_error_t *err)
{
  cleanup_close int target = -1, tree = -1;

  target = safe_mkpath_in_root (rootfd, op->destination, SAFE_LEAF_FILE, 0644, err);
  if (target < 0)
    return -1;
  tree = safe_clone_tree (AT_FDCWD, op->destination, false, err);
  if (tree < 0)
    return -1;
  return safe_attach (tree, target, err);
}

static int
mknod_once (int parentfd, const char *name, const struct mount_op *op)
{
  mode_t type = op->dev_type == 'b' ? S_IFBLK : op->dev_type == 'p' ? S_IFIFO : S_IFCHR;
  mode_t old = umask (0);
  int ret = mknodat (parentfd, name, type | op->mode,
                     makedev ((unsigned) op->major, (unsigned) op->minor));
  umask (old);
  return ret;
}

/* An existing entry is replaced unless it is already the right node: a
 * rootfs may ship a regular file called /dev/null. */
static int
replace_existing (int parentfd, const char *name, const struct mount_op *op, bool *done)
{
  mode_t type = op->dev_type == 'b' ? S_IFBLK : op->dev_type == 'p' ? S_IFIFO : S_IFCHR;
  struct stat st;

  *done = false;
  if (fstatat (parentfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return -1;
  if ((st.st_mode & S_IFMT) == type && (type == S_IFIFO || st.st_rdev == makedev (op->major, op->minor)))
    {
      *done = (st.st_mode & 07777) == op->mode;
      if (!*done)
        return unlinkat (parentfd, name, 0);
      return 0;
    }
  return unlinkat (parentfd, name, S_ISDIR (st.st_mode) ? AT_REMOVEDIR : 0);
}

int
rootfs_create_device (int rootfd, const struct mount_op *op, cryo_error_t *err)
{
  cleanup_close int parentfd = -1;
  cleanup_free char *name = NULL;
  bool done = false;
  int ret;

  parentfd = safe_parent_in_root (rootfd, op->destination, &name, err);
  if (parentfd < 0)
    return cryo_error_wrap (err, "device `%s`", op->destination);
  ret = mknod_once (parentfd, name, op);
  if (ret < 0 && errno == EEXIST)
    {
      ret = replace_existing (parentfd, name, op, &done);
      if (ret == 0 && !done)
        ret = mknod_once (parentfd, name, op);
    }
  if (ret < 0 && errno == EPERM && op->dev_type != 'p')
    {
      if (bind_host_device (rootfd, op, err) < 0)
        return cryo_error_wrap (err, "device `%s` (mknod not permitted, bind of the host's node)",
                                op->destination);
      return 0;
    }
  if (ret < 0)
    return cryo_error (err, errno, "create device `%s` (%c %lld:%lld)", op->destination,
                       op->dev_type, (long long) op->major, (long long) op->minor);
  if (fchownat (parentfd, name, op->uid, op->gid, AT_SYMLINK_NOFOLLOW) < 0)
    return cryo_error (err, errno, "chown device `%s` to %u:%u", op->destination, op->uid, op->gid);
  return 0;
}

int
rootfs_create_symlink (int rootfd, const struct mount_op *op, cryo_error_t *err)
{
  cleanup_close int parentfd = -1;
  cleanup_free char *name = NULL;
  char buf[PATH_MAX];
  struct stat st;
  ssize_t len;

  parentfd = safe_parent_in_root (rootfd, op->destination, &name, err);
  if (parentfd < 0)
    return cryo_error_wrap (err, "symlink `%s`", op->destination);
  if (symlinkat (op->target, parentfd, name) == 0)
    return 0;
  if (errno != EEXIST)
    return cryo_error (err, errno, "symlink `%s` -> `%s`", op->destination, op->target);
  len = readlinkat (parentfd, name, buf, sizeof (buf) - 1);
  if (len >= 0 && (size_t) len == strlen (op->target) && memcmp (buf, op->target, len) == 0)
    return 0;
  /* the rootfs has something else there (a /dev/ptmx node, a stale link) */
  if (fstatat (parentfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode))
    return cryo_error (err, EISDIR, "symlink `%s`: a directory is in the way", op->destination);
  if (unlinkat (parentfd, name, 0) < 0 || symlinkat (op->target, parentfd, name) < 0)
    return cryo_error (err, errno, "symlink `%s` -> `%s`", op->destination, op->target);
  return 0;
}
