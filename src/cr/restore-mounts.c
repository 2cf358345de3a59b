/* The mounts restore prepares for CRIU, in <root>.restore/@restore-XXXXXX:
 * outside every container's state directory (which delete removes
 * recursively), and below a directory that is not the state root because
 * CRIU opens them from the restored root task, which in a user namespace is
 * the container's root: the path must be searchable by anyone (0711, the
 * names are random), while the state root is 0700.
 *
 *   root       a private recursive bind of the bundle's rootfs (CRIU's --root)
 *   tmpfs-N    a fresh tmpfs with the options it had, filled from the image
 *   mask-KEY   an empty tmpfs for a masked directory
 *
 * plus, without a mount of their own, the bind sources of the bundle's
 * config and the container's new cgroup directories.  CRIU bind-mounts each
 * into the container's mount namespace ("mnt[KEY]:PATH"); once it has, or
 * when the restore fails, cryo detaches all of them again, so the host keeps
 * nothing (the container's copies hold the tmpfs alive). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_PREFIX "restore: "
#include "cgroup/cgroup.h"
#include "image/image.h"
#include "lib/log.h"
#include "ns/mount-plan.h"
#include "ns/safe-path.h"
#include "cr/restore-internal.h"
#include "lib/util.h"

static int
mount_private (struct cr_mounts *m, const char *source, const char *target, const char *type,
               unsigned long flags, const char *data, cryo_error_t *err)
{
  if (mkdir (target, 0700) < 0 && errno != EEXIST)
    return cryo_error (err, errno, "create `%s`", target);
  if (mount (source, target, type, flags, data) < 0)
    return cryo_error (err, errno, "mount `%s` on `%s`", source, target);
  strv_append (&m->mounted, target);
  /* Not shared with the host's peers: CRIU's binds must not propagate back. */
  if (mount (NULL, target, NULL, MS_PRIVATE | MS_REC, NULL) < 0)
    return cryo_error (err, errno, "make `%s` private", target);
  return 0;
}

static void
add_external (struct cr_mounts *m, const char *key, const char *path)
{
  cleanup_free char *s = xasprintf ("mnt[%s]:%s", key, path);
  strv_append (&m->external, s);
}

/* Below a tmpfs restored from the image: its mountpoints come back with it. */
static bool
under_tmpfs (const struct cr_externals *x, const char *dst)
{
  for (size_t i = 0; i < x->n_mounts; i++)
    {
      const char *t = x->mounts[i].destination;
      size_t n = strlen (t);
      if (x->mounts[i].kind == CR_EXT_TMPFS && strncmp (dst, t, n) == 0 && (dst[n] == '/' || n == 1))
        return true;
    }
  return false;
}

/* The bind's source from the bundle's config (a restore may bind other
 * directories; a relative one is the bundle's), else the one recorded at
 * checkpoint. */
static char *
bind_source (const struct spec *spec, const struct cr_mount *mnt)
{
  for (size_t i = 0; i < spec->n_mounts; i++)
    {
      const char *src = spec->mounts[i].source;
      if (strcmp (spec->mounts[i].destination, mnt->destination) != 0 || src == NULL)
        continue;
      return src[0] != '/' && spec->bundle ? xasprintf ("%s/%s", spec->bundle, src) : xstrdup (src);
    }
  return mnt->source ? xstrdup (mnt->source) : NULL;
}

/* The deepest external bind that @dst is below (not at), with @dst's
 * path inside it in @rest. */
static const struct cr_mount *
bind_above (const struct cr_externals *x, const char *dst, const char **rest)
{
  const struct cr_mount *found = NULL;
  size_t best = 0;

  for (size_t i = 0; i < x->n_mounts; i++)
    {
      const char *t = x->mounts[i].destination;
      size_t n = strlen (t);
      if (x->mounts[i].kind == CR_EXT_BIND && n > best && strncmp (dst, t, n) == 0 && dst[n] == '/')
        {
          found = &x->mounts[i];
          best = n;
        }
    }
  *rest = dst + best;
  return found;
}

/* A mountpoint that a new copy of the rootfs may lack (runc and crun make
 * them too): a directory, or a file for a bind of a file. */
