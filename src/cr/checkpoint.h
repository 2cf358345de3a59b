/* cryo checkpoint and cryo restore: the reason cryo exists.
 *
 * Checkpoint runs, in order and each timed in the debug log: the pre-dump
 * hooks, freeze (cgroup freezer), leak detection (src/leak/leak.h: a container
 * checkpoint refuses any leak; --subtree saves them in the image as
 * warnings), cryo's own metadata
 * (namespaces, network, mount plan, tmpfs contents), CRIU's dump, resume
 * or kill, post-dump hooks.  Whatever fails after the freeze, the container
 * is thawed and left running as it was; only once the image is complete
 * is the container killed and destroyed (as runc does: its id is free).
 *
 * Restore rebuilds from the image what cryo owns (the cgroup with its
 * limits, the network namespace's links, addresses and routes, the uts and
 * ipc namespaces, the root and every declared external mount: binds, tmpfs
 * with their contents, masks, cgroup mounts), then has CRIU restore the
 * process tree into them.  A failed restore leaves the image as it was and
 * nothing behind: no process, mount, cgroup, namespace or state. */
#ifndef CRYO_CHECKPOINT_H
#define CRYO_CHECKPOINT_H

#include <stdbool.h>

#include "lib/error.h"

/* The options checkpoint and restore share (runc's names). */
struct cr_common_options
{
  const char *root; /* state root (--root) */
  const char *id;
  const char *criu;       /* criu binary (--criu), NULL: configure's default */
  const char *image_path; /* NULL: "./checkpoint", as runc */
  const char *work_path;  /* logs; NULL: checkpoint keeps them in the image, restore in the state dir */
  bool tcp_established;
  bool ext_unix_sk;
  bool shell_job;
  bool file_locks;
  bool lazy_pages;
  const char *manage_cgroups_mode; /* soft (default), full, strict, ignore */
  char **empty_ns;                 /* --empty-ns NAME...: only "network" */
};

struct checkpoint_options
{
  struct cr_common_options c;
  bool leave_running;
  bool subtree; /* leaks are warnings, saved in the image (a subtree image) */
  bool pre_dump;
  const char *parent_path; /* previous pre-dump, relative to the image */
  const char *page_server; /* ADDRESS:PORT */
  int status_fd;           /* -1: none; "\0" is written when lazy pages are ready */
  const char *stats_path;  /* --stats: the checkpoint's stats as JSON (FORMAT.md, "stats") */
};

struct restore_options
{
  struct cr_common_options c;
  const char *bundle; /* NULL: the current directory */
  const char *pid_file;
  const char *console_socket;
  bool detach;
  bool no_pivot;
  bool systemd_cgroup;
  bool no_new_keyring; /* the restored processes keep the runtime's session keyring */
  bool no_subreaper;   /* runc's; cryo is never a subreaper (see cmd-restore.c) */
};

/**
 * container_checkpoint - checkpoint a running (or paused) container
 *
 * Without leave_running (or pre_dump) the container is destroyed afterwards,
 * as by `delete`: restore makes it again from the image and the bundle.
 */
int container_checkpoint (const struct checkpoint_options *o, cryo_error_t *err);

/**
 * container_restore - restore a container from an image
 * @exit_status: foreground restore: the container's exit status (128+N for
 *     signal N); 0 with detach
 *
 * The id must be free (a container of that id is refused, as by runc); one
 * image can be restored several times.
 */
int container_restore (const struct restore_options *o, int *exit_status, cryo_error_t *err);

#endif
