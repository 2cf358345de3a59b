/* cryo's archive of a tmpfs tree (tmpfs/<n>.tree, FORMAT.md "tmpfs
 * archives"): directories, regular files with their holes, symlinks, hard
 * links, device nodes and fifos, with modes, owners, times and xattrs.
 *
 * It replaces tar for the tmpfs mounts a checkpoint archives while the
 * container is frozen: no library to load, one pass, data copied in the
 * kernel (sendfile) and holes skipped. */
#ifndef CRYO_IMAGE_TREE_H
#define CRYO_IMAGE_TREE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/error.h"

#define TREE_MAGIC "CRYOTREE"
#define TREE_VERSION 1
#define TREE_HEADER_SIZE 16 /* magic, u32 version, u32 flags (0) */
#define TREE_ENTRY_SIZE 72  /* the fixed part of an entry */
#define TREE_SUFFIX ".tree"

/* Limits a reader enforces (a writer never exceeds them on Linux). */
#define TREE_MAX_PATH 4095
#define TREE_MAX_XATTRS 1024
#define TREE_MAX_XATTR_NAME 255
#define TREE_MAX_XATTR_VALUE 65536

enum tree_type
{
  TREE_DIR = 'd',
  TREE_REG = 'f',
  TREE_SYMLINK = 'l',
  TREE_HARDLINK = 'h', /* link: the path of an earlier regular file */
  TREE_CHR = 'c',
  TREE_BLK = 'b',
  TREE_FIFO = 'p',
  TREE_END = 'E', /* size: the number of entries before it */
};

struct tree_entry
{
  char type;
  uint32_t mode; /* permission bits (07777) */
  uint32_t uid, gid;
  uint32_t rdev_major, rdev_minor;
  int64_t atime_sec, mtime_sec;
  uint32_t atime_nsec, mtime_nsec;
  uint32_t path_len, link_len, n_xattrs, n_extents;
  uint64_t size;
};

void tree_entry_encode (const struct tree_entry *e, unsigned char out[TREE_ENTRY_SIZE]);
void tree_entry_decode (const unsigned char in[TREE_ENTRY_SIZE], struct tree_entry *e);

struct tree_stats
{
  uint64_t entries;
  uint64_t data_bytes; /* file contents, holes not counted */
  unsigned sockets;    /* skipped */
};

/**
 * tree_write - archive the directory @srcfd and everything under it
 * @what: names the source in errors ("/proc/42/root/dev")
 *
 * Mounts below @srcfd are not entered: a mount point is recorded as an
 * empty directory, or an empty file or node for a file mount (their
 * contents are other entries of the mount plan).  Sockets are skipped
 * (the process that bound one binds it again at restore) and counted.
 * Reads with O_NOATIME: archiving does not change the container's atimes.
 */
int tree_write (int srcfd, const char *what, int outfd, struct tree_stats *st, cryo_error_t *err);

/**
 * tree_extract - recreate an archive made by tree_write under @targetfd
 *
 * @targetfd is an empty directory (a fresh tmpfs): its own metadata comes
 * from the archive's root entry.  Nothing is created outside it: every
 * entry is created relative to directories this call made, symlinks are
 * never followed, names are checked.  An archive that is truncated,
 * malformed or out of order fails with "@what: ...".
 */
int tree_extract (int archive_fd, const char *what, int targetfd, cryo_error_t *err);

#endif