static int
ensure_mountpoint (struct cr_mounts *m, const struct spec *spec, const struct cr_externals *x,
                   const char *destination, const char *source, cryo_error_t *err)
{
  cleanup_close int rootfd = -1, fd = -1;
  cleanup_free char *above_source = NULL;
  const struct cr_mount *above;
  const char *in = m->root, *rest = destination;
  struct stat st;
  bool dir = true;

  if (under_tmpfs (x, destination))
    return 0;
  if (source && stat (source, &st) == 0)
    dir = S_ISDIR (st.st_mode);
  /* Below another bind (runc's nested bind mounts): the mountpoint is in
   * that bind's source, where CRIU looks for it once the bind is mounted. */
  if ((above = bind_above (x, destination, &rest)) != NULL
      && (above_source = bind_source (spec, above)) != NULL)
    in = above_source;
  else
    rest = destination;
  rootfd = open (in, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return cryo_error (err, errno, "open `%s`", in);
  fd = safe_mkpath_in_root (rootfd, rest, dir ? SAFE_LEAF_DIR : SAFE_LEAF_FILE, dir ? 0755 : 0644, err);
  return fd < 0 ? cryo_error_wrap (err, "mountpoint `%s` in `%s`", rest, in) : 0;
}

/* Every filesystem mount of the image's plan (proc, sysfs, devpts...):
 * CRIU mounts them on what it finds in the root.  Binds are the externals'
 * (their sources come from the bundle, and say file or directory). */
static int
ensure_plan_mountpoints (struct cr_mounts *m, const struct spec *spec, const struct cr_externals *x,
                         struct image *img, cryo_error_t *err)
{
  cleanup_mount_plan struct mount_plan *plan = NULL;

  if (image_mount_plan (img, &plan, err) < 0)
    return -1;
  /* CRIU pivots into the restored root through its "tmp", or a directory
   * it makes there (cr_pivot_root), which a read-only root refuses ("Can't
   * create a temporary directory"): like a mountpoint, /tmp is made when
   * the rootfs lacks it.  runc spec's default root is read-only. */
  if (plan && plan->readonly_root && ensure_mountpoint (m, spec, x, "/tmp", NULL, err) < 0)
    return -1;
  for (size_t i = 0; plan && i < mount_plan_len (plan); i++)
    {
      const struct mount_op *op = mount_plan_op (plan, i);
      if (op->kind == MOUNT_OP_MOUNT && !mount_op_is_bind (op)
          && ensure_mountpoint (m, spec, x, op->destination, NULL, err) < 0)
        return -1;
    }
  return 0;
}

static int
prepare_tmpfs (struct cr_mounts *m, const struct cr_mount *mnt, size_t i, struct image *img,
               cryo_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/tmpfs-%zu", m->dir, i);

  if (mount_private (m, "tmpfs", path, "tmpfs", cr_mount_flags (mnt->options) & ~MS_RDONLY, mnt->data, err)
          < 0
      || image_extract_tmpfs (img, mnt->destination, path, err) < 0)
    return cryo_error_wrap (err, "tmpfs `%s`", mnt->destination);
  add_external (m, mnt->key, path);
  return 0;
}

/* /dev/null for masked files, as the container had it: a bind of the
 * host's node (user namespace), else the node in its restored /dev (the
 * mask's mount flags come from there: in a user namespace CRIU may not
 * change them). */
static char *
null_device (const struct cr_mounts *m, const struct cr_externals *x)
{
  const struct cr_mount *bind = cr_externals_find (x, "/dev/null");

  if (bind && bind->kind == CR_EXT_BIND && bind->source)
    return xstrdup (bind->source);
  for (size_t i = 0; i < x->n_mounts; i++)
    if (x->mounts[i].kind == CR_EXT_TMPFS && strcmp (x->mounts[i].destination, "/dev") == 0)
      {
        char *p = xasprintf ("%s/tmpfs-%zu/null", m->dir, i);
        struct stat st;
        if (stat (p, &st) == 0 && S_ISCHR (st.st_mode))
          return p;
        free (p);
      }
  return xstrdup ("/dev/null");
}

static int
prepare_other (struct cr_mounts *m, const struct spec *spec, const struct cr_externals *x,
               const struct cr_mount *mnt, struct cgroup_manager *cg, cryo_error_t *err)
{
  cleanup_free char *mask = NULL, *null = NULL, *bind = NULL;
  const char *source = NULL;
  struct stat st;

  switch (mnt->kind)
    {
    case CR_EXT_BIND:
      source = bind = bind_source (spec, mnt);
      if (source == NULL || stat (source, &st) < 0)
        return cryo_error (err, source ? errno : 0,
                           "mounts: the source `%s` of the bind mount `%s` is missing", source ? source : "",
                           mnt->destination);
      break;
    case CR_EXT_MASK_DIR:
      /* One each: CRIU cannot bind one external mount twice (mnt-v2). */
      mask = xasprintf ("%s/mask-%s", m->dir, mnt->key);
      if (mount_private (m, "tmpfs", mask, "tmpfs", cr_mount_flags (mnt->options) | MS_RDONLY, NULL, err) < 0)
        return -1;
      source = mask;
      break;
    case CR_EXT_MASK_FILE:
      source = null = null_device (m, x);
      break;
    case CR_EXT_CGROUP:
      source = cgroup_dir (cg, mnt->source);
      if (source == NULL)
        return cryo_error (err, 0, "cgroup mount `%s`: this host has no `%s` hierarchy", mnt->destination,
                           *mnt->source ? mnt->source : "cgroup2");
      break;
    default:
      return 0;
    }
  if (mnt->kind != CR_EXT_MASK_DIR && mnt->kind != CR_EXT_MASK_FILE
      && ensure_mountpoint (m, spec, x, mnt->destination, source, err) < 0)
    return -1;
  add_external (m, mnt->key, source);
  return 0;
}

/* <state root>.restore/@restore-XXXXXX: next to the state root, not in
 * it, because the state root is 0700 and a container's mapped root user
 * must reach its rootfs.  The parent goes with the last restore using it
 * (cr_mounts_release), so a concurrent release may remove it between our
 * mkdir and mkdtemp: then once more. */
static int
make_restore_dir (struct cr_mounts *m, const char *state_root, cryo_error_t *err)
{
  cleanup_free char *parent = xasprintf ("%s.restore", state_root);

  for (int attempt = 0; attempt < 2; attempt++)
    {
      cleanup_free char *tmpl = xasprintf ("%s/@restore-XXXXXX", parent);

      if (mkdir (parent, 0711) < 0 && errno != EEXIST)
        return cryo_error (err, errno, "create `%s`", parent);
      if (mkdtemp (tmpl) != NULL)
        {
          m->dir = steal_pointer (&tmpl);
          if (chmod (m->dir, 0711) < 0)
            return cryo_error (err, errno, "chmod `%s`", m->dir);
          return 0;
        }
      if (errno != ENOENT)
        break;
    }
  return cryo_error (err, errno, "create a directory in `%s`", parent);
}

int
cr_mounts_prepare (struct cr_mounts *m, const char *state_root, const struct spec *spec,
                   const struct cr_externals *x, struct image *img, struct cgroup_manager *cg,
                   cryo_error_t *err)
{
  m->external = xzalloc (sizeof (char *));
  if (make_restore_dir (m, state_root, err) < 0)
    return -1;
  m->root = xasprintf ("%s/root", m->dir);
  if (mount_private (m, spec->rootfs, m->root, NULL, MS_BIND | MS_REC, NULL, err) < 0)
    return cryo_error_wrap (err, "rootfs");
  if (ensure_plan_mountpoints (m, spec, x, img, err) < 0)
    return -1;
  /* tmpfs first: masked files bind the restored /dev/null. */
  for (size_t i = 0; i < x->n_mounts; i++)
    if (x->mounts[i].kind == CR_EXT_TMPFS && prepare_tmpfs (m, &x->mounts[i], i, img, err) < 0)
      return -1;
  for (size_t i = 0; i < x->n_mounts; i++)
    if (prepare_other (m, spec, x, &x->mounts[i], cg, err) < 0)
      return -1;
  return 0;
}

void
cr_mounts_release (struct cr_mounts *m)
{
  for (size_t n = strv_len (m->mounted); n > 0; n--)
    {
      if (umount2 (m->mounted[n - 1], MNT_DETACH) < 0)
        log_warning ("detach `%s`: %s", m->mounted[n - 1], strerror (errno));
      rmdir (m->mounted[n - 1]);
    }
  if (m->dir && rmdir (m->dir) == 0)
    rmdir (dirname (m->dir)); /* fails while another restore uses it */
  strv_free (m->mounted);
  strv_free (m->external);
  free (m->dir);
  free (m->root);
  memset (m, 0, sizeof *m);
}
