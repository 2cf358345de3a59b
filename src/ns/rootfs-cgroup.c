/* The "cgroup" mount of the plan.
 *
 * With a cgroup namespace, cgroup file systems: the namespace makes the
 * container's cgroup their root.  Without one, a cgroup fs would show the
 * host's whole hierarchy (and a user namespace may not mount one at all,
 * EPERM), so, as runc does, the container gets binds of its own cgroup
 * directories: init already is in them, and /proc/self/cgroup with
 * /proc/self/mountinfo (still the host's view before pivot_root) says where
 * they are.  cgroup v1 and hybrid: a tmpfs with one directory per
 * hierarchy, named as the host names its mount point, and the host's
 * combined-controller symlinks (cpu -> cpu,cpuacct); cgroup v2: the
 * cgroup2 mount itself. */
#define LOG_PREFIX "rootfs: "
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "lib/log.h"
#include "ns/rootfs.h"
#include "ns/safe-path.h"
#include "lib/util.h"

/* Mount flags, and how the tmpfs that holds the hierarchies ends up. */
static int
seal_tmpfs (int tmpfs, const struct mount_op *op, bool ro, cryo_error_t *err)
{
  /* read-only only now: the hierarchies needed their directories */
  if (safe_setattr (tmpfs, false, ro ? MOUNT_ATTR_RDONLY : 0, 0, 0, -1, err) < 0
      || safe_setattr (tmpfs, true, op->rec_attr_set, op->rec_attr_clr, 0, -1, err) < 0)
    return -1;
  if (op->propagation)
    return safe_setattr (tmpfs, op->propagation & MS_REC, 0, 0, op->propagation & ~MS_REC, -1, err);
  return 0;
}

static int
new_tmpfs (int rootfd, const struct mount_op *op, cryo_error_t *err)
{
  cleanup_close int target = -1, tmpfs = -1;
  uint64_t set, clr;

  target = safe_mkpath_in_root (rootfd, op->destination, SAFE_LEAF_DIR, 0755, err);
  if (target < 0)
    return -1;
  mount_op_attr (op, &set, &clr);
  tmpfs = safe_new_fs ("tmpfs", "tmpfs", "mode=755", 0, set & ~(uint64_t) MOUNT_ATTR_RDONLY, err);
  if (tmpfs < 0 || safe_attach (tmpfs, target, err) < 0)
    return -1;
  return move_fd (&tmpfs);
}

