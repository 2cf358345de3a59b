/* Internals of restore (restore*.c). */
#ifndef CRYO_RESTORE_INTERNAL_H
#define CRYO_RESTORE_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "cr/internal.h"
#include "ns/namespaces.h"

struct cgroup_manager;
struct image;
struct netconf;

/* ---- Namespaces cryo makes (restore-ns.c) ------------------------------ */

struct cr_ns_plan
{
  bool net, uts, ipc;   /* which to create */
  const char *hostname; /* NULL: leave it */
  const char *domainname;
  const struct netconf *netconf; /* applied in the new network namespace; NULL: none */
};

struct cr_nshelper
{
  pid_t pid; /* 0: no helper */
  int sk;
  char *paths[NS_MAX]; /* /proc/PID/ns/<x> of what it made */
};

int cr_nshelper_start (const struct cr_ns_plan *p, struct cr_nshelper *h, cryo_error_t *err);
void cr_nshelper_stop (struct cr_nshelper *h);

/* ---- Mounts cryo prepares (restore-mounts.c) --------------------------- */

/* In <root>.restore/@restore-XXXXXX: the root (a private bind of the rootfs) and
 * the sources of the external mounts; detached again once CRIU has
 * mounted them in the container (or the restore failed). */
struct cr_mounts
{
  char *dir;       /* <state root>.restore/@restore-XXXXXX */
  char *root;      /* <dir>/root */
  char **mounted;  /* what to detach, in order of creation */
  char **external; /* "mnt[KEY]:PATH" for CRIU */
};

int cr_mounts_prepare (struct cr_mounts *m, const char *state_root, const struct spec *spec,
                       const struct cr_externals *x, struct image *img, struct cgroup_manager *cg,
                       cryo_error_t *err);
void cr_mounts_release (struct cr_mounts *m);

/* ---- The restore in progress (restore.c) ------------------------------ */

struct restore
{
  const struct restore_options *o;
  struct image *img;
  struct spec *spec;       /* the bundle's config */
  struct cr_externals x;   /* externals.json */
  json_value_t *ns;        /* namespaces.json */
  struct netconf *netconf; /* network.json, or NULL */
  struct container_state *s;
  int lock_fd;
  struct cgroup_manager *cg;
  struct cr_mounts mounts;
  struct cr_nshelper nsh;
  struct engine *engine;
  struct cr_work_dir work;
  int console_fd; /* connected --console-socket, or -1 */
  int net_fd;     /* the network namespace for CRIU, or -1 */
  pid_t pid;      /* the restored init (our child), 0 until restored */
  struct cr_timer t;
};

/* restore-stdio.c: the fd CRIU inherits for each file of init's fds 0-2 at
 * the checkpoint: restore's own when of the dumped type, else the dumped file
 * reopened (always for /dev/null and the other stateless devices). */
struct cr_restore_stdio
{
  struct engine_inherit_fd fds[3];
  size_t n;
  int opened[3]; /* fds opened here, -1 for none */
};

int cr_restore_stdio_pick (const struct cr_externals *x, struct cr_restore_stdio *st, cryo_error_t *err);
void cr_restore_stdio_release (struct cr_restore_stdio *st);
#define cleanup_cr_restore_stdio __attribute__ ((cleanup (cr_restore_stdio_release)))
/* Fails, before anything is restored, when no stand-in can be found. */
int cr_restore_check_stdio (const struct cr_externals *x, cryo_error_t *err);

/* restore-engine.c: CRIU restores the tree; sets r->pid. */
int cr_restore_engine (struct restore *r, cryo_error_t *err);

/* restore-fixups.c: what CRIU restores wrongly, put right before the tree
 * (rooted at @root) resumes: a periodic timerfd dumped right after it fired,
 * a tree left outside the container's cgroup (manage-cgroups-mode ignore). */
int cr_restore_fixups (struct restore *r, pid_t root, cryo_error_t *err);

/* restore-wait.c: a foreground restore waits for init, forwarding signals. */
int cr_restore_wait (struct restore *r, int *exit_status, cryo_error_t *err);

#endif
