/* The container's root filesystem: prepare (propagation, self-bind, the
 * plan's mounts, devices and links), pivot, finalize (masked and readonly
 * paths, readonly root).  Every mount under the rootfs goes through
 * safe-path.c: resolved with RESOLVE_IN_ROOT, attached with move_mount on
 * the resolved fd. */
#define LOG_PREFIX "rootfs: "
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/log.h"
#include "ns/copyup.h"
#include "ns/rootfs.h"
#include "ns/safe-path.h"
#include "lib/util.h"

/* Superblock flags: everything else in MS_* is per mount or a verb. */
#define SB_FLAGS_MASK (MS_SYNCHRONOUS | MS_DIRSYNC | MS_LAZYTIME | MS_MANDLOCK)

/* Attributes, attach, then propagation (a detached mount has none). */
int
rootfs_finish_mount (int tree, int target, const struct mount_op *op, bool top_attrs, cryo_error_t *err)
{
  uint64_t set, clr;

  if (top_attrs)
    {
      mount_op_attr (op, &set, &clr);
      if (safe_setattr (tree, false, set, clr, 0, -1, err) < 0)
        return -1;
    }
  if (safe_setattr (tree, true, op->rec_attr_set, op->rec_attr_clr, 0, -1, err) < 0
      || safe_attach (tree, target, err) < 0)
    return -1;
  if (op->propagation)
    return safe_setattr (tree, op->propagation & MS_REC, 0, 0, op->propagation & ~MS_REC, -1, err);
  return 0;
}

/* Over procfs only proc itself and lxcfs-style files (runc's list): a
 * bind onto /proc/sys or /proc/self/attr would undo masks and LSM labels. */
static int
check_proc_target (int target, const struct mount_op *op, cryo_error_t *err)
{
  static const char *const allowed[] = {
    "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",
    "/proc/swaps",   "/proc/uptime",    "/proc/loadavg", "/proc/slabinfo",
    "/proc/net/dev", "/proc/sys/kernel/ns_last_pid", NULL,
  };
  struct statfs sfs;

  if (fstatfs (target, &sfs) < 0)
    return cryo_error (err, errno, "statfs `%s`", op->destination);
  if (sfs.f_type != PROC_SUPER_MAGIC || strv_contains ((char *const *) allowed, op->destination)
      || (!(op->flags & MS_BIND) && op->type && strcmp (op->type, "proc") == 0))
    return 0;
  return cryo_error (err, EPERM, "`%s` is on procfs: only proc and the files lxcfs provides "
                     "(/proc/cpuinfo, /proc/meminfo, ...) may be mounted there", op->destination);
}

static int
mount_bind (int rootfd, const struct mount_op *op, cryo_error_t *err)
{
  cleanup_close int target = -1, tree = -1, userns = -1;
  struct stat st;

  /* the source is a host path, resolved on the host (as runc does) */
  if (stat (op->source, &st) < 0)
    return cryo_error (err, errno, "bind source `%s`", op->source);
  target = safe_mkpath_in_root (rootfd, op->destination,
                                S_ISDIR (st.st_mode) ? SAFE_LEAF_DIR : SAFE_LEAF_FILE,
                                S_ISDIR (st.st_mode) ? 0755 : 0644, err);
  if (target < 0 || check_proc_target (target, op, err) < 0)
    return -1;
  tree = safe_clone_tree (AT_FDCWD, op->source, op->flags & MS_REC, err);
  if (tree < 0)
    return -1;
  if (op->idmap)
    {
      userns = safe_userns_fd (op->uid_mappings, op->n_uid_mappings, op->gid_mappings,
                               op->n_gid_mappings, err);
      if (userns < 0
          || safe_setattr (tree, op->idmap_recursive, MOUNT_ATTR_IDMAP, 0, 0, userns, err) < 0)
        return cryo_error_wrap (err, "idmap");
    }
  return rootfs_finish_mount (tree, target, op, true, err);
}

/* tmpcopyup: the options that set the tmpfs root's mode or owner win. */
static unsigned
copyup_keep (const char *data)
{
  cleanup_free char *copy = xstrdup (data ? data : "");
  char *save = NULL, *tok;
  unsigned keep = 0;

  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      if (strncmp (tok, "mode=", 5) == 0)
        keep |= COPYUP_KEEP_MODE;
      if (strncmp (tok, "uid=", 4) == 0 || strncmp (tok, "gid=", 4) == 0)
        keep |= COPYUP_KEEP_OWNER;
    }
  return keep;
}

