/* cryo run: create + start, and in the foreground wait for the container:
 * forward signals to init, proxy its terminal, return its exit status. */
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

#define LOG_PREFIX "run: "
#include "container-internal.h"
#include "log.h"
#include "sync.h"
#include "terminal.h"
#include "util.h"

struct run_loop
{
  struct container_creation *c;
  int sigfd;
  int in_fd;          /* our stdin while it is proxied, else -1 */
  bool exited;
  int status;         /* waitpid status of init */
  cryo_error_t exec_error; /* init failed after start */
};

/* Every signal a user may send to the runtime goes to init instead, except
 * the ones that are ours: SIGCHLD (init exited), SIGWINCH (resize the pty),
 * and the synchronous faults. */
static void
forwarded_signals (sigset_t *set)
{
  static const int own[] = { SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGABRT };

  sigfillset (set);
  for (size_t i = 0; i < ARRAY_SIZE (own); i++)
    sigdelset (set, own[i]);
}

static int
open_signalfd (sigset_t *old, cryo_error_t *err)
{
  sigset_t set;
  int fd;

  forwarded_signals (&set);
  if (sigprocmask (SIG_BLOCK, &set, old) < 0)
    return cryo_error (err, errno, "block signals");
  fd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0)
    return cryo_error (err, errno, "signalfd");
  return fd;
}

static void
handle_signals (struct run_loop *l)
{
  struct signalfd_siginfo si;

  while (read (l->sigfd, &si, sizeof (si)) == sizeof (si))
    {
      if (si.ssi_signo == SIGCHLD)
        {
          int status;
          pid_t p;
          while ((p = waitpid (-1, &status, WNOHANG)) > 0)
            if (p == l->c->init_pid)
              l->exited = true, l->status = status;
        }
      else if (si.ssi_signo == SIGWINCH)
        {
          if (l->c->pty_master >= 0)
            terminal_copy_size (STDIN_FILENO, l->c->pty_master);
        }
      else if (!l->exited)
        /* init is our child and not reaped: its pid cannot be reused. */
        kill (l->c->init_pid, si.ssi_signo);
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

/* The sync socket after start: closed by execve, or an error from init. */
static void
handle_sync (struct run_loop *l)
{
  cleanup_sync_msg struct sync_msg m = { .fd = -1 };
  int r = sync_recv (l->c->sync_fd, &m, NULL);

  if (r == 0 && m.step == SYNC_ERROR && l->exec_error == NULL)
    cryo_error (&l->exec_error, 0, "%s", m.data ? m.data : "the container's init failed");
  if (r != 0 || m.step == SYNC_ERROR)
    cleanup_closep (&l->c->sync_fd);
}

static int
run_loop (struct run_loop *l, cryo_error_t *err)
{
  struct container_creation *c = l->c;

  while (!l->exited)
    {
      struct pollfd p[4] = {
        { l->sigfd, POLLIN, 0 }, { c->pty_master, POLLIN, 0 },
        { l->in_fd, POLLIN, 0 },  { c->sync_fd, POLLIN, 0 },
      };
      if (poll (p, 4, -1) < 0 && errno != EINTR)
        return cryo_error (err, errno, "poll");
      if (p[0].revents)
        handle_signals (l);
      if (p[1].revents && !copy_once (c->pty_master, STDOUT_FILENO))
        cleanup_closep (&c->pty_master);
      if (p[2].revents && !copy_once (l->in_fd, c->pty_master))
        l->in_fd = -1;
      if (p[3].revents)
        handle_sync (l);
    }
  /* What the container wrote just before exiting. */
  while (c->pty_master >= 0 && copy_once (c->pty_master, STDOUT_FILENO))
    {
      struct pollfd p = { c->pty_master, POLLIN, 0 };
      if (poll (&p, 1, 0) <= 0)
        break;
    }
  return 0;
}

static int
exit_code (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 1;
}

/* Wait in the foreground; the lock is released while the container runs. */
static int
run_foreground (const struct container_create_options *o, struct container_creation *c,
                int sigfd, int *exit_status, cryo_error_t *err)
{
  struct run_loop l = { .c = c, .sigfd = sigfd, .in_fd = -1 };
  struct termios saved;
  bool raw = false;
  int ret;

  cleanup_closep (&c->lock_fd);
  if (c->pty_master >= 0)
    {
      fcntl (c->pty_master, F_SETFL, O_NONBLOCK);
      l.in_fd = STDIN_FILENO;
      if (isatty (STDIN_FILENO))
        {
          terminal_copy_size (STDIN_FILENO, c->pty_master);
          raw = terminal_make_raw (STDIN_FILENO, &saved, NULL) == 0;
        }
    }
  ret = run_loop (&l, err);
  if (raw)
    terminal_restore (STDIN_FILENO, &saved);
  *exit_status = exit_code (l.status);
  if (ret == 0 && l.exec_error)
    {
      cryo_error_release (err);
      *err = cryo_error_steal (&l.exec_error);
      ret = -1;
    }
  cryo_error_release (&l.exec_error);
  if (o->keep)
    return ret;
  return container_delete (o->root, o->id, true, ret < 0 ? NULL : err) < 0 ? -1 : ret;
}

int
container_run (const struct container_create_options *o, int *exit_status, cryo_error_t *err)
{
  struct container_creation c;
  cleanup_close int sigfd = -1;
  sigset_t old;
  int ret;

  *exit_status = 0;
  if (container_create_locked (o, !o->detach, &c, err) < 0)
    return -1;
  if (!o->detach)
    {
      sigfd = open_signalfd (&old, err);
      if (sigfd < 0)
        {
          container_destroy (o->root, c.state, NULL, NULL);
          container_creation_clear (&c);
          return -1;
        }
    }
  ret = container_start_locked (c.state, c.spec, err);
  if (ret < 0)
    container_destroy (o->root, c.state, NULL, NULL);
  else if (!o->detach)
    ret = run_foreground (o, &c, sigfd, exit_status, err);
  if (!o->detach)
    sigprocmask (SIG_SETMASK, &old, NULL);
  container_creation_clear (&c);
  return ret;
}
