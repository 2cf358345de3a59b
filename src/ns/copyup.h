/* tmpcopyup: fill a new tmpfs with what was at its destination in the
 * rootfs, as runc and crun do (podman asks for it on --tmpfs mounts and on
 * the tmpfs mounts of --read-only). */
#ifndef CRYO_COPYUP_H
#define CRYO_COPYUP_H

#include "lib/error.h"

enum copyup_keep
{
  COPYUP_KEEP_MODE = 1 << 0,  /* the mount set mode=: its root keeps that mode */
  COPYUP_KEEP_OWNER = 1 << 1, /* the mount set uid= or gid=: its root keeps that owner */
};

/**
 * copyup_tree - copy what the directory @src holds into the directory @dst
 * @src: the directory to read (O_RDONLY|O_DIRECTORY)
 * @dst: the root of the new tmpfs, still detached (O_PATH is enough)
 * @keep: COPYUP_KEEP_* for @dst's own metadata, otherwise taken from @src
 *
 * Regular files, directories, symlinks, device nodes, fifos and sockets,
 * with owners, modes, times and extended attributes; hard links among the
 * copied files stay hard links.  Every name is looked up alone under its
 * directory's fd without following symlinks, and a symlink is copied as a
 * symlink, so nothing below @src can lead the copy out of it.  An owner the
 * current user namespace does not map, or an extended attribute the tmpfs
 * refuses, gives a warning; anything else fails, naming the path below @src.
 */
int copyup_tree (int src, int dst, unsigned keep, cryo_error_t *err);

#endif
