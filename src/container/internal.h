/* Pieces of the lifecycle shared by create, start, run and delete. */
#ifndef CRYO_CONTAINER_INTERNAL_H
#define CRYO_CONTAINER_INTERNAL_H

#include <signal.h>

#include "cgroup/cgroup.h"
#include "container/container.h"
#include "container/process.h"
#include "spec/spec.h"
#include "container/state.h"

struct cryo_seccomp;
struct sync_msg;

/**
 * seccomp_notify_forward - hand the notify fd of SYNC_SECCOMP @m to the agent
 * @s: the container's state, sent as containerProcessState.state
 * @pid: the process that loaded the filter (runtime's pid namespace)
 *
 * Connects to linux.seccomp.listenerPath, sends the containerProcessState
 * with the fd, closes @m's fd and answers SYNC_SECCOMP_DONE on @sync_fd.
 * The error says "failed to connect with seccomp agent ..." as runc's does.
 */
int seccomp_notify_forward (int sync_fd, struct sync_msg *m, const struct cryo_seccomp *seccomp,
                            const struct container_state *s, pid_t pid, cryo_error_t *err);

/* A container being created, as the runtime holds it. */
struct container_creation
{
  struct container_ctx ctx;   /* what the children get */
  struct spec *spec;
  struct mount_plan *plan;
  struct cryo_seccomp *seccomp;
  struct cgroup_manager *cg;
  struct container_state *state;
  int lock_fd;                /* held from state_create on */
  int sync_fd;                /* the runtime's end */
  int pty_master;             /* foreground terminal without console socket */
  pid_t init_pid;
  unsigned deadline_ms; /* of each wait on the children (deadline.c) */
};

/* deadline.c: how long the runtime waits for each answer of its children
 * (CRYO_SETUP_TIMEOUT seconds, 60 by default, plus the createContainer hooks'
 * timeouts), and waitpid within it ("WHO (pid N) did not exit within...").
 * A signal kill is not waited for longer either: a frozen child would not die.
 * A deadline of 0 is none. */
int setup_deadline_ms (const struct spec *spec, unsigned *ms, cryo_error_t *err);
int child_reap (pid_t pid, int *status, unsigned ms, const char *who, cryo_error_t *err);

/**
 * container_create_locked - create, and keep the lock and the handles
 * @foreground: a foreground run: a terminal without console socket comes
 *     back as c->pty_master instead of being refused
 *
 * On failure everything made is removed and @c is cleared.
 */
int container_create_locked (const struct container_create_options *o, bool foreground,
                             struct container_creation *c, cryo_error_t *err);
void container_creation_clear (struct container_creation *c);

/* Release init (the lock is held by the caller), run poststart hooks. */
int container_start_locked (struct container_state *s, const struct spec *spec, cryo_error_t *err);

/* The config stored with the container (<dir>/config.json). */
int container_load_spec (const struct container_state *s, struct spec **out, cryo_error_t *err);

/**
 * container_destroy - kill every process left, remove the cgroup, run the
 * poststop hooks when @spec is given (failures are warnings), remove the
 * state directory.  The caller holds the lock.
 */
int container_destroy (const char *root, struct container_state *s, const struct spec *spec,
                       cryo_error_t *err);

/* Kill init (pid + start time checked through a pidfd), or with @all every
 * process of the cgroup. */
int container_signal (const struct container_state *s, int sig, bool all, cryo_error_t *err);

/* A foreground process the runtime waits for (run, exec). */
struct foreground
{
  pid_t pid;      /* our child, not reaped */
  int sigfd;      /* from foreground_block_signals() */
  int pty_master; /* proxied to our stdio when >= 0; closed by foreground_wait */
  int sync_fd;    /* may still report the process's failure, or -1; closed too */
};

/* Block the signals a foreground runtime forwards and return a signalfd
 * for them; @old receives the mask to restore. */
int foreground_block_signals (sigset_t *old, cryo_error_t *err);

/**
 * foreground_wait - wait for f->pid: forward signals to it, proxy its pty
 * (our stdin raw while it is a tty), and give its exit code (128+N when
 * killed by signal N).  An error the process sent on the sync socket
 * becomes this call's error.
 */
int foreground_wait (struct foreground *f, int *exit_status, cryo_error_t *err);

/* `cryo exec`: the process to run, from --process FILE or the container's
 * process with the flags applied, completed with the container's settings
 * (capabilities, rlimits, LSM labels, no_new_privs, oomScoreAdj). */
int exec_process_build (const struct container_exec_options *o, const struct spec *spec,
                        struct spec_process **out, cryo_error_t *err);

#endif