/* Fill the new, still detached, tmpfs @tree from the directory @target
 * (resolved in the rootfs, not yet covered): the container never sees it
 * half-filled, and nothing is written under the rootfs. */
static int
copy_up (int target, int tree, const struct mount_op *op, cryo_error_t *err)
{
  cleanup_close int src = openat (target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (src < 0)
    return cryo_error (err, errno, "tmpcopyup: open `%s`", op->destination);
  if (copyup_tree (src, tree, copyup_keep (op->data), err) < 0)
    return cryo_error_wrap (err, "tmpcopyup into `%s`", op->destination);
  return 0;
}

/* proc and sysfs go on a real directory, never through a symlink the
 * rootfs put there (runc: "must be mounted on ordinary directory"): masks
 * and read-only paths name /proc and /sys, and would miss a mount made at
 * the symlink's target. */
static int
check_kernel_fs_target (int rootfd, const struct mount_op *op, const char *type, cryo_error_t *err)
{
  cleanup_close int fd = -1;
  struct stat st;

  if (strcmp (type, "proc") != 0 && strcmp (type, "sysfs") != 0)
    return 0;
  fd = safe_openat2 (rootfd, op->destination, O_PATH | O_NOFOLLOW | O_CLOEXEC,
                     RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0 || fstat (fd, &st) < 0)
    return cryo_error (err, errno, "`%s`", op->destination);
  if (!S_ISDIR (st.st_mode))
    return cryo_error (err, 0, "filesystem `%s` must be mounted on ordinary directory", type);
  return 0;
}

/* A read-only /dev is mounted read-write and made read-only at finalize:
 * the device nodes, /dev/pts, /dev/shm and the links go in first (runc). */
static bool
is_readonly_dev (const struct mount_op *op)
{
  return op->kind == MOUNT_OP_MOUNT && !(op->flags & (MS_BIND | MS_REMOUNT)) && (op->flags & MS_RDONLY)
         && (strcmp (op->destination, "/dev") == 0 || strcmp (op->destination, "/dev/") == 0);
}

int
rootfs_mount_fs (int rootfd, const struct mount_op *op, const char *type, cryo_error_t *err)
{
  cleanup_close int target = -1, tree = -1;
  bool copyup = op->tmpcopyup && mount_op_is_tmpfs (op);
  bool dev_ro = is_readonly_dev (op);
  uint64_t set, clr;

  if (check_kernel_fs_target (rootfd, op, type, err) < 0)
    return -1;
  target = safe_mkpath_in_root (rootfd, op->destination, SAFE_LEAF_DIR, 0755, err);
  if (target < 0 || check_proc_target (target, op, err) < 0)
    return -1;
  mount_op_attr (op, &set, &clr);
  /* a read-only tmpfs becomes read-only once it is filled */
  tree = safe_new_fs (type, op->source, op->data, op->flags & SB_FLAGS_MASK,
                      copyup || dev_ro ? set & ~(uint64_t) MOUNT_ATTR_RDONLY : set, err);
  if (tree < 0 || (copyup && copy_up (target, tree, op, err) < 0))
    return -1;
  return rootfs_finish_mount (tree, target, op, copyup && !dev_ro, err);
}

static int
mount_remount (int rootfd, const struct mount_op *op, cryo_error_t *err)
{
  cleanup_close int target = safe_open_in_root (rootfd, op->destination, O_PATH, err);
  uint64_t set, clr;

  if (target < 0)
    return -1;
  if ((op->data || (op->flags & SB_FLAGS_MASK))
      && safe_reconfigure_fs (target, op->data, op->flags & SB_FLAGS_MASK, err) < 0)
    return -1;
  mount_op_attr (op, &set, &clr);
  if (safe_setattr (target, false, set, clr, 0, -1, err) < 0
      || safe_setattr (target, true, op->rec_attr_set, op->rec_attr_clr, 0, -1, err) < 0)
    return -1;
  if (op->propagation)
    return safe_setattr (target, op->propagation & MS_REC, 0, 0, op->propagation & ~MS_REC, -1, err);
  return 0;
}

static int
run_mount_op (int rootfd, const struct mount_plan *plan, const struct mount_op *op,
              cryo_error_t *err)
{
  if (op->flags & MS_REMOUNT)
    return mount_remount (rootfd, op, err);
  if (op->flags & MS_BIND)
    return mount_bind (rootfd, op, err);
  if (strcmp (op->type, "cgroup") == 0)
    return rootfs_mount_cgroup (rootfd, op, plan->cgroup_ns, err);
  return rootfs_mount_fs (rootfd, op, op->type, err);
}

static int
run_op (int rootfd, const struct mount_plan *plan, const struct mount_op *op, cryo_error_t *err)
{
  switch (op->kind)
    {
    case MOUNT_OP_MOUNT:
      if (run_mount_op (rootfd, plan, op, err) < 0)
        return cryo_error_wrap (err, "mount `%s` on `%s`",
                                op->flags & MS_BIND ? "bind" : op->type ? op->type : "remount",
                                op->destination);
      return 0;
    case MOUNT_OP_DEVICE:
      return rootfs_create_device (rootfd, op, err);
    case MOUNT_OP_SYMLINK:
      return rootfs_create_symlink (rootfd, op, err);
    default:
      return 0; /* masked and readonly paths: rootfs_finalize */
    }
}

/* mountinfo's "\040"-style escapes, decoded in place. */
static void
unescape_octal (char *s)
{
  char *src, *dst = s;

  for (src = s; *src; src++)
    if (src[0] == '\\' && src[1] && src[2] && src[3])
      {
        *dst++ = (char) (((src[1] - '0') << 6) | ((src[2] - '0') << 3) | (src[3] - '0'));
        src += 3;
      }
    else
      *dst++ = *src;
  *dst = '\0';
}

/* The mount point under which @path lives, from /proc/self/mountinfo
 * (longest matching mount point; octal escapes decoded). */
static char *
mount_point_of (const char *path, cryo_error_t *err)
{
  cleanup_free char *buf = NULL;
  char *line, *save = NULL, *best = NULL;

  if (read_all_file ("/proc/self/mountinfo", &buf, NULL, err) < 0)
    return NULL;
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char mp[4096];
      size_t len;
      if (sscanf (line, "%*s %*s %*s %*s %4095s", mp) != 1)
        continue;
      unescape_octal (mp);
      len = strlen (mp);
      if ((strcmp (mp, "/") == 0 || (strncmp (path, mp, len) == 0 && (path[len] == '/' || !path[len])))
          && (best == NULL || len > strlen (best)))
        {
          free (best);
          best = xstrdup (mp);
        }
    }
  return best ? best : xstrdup ("/");
}

