/* cryo delete: kill what is left of a container and remove every trace of
 * it: processes, cgroup, state; poststop hooks last. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LOG_PREFIX "delete: "
#include "container/internal.h"
#include "container/hooks.h"
#include "lib/log.h"
#include "lib/util.h"

/* How long a SIGKILLed init may take to go (it may be in D state). */
#define KILL_WAIT_MS 10000

static int
kill_init_and_wait (const struct container_state *s, cryo_error_t *err)
{
  cleanup_close int pidfd = -1;
  struct pollfd pfd;
  int r;

  if (s->pid <= 0)
    return 0;
  pidfd = syscall (SYS_pidfd_open, s->pid, 0);
  if (pidfd < 0 || !state_init_alive (s))
    return 0;
  if (syscall (SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
    return cryo_error (err, errno, "kill init (pid %d)", s->pid);
  pfd = (struct pollfd) { .fd = pidfd, .events = POLLIN };
  do
    r = poll (&pfd, 1, KILL_WAIT_MS);
  while (r < 0 && errno == EINTR);
  if (r == 0)
    return cryo_error (err, 0, "init (pid %d) did not die within %d s of SIGKILL", s->pid,
                       KILL_WAIT_MS / 1000);
  return 0;
}

int
container_destroy (const char *root, struct container_state *s, const struct spec *spec,
                   cryo_error_t *err)
{
  cleanup_cgroup struct cgroup_manager *cg = NULL;
  cleanup_free char *json = NULL;

  if (s->cgroup && cgroup_load (s->cgroup, &cg, err) < 0)
    return -1;
  if (cg && cgroup_kill (cg, SIGKILL, err) < 0)
    return -1;
  if (cg)
    cgroup_freeze (cg, false, NULL);
  if (kill_init_and_wait (s, err) < 0)
    return -1;
  if (cg && cgroup_destroy (cg, err) < 0)
    return -1;
  s->status = CONTAINER_STOPPED;
  if (spec)
    {
      json = state_oci_json_string (s, false);
      hooks_run_warn (spec, HOOK_POSTSTOP, json);
    }
  return state_remove (root, s->id, err);
}

static bool
container_exists (const char *root, const char *id)
{
  cleanup_free char *path = state_path (root, id, STATE_FILE);
  return container_id_validate (id, NULL) == 0 && access (path, F_OK) == 0;
}

int
container_delete (const char *root, const char *id, bool force, cryo_error_t *err)
{
  cleanup_container_state struct container_state *s = NULL;
  cleanup_spec struct spec *spec = NULL;
  cleanup_error cryo_error_t spec_err = NULL;
  cleanup_close int lock = -1;

  /* runc: `delete --force` of a container that is not there succeeds. */
  if (force && !container_exists (root, id))
    return 0;
  if (state_lock (root, id, &lock, err) < 0 || container_load (root, id, &s, err) < 0)
    return -1;
  switch (s->status)
    {
    case CONTAINER_RUNNING:
    case CONTAINER_PAUSED:
      if (!force)
        return cryo_error (err, 0, "cannot delete container `%s` that is not stopped: %s (use --force)",
                           id, container_status_name (s->status));
      break;
    default:
      /* created, stopped, checkpointed, or a create that died */
      break;
    }
  if (container_load_spec (s, &spec, &spec_err) < 0)
    log_warning ("no poststop hooks for container `%s`: %s", id, spec_err->msg);
  return container_destroy (root, s, spec, err);
}
