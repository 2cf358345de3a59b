/* A process tree across a checkpoint: children, a grandchild, threads, a
 * zombie; pids, parents, sessions and process groups stay, and they all
 * keep running. */
#include "crt.h" /* first: it defines _GNU_SOURCE */
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static volatile unsigned long ticks[3];
static pid_t tids[3];

static void *
spin (void *arg)
{
  long i = (long)arg;

  tids[i] = (pid_t)syscall (SYS_gettid);
  for (;;)
    {
      ticks[i]++;
      crt_sleep_ms (5);
    }
  return NULL;
}

static pid_t
sleeper (int pgrp)
{
  pid_t p = fork ();

  CRT_CHECK (p >= 0, "fork");
  if (p == 0)
    {
      if (pgrp)
        setpgid (0, 0);
      for (;;)
        pause ();
    }
  return p;
}

/* State letter and parent of a process, from /proc/PID/stat. */
static int
stat_of (pid_t pid, char *state)
{
  char path[64], buf[512];
  int fd, ppid = -1;
  ssize_t n;

  *state = 0;
  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  fd = open (path, O_RDONLY);
  if (fd < 0)
    return -1;
  n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n > 0)
    {
      buf[n] = '\0';
      sscanf (strrchr (buf, ')') + 2, "%c %d", state, &ppid);
    }
  return ppid;
}

static int
ppid_of (pid_t pid)
{
  char state;
  return stat_of (pid, &state);
}

static char
state_of (pid_t pid)
{
  char state;
  stat_of (pid, &state);
  return state;
}

int
main (void)
{
  pthread_t th[3];
  pid_t a, b, grandchild = 0, zombie, self = getpid (), sid = getsid (0);
  unsigned long before[3];
  int status, fds[2];

  a = sleeper (0);
  CRT_CHECK (pipe (fds) == 0, "pipe");
  b = fork ();
  CRT_CHECK (b >= 0, "fork");
  if (b == 0)
    {
      pid_t g = sleeper (1);
      CRT_CHECK (write (fds[1], &g, sizeof g) == sizeof g, "write");
      for (;;)
        pause ();
    }
  CRT_CHECK (read (fds[0], &grandchild, sizeof grandchild) == sizeof grandchild, "read");
  zombie = fork ();
  if (zombie == 0)
    _exit (42);
  for (long i = 0; i < 3; i++)
    CRT_CHECK (pthread_create (&th[i], NULL, spin, (void *)i) == 0, "pthread_create");
  while (!tids[0] || !tids[1] || !tids[2])
    crt_sleep_ms (5);
  /* the zombie is a zombie before the checkpoint */
  while (state_of (zombie) != 'Z')
    crt_sleep_ms (5);
  crt_ready ();
  crt_wait ();

  CRT_CHECK (getpid () == self && getsid (0) == sid, "pid %d sid %d (were %d %d)", getpid (), getsid (0),
             self, sid);
  CRT_CHECK (ppid_of (a) == self && ppid_of (b) == self && ppid_of (grandchild) == b, "parents changed");
  CRT_CHECK (getpgid (grandchild) == grandchild && getpgid (a) == getpgrp (), "process groups changed");
  for (int i = 0; i < 3; i++)
    {
      char path[64];
      snprintf (path, sizeof path, "/proc/self/task/%d", tids[i]);
      CRT_CHECK (access (path, F_OK) == 0, "thread %d is gone", tids[i]);
      before[i] = ticks[i];
    }
  crt_sleep_ms (200);
  for (int i = 0; i < 3; i++)
    CRT_CHECK (ticks[i] > before[i], "thread %d does not run", i);
  CRT_CHECK (state_of (zombie) == 'Z', "the zombie is not a zombie");
  CRT_CHECK (waitpid (zombie, &status, 0) == zombie && WIFEXITED (status) && WEXITSTATUS (status) == 42,
             "the zombie's exit status");
  kill (a, SIGKILL);
  kill (b, SIGKILL);
  kill (grandchild, SIGKILL);
  CRT_CHECK (waitpid (a, &status, 0) == a && WIFSIGNALED (status), "reap a");
  crt_pass ();
}
