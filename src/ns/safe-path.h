/* Paths inside the container's rootfs, resolved so that nothing in the
 * rootfs (an absolute or relative symlink, a "..", a symlink swapped in
 * while we work) can make cryo touch the host, and mounts made on the
 * resulting file descriptors with the new mount API.
 *
 * Every lookup under the rootfs is openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS) from a directory fd of the rootfs, and every
 * creation is a single name under a directory fd obtained that way.  Mounts
 * go onto the O_PATH fd with move_mount(MOVE_MOUNT_T_EMPTY_PATH), never
 * onto a path string that could be re-resolved. */
#ifndef CRYO_SAFE_PATH_H
#define CRYO_SAFE_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "spec/spec.h"

enum safe_leaf
{
  SAFE_LEAF_ANY,  /* must exist, any type */
  SAFE_LEAF_DIR,  /* create a directory when missing; must be a directory */
  SAFE_LEAF_FILE, /* create an empty regular file when missing; must not be a directory */
};

/* openat2(2): -1 with errno on failure. */
int safe_openat2 (int dirfd, const char *path, uint64_t flags, uint64_t resolve);

/**
 * safe_open_in_root - open @path (absolute or not, taken inside the root)
 * under @rootfd with RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS.
 * Returns the fd, or <0 with the error (its status is errno, ENOENT when missing).
 */
int safe_open_in_root (int rootfd, const char *path, int flags, cryo_error_t *err);

/**
 * safe_mkpath_in_root - open @path under @rootfd as O_PATH, creating what is
 * missing component by component (directories 0755, and the leaf per @leaf
 * with @mode).  A dangling symlink is followed inside the root and its
 * target created there.  Returns the O_PATH fd of the leaf.
 */
int safe_mkpath_in_root (int rootfd, const char *path, enum safe_leaf leaf, mode_t mode,
                         cryo_error_t *err);

/**
 * safe_parent_in_root - O_PATH fd of the directory that holds @path
 * (created when missing), and the last component in *@name, for the
 * *at() calls that create one name: mknodat, symlinkat, unlinkat.
 */
int safe_parent_in_root (int rootfd, const char *path, char **name, cryo_error_t *err);

/* --- The new mount API on file descriptors --- */

/* A detached copy of @path (open_tree OPEN_TREE_CLONE), of the whole tree when @recursive. */
int safe_clone_tree (int dirfd, const char *path, bool recursive, cryo_error_t *err);

/**
 * safe_new_fs - a new detached mount of @type (fsopen, fsconfig, fsmount)
 * @source: "source" parameter, may be NULL
 * @data: comma-separated parameters ("mode=755,size=64k"): key=value as
 *        strings, bare words as flags
 * @sb_flags: MS_* superblock flags (sync, dirsync, lazytime, mand)
 * @attr: MOUNT_ATTR_* of the new mount
 */
int safe_new_fs (const char *type, const char *source, const char *data, unsigned long sb_flags,
                 uint64_t attr, cryo_error_t *err);

/* Reconfigure the superblock under the mount @mntfd (fspick, CMD_RECONFIGURE). */
int safe_reconfigure_fs (int mntfd, const char *data, unsigned long sb_flags, cryo_error_t *err);

/* mount_setattr(2) on the mount @mntfd (AT_EMPTY_PATH); @userns_fd < 0: none. */
int safe_setattr (int mntfd, bool recursive, uint64_t set, uint64_t clr, uint64_t propagation,
                  int userns_fd, cryo_error_t *err);

/* move_mount(2) the detached or attached mount @mntfd onto @targetfd. */
int safe_attach (int mntfd, int targetfd, cryo_error_t *err);

/**
 * safe_userns_fd - a user namespace with these mappings, for idmapped mounts
 * (MOUNT_ATTR_IDMAP).  Made by a short-lived child; returns its nsfs fd.
 */
int safe_userns_fd (const struct spec_id_mapping *uids, size_t n_uids,
                    const struct spec_id_mapping *gids, size_t n_gids, cryo_error_t *err);

#endif