/* The directory @name under the tmpfs @dirfd, made when missing. */
static int
cgroup_dir_in (int dirfd, const char *name, cryo_error_t *err)
{
  int fd;
  if (mkdirat (dirfd, name, 0755) < 0 && errno != EEXIST)
    return cryo_error (err, errno, "cgroup: mkdir `%s`", name);
  fd = openat (dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return cryo_error (err, errno, "cgroup: open `%s`", name);
  return fd;
}

/* runc's links for co-mounted controllers: cpu -> cpu,cpuacct. */
static int
combined_links (int dirfd, const char *name, cryo_error_t *err)
{
  cleanup_free char *copy = xstrdup (name);
  char *save = NULL, *tok;

  if (strchr (name, ',') == NULL || strchr (name, '='))
    return 0;
  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    if (symlinkat (name, dirfd, tok) < 0 && errno != EEXIST)
      return cryo_error (err, errno, "cgroup: symlink `%s`", tok);
  return 0;
}

/* One hierarchy of /proc/self/cgroup ("4:cpu,cpuacct:/x", "0::/x") mounted
 * in the tmpfs @dirfd (inside a cgroup namespace). */
static int
mount_cgroup_v1_line (int dirfd, char *line, uint64_t attr, cryo_error_t *err)
{
  cleanup_close int dir = -1, tree = -1;
  char *ctrls = strchr (line, ':'), *end, *name;
  bool unified;

  if (ctrls == NULL || (end = strchr (++ctrls, ':')) == NULL)
    return 0;
  *end = '\0';
  unified = ctrls[0] == '\0';
  name = unified ? "unified" : strncmp (ctrls, "name=", 5) == 0 ? ctrls + 5 : ctrls;
  dir = cgroup_dir_in (dirfd, name, err);
  if (dir < 0)
    return -1;
  tree = safe_new_fs (unified ? "cgroup2" : "cgroup", "cgroup", unified ? NULL : ctrls, 0, attr, err);
  if (tree < 0 || safe_attach (tree, dir, err) < 0)
    return cryo_error_wrap (err, "cgroup hierarchy `%s`", ctrls);
  return unified ? 0 : combined_links (dirfd, name, err);
}

/* cgroup v1 (and hybrid) in a cgroup namespace: a tmpfs with every
 * hierarchy of this process mounted as a cgroup fs. */
static int
mount_cgroup_v1 (int rootfd, const struct mount_op *op, cryo_error_t *err)
{
  cleanup_close int tmpfs = -1;
  cleanup_free char *buf = NULL;
  char *line, *save = NULL;
  uint64_t set, clr;

  if (read_all_file ("/proc/self/cgroup", &buf, NULL, err) < 0)
    return -1;
  tmpfs = new_tmpfs (rootfd, op, err);
  if (tmpfs < 0)
    return -1;
  mount_op_attr (op, &set, &clr);
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    if (mount_cgroup_v1_line (tmpfs, line, set, err) < 0)
      return -1;
  return seal_tmpfs (tmpfs, op, set & MOUNT_ATTR_RDONLY, err);
}

/* One hierarchy as the binds need it. */
struct cg_own
{
  char *name;   /* the directory in the container: the host mount point's base name */
  char *source; /* the host directory of this process's cgroup */
};

/* mountinfo escapes blanks and backslashes as \ooo. */
static char *
unescape (const char *s)
{
  char *out = xmalloc (strlen (s) + 1), *d = out;
  for (; *s; s++)
    if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0'
        && s[3] <= '7')
      {
        *d++ = (char) (((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
        s += 3;
      }
    else
      *d++ = *s;
  *d = '\0';
  return out;
}

static bool
has_all_controllers (const char *superopts, const char *ctrls)
{
  cleanup_free char *copy = xstrdup (ctrls);
  cleanup_free char *opts = xasprintf (",%s,", superopts);
  char *save = NULL, *tok;

  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      cleanup_free char *needle = xasprintf (",%s,", tok);
      if (strstr (opts, needle) == NULL)
        return false;
    }
  return true;
}

/* The directory of @path (a /proc/self/cgroup path) under the first mount of
 * the hierarchy @ctrls ("" for cgroup2) in @mountinfo; sets @name. */
static char *
own_dir (const char *mountinfo, const char *ctrls, const char *path, char **name)
{
  cleanup_free char *copy = xstrdup (mountinfo);
  char *line, *save = NULL;

  for (line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char root[4096], mp[4096], fstype[64], superopts[1024];
      cleanup_free char *r = NULL, *m = NULL;
      char *dash = strstr (line, " - ");
      size_t len;

      if (dash == NULL || sscanf (line, "%*s %*s %*s %4095s %4095s", root, mp) != 2
          || sscanf (dash + 3, "%63s %*s %1023s", fstype, superopts) != 2)
        continue;
      if (strcmp (fstype, *ctrls ? "cgroup" : "cgroup2") != 0
          || (*ctrls && !has_all_controllers (superopts, ctrls)))
        continue;
      r = unescape (root);
      m = unescape (mp);
      len = strcmp (r, "/") == 0 ? 0 : strlen (r);
      /* a mount of a sub-tree that does not hold our cgroup cannot show it */
      if (strncmp (path, r, len) != 0 || (path[len] != '/' && path[len] != '\0'))
        continue;
      *name = xstrdup (strrchr (m, '/') ? strrchr (m, '/') + 1 : m);
      return xasprintf ("%s%s", m, strcmp (path + len, "/") == 0 ? "" : path + len);
    }
  return NULL;
}

static void
own_free (struct cg_own *v, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      free (v[i].name);
      free (v[i].source);
    }
  free (v);
}

/* Every hierarchy this process is in (v1 and the hybrid layout's cgroup2
 * tree), or only the cgroup2 one (@v2). */
static int
own_cgroups (bool v2, struct cg_own **out, size_t *n, cryo_error_t *err)
{
  cleanup_free char *cg = NULL, *mi = NULL;
  char *line, *save = NULL;

  *out = NULL;
  *n = 0;
  if (read_all_file ("/proc/self/cgroup", &cg, NULL, err) < 0
      || read_all_file ("/proc/self/mountinfo", &mi, NULL, err) < 0)
    return -1;
  for (line = strtok_r (cg, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *ctrls = strchr (line, ':'), *path, *name = NULL, *source;
      if (ctrls == NULL || (path = strchr (++ctrls, ':')) == NULL)
        continue;
      *path++ = '\0';
      if (v2 && *ctrls)
        continue;
      source = own_dir (mi, ctrls, path, &name);
      if (source == NULL)
        {
          /* the kernel lists "0::" where no cgroup2 tree is mounted, too */
          log_debug ("cgroup hierarchy `%s` is not mounted: not in the container", ctrls);
          continue;
        }
      *out = xreallocarray (*out, *n + 1, sizeof (**out));
      (*out)[(*n)++] = (struct cg_own){ name, source };
    }
  if (*n == 0)
    return cryo_error (err, 0, "cgroup: none of this process's cgroups is mounted "
                       "(see /proc/self/cgroup and /proc/self/mountinfo)");
  return 0;
}

/* A bind of the host directory @source onto @target, read-only when @ro;
 * with @whole, also the op's recursive flags and propagation. */
static int
bind_own (const char *source, int target, const struct mount_op *op, bool ro, bool whole,
          cryo_error_t *err)
{
  cleanup_close int tree = safe_clone_tree (AT_FDCWD, source, true, err);
  uint64_t set, clr;

  if (tree < 0)
    return -1;
  mount_op_attr (op, &set, &clr);
  set = ro ? set | MOUNT_ATTR_RDONLY : set & ~(uint64_t) MOUNT_ATTR_RDONLY;
  if (safe_setattr (tree, false, set, clr, 0, -1, err) < 0
      || (whole ? rootfs_finish_mount (tree, target, op, false, err) : safe_attach (tree, target, err)) < 0)
    return cryo_error_wrap (err, "bind `%s`", source);
  return 0;
}

/* Without a cgroup namespace.  The binds are read-only when the mount says
 * "ro" (runc spec's and cryo spec's default); without it they are writable,
 * as with runc: the container may then make sub-cgroups of its own. */
static int
bind_cgroups (int rootfd, const struct mount_op *op, bool v2, cryo_error_t *err)
{
  bool ro = (op->flags & MS_RDONLY) != 0;
  cleanup_close int top = -1;
  struct cg_own *own = NULL;
  size_t n = 0, i;
  int ret;

  if (own_cgroups (v2, &own, &n, err) < 0)
    return -1;
  if (v2)
    {
      top = safe_mkpath_in_root (rootfd, op->destination, SAFE_LEAF_DIR, 0755, err);
      ret = top < 0 ? -1 : bind_own (own[0].source, top, op, ro, true, err);
      own_free (own, n);
      return ret;
    }
  top = new_tmpfs (rootfd, op, err);
  ret = top < 0 ? -1 : 0;
  for (i = 0; i < n && ret == 0; i++)
    {
      cleanup_close int dir = cgroup_dir_in (top, own[i].name, err);
      ret = dir < 0 ? -1 : bind_own (own[i].source, dir, op, ro, false, err);
      if (ret == 0)
        ret = combined_links (top, own[i].name, err);
    }
  own_free (own, n);
  return ret < 0 ? -1 : seal_tmpfs (top, op, ro, err);
}

int
rootfs_mount_cgroup (int rootfd, const struct mount_op *op, bool cgroup_ns, cryo_error_t *err)
{
  struct statfs sfs;
  bool v2 = statfs ("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;

  if (!cgroup_ns)
    return bind_cgroups (rootfd, op, v2, err);
  if (v2)
    return rootfs_mount_fs (rootfd, op, "cgroup2", err);
  return mount_cgroup_v1 (rootfd, op, err);
}
