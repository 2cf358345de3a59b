/* The container lifecycle: create, start, run, kill, delete, ps.
 *
 * Each function takes the container's lock for as long as it changes the
 * container, and on failure leaves nothing behind that it made (no state
 * directory, cgroup, mount, namespace or process). */
#ifndef CRYO_CONTAINER_H
#define CRYO_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"
#include "container/state.h"

struct container_create_options
{
  const char *root;           /* state root (--root) */
  const char *id;
  const char *bundle;         /* NULL: the current directory */
  const char *pid_file;       /* write init's pid there (atomically), or NULL */
  const char *console_socket; /* AF_UNIX socket path receiving the pty master, or NULL */
  bool no_pivot;              /* MS_MOVE + chroot instead of pivot_root */
  bool no_new_keyring;        /* keep the runtime's session keyring */
  bool systemd_cgroup;
  int preserve_fds;           /* fds 3 .. 3+N-1 are passed to the process */
  /* run only */
  bool detach;                /* return once started */
  bool keep;                  /* do not delete the container when it exits */
};

/**
 * container_create - create the container and leave its init waiting
 *
 * The init has every namespace, mount, cgroup, limit and console set up and
 * blocks on the exec fifo until container_start().  Errors from inside the
 * container come back as this call's one-line error.
 */
int container_create (const struct container_create_options *o, cryo_error_t *err);

/* Release a created container's init; runs poststart hooks (failures are
 * warnings).  "cannot start an already running container", ... */
int container_start (const char *root, const char *id, cryo_error_t *err);

/**
 * container_run - create + start; in the foreground, wait for the container
 * @exit_status: the container's exit code, 128+N when killed by signal N
 *     (0 when detached)
 *
 * The foreground run forwards signals to init, proxies the terminal when
 * process.terminal is set without a console socket, and deletes the
 * container when it exits unless o->keep.
 */
int container_run (const struct container_create_options *o, int *exit_status, cryo_error_t *err);

struct container_exec_options
{
  const char *root;
  const char *id;
  const char *process_file;   /* --process: a runtime-spec process object (JSON) */
  char **args;                /* the command after the id (without --process) */
  char **env;                 /* --env KEY=value, repeatable */
  const char *cwd;            /* --cwd */
  const char *user;           /* --user UID[:GID] */
  char **additional_gids;     /* --additional-gids, repeatable */
  char **caps;                /* --cap, repeatable */
  bool tty;                   /* --tty */
  bool no_new_privs;          /* --no-new-privs */
  const char *apparmor;       /* --apparmor PROFILE */
  const char *process_label;  /* --process-label LABEL (SELinux) */
  const char *console_socket; /* with --tty --detach: receives the pty master */
  const char *pid_file;       /* write the process's pid there (atomically) */
  bool detach;                /* return once the process runs */
  bool ignore_paused;         /* exec into a paused (frozen) container */
  int preserve_fds;           /* fds 3 .. 3+N-1 are passed to the process */
  char **cgroups;             /* --cgroup [CONTROLLER[,CONTROLLER]:]PATH: sub-cgroups to join */
};

/**
 * container_exec - run a new process in a created or running container
 * @exit_status: in the foreground, the process's exit code (128+N when
 *     killed by signal N); 0 when detached
 *
 * The process joins every namespace of the container (the user namespace
 * first) and its cgroup, and gets the container's seccomp filter, and its
 * capabilities, rlimits, LSM labels and no_new_privs unless the process
 * (--process, or the flags) sets them, as runc does.  It is the runtime's
 * child: in the foreground signals are forwarded to it and a terminal
 * without --console-socket is proxied.  A stopped container is refused, a
 * paused one unless @ignore_paused (the process then runs on resume).
 */
int container_exec (const struct container_exec_options *o, int *exit_status, cryo_error_t *err);

/* Signal init, or with @all every process of the container's cgroup. */
int container_kill (const char *root, const char *id, int sig, bool all, cryo_error_t *err);

/**
 * container_delete - remove a stopped (or created) container: kill what is
 * left, remove its cgroup, run poststop hooks (failures are warnings), then
 * the state.  @force kills a running or paused container first.  Deleting a
 * container that does not exist is an error, except with @force.
 */
int container_delete (const char *root, const char *id, bool force, cryo_error_t *err);

/* state_read + state_refresh_status (the live status, paused included). */
int container_load (const char *root, const char *id, struct container_state **out,
                    cryo_error_t *err);

/* The pids of the container's processes (its cgroup; init alone without
 * one).  *pids is owned by the caller. */
int container_pids (const struct container_state *s, pid_t **pids, size_t *n, cryo_error_t *err);

/* "KILL", "SIGKILL", "kill", "9", "RTMIN+3", "0" (no signal: a check) -> number;
 * "unknown signal `X`". */
int signal_parse (const char *name, int *sig, cryo_error_t *err);

#endif
