/* Internals shared by the engine's files (engine-criu.c, engine-call.c,
 * engine-kdat.c, engine-probe.c, engine-log.c); nothing outside the engine
 * includes this. */
#ifndef CRYO_ENGINE_INTERNAL_H
#define CRYO_ENGINE_INTERNAL_H

#include <criu/criu.h>
#include <stdbool.h>
#include <sys/types.h>

#include "engine/engine.h"

#define ENGINE_CACHE_DIR ".engine-cache"

struct engine
{
  const struct engine_ops *ops;
  char *binary;
  char *state_root;
  char *cache_dir; /* <state_root>/.engine-cache */
  unsigned deadline_ms;
  bool no_kdat_cache;
  bool kdat_checked; /* engine_kdat_ensure ran in this process */
  char *kdat_path;   /* where CRIU loads kdat from, once known */
  char *kdat_bind;   /* our copy, bound onto kdat_path in CRIU's own mount namespace; NULL if not */
  bool kdat_cached;
  int hw_breakpoints;            /* -2: not asked yet */
  int soft_dirty;                /* -1: not probed yet */
  struct engine_version version; /* criu == 0 until asked */
};

/* One RPC call to a fresh `criu swrk` child (engine-call.c). */
struct engine_call
{
  struct engine *e;
  const char *what; /* "dump", "restore", "check", "version" */
  unsigned deadline_ms;
  const int *keep_fds; /* inherited by CRIU at the same numbers */
  size_t n_keep_fds;
  bool own_pgrp;     /* put CRIU in its own process group (not for shell jobs) */
  bool kdat_ns;      /* CRIU in a mount namespace of its own that shows the kdat cache */
  int work_dir_fd;   /* with kdat_ns: the directory CRIU works in (the work dir, else the images) */
  bool track_notify; /* ask for notifications even without a callback (restore) */
  engine_notify_cb notify;
  void *notify_data;
  void *rpc_arg;

  /* Results. */
  pid_t swrk_pid;
  bool expired;        /* the deadline passed and CRIU was killed */
  cryo_error_t cb_err; /* a notify callback failed */
  char cb_action[40];  /* the notification whose callback failed */
  pid_t restored_pid;  /* root pid from setup-namespaces/post-restore */
  int swrk_status;     /* CRIU's wait status */
  char *output;        /* CRIU's stdout+stderr, NUL-terminated */
};

/* A criu_local_* request; arg is engine_call.rpc_arg. */
typedef int (*engine_rpc_fn) (criu_opts *opts, void *arg);

/**
 * engine_call_run - start `criu swrk`, run @fn (a criu_local_* request) on
 * @opts over its socket with the call's deadline, reap CRIU
 * @rpc_ret: what @fn returned (libcriu's convention)
 *
 * Returns < 0 only when the call could not be made (fork, socketpair...);
 * an expired deadline, a failed callback or a failed request come back in
 * @call and @rpc_ret.
 */
int engine_call_run (struct engine_call *call, criu_opts *opts, engine_rpc_fn fn, int *rpc_ret,
                     cryo_error_t *err);
void engine_call_release (struct engine_call *call);

/* Deadline text: "300s", "1.5s", "0.001s". */
void engine_format_deadline (unsigned ms, char *buf, size_t len);

/* engine-libcriu.c: dlopen libcriu (src/lib/dynlib.h); every path to a
 * criu_local_* call goes through it first, for a one-line error naming the
 * package when libcriu is missing. */
int engine_libcriu_load (cryo_error_t *err);

/* engine-kdat.c: make CRIU find a kdat cache (see the file's comment).
 * Never fails the call: problems are logged at debug level. */
void engine_kdat_ensure (struct engine *e);
/* May CRIU run in a mount namespace of its own (engine_call.kdat_ns) to
 * load the cache?  Only for a tree whose mount namespace is not cryo's:
 * the tree rooted at @pid (dump), the tree in the images (restore). */
bool engine_kdat_ns_for_pid (struct engine *e, pid_t pid);
bool engine_kdat_ns_for_images (struct engine *e, int images_fd);
/* In the forked child that becomes CRIU: that mount namespace, entered
 * from @work_dir_fd.  CRIU mounts relative to its work dir (its cgroup
 * yard), which must therefore be a mount of its namespace: the parent
 * hands it the directory as the child sees it, engine_kdat_work_dir (the
 * child's cwd, once the child has executed CRIU), or -1 to keep its own. */
void engine_kdat_enter (const struct engine *e, int work_dir_fd);
int engine_kdat_work_dir (pid_t child, int work_dir_fd);

/* engine-log.c: the first error in CRIU's log at @path, translated when
 * cryo knows the cause; NULL when the log has none or cannot be read. */
char *engine_log_first_error (const char *path);
char *engine_text_first_error (const char *text); /* the same, in CRIU's stderr */
/* The last non-empty line of @text (CRIU's stderr), NULL if none. */
char *engine_last_line (const char *text);

/* engine-report.c: the check entry of the table. */
int engine_criu_check (struct engine *e, struct engine_report *out, cryo_error_t *err);

/* engine-probe.c */
int engine_hw_breakpoints (struct engine *e); /* cached, -1 unknown */
bool engine_soft_dirty (struct engine *e);    /* cached per engine */
int engine_get_version (struct engine *e, cryo_error_t *err);
char **engine_swrk_env (struct engine *e); /* environ + CRIU_FAULT when needed */
unsigned long engine_pipe_max_size (void); /* 0 if unreadable */

/* engine-recover.c: what a dump may leave stopped or frozen if CRIU dies. */
struct engine_snapshot
{
  pid_t *pids;
  char *states; /* process_state() of each pid before the call */
  size_t n;
  char *freezer; /* the --freeze-cgroup directory, or NULL */
  bool was_frozen;
};
void engine_snapshot_take (struct engine_snapshot *s, pid_t root, const char *freeze_cgroup);
/* Resume what is stopped/frozen now but was not before; returns how many. */
int engine_snapshot_restore (const struct engine_snapshot *s);
void engine_snapshot_release (struct engine_snapshot *s);
/* SIGKILL the tree rooted at @root; reap the root when it is our child. */
void engine_kill_tree (pid_t root, bool reap_root);

/* Read a small file's first line (no newline); NULL if unreadable. */
char *engine_read_line_at (int dirfd, const char *path);

#endif
