/* Pieces of the lifecycle shared by create, start, run and delete. */
#ifndef CRYO_CONTAINER_INTERNAL_H
#define CRYO_CONTAINER_INTERNAL_H

#include "cgroup.h"
#include "container.h"
#include "process.h"
#include "spec.h"
#include "state.h"

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
};

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

#endif
