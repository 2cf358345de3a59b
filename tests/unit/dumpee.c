/* A small process for a real `criu dump` (dumpee.h). */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dumpee.h"
#include "lib/util.h"

/* Memory the dumped process wrote: not static, so that the compiler cannot
 * drop the writes to memory nobody reads. */
char *dumpee_touched;

static void *
sleeper (void *arg)
{
  for (;;)
    pause ();
  return arg;
}

static _Noreturn void
dumpee (int notify)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof (addr);
  int null, p[2], sp[2], s;
  pthread_t t;

  /* Only the fds the checks expect, and the notification pipe moved to 9:
   * an inherited fd would be shared with the outside, and a low one could be
   * overwritten by the dup2 calls below. */
  dup2 (notify, 9);
  notify = 9;
  close_range (3, 8, 0);
  close_range (10, ~0U, 0);
  null = open ("/dev/null", O_RDWR);
  setsid ();
  prctl (PR_SET_NAME, DUMPEE_COMM);
  for (int fd = 0; fd < 3; fd++)
    dup2 (null, fd);
  dup2 (open ("/etc/hostname", O_RDONLY), 10);
  if (pipe (p) < 0 || socketpair (AF_UNIX, SOCK_STREAM, 0, sp) < 0)
    _exit (1);
  dup2 (p[0], 11), dup2 (p[1], 12), dup2 (sp[0], 14), dup2 (sp[1], 15);
  s = socket (AF_INET, SOCK_STREAM, 0);
  if (bind (s, (struct sockaddr *) &addr, sizeof (addr)) < 0 || listen (s, 4) < 0
      || getsockname (s, (struct sockaddr *) &addr, &len) < 0)
    _exit (1);
  dup2 (s, 13);
  close_range (3, 8, 0); /* the originals of what was just moved */
  dumpee_touched = malloc (DUMPEE_TOUCHED);
  memset (dumpee_touched, 0x5a, DUMPEE_TOUCHED);
  pthread_create (&t, NULL, sleeper, NULL);
  dprintf (notify, "%u\n", ntohs (addr.sin_port));
  close (notify); /* CRIU refuses a pipe shared with the outside */
  for (;;)
    pause ();
}

pid_t
dumpee_start (unsigned *port)
{
  char line[32] = "";
  int notify[2];
  pid_t pid;
  FILE *f;

  if (pipe (notify) < 0)
    return -1;
  pid = fork ();
  if (pid == 0)
    {
      close (notify[0]);
      dumpee (notify[1]);
    }
  close (notify[1]);
  f = fdopen (notify[0], "r");
  if (pid < 0 || f == NULL || fgets (line, sizeof (line), f) == NULL)
    {
      if (f)
        fclose (f);
      else
        close (notify[0]);
      if (pid > 0)
        kill (pid, SIGKILL), waitpid (pid, NULL, 0);
      return -1;
    }
  fclose (f);
  *port = atoi (line);
  return pid;
}

int
dumpee_dump (pid_t pid, const char *dir, const char *log)
{
  cleanup_free char *tree = xasprintf ("%d", pid);
  char *argv[] = { (char *) CRIU_BINARY, "dump", "-t", tree, "-D", (char *) dir, "-o", (char *) log, "-v4", NULL };
  int status = -1;
  pid_t c = fork ();

  if (c == 0)
    {
      int null = open ("/dev/null", O_RDWR);
      dup2 (null, 0), dup2 (null, 1), dup2 (null, 2);
      execv (argv[0], argv);
      _exit (127);
    }
  if (c > 0 && waitpid (c, &status, 0) != c)
    status = -1;
  /* CRIU killed the dumped task when it succeeded; reap it either way. */
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  return c > 0 && status != -1 && WIFEXITED (status) && WEXITSTATUS (status) == 0 ? 0 : -1;
}