/* pivot_root refuses a shared parent mount, and binding the rootfs under a
 * shared parent would propagate it back to the host (runc does the same). */
static int
make_parent_private (const char *rootfs, cryo_error_t *err)
{
  cleanup_free char *real = realpath (rootfs, NULL);
  cleanup_free char *mp = NULL;

  if (real == NULL)
    return cryo_error (err, errno, "rootfs `%s`", rootfs);
  mp = mount_point_of (real, err);
  if (mp == NULL)
    return -1;
  if (mount (NULL, mp, NULL, MS_PRIVATE, NULL) < 0)
    return cryo_error (err, errno, "make `%s` private", mp);
  return 0;
}

int
rootfs_prepare_at (const char *rootfs, const struct mount_plan *plan, cryo_error_t *err)
{
  unsigned long propagation = plan->root_propagation ? plan->root_propagation : MS_SLAVE | MS_REC;
  cleanup_close int target = -1, rootfd = -1;
  size_t i;

  /* first, so that nothing below reaches the host's mount namespace */
  if (mount (NULL, "/", NULL, propagation, NULL) < 0)
    return cryo_error (err, errno, "set the propagation of `/` to %s",
                       mount_propagation_name (propagation));
  if (make_parent_private (rootfs, err) < 0)
    return -1;
  target = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (target < 0)
    return cryo_error (err, errno, "open rootfs `%s`", rootfs);
  rootfd = safe_clone_tree (target, NULL, true, err);
  if (rootfd < 0 || safe_attach (rootfd, target, err) < 0)
    return cryo_error_wrap (err, "bind the rootfs `%s` onto itself", rootfs);
  /* rootfd is now the root of the new mount: every op resolves under it */
  for (i = 0; i < plan->n_ops; i++)
    if (run_op (rootfd, plan, &plan->ops[i], err) < 0)
      return -1;
  return 0;
}

int
rootfs_prepare (const struct spec *spec, const struct mount_plan *plan, cryo_error_t *err)
{
  cleanup_mount_plan struct mount_plan *own = NULL;

  if (spec->rootfs == NULL)
    return cryo_error (err, 0, "root.path: the rootfs is not set");
  if (plan == NULL)
    {
      if (mount_plan_build (spec, &own, err) < 0)
        return -1;
      plan = own;
    }
  return rootfs_prepare_at (spec->rootfs, plan, err);
}

