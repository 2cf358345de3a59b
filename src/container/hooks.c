/* OCI hooks runner.
 *
 * One poll loop per hook watches a pidfd (the hook's exit), its stdout and
 * stderr, and stdin while the state JSON is still being written.  Waiting
 * for the pidfd instead of EOF matters: a hook may leave a daemon behind
 * that keeps the pipes open, and must not hang cryo. */
#include "config.h"

#define LOG_PREFIX "hooks: "

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "container/hooks.h"
#include "lib/log.h"
#include "lib/util.h"

#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_close_range
#define __NR_close_range 436
#endif

extern char **environ;

/* Output kept per stream; the rest is read and dropped so the hook never
 * blocks on a full pipe. */
#define CAPTURE_MAX (64 * 1024)

struct capture
{
  int fd;
  char *buf;
  size_t len;
};

struct hook_proc
{
  pid_t pid;
  int pidfd;
  int in;
  const char *data;
  size_t len, off;
  struct capture out, err;
  const char *cwd; /* NULL: the runtime's */
};

static void
close_from (int first)
{
  if (syscall (__NR_close_range, first, ~0U, 0) == 0)
    return;
  for (long fd = first, max = sysconf (_SC_OPEN_MAX); fd < max; fd++)
    close (fd);
}

/* In the forked child: only async-signal-safe calls, and _exit on failure. */
static _Noreturn void
child_exec (const struct spec_hook *hook, const char *cwd, int in, int out, int err)
{
  char *default_argv[] = { hook->path, NULL };
  char *const *argv = hook->args && hook->args[0] ? hook->args : default_argv;
  sigset_t none;
  int fds[3] = { in, out, err };

  for (int s = 1; s < NSIG; s++)
    signal (s, SIG_DFL);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  setpgid (0, 0);
  /* Where runc runs it; a directory gone by now (a poststop after the
   * bundle was removed) leaves the runtime's. */
  if (cwd)
    (void) !chdir (cwd);
  /* Move the ends above 2 first, so no dup2 below overwrites another one. */
  for (int i = 0; i < 3; i++)
    if ((fds[i] = fcntl (fds[i], F_DUPFD_CLOEXEC, 3)) < 0)
      _exit (127);
  for (int i = 0; i < 3; i++)
    if (dup2 (fds[i], i) < 0)
      _exit (127);
  close_from (3);
  execve (hook->path, argv, hook->env ? hook->env : environ);
  {
    const char *msg = strerror (errno);
    (void) !write (2, "exec `", 6);
    (void) !write (2, hook->path, strlen (hook->path));
    (void) !write (2, "`: ", 3);
    (void) !write (2, msg, strlen (msg));
    (void) !write (2, "\n", 1);
  }
  _exit (127);
}

static int
make_pipe (int *r, int *w, cryo_error_t *err)
{
  int p[2];

  if (pipe2 (p, O_CLOEXEC) < 0)
    return cryo_error (err, errno, "pipe");
  *r = p[0];
  *w = p[1];
  return 0;
}

/* The parent's ends never block: one slow stream must not stall the others. */
static int
parent_end (int *fd)
{
  fcntl (*fd, F_SETFL, fcntl (*fd, F_GETFL) | O_NONBLOCK);
  return move_fd (fd);
}

static int
spawn (const struct spec_hook *hook, struct hook_proc *hp, cryo_error_t *err)
{
  cleanup_close int in_r = -1;
  cleanup_close int in_w = -1;
  cleanup_close int out_r = -1;
  cleanup_close int out_w = -1;
  cleanup_close int err_r = -1;
  cleanup_close int err_w = -1;

  if (make_pipe (&in_r, &in_w, err) < 0 || make_pipe (&out_r, &out_w, err) < 0
      || make_pipe (&err_r, &err_w, err) < 0)
    return -1;
  hp->pid = fork ();
  if (hp->pid < 0)
    {
      hp->pid = 0;
      return cryo_error (err, errno, "fork");
    }
  if (hp->pid == 0)
    child_exec (hook, hp->cwd, in_r, out_w, err_w);
  hp->in = parent_end (&in_w);
  hp->out.fd = parent_end (&out_r);
  hp->err.fd = parent_end (&err_r);
  hp->pidfd = syscall (__NR_pidfd_open, hp->pid, 0);
  if (hp->pidfd < 0)
    return cryo_error (err, errno, "pidfd_open %d", hp->pid);
  return 0;
}

