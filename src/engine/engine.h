/* The checkpoint/restore engine: the only code of cryo that talks to CRIU.
 *
 * An engine is a function table {name, check, version, dump, restore}; the
 * one implementation drives libcriu's criu_local_* API (explicit option
 * objects, no global options) over a `criu swrk <fd>` child that cryo starts
 * itself, so cryo owns its pid and environment:
 *
 *  - every call has a deadline; when it passes, the CRIU child is killed and
 *    the call fails with "criu dump timed out after 300s";
 *  - with a CRIU older than 4.2 that cannot detect broken hardware
 *    breakpoints itself, CRIU_FAULT=130 is set when a probe says they do not
 *    fire (the probe result is cached under the state root);
 *  - CRIU's kernel-feature cache (kdat) is kept where CRIU finds it even when
 *    /run is not a tmpfs (bound there in a mount namespace of CRIU's own,
 *    never on the host), so calls do not re-probe the kernel every time;
 *  - a failure is one line: the first "Error" line of CRIU's log (translated
 *    when cryo knows the cause better) plus the path of the full log.
 *
 * Option structs carry everything checkpoint and restore need; zero means
 * "CRIU's default" for every field, fds are -1 when unset.  Options are
 * borrowed for the duration of the call. */
#ifndef CRYO_ENGINE_H
#define CRYO_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "lib/json.h"

/* Default deadline of an engine call; CRYO_ENGINE_TIMEOUT (seconds, in the
 * environment) or engine_config.deadline_ms / per-call deadline_ms change it. */
#define ENGINE_DEFAULT_DEADLINE_MS (300u * 1000u)

/* fs.pipe-max-size that CRIU's lazy-pages page server needs: it asks for a
 * pipe of 819 pages (3.2 MiB), which the kernel rounds up to 4 MiB; without
 * CAP_SYS_RESOURCE anything above the sysctl fails with EPERM. */
#define ENGINE_LAZY_PIPE_SIZE (4u * 1024u * 1024u)

/* How CRIU handles cgroups (--manage-cgroups=MODE). */
enum engine_cg_mode
{
  ENGINE_CG_DEFAULT = 0, /* CRIU's default (soft) */
  ENGINE_CG_IGNORE,
  ENGINE_CG_NONE,
  ENGINE_CG_PROPS,
  ENGINE_CG_SOFT,
  ENGINE_CG_FULL,
  ENGINE_CG_STRICT,
};

/* CRIU's notifications ("action scripts" over RPC), in the order they come. */
enum engine_event
{
  ENGINE_EV_OTHER = 0, /* an action cryo does not know; name says which */
  ENGINE_EV_PRE_DUMP,  /* before tasks are seized */
  ENGINE_EV_NETWORK_LOCK,
  ENGINE_EV_POST_DUMP, /* images written, tasks still seized */
  ENGINE_EV_NETWORK_UNLOCK,
  ENGINE_EV_PRE_RESTORE,
  ENGINE_EV_SETUP_NAMESPACES, /* restored init exists in its new namespaces (pid set);
                               * only sent when the tree has namespaces of its own */
  ENGINE_EV_POST_SETUP_NAMESPACES,
  ENGINE_EV_POST_RESTORE, /* tree restored, not yet resumed (pid set) */
  ENGINE_EV_PRE_RESUME,
  ENGINE_EV_POST_RESUME,
  ENGINE_EV_ORPHAN_PTS_MASTER, /* fd set: the master of the container's console */
  ENGINE_EV_STATUS_READY,
};

struct engine_notify
{
  enum engine_event event;
  const char *name; /* CRIU's action name, "setup-namespaces" */
  pid_t pid;        /* root of the restored tree (setup-namespaces, post-restore), else 0 */
  int fd;           /* orphan-pts-master: the pty master, now owned by the callback; else -1 */
  pid_t engine_pid; /* the `criu swrk` process serving this call */
};

/* A callback returns 0 to let CRIU go on, < 0 (with err set) to abort the
 * call; the call then fails with "criu restore: setup-namespaces: <err>".
 * It runs on the calling thread while CRIU waits, within the call's deadline. */
typedef int (*engine_notify_cb) (const struct engine_notify *n, void *data, cryo_error_t *err);

/* An fd the restored tree gets in place of an external resource dumped with
 * that key ("--inherit-fd fd[N]:KEY"): a pipe, a netns file, a tty. */
struct engine_inherit_fd
{
  int fd;
  const char *key;
};

/* A namespace the restored tree joins instead of creating it ("--join-ns"). */
struct engine_join_ns
{
  const char *ns;    /* "net", "uts", "ipc", "time", "user", "pid", "mnt" */
  const char *path;  /* "/proc/PID/ns/net" or a bind-mounted nsfs file */
  const char *extra; /* user ns: "UID,GID"; mnt: the new root; else NULL */
};

