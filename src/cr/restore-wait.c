/* A foreground restore (no --detach), as runc's: wait for the restored
 * init (cryo's child), forward the signals cryo gets to it, then remove
 * the container and exit with its status. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOG_PREFIX "restore: "
#include "container/container.h"
#include "lib/log.h"
#include "cr/restore-internal.h"
#include "lib/util.h"

static int
wait_loop (pid_t init, int sigfd, int *status, cryo_error_t *err)
{
  struct signalfd_siginfo si;

  for (;;)
    {
      ssize_t n = read (sigfd, &si, sizeof si);
      if (n < 0 && errno == EINTR)
        continue;
      if (n != sizeof si)
        return cryo_error (err, errno, "read the signalfd");
      if (si.ssi_signo != SIGCHLD)
        {
          kill (init, si.ssi_signo);
          continue;
        }
      for (;;)
        {
          pid_t p = waitpid (-1, status, WNOHANG);
          if (p == init)
            return 0;
          if (p <= 0)
            break;
        }
    }
}

int
cr_restore_wait (struct restore *r, int *exit_status, cryo_error_t *err)
{
  static const int own[] = { SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGABRT };
  cleanup_close int sigfd = -1;
  sigset_t set, old;
  int status = 0, ret;

  sigfillset (&set);
  for (size_t i = 0; i < ARRAY_SIZE (own); i++)
    sigdelset (&set, own[i]);
  if (sigprocmask (SIG_BLOCK, &set, &old) < 0)
    return cryo_error (err, errno, "block signals");
  sigfd = signalfd (-1, &set, SFD_CLOEXEC);
  if (sigfd < 0)
    ret = cryo_error (err, errno, "signalfd");
  else
    {
      /* init may have gone before the signalfd was there */
      pid_t p = waitpid (r->pid, &status, WNOHANG);
      ret = p == r->pid ? 0 : wait_loop (r->pid, sigfd, &status, err);
    }
  sigprocmask (SIG_SETMASK, &old, NULL);
  if (ret < 0)
    return -1;
  *exit_status = wait_status_exit_code (status);
  return container_delete (r->o->c.root, r->o->c.id, true, err);
}
