/* cryo kill: signal init, or every process of the container. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container/internal.h"
#include "lib/util.h"

/* Signal @s's init through a pidfd opened and then checked against the
 * stored start time: a recycled pid is never signalled. */
static int
signal_init (const struct container_state *s, int sig, cryo_error_t *err)
{
  cleanup_close int pidfd = -1;

  if (s->pid <= 0)
    return cryo_error (err, 0, "container not running");
  pidfd = syscall (SYS_pidfd_open, s->pid, 0);
  if (pidfd < 0 && errno == ESRCH)
    return cryo_error (err, 0, "container not running");
  if (pidfd < 0)
    return cryo_error (err, errno, "pidfd_open %d", s->pid);
  if (!state_init_alive (s))
    return cryo_error (err, 0, "container not running");
  if (syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
    return cryo_error (err, errno, "unable to signal init (pid %d)", s->pid);
  return 0;
}

int
container_signal (const struct container_state *s, int sig, bool all, cryo_error_t *err)
{
  cleanup_cgroup struct cgroup_manager *cg = NULL;

  if (s->cgroup && cgroup_load (s->cgroup, &cg, err) < 0)
    return -1;
  if (all && cg)
    {
      if (cgroup_kill (cg, sig, err) < 0)
        return -1;
    }
  else if (signal_init (s, sig, err) < 0)
    return -1;
  /* A frozen v1 cgroup does not act on SIGKILL until thawed (runc thaws
   * for SIGKILL only). */
  if (sig == SIGKILL && cg && s->status == CONTAINER_PAUSED)
    cgroup_freeze (cg, false, NULL);
  return 0;
}

int
container_kill (const char *root, const char *id, int sig, bool all, cryo_error_t *err)
{
  cleanup_container_state struct container_state *s = NULL;

  /* No lock: kill must work while another command (a hook during create,
   * a foreground run) holds it; the pidfd check makes it safe. */
  if (container_load (root, id, &s, err) < 0)
    return -1;
  switch (s->status)
    {
    case CONTAINER_CREATED:
    case CONTAINER_RUNNING:
    case CONTAINER_PAUSED:
      return container_signal (s, sig, all, err);
    case CONTAINER_STOPPED:
      if (all && s->cgroup)
        return container_signal (s, sig, true, err);
      /* fallthrough */
    default:
      return cryo_error (err, 0, "container not running");
    }
}