/* What dump and restore share. */
struct engine_common
{
  int images_fd;           /* CRIU's image directory, O_DIRECTORY (required) */
  const char *images_path; /* its path, for messages */
  int work_fd;             /* where the log goes; -1: the images directory */
  const char *work_path;   /* its path, for messages (NULL with work_fd -1) */
  const char *log_file;    /* file name in the work dir; NULL: "dump.log"/"restore.log" */
  int log_level;           /* 0-4; 0: 4 (debug: needed to explain failures) */
  unsigned deadline_ms;    /* 0: the engine's deadline */
  bool shell_job;          /* the tree's session/pgrp/tty is outside it */
  bool tcp_established;    /* dump/restore established TCP connections */
  bool ext_unix_sk;        /* allow unix sockets connected outside the tree */
  bool file_locks;
  enum engine_cg_mode manage_cgroups_mode;
  /* --external: dump "mnt[DST]:KEY", "net[INODE]:KEY", "dev[MAJ/MIN]:KEY",
   * "file[MNT_ID:INODE]"; restore "mnt[KEY]:PATH", "dev[KEY]:PATH". */
  char *const *external;
  /* --empty-ns: CLONE_NEWNET makes CRIU neither dump nor restore the network
   * namespace's links, addresses and routes (the caller sets them up). */
  int empty_ns;
  /* Do not lock the network (iptables-restore twice, ~100 ms here): only
   * established TCP connections need the lock. */
  bool skip_network_lock;
  /* A CRIU configuration file whose options override these (runc's
   * org.criu.config); NULL: none.  It goes into the RPC's configuration
   * file, before the options cryo passes there itself. */
  const char *config_file;
  engine_notify_cb notify; /* NULL: no notifications */
  void *notify_data;
};

struct engine_dump_opts
{
  struct engine_common c;
  pid_t pid;                 /* root of the tree (required) */
  bool leave_running;        /* resume the tree after the dump instead of killing it */
  bool orphan_pts_master;    /* the master of the tree's console is outside it (--console-socket) */
  const char *freeze_cgroup; /* freeze this cgroup dir instead of seizing task by task */
  unsigned ghost_limit;      /* bytes of deleted-but-open files to keep; 0: CRIU's 1 MiB */
  /* Iterative migration: needs soft-dirty, refused where the kernel lacks it. */
  bool pre_dump;             /* memory only; the tree keeps running */
  bool track_mem;            /* start dirty tracking for a later incremental dump */
  const char *parent_images; /* previous (pre-)dump, relative to the images dir */
  /* Lazy migration: pages stay on the source and are served on demand. */
  bool lazy_pages;
  const char *page_server_address; /* send pages to a page server instead of files */
  int page_server_port;
};

struct engine_restore_opts
{
  struct engine_common c;
  const char *root;       /* the container's rootfs mount point (--root) */
  bool rst_sibling;       /* restore the init as a child of the caller (default: of CRIU) */
  bool orphan_pts_master; /* get the console master via ENGINE_EV_ORPHAN_PTS_MASTER */
  bool lazy_pages;        /* needs fs.pipe-max-size >= ENGINE_LAZY_PIPE_SIZE */
  const struct engine_inherit_fd *inherit_fds;
  size_t n_inherit_fds;
  const struct engine_join_ns *join_ns;
  size_t n_join_ns;
  /* cgroup roots to restore into: ctrl NULL means every controller. */
  const char *const *cg_root_ctrls;
  const char *const *cg_root_paths;
  size_t n_cg_roots;
  const char *lsm_profile;
};

struct engine_version
{
  int criu;          /* the binary, major*10000 + minor*100 + sublevel: 40201 */
  int libcriu;       /* the library cryo was built with, same format */
  char criu_str[32]; /* "4.2.1" */
};

enum engine_verdict
{
  ENGINE_SUPPORTED,
  ENGINE_UNSUPPORTED, /* cannot work on this host */
  ENGINE_NEEDS_SETUP, /* works after the change `reason` names */
  ENGINE_WORKAROUND,  /* works because cryo or CRIU works around a problem */
};

struct engine_feature
{
  const char *name; /* "checkpoint/restore", "pre-dump", "lazy-pages", ... */
  enum engine_verdict verdict;
  char *reason; /* one line; NULL when supported without remarks */
};

#define ENGINE_MAX_FEATURES 8

