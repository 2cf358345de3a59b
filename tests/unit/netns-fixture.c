/* Fixture of test_netlink and test_sockdiag (netns-fixture.h). */
#include "config.h"

#include <sched.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns-fixture.h"

int
in_netns (int (*body) (void))
{
  pid_t pid;
  int status;

  /* The child's TAP comments must not repeat what is still buffered. */
  fflush (stdout);
  pid = fork ();
  if (pid < 0)
    return 1;
  if (pid == 0)
    {
      int ret = unshare (CLONE_NEWNET) < 0 ? 1 : body ();
      fflush (stdout);
      _exit (ret);
    }
  if (waitpid (pid, &status, 0) < 0 || !WIFEXITED (status))
    return 1;
  return WEXITSTATUS (status);
}

bool
netns_can_run (void)
{
  if (geteuid () == 0)
    return true;
  printf ("1..0 # SKIP network namespaces need root\n");
  return false;
}