static int
pivot (const char *rootfs, cryo_error_t *err)
{
  cleanup_close int oldroot = open ("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  cleanup_close int newroot = open (rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

  if (oldroot < 0 || newroot < 0)
    return cryo_error (err, errno, "open `%s`", oldroot < 0 ? "/" : rootfs);
  if (fchdir (newroot) < 0)
    return cryo_error (err, errno, "chdir to `%s`", rootfs);
  /* new and old root on the same directory: the old root ends up stacked
   * on top of the new one and is detached below, no directory needed */
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return cryo_error (err, errno, "pivot_root to `%s`", rootfs);
  if (fchdir (oldroot) < 0)
    return cryo_error (err, errno, "chdir to the old root");
  /* the unmount must not propagate to the host */
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return cryo_error (err, errno, "make the old root rslave");
  if (umount2 (".", MNT_DETACH) < 0)
    return cryo_error (err, errno, "detach the old root");
  return 0;
}

/* Unmount (or, where that is refused, cover) one full proc or sysfs
 * mount of the host; its unmount must not reach the host. */
static int
hide_kernel_fs (const char *mp, cryo_error_t *err)
{
  if (mount (NULL, mp, NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return errno == ENOENT ? 0 : cryo_error (err, errno, "make `%s` rslave", mp);
  if (umount2 (mp, MNT_DETACH) == 0)
    return 0;
  if (errno != EINVAL && errno != EPERM)
    return cryo_error (err, errno, "unmount the host's `%s`", mp);
  if (mount ("tmpfs", mp, "tmpfs", 0, NULL) < 0)
    return cryo_error (err, errno, "cover the host's `%s`", mp);
  return 0;
}

/* Without pivot_root the host's mounts stay in the container's mount
 * namespace, under the chroot: a full proc or sysfs there lets a process
 * of the container that makes a user namespace mount a fresh, unmasked
 * proc (the kernel only checks that one fully visible exists).  Hide
 * every such mount outside the rootfs first, as runc's msMoveRoot does. */
static int
hide_host_kernel_fs (const char *rootfs, cryo_error_t *err)
{
  cleanup_free char *buf = NULL, *real = realpath (rootfs, NULL);
  char *line, *save = NULL;
  size_t rlen;

  if (real == NULL)
    return cryo_error (err, errno, "resolve `%s`", rootfs);
  rlen = strlen (real);
  if (read_all_file ("/proc/self/mountinfo", &buf, NULL, err) < 0)
    return -1;
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char root[4096], mp[4096], fstype[64];
      const char *sep = strstr (line, " - ");
      if (sscanf (line, "%*s %*s %*s %4095s %4095s", root, mp) != 2 || sep == NULL
          || sscanf (sep + 3, "%63s", fstype) != 1)
        continue;
      unescape_octal (mp);
      if (strcmp (root, "/") != 0 || (strcmp (fstype, "proc") != 0 && strcmp (fstype, "sysfs") != 0)
          || (strncmp (mp, real, rlen) == 0 && (mp[rlen] == '/' || mp[rlen] == '\0')))
        continue;
      if (hide_kernel_fs (mp, err) < 0)
        return -1;
    }
  return 0;
}

static int
move_root (const char *rootfs, cryo_error_t *err)
{
  if (hide_host_kernel_fs (rootfs, err) < 0)
    return -1;
  if (chdir (rootfs) < 0)
    return cryo_error (err, errno, "chdir to `%s`", rootfs);
  if (mount (rootfs, "/", NULL, MS_MOVE, NULL) < 0)
    return cryo_error (err, errno, "move `%s` to `/`", rootfs);
  if (chroot (".") < 0)
    return cryo_error (err, errno, "chroot to `%s`", rootfs);
  return 0;
}

int
rootfs_pivot (const char *rootfs, bool no_pivot, cryo_error_t *err)
{
  int ret = no_pivot ? move_root (rootfs, err) : pivot (rootfs, err);
  if (ret < 0)
    return ret;
  if (chdir ("/") < 0)
    return cryo_error (err, errno, "chdir to `/`");
  return 0;
}

int
rootfs_chroot (const char *rootfs, cryo_error_t *err)
{
  if (chdir (rootfs) < 0)
    return cryo_error (err, errno, "chdir to `%s`", rootfs);
  if (chroot (".") < 0)
    return cryo_error (err, errno, "chroot to `%s`", rootfs);
  if (chdir ("/") < 0)
    return cryo_error (err, errno, "chdir to `/`");
  return 0;
}

/* Masked: /dev/null over a file, an empty read-only tmpfs over a directory;
 * a path that does not exist needs no mask. */
static int
mask_path (int rootfd, const char *path, cryo_error_t *err)
{
  cleanup_close int target = safe_openat2 (rootfd, path, O_PATH | O_CLOEXEC,
                                           RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  cleanup_close int tree = -1;
  struct stat st;

  if (target < 0 && errno == ENOENT)
    return 0;
  if (target < 0 || fstat (target, &st) < 0)
    return cryo_error (err, errno, "masked path `%s`", path);
  if (S_ISDIR (st.st_mode))
    tree = safe_new_fs ("tmpfs", "tmpfs", NULL, 0, MOUNT_ATTR_RDONLY, err);
  else
    tree = safe_clone_tree (rootfd, "dev/null", false, err);
  if (tree < 0 || safe_attach (tree, target, err) < 0)
    return cryo_error_wrap (err, "masked path `%s`", path);
  return 0;
}

/* Read-only: a recursive bind of the path onto itself, read-only all the way down. */
static int
readonly_path (int rootfd, const char *path, cryo_error_t *err)
{
  cleanup_close int target = safe_openat2 (rootfd, path, O_PATH | O_CLOEXEC,
                                           RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  cleanup_close int tree = -1;

  if (target < 0 && errno == ENOENT)
    return 0;
  if (target < 0)
    return cryo_error (err, errno, "readonly path `%s`", path);
  tree = safe_clone_tree (target, NULL, true, err);
  if (tree < 0 || safe_setattr (tree, true, MOUNT_ATTR_RDONLY, 0, 0, -1, err) < 0
      || safe_attach (tree, target, err) < 0)
    return cryo_error_wrap (err, "readonly path `%s`", path);
  return 0;
}

static int
run_finalize_ops (int rootfd, const struct mount_plan *plan, enum mount_op_kind kind,
                  cryo_error_t *err)
{
  size_t i;
  int ret;
  for (i = 0; i < plan->n_ops; i++)
    {
      if (plan->ops[i].kind != kind)
        continue;
      ret = kind == MOUNT_OP_MASK ? mask_path (rootfd, plan->ops[i].destination, err)
                                  : readonly_path (rootfd, plan->ops[i].destination, err);
      if (ret < 0)
        return ret;
    }
  return 0;
}

static int
finalize_dev (int rootfd, const struct mount_plan *plan, cryo_error_t *err)
{
  for (size_t i = 0; i < plan->n_ops; i++)
    if (is_readonly_dev (&plan->ops[i]))
      {
        cleanup_close int dev = safe_openat2 (rootfd, "dev", O_PATH | O_DIRECTORY | O_CLOEXEC,
                                              RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS);
        if (dev < 0)
          return cryo_error (err, errno, "open `/dev`");
        if (safe_setattr (dev, false, MOUNT_ATTR_RDONLY, 0, 0, -1, err) < 0)
          return cryo_error_wrap (err, "make `/dev` read-only");
      }
  return 0;
}

int
rootfs_finalize_plan (const struct mount_plan *plan, cryo_error_t *err)
{
  cleanup_close int rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  unsigned long p = plan->root_propagation;

  if (rootfd < 0)
    return cryo_error (err, errno, "open `/`");
  /* runc's order: readonly paths, then masks on top */
  if (run_finalize_ops (rootfd, plan, MOUNT_OP_READONLY, err) < 0
      || run_finalize_ops (rootfd, plan, MOUNT_OP_MASK, err) < 0 || finalize_dev (rootfd, plan, err) < 0)
    return -1;
  if (plan->readonly_root && safe_setattr (rootfd, false, MOUNT_ATTR_RDONLY, 0, 0, -1, err) < 0)
    return cryo_error_wrap (err, "make the root read-only");
  if (p && safe_setattr (rootfd, p & MS_REC, 0, 0, p & ~MS_REC, -1, err) < 0)
    return cryo_error_wrap (err, "rootfsPropagation %s", mount_propagation_name (p));
  return 0;
}

int
rootfs_finalize (const struct spec *spec, cryo_error_t *err)
{
  cleanup_mount_plan struct mount_plan *plan = NULL;
  if (mount_plan_build (spec, &plan, err) < 0)
    return -1;
  return rootfs_finalize_plan (plan, err);
}