/* Read what is there; returns false at EOF or on error (stream done). */
static bool
capture_read (struct capture *c)
{
  char buf[4096];

  for (;;)
    {
      ssize_t n = read (c->fd, buf, sizeof (buf));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return true;
      if (n <= 0)
        return false;
      if (c->len < CAPTURE_MAX)
        {
          size_t keep = (size_t) n < CAPTURE_MAX - c->len ? (size_t) n : CAPTURE_MAX - c->len;
          c->buf = xrealloc (c->buf, c->len + keep + 1);
          memcpy (c->buf + c->len, buf, keep);
          c->len += keep;
          c->buf[c->len] = '\0';
        }
    }
}

static void
feed_stdin (struct hook_proc *hp)
{
  while (hp->off < hp->len)
    {
      ssize_t n = write (hp->in, hp->data + hp->off, hp->len - hp->off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return;
      if (n < 0)
        break; /* EPIPE: the hook does not read its stdin, which is its right */
      hp->off += n;
    }
  cleanup_closep (&hp->in);
}

static int
remaining_ms (uint64_t deadline)
{
  uint64_t now = now_ns ();

  if (deadline == 0)
    return -1;
  if (now >= deadline)
    return 0;
  return (int) ((deadline - now + 999999) / 1000000);
}

/* Returns 1 when the hook exited (status in *status), 0 on timeout. */
static int
wait_hook (struct hook_proc *hp, uint64_t deadline, int *status, cryo_error_t *err)
{
  for (;;)
    {
      struct pollfd fds[4] = {
        { hp->pidfd, POLLIN, 0 },
        { hp->out.fd, POLLIN, 0 },
        { hp->err.fd, POLLIN, 0 },
        { hp->in, POLLOUT, 0 },
      };
      int ms = remaining_ms (deadline), n;

      if (ms == 0)
        return 0;
      n = poll (fds, 4, ms);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return cryo_error (err, errno, "poll");
      if (fds[3].revents)
        feed_stdin (hp);
      if (fds[1].revents && !capture_read (&hp->out))
        cleanup_closep (&hp->out.fd);
      if (fds[2].revents && !capture_read (&hp->err))
        cleanup_closep (&hp->err.fd);
      if (fds[0].revents)
        {
          pid_t r;
          while ((r = waitpid (hp->pid, status, 0)) < 0 && errno == EINTR)
            ;
          /* ECHILD: SIGCHLD is ignored and the kernel reaped it; the exit
           * status is lost, and a hook of unknown outcome is not a success. */
          if (r < 0)
            return cryo_error (err, errno, "wait for the hook (is SIGCHLD ignored?)");
          hp->pid = 0;
          return 1;
        }
    }
}

static void
hook_proc_clear (struct hook_proc *hp)
{
  if (hp->pid > 0)
    {
      /* the hook's process group: what it forked dies with it */
      kill (-hp->pid, SIGKILL);
      kill (hp->pid, SIGKILL);
      while (waitpid (hp->pid, NULL, 0) < 0 && errno == EINTR)
        ;
      hp->pid = 0;
    }
  cleanup_closep (&hp->pidfd);
  cleanup_closep (&hp->in);
  cleanup_closep (&hp->out.fd);
  cleanup_closep (&hp->err.fd);
  free (hp->out.buf);
  free (hp->err.buf);
  hp->out.buf = hp->err.buf = NULL;
}

/* The first non-empty line of the hook's stderr, for a one-line error. */
static char *
first_line (const char *s)
{
  size_t n;

  if (s == NULL)
    return NULL;
  s += strspn (s, " \t\r\n");
  n = strcspn (s, "\r\n");
  if (n == 0)
    return NULL;
  return xstrndup (s, n > 200 ? 200 : n);
}

static int
hook_result (const struct spec_hook *hook, const char *what, struct hook_proc *hp, int status,
             cryo_error_t *err)
{
  cleanup_free char *line = NULL;

  if (hp->out.len)
    log_debug ("hook %s `%s` stdout: %s", what, hook->path, hp->out.buf);
  if (hp->err.len)
    log_debug ("hook %s `%s` stderr: %s", what, hook->path, hp->err.buf);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  line = first_line (hp->err.buf);
  if (WIFSIGNALED (status))
    {
      /* "signal: bad system call", as runc (Go) names it. */
      cleanup_free char *name = xstrdup (strsignal (WTERMSIG (status)));
      name[0] = (char)tolower ((unsigned char)name[0]);
      return cryo_error (err, 0, "hook %s `%s` killed by signal %d (signal: %s)%s%s", what, hook->path,
                         WTERMSIG (status), name, line ? ": " : "", line ? line : "");
    }
  return cryo_error (err, 0, "hook %s `%s` failed with exit status %d%s%s", what, hook->path,
                     WEXITSTATUS (status), line ? ": " : "", line ? line : "");
}

static int
spawn_and_wait (const struct spec_hook *hook, const char *what, struct hook_proc *hp, cryo_error_t *err)
{
  uint64_t deadline = hook->timeout > 0 ? now_ns () + (uint64_t) hook->timeout * 1000000000ULL : 0;
  int status = 0, ret;

  if (spawn (hook, hp, err) < 0)
    return cryo_error_wrap (err, "hook %s `%s`", what, hook->path);
  feed_stdin (hp);
  ret = wait_hook (hp, deadline, &status, err);
  if (ret < 0)
    return cryo_error_wrap (err, "hook %s `%s`", what, hook->path);
  if (ret == 0)
    return cryo_error (err, 0, "hook %s `%s` timed out after %ds", what, hook->path, hook->timeout);
  /* What the hook wrote just before exiting; a daemon it left behind may
   * keep the pipes open, so take what is there and do not wait for EOF. */
  if (hp->out.fd >= 0)
    capture_read (&hp->out);
  if (hp->err.fd >= 0)
    capture_read (&hp->err);
  return hook_result (hook, what, hp, status, err);
}

static int
hook_run_in (const struct spec_hook *hook, const char *what, const char *stdin_data, const char *cwd,
             cryo_error_t *err)
{
  __attribute__ ((cleanup (hook_proc_clear))) struct hook_proc hp = {
    .pidfd = -1, .in = -1, .out = { .fd = -1 }, .err = { .fd = -1 },
    .data = stdin_data ? stdin_data : "", .len = stdin_data ? strlen (stdin_data) : 0,
    .cwd = cwd,
  };
  sigset_t sigpipe, old, pending;
  bool was_pending;
  int ret;

  /* A hook that exits without reading its stdin must give EPIPE, not kill cryo. */
  sigemptyset (&sigpipe);
  sigaddset (&sigpipe, SIGPIPE);
  sigpending (&pending);
  was_pending = sigismember (&pending, SIGPIPE);
  sigprocmask (SIG_BLOCK, &sigpipe, &old);
  log_debug ("running hook %s `%s`", what, hook->path);
  ret = spawn_and_wait (hook, what, &hp, err);
  sigpending (&pending);
  if (!was_pending && !sigismember (&old, SIGPIPE) && sigismember (&pending, SIGPIPE))
    {
      const struct timespec zero = { 0, 0 };
      sigtimedwait (&sigpipe, NULL, &zero);
    }
  sigprocmask (SIG_SETMASK, &old, NULL);
  return ret;
}

int
hook_run (const struct spec_hook *hook, const char *what, const char *stdin_data, cryo_error_t *err)
{
  return hook_run_in (hook, what, stdin_data, NULL, err);
}

/* runc's: the hooks of the host run in the bundle (runc create chdirs
 * there); createContainer in the rootfs, before the pivot (runc's
 * prepareRootfs); startContainer in the process's cwd, where init is. */
static const char *
hook_cwd (const struct spec *spec, enum spec_hook_kind kind)
{
  if (kind == HOOK_START_CONTAINER)
    return NULL;
  return kind == HOOK_CREATE_CONTAINER ? spec->rootfs : spec->bundle;
}

int
hooks_run (const struct spec *spec, enum spec_hook_kind kind, const char *state_json, cryo_error_t *err)
{
  for (size_t i = 0; i < spec->n_hooks[kind]; i++)
    if (hook_run_in (&spec->hooks[kind][i], spec_hook_names[kind], state_json, hook_cwd (spec, kind), err)
        < 0)
      /* runc's words, which its callers and tests match. */
      return cryo_error_wrap (err, "error running hook #%zu", i);
  return 0;
}

size_t
hooks_run_warn (const struct spec *spec, enum spec_hook_kind kind, const char *state_json)
{
  size_t failed = 0;

  for (size_t i = 0; i < spec->n_hooks[kind]; i++)
    {
      cleanup_error cryo_error_t err = NULL;
      if (hook_run_in (&spec->hooks[kind][i], spec_hook_names[kind], state_json, hook_cwd (spec, kind), &err)
          < 0)
        {
          log_warning ("%s", err->msg);
          failed++;
        }
    }
  return failed;
}