/* Everything `cryo check` reports; checkpoint uses it to refuse early. */
struct engine_report
{
  struct engine_version version;
  char *criu_path;
  bool criu_check_ok;             /* `criu check` (over RPC) passed */
  char *criu_check_error;         /* its first error, when it did not */
  bool userfaultfd;               /* userfaultfd(2) works */
  bool uffd_noncooperative;       /* with fork/remap/unmap events, as lazy pages need */
  bool soft_dirty;                /* /proc/PID/pagemap bit 55 clears and sets */
  bool criu_mem_track;            /* CRIU's own feature check agrees */
  int hw_breakpoints;             /* 1 they fire, 0 they do not, -1 unknown */
  int criu_hw_breakpoints;        /* CRIU's own verdict from its kdat probe, -1 unknown */
  bool criu_fault_no_breakpoints; /* cryo sets CRIU_FAULT=130 for this CRIU */
  char *cgroup_layout;            /* "v1", "v2", "hybrid" */
  char *cgroup_detail;            /* e.g. "v1 controllers, empty cgroup2 at /sys/fs/cgroup/unified" */
  unsigned long pipe_max_size;    /* fs.pipe-max-size */
  char *kdat_cache;               /* where CRIU loads its kdat cache from, NULL if none */
  char *kdat_source;              /* the copy bound there in CRIU's own mount namespace, or NULL */
  bool kdat_cached;               /* calls skip CRIU's kernel probing */
  struct engine_feature features[ENGINE_MAX_FEATURES];
  size_t n_features;
};

void engine_report_free (struct engine_report *r);
#define cleanup_engine_report __attribute__ ((cleanup (engine_report_free)))

struct engine;

struct engine_ops
{
  const char *name;
  int (*check) (struct engine *e, struct engine_report *out, cryo_error_t *err);
  int (*version) (struct engine *e, struct engine_version *out, cryo_error_t *err);
  int (*dump) (struct engine *e, const struct engine_dump_opts *o, cryo_error_t *err);
  /* Returns the pid of the restored init (> 0). */
  int (*restore) (struct engine *e, const struct engine_restore_opts *o, pid_t *pid, cryo_error_t *err);
};

extern const struct engine_ops engine_criu_ops;

struct engine_config
{
  const char *binary;     /* the criu executable; NULL: CRIU_BINARY from configure */
  const char *state_root; /* cryo's --root; caches live in <root>/.engine-cache */
  unsigned deadline_ms;   /* 0: CRYO_ENGINE_TIMEOUT or ENGINE_DEFAULT_DEADLINE_MS */
  bool no_kdat_cache;     /* leave CRIU's kdat probing alone (for measurements) */
};

/**
 * engine_open - make an engine
 * @name: "criu" (the only one) or NULL
 *
 * Cheap: loads libcriu (src/lib/dynlib.h), nothing runs until the first call.
 * Fails on an unknown name, a malformed CRYO_ENGINE_TIMEOUT or a missing
 * libcriu.
 */
int engine_open (const char *name, const struct engine_config *cfg, struct engine **out, cryo_error_t *err);
void engine_free (struct engine *e);
void cleanup_enginep (struct engine **e);
#define cleanup_engine __attribute__ ((cleanup (cleanup_enginep)))

const char *engine_name (struct engine *e);
unsigned engine_deadline_ms (struct engine *e);

/* Dispatch through the table. */
int engine_check (struct engine *e, struct engine_report *out, cryo_error_t *err);
int engine_version (struct engine *e, struct engine_version *out, cryo_error_t *err);
int engine_dump (struct engine *e, const struct engine_dump_opts *o, cryo_error_t *err);
int engine_restore (struct engine *e, const struct engine_restore_opts *o, pid_t *pid, cryo_error_t *err);

/* Option structs with every fd at -1 and everything else at its default. */
void engine_dump_opts_init (struct engine_dump_opts *o);
void engine_restore_opts_init (struct engine_restore_opts *o);

/* The report as JSON (`cryo check --format json`). */
void engine_report_to_json (const struct engine_report *r, json_gen_t *gen);
const struct engine_feature *engine_report_feature (const struct engine_report *r, const char *name);
const char *engine_verdict_name (enum engine_verdict v);

/* Host probes (src/engine/probe.c), usable without an engine. */

/* Do hardware breakpoints trap here?  A traced child with DR0/DR7 set on a
 * function it then calls.  1 yes, 0 no, < 0 error. */
int engine_probe_hw_breakpoints (cryo_error_t *err);
/* The same, cached in <state_root>/.engine-cache for this boot. */
int engine_hw_breakpoints_cached (const char *state_root, cryo_error_t *err);
/* Does clearing soft-dirty bits (/proc/self/clear_refs "4") and writing a
 * page set bit 55 of its /proc/self/pagemap entry again? */
bool engine_probe_soft_dirty (void);
/* userfaultfd works (1), and with the events lazy pages need (*noncoop). */
bool engine_probe_userfaultfd (bool *noncoop);
/* A lazy restore can work here: userfaultfd with the events it needs, and
 * fs.pipe-max-size >= ENGINE_LAZY_PIPE_SIZE; else says what is missing. */
int engine_check_lazy_restore (cryo_error_t *err);
/* CRIU_FAULT=130 is needed: CRIU older than 4.2 and breakpoints do not fire. */
bool engine_needs_no_breakpoints_fault (int criu_version, int hw_breakpoints);

#endif
