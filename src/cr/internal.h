/* Pieces shared by checkpoint (src/checkpoint*.c) and restore
 * (src/restore*.c): the declared externals, cryo's checkpoint/restore
 * hooks, fault injection and step timing. */
#ifndef CRYO_CR_INTERNAL_H
#define CRYO_CR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cr/checkpoint.h"
#include "engine/engine.h"
#include "lib/error.h"
#include "lib/json.h"
#include "spec/spec.h"

/* cryo's own files in an image, next to FORMAT.md's well-known ones. */
#define CR_FILE_EXTERNALS "externals.json"

/* The key of the container's network namespace for CRIU (net[INODE]:KEY). */
#define CR_NETNS_KEY "cryo-netns"

/* ---- Declared externals ------------------------------------------------
 *
 * What the container holds from outside, declared to CRIU so that it is
 * neither dumped nor refused, and wired to a new object at restore:
 *
 *   bind     a bind mount of config.json: "mnt[DST]:KEY", restored from the
 *            source of the bundle's config (or the one recorded)
 *   tmpfs    a tmpfs of config.json (and /sys/fs/cgroup on cgroup v1):
 *            cryo archives its contents while the container is frozen and
 *            restores them into a fresh tmpfs (CRIU would fork tar for each)
 *   mask     a masked path: an empty read-only tmpfs over a directory, or
 *            /dev/null over a file
 *   cgroup   a cgroup filesystem mount: the container's new cgroup directory
 *            of the same controller
 *   stdio    fds 0-2 of init that point outside the container: a file
 *            ("file[MNT:INODE]"), a pipe ("pipe:[INODE]"), a socket; restore
 *            hands over its own fds 0-2 in their place */

enum cr_ext_kind
{
  CR_EXT_BIND,
  CR_EXT_TMPFS,
  CR_EXT_MASK_DIR,
  CR_EXT_MASK_FILE,
  CR_EXT_CGROUP,
  CR_EXT_MAX,
};

extern const char *const cr_ext_kind_names[CR_EXT_MAX]; /* "bind", "tmpfs", ... */

struct cr_mount
{
  enum cr_ext_kind kind;
  char *destination; /* in the container, as its mountinfo shows it */
  char *key;         /* CRIU's key: "cryo-tmpfs-0" */
  char *source;      /* bind: host source at checkpoint; cgroup: controller ("memory",
                      * "name=systemd", "" for cgroup2); else NULL */
  char *data;        /* tmpfs: its superblock options (size=, mode=, ...), may be NULL */
  char *options;     /* tmpfs, mask-dir: the mount's own options as mountinfo shows them,
                      * plus "strictatime" when it has no atime option ("ro,nosuid") */
};

/* MS_* for cr_mount.options; restore mounts its tmpfs with them, since in
 * a user namespace CRIU may not change flags the host's mount locked. */
unsigned long cr_mount_flags (const char *options);

struct cr_stdio
{
  int fd;     /* 0, 1, 2 */
  char *kind; /* "file", "pipe", "socket", "tty", "internal" */
  char *key;  /* CRIU's key for inherit-fd; NULL when nothing to wire */
  char *path; /* what /proc/PID/fd/N said, for messages */
  char type;  /* file: 'f' regular, 'c' character device, 'b', 'd'...; else 0 */
};

struct cr_externals
{
  struct cr_mount *mounts;
  size_t n_mounts;
  struct cr_stdio stdio[3];
  bool netns;       /* the network namespace is external (CR_NETNS_KEY) */
  bool empty_netns; /* or CRIU makes it empty and cryo configures it */
  bool terminal;    /* process.terminal: the console is restored by CRIU */
};

void cr_externals_clear (struct cr_externals *x);
#define cleanup_cr_externals __attribute__ ((cleanup (cr_externals_clear)))
struct cr_mount *cr_externals_add_mount (struct cr_externals *x, enum cr_ext_kind kind,
                                         const char *destination);
const struct cr_mount *cr_externals_find (const struct cr_externals *x, const char *destination);

int cr_externals_to_json (const struct cr_externals *x, json_gen_t *gen, cryo_error_t *err);
int cr_externals_from_json (json_value_t *v, struct cr_externals *x, cryo_error_t *err);

/* ---- Collection at checkpoint (checkpoint-collect.c) ------------------ */

/**
 * cr_collect_externals - the externals of the container whose init is @pid
 * @plan: the container's mount plan (which mounts cryo made)
 *
 * Reads init's mountinfo: mounts of the plan that are binds, tmpfs, masks or
 * cgroup filesystems become externals; mounts the container made itself
 * are left to CRIU.  Then fds 0-2 of init.
 */
struct mount_plan;
int cr_collect_externals (pid_t pid, const struct spec *spec, const struct mount_plan *plan,
                          const struct cr_common_options *c, struct cr_externals *x, cryo_error_t *err);

/* The "--external" strings CRIU's dump needs for @x (netns inode given). */
char **cr_dump_externals (const struct cr_externals *x, pid_t pid, cryo_error_t *err);

/* ---- Namespace metadata (checkpoint-ns.c) ----------------------------- */

/* namespaces.json: the namespaces (as in the manifest) plus hostname,
 * domainname and id mappings; network.json: the network namespace's
 * links, addresses and routes, read inside it. */
