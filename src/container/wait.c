/* A foreground `run` or `exec`: wait for the process, forward the signals
 * the runtime gets to it, proxy its terminal, and return its exit status. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/internal.h"
#include "container/sync.h"
#include "container/terminal.h"
#include "lib/util.h"

struct wait_loop
{
  struct foreground *f;
  int in_fd;               /* our stdin while it is proxied, else -1 */
  bool exited;
  int status;              /* waitpid status of the process */
  cryo_error_t exec_error; /* the process failed after start */
};

/* Every signal a user may send to the runtime goes to the process instead,
 * except the ones that are ours: SIGCHLD (it exited), SIGWINCH (resize the
 * pty), and the synchronous faults. */
static void
forwarded_signals (sigset_t *set)
{
  static const int own[] = { SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGABRT };

  sigfillset (set);
  for (size_t i = 0; i < ARRAY_SIZE (own); i++)
    sigdelset (set, own[i]);
}

int
foreground_block_signals (sigset_t *old, cryo_error_t *err)
{
  sigset_t set;
  int fd;

  forwarded_signals (&set);
  if (sigprocmask (SIG_BLOCK, &set, old) < 0)
    return cryo_error (err, errno, "block signals");
  fd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0)
    {
      int e = errno;
      sigprocmask (SIG_SETMASK, old, NULL);
      return cryo_error (err, e, "signalfd");
    }
  return fd;
}

static void
handle_signals (struct wait_loop *l)
{
  struct signalfd_siginfo si;

  while (read (l->f->sigfd, &si, sizeof (si)) == sizeof (si))
    {
      if (si.ssi_signo == SIGCHLD)
        {
          int status;
          pid_t p;
          while ((p = waitpid (-1, &status, WNOHANG)) > 0)
            if (p == l->f->pid)
              l->exited = true, l->status = status;
        }
      else if (si.ssi_signo == SIGWINCH)
        {
          if (l->f->pty_master >= 0)
            terminal_copy_size (STDIN_FILENO, l->f->pty_master);
        }
      else if (!l->exited)
        /* The process is our child and not reaped: its pid cannot be reused. */
        kill (l->f->pid, si.ssi_signo);
    }
}

/* Copy what is readable from @from to @to; false at end of file or error. */
static bool
copy_once (int from, int to)
{
  char buf[8192];
  ssize_t n = read (from, buf, sizeof (buf));

  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return true;
  if (n <= 0)
    return false;
  return write_all (to, buf, n) == 0;
}

/* The sync socket after start: closed by execve, or an error from the process. */
static void
handle_sync (struct wait_loop *l)
{
  cleanup_sync_msg struct sync_msg m = { .fd = -1 };
  int r = sync_recv (l->f->sync_fd, &m, NULL);

  if (r == 0 && m.step == SYNC_ERROR && l->exec_error == NULL)
    cryo_error (&l->exec_error, 0, "%s", m.data ? m.data : "the container's process failed");
  if (r != 0 || m.step == SYNC_ERROR)
    cleanup_closep (&l->f->sync_fd);
}

static int
wait_loop (struct wait_loop *l, cryo_error_t *err)
{
  struct foreground *f = l->f;

  while (!l->exited)
    {
      struct pollfd p[4] = {
        { f->sigfd, POLLIN, 0 },
        { f->pty_master, POLLIN, 0 },
        { l->in_fd, POLLIN, 0 },
        { f->sync_fd, POLLIN, 0 },
      };
      if (poll (p, 4, -1) < 0 && errno != EINTR)
        return cryo_error (err, errno, "poll");
      if (p[0].revents)
        handle_signals (l);
      if (p[1].revents && !copy_once (f->pty_master, STDOUT_FILENO))
        cleanup_closep (&f->pty_master);
      if (p[2].revents && !copy_once (l->in_fd, f->pty_master))
        l->in_fd = -1;
      if (p[3].revents)
        handle_sync (l);
    }
  /* What the process wrote just before exiting. */
  while (f->pty_master >= 0 && copy_once (f->pty_master, STDOUT_FILENO))
    {
      struct pollfd p = { f->pty_master, POLLIN, 0 };
      if (poll (&p, 1, 0) <= 0)
        break;
    }
  return 0;
}

int
foreground_wait (struct foreground *f, int *exit_status, cryo_error_t *err)
{
  struct wait_loop l = { .f = f, .in_fd = -1 };
  struct termios saved;
  bool raw = false;
  int ret;

  if (f->pty_master >= 0)
    {
      fcntl (f->pty_master, F_SETFL, O_NONBLOCK);
      l.in_fd = STDIN_FILENO;
      if (isatty (STDIN_FILENO))
        {
          terminal_copy_size (STDIN_FILENO, f->pty_master);
          raw = terminal_make_raw (STDIN_FILENO, &saved, NULL) == 0;
        }
    }
  ret = wait_loop (&l, err);
  if (raw)
    terminal_restore (STDIN_FILENO, &saved);
  cleanup_closep (&f->pty_master);
  cleanup_closep (&f->sync_fd);
  *exit_status = wait_status_exit_code (l.status);
  if (ret == 0 && l.exec_error)
    {
      cryo_error_release (err);
      *err = cryo_error_steal (&l.exec_error);
      ret = -1;
    }
  cryo_error_release (&l.exec_error);
  return ret;
}
