/* The container's root filesystem: run the mount plan under the rootfs,
 * pivot into it, then mask and seal what must not be written.
 *
 * The three calls run in the container's init, in its own mount namespace,
 * in this order: rootfs_prepare, (hooks), rootfs_pivot, rootfs_finalize. */
#ifndef CRYO_ROOTFS_H
#define CRYO_ROOTFS_H

#include <stdbool.h>

#include "lib/error.h"
#include "ns/mount-plan.h"
#include "spec/spec.h"

/**
 * rootfs_prepare - build the container's tree under spec->rootfs
 *
 * In the container's new mount namespace, before pivot_root: make /
 * rslave (or what linux.rootfsPropagation says), bind the rootfs onto itself,
 * run every mount of the plan strictly inside the rootfs (symlinks in the
 * rootfs cannot send a mount to the host), create device nodes (mknod, or a
 * bind of the host's node when mknod is not permitted) and /dev symlinks.
 */
int rootfs_prepare (const struct spec *spec, const struct mount_plan *plan, cryo_error_t *err);

/**
 * rootfs_pivot - make @rootfs the root: pivot_root(".", ".") and detach the
 * old root; with @no_pivot, MS_MOVE + chroot instead.  The cwd is "/" after.
 */
int rootfs_pivot (const char *rootfs, bool no_pivot, cryo_error_t *err);

/* Without a mount namespace: chroot into @rootfs (the host's mounts stay). */
int rootfs_chroot (const char *rootfs, cryo_error_t *err);

/**
 * rootfs_finalize - after pivot: masked paths, readonly paths, readonly
 * root and the root's propagation.
 */
int rootfs_finalize (const struct spec *spec, cryo_error_t *err);

/* The same, from a plan (restore replays the plan stored in the image). */
int rootfs_prepare_at (const char *rootfs, const struct mount_plan *plan, cryo_error_t *err);
int rootfs_finalize_plan (const struct mount_plan *plan, cryo_error_t *err);

/* Internal to src/ns: the pieces of rootfs_prepare in other files. */

/* One device node / /dev symlink of the plan under @rootfd (devices.c). */
int rootfs_create_device (int rootfd, const struct mount_op *op, cryo_error_t *err);
int rootfs_create_symlink (int rootfd, const struct mount_op *op, cryo_error_t *err);

/* A new file system of @type for @op (filled first for tmpcopyup). */
int rootfs_mount_fs (int rootfd, const struct mount_op *op, const char *type, cryo_error_t *err);
/* The detached @tree onto @target with @op's flags (the top mount's too
 * when @top_attrs) and propagation. */
int rootfs_finish_mount (int tree, int target, const struct mount_op *op, bool top_attrs,
                         cryo_error_t *err);
/* A "cgroup" mount: cgroup file systems with @cgroup_ns, else binds of this
 * process's own cgroups (rootfs-cgroup.c). */
int rootfs_mount_cgroup (int rootfd, const struct mount_op *op, bool cgroup_ns, cryo_error_t *err);

#endif