struct image_writer;
int cr_save_namespaces (struct image_writer *w, pid_t pid, const struct spec *spec, cryo_error_t *err);
int cr_save_network (struct image_writer *w, pid_t pid, cryo_error_t *err);

/* ---- Hooks (cr-hooks.c) ------------------------------------------------
 *
 * cryo's checkpoint/restore hooks come from config.json annotations
 * "org.cryo.hooks.<kind>": an absolute path, or a JSON array of OCI hook
 * objects ({"path", "args", "env", "timeout"}).  Each gets the container
 * state on stdin and CRYO_HOOK, CRYO_IMAGE_PATH, CRYO_CONTAINER_ID (and
 * CRYO_PID after restore) in its environment.  See hooks/README.md. */

enum cr_hook_kind
{
  CR_HOOK_PRE_DUMP,
  CR_HOOK_POST_DUMP,
  CR_HOOK_PRE_RESTORE,
  CR_HOOK_POST_RESTORE,
  CR_HOOK_MAX,
};

struct cr_hook_env
{
  const char *image_path;
  const char *id;
  pid_t pid; /* 0 when none */
};

int cr_hooks_validate (const struct spec *spec, cryo_error_t *err);
int cr_hooks_run (const struct spec *spec, enum cr_hook_kind kind, const char *state_json,
                  const struct cr_hook_env *env, cryo_error_t *err);

/* ---- Small things (cr-util.c) ----------------------------------------- */

/**
 * cr_fault - fault injection for tests (STYLE idiom 21)
 *
 * CRYO_FAULT="point[,point...]" makes the step named @point fail here with
 * "fault injected at `point` (CRYO_FAULT)".  Points are listed in
 * hooks/README.md.
 */
int cr_fault (const char *point, cryo_error_t *err);
bool cr_fault_set (const char *point);

/* Step timing: "checkpoint: freeze: 1.2 ms" at debug level. */
struct cr_timer
{
  const char *what; /* "checkpoint", "restore" */
  uint64_t start, step;
};
void cr_timer_start (struct cr_timer *t, const char *what);
void cr_timer_step (struct cr_timer *t, const char *step);
void cr_timer_done (struct cr_timer *t);

/* --manage-cgroups-mode soft|full|strict|ignore (NULL: soft, as runc). */
int cr_cg_mode (const char *name, enum engine_cg_mode *mode, cryo_error_t *err);
/* The same, refusing ignore for a container with a cgroup namespace. */
int cr_cg_mode_check (const char *name, bool cgroupns, cryo_error_t *err);
/* --empty-ns: only "network" (also "net") is supported, as in runc. */
int cr_empty_ns (char *const *names, bool *network, cryo_error_t *err);

/* The CRIU configuration file for a container, as runc chooses it: the
 * annotation "org.criu.config" (an empty one: none), else
 * /etc/criu/runc.conf when it exists; NULL: none. */
const char *cr_criu_config_file (const struct spec *spec);

/* An engine for this state root and criu binary. */
int cr_engine_open (const struct cr_common_options *c, struct engine **out, cryo_error_t *err);

/**
 * cr_in_namespaces - run @fn in a forked child that joined the namespaces
 * @nstypes (CLONE_NEWUSER, CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWIPC,
 * CLONE_NEWNS) of @pid
 * @result: receives the string @fn made (may be NULL)
 *
 * The child's error comes back as ours.  setns() in a child: cryo itself
 * stays where it is (and the engine's threads do not matter).
 */
typedef int (*cr_ns_fn) (void *arg, char **result, cryo_error_t *err);
int cr_in_namespaces (pid_t pid, int nstypes, cr_ns_fn fn, void *arg, char **result, cryo_error_t *err);

/* Where CRIU's logs go: --work-path (kept), or a temporary directory that
 * is removed at close, unless the error passed names a log in it. */
struct cr_work_dir
{
  char *path;
  int fd;
  bool temporary;
};
int cr_work_dir_open (struct cr_work_dir *w, const char *given, const char *what, const char *id,
                      cryo_error_t *err);
void cr_work_dir_close (struct cr_work_dir *w, const cryo_error_t *err);

/* Open (creating with @create) a directory for CRIU's work files. */
int cr_open_dir (const char *path, bool create, int *fd, cryo_error_t *err);


/* ---- The lazy-pages relay (cr-lazy-relay.c) ----------------------------
 *
 * `checkpoint --lazy-pages --page-server ADDR:PORT`: cryo listens at
 * ADDR:PORT, CRIU serves the pages on 127.0.0.1:cr_lazy_relay_backend_port,
 * and the relay tells at the end whether the lazy-pages daemon asked to
 * close the session, which it does only once it has every page (CRIU
 * reports success either way). */
struct cr_lazy_relay;
int cr_lazy_relay_start (const char *addr, int port, struct cr_lazy_relay **out, cryo_error_t *err);
int cr_lazy_relay_backend_port (const struct cr_lazy_relay *r);
/* At STATUS_READY (CRIU listens): start passing the daemon's connection on. */
int cr_lazy_relay_ready (struct cr_lazy_relay *r, cryo_error_t *err);
/* After the dump: true when the daemon received every page. */
bool cr_lazy_relay_finish (struct cr_lazy_relay *r);
void cr_lazy_relay_free (struct cr_lazy_relay *r);

#endif
