/* Deadlines on the runtime's waits for its own children during create and
 * exec: a child that stops answering (stopped, frozen, stuck in the
 * kernel) makes the command fail with the step it did not answer, instead
 * of hanging it. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "container/internal.h"
#include "lib/util.h"

#define SETUP_DEFAULT_DEADLINE_MS 60000U

int
setup_deadline_ms (const struct spec *spec, unsigned *ms, cryo_error_t *err)
{
  const char *v = getenv ("CRYO_SETUP_TIMEOUT");
  char *end = NULL;
  double s;

  *ms = SETUP_DEFAULT_DEADLINE_MS;
  if (v != NULL && *v != '\0')
    {
      errno = 0;
      s = strtod (v, &end);
      if (errno || end == v || *end != '\0' || !(s > 0) || s > 7 * 86400.0)
        return cryo_error (err, 0, "CRYO_SETUP_TIMEOUT `%s` is not a number of seconds (0 < N <= 604800)", v);
      *ms = (unsigned)(s * 1000.0 + 0.999);
    }
  /* createContainer hooks run in init before it answers `ready`: their
   * own timeouts come on top. */
  for (size_t i = 0; spec && i < spec->n_hooks[HOOK_CREATE_CONTAINER]; i++)
    *ms += (unsigned)spec->hooks[HOOK_CREATE_CONTAINER][i].timeout * 1000U;
  return 0;
}

static int
wait_exited (pid_t pid, unsigned ms)
{
  int pidfd = syscall (SYS_pidfd_open, pid, 0);
  struct pollfd p = { pidfd, POLLIN, 0 };
  int r;

  if (ms == 0 || pidfd < 0)
    {
      if (pidfd >= 0)
        close (pidfd);
      return 1; /* no deadline, or no pidfd: an unbounded waitpid */
    }
  do
    r = poll (&p, 1, (int)ms);
  while (r < 0 && errno == EINTR);
  close (pidfd);
  return r != 0;
}

int
child_reap (pid_t pid, int *status, unsigned ms, const char *who, cryo_error_t *err)
{
  int st;

  if (!wait_exited (pid, ms))
    return cryo_error (err, 0, "%s (pid %d) did not exit within %.1f s (CRYO_SETUP_TIMEOUT)", who, pid,
                       ms / 1000.0);
  while (waitpid (pid, &st, 0) < 0)
    if (errno != EINTR)
      return cryo_error (err, errno, "wait for %s", who);
  if (status)
    *status = st;
  return 0;
}
