/* cryo kill: signal init, or every process of the container. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
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

/* From /proc/PID/status: whether PID is the init of a pid namespace of its
 * own, and the signals it catches or ignores. */
static bool
read_status (pid_t pid, bool *ns_init, uint64_t *handled)
{
  cleanup_free char *path = xasprintf ("/proc/%d/status", pid);
  cleanup_file FILE *f = fopen (path, "re");
  char line[512];
  uint64_t v;

  *ns_init = false;
  *handled = 0;
  if (f == NULL)
    return false;
  while (fgets (line, sizeof line, f))
    {
      if (strncmp (line, "NSpid:", 6) == 0)
        *ns_init = strchr (line + 6, '\t') != strrchr (line + 6, '\t')
                   && strcmp (strrchr (line, '\t'), "\t1\n") == 0;
      else if ((strncmp (line, "SigCgt:", 7) == 0 || strncmp (line, "SigIgn:", 7) == 0)
               && sscanf (line + 7, "%" SCNx64, &v) == 1)
        *handled |= v;
    }
  return true;
}

/* The kernel drops a signal sent to the init of a pid namespace unless init
 * has a handler for it (pid_namespaces(7)), SIGKILL and SIGSTOP aside.  Right
 * after `start` the process may not have set its handlers yet (a shell's
 * trap), or only just (the shell not yet waiting for its child, the point
 * at which runc's slower kill lands): for a container started within the
 * last second, hold the signal until SETTLE_MS after the start, then until
 * init has a handler for it (1 s at most). */
#define SETTLE_MS 100

static void
wait_for_handler (const struct container_state *s, int sig)
{
  cleanup_free char *state = xasprintf ("%s/" STATE_FILE, s->dir);
  struct timespec now, pause = { 0, 5 * 1000 * 1000 };
  struct stat st;
  bool ns_init;
  uint64_t handled;
  long long age_ms;

  if (sig == SIGKILL || sig == SIGSTOP || sig <= 0 || sig > 64 || stat (state, &st) < 0)
    return;
  clock_gettime (CLOCK_REALTIME, &now);
  age_ms = (now.tv_sec - st.st_mtim.tv_sec) * 1000LL + (now.tv_nsec - st.st_mtim.tv_nsec) / 1000000;
  if (age_ms > 1000 || !read_status (s->pid, &ns_init, &handled) || !ns_init)
    return;
  if (age_ms >= 0 && age_ms < SETTLE_MS)
    {
      struct timespec settle = { 0, (SETTLE_MS - age_ms) * 1000 * 1000 };
      nanosleep (&settle, NULL);
    }
  for (int i = 0; i < 200; i++)
    {
      if (!read_status (s->pid, &ns_init, &handled) || (handled & (UINT64_C (1) << (sig - 1))))
        return;
      nanosleep (&pause, NULL);
    }
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
    case CONTAINER_RUNNING:
      if (!all)
        wait_for_handler (s, sig);
      return container_signal (s, sig, all, err);
    case CONTAINER_CREATED:
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
