/* One engine call: cryo starts `criu swrk <fd>` itself and hands the socket
 * to libcriu (criu_local_set_service_fd), so it owns CRIU's pid, process
 * group and environment.
 *
 * libcriu's calls block in recv() with no timeout of their own (its
 * criu_local_set_timeout is CRIU's *dump* timeout, not the RPC's), so a
 * watchdog thread enforces the deadline: it SIGKILLs CRIU (and its process
 * group: helpers, half-restored tasks) and shuts the socket down, which makes
 * libcriu's recv() return and the call fail.  Shutting our end down matters:
 * a task CRIU forked may still hold the other end open.
 *
 * libcriu reports transport failures with perror(); while a call runs,
 * cryo's stderr goes to a memfd and libcriu's own lines are dropped, so a
 * failure stays one line.  libcriu's notify callback has no user-data
 * argument: the call in flight is found through a thread-local pointer. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOG_PREFIX "engine: "
#include "engine/internal.h"
#include "lib/log.h"
#include "lib/util.h"

static __thread struct engine_call *current_call;

void
engine_format_deadline (unsigned ms, char *buf, size_t len)
{
  if (ms % 1000 == 0)
    snprintf (buf, len, "%us", ms / 1000);
  else
    snprintf (buf, len, "%gs", ms / 1000.0);
}

static const struct
{
  const char *name;
  enum engine_event ev;
} event_names[] = {
  { "pre-dump", ENGINE_EV_PRE_DUMP },
  { "network-lock", ENGINE_EV_NETWORK_LOCK },
  { "post-dump", ENGINE_EV_POST_DUMP },
  { "network-unlock", ENGINE_EV_NETWORK_UNLOCK },
  { "pre-restore", ENGINE_EV_PRE_RESTORE },
  { "setup-namespaces", ENGINE_EV_SETUP_NAMESPACES },
  { "post-setup-namespaces", ENGINE_EV_POST_SETUP_NAMESPACES },
  { "post-restore", ENGINE_EV_POST_RESTORE },
  { "pre-resume", ENGINE_EV_PRE_RESUME },
  { "post-resume", ENGINE_EV_POST_RESUME },
  { "orphan-pts-master", ENGINE_EV_ORPHAN_PTS_MASTER },
  { "status-ready", ENGINE_EV_STATUS_READY },
};

static enum engine_event
event_from_name (const char *name)
{
  for (size_t i = 0; i < ARRAY_SIZE (event_names); i++)
    if (strcmp (event_names[i].name, name) == 0)
      return event_names[i].ev;
  return ENGINE_EV_OTHER;
}

/* libcriu calls this for every notification of the call in flight. */
static int
notify_trampoline (char *action, criu_notify_arg_t na)
{
  struct engine_call *c = current_call;
  struct engine_notify n = { .event = event_from_name (action), .name = action, .fd = -1 };

  if (c == NULL)
    return 0;
  n.engine_pid = c->swrk_pid;
  n.pid = criu_notify_pid (na);
  if (n.pid > 0 && (n.event == ENGINE_EV_SETUP_NAMESPACES || n.event == ENGINE_EV_POST_RESTORE))
    c->restored_pid = n.pid;
  if (n.event == ENGINE_EV_ORPHAN_PTS_MASTER)
    {
      n.fd = criu_get_orphan_pts_master_fd ();
      if (n.fd >= 0)
        fcntl (n.fd, F_SETFD, FD_CLOEXEC); /* received without MSG_CMSG_CLOEXEC */
    }
  log_debug ("criu notifies `%s` (pid %d)", action, (int)n.pid);
  if (c->notify == NULL)
    {
      if (n.fd >= 0)
        close (n.fd);
      return 0;
    }
  if (c->notify (&n, c->notify_data, &c->cb_err) < 0)
    {
      snprintf (c->cb_action, sizeof c->cb_action, "%s", action);
      if (c->cb_err == NULL)
        cryo_error (&c->cb_err, 0, "callback failed");
      return -1;
    }
  return 0;
}

/* In the forked child: become `criu swrk <sk>` with a clean signal state,
 * stdio on /dev/null and the output memfd, and only the fds CRIU needs. */
static _Noreturn void
exec_swrk (struct engine_call *c, pid_t parent, int sk, int out, int devnull, char **envp)
{
  char fdstr[16];
  char *argv[] = { (char *)"criu", (char *)"swrk", fdstr, NULL };
  sigset_t none;

  prctl (PR_SET_PDEATHSIG, SIGKILL); /* cryo dies: CRIU must not finish a dump nobody records */
  if (getppid () != parent)
    _exit (127);
  if (c->own_pgrp)
    setpgid (0, 0);
  if (c->kdat_ns)
    engine_kdat_enter (c->e, c->work_dir_fd);
  for (int s = 1; s < NSIG; s++)
    signal (s, SIG_DFL);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);

  for (int fd = 0; fd < 3; fd++)
    {
      bool keep = false;
      for (size_t i = 0; i < c->n_keep_fds; i++)
        keep |= c->keep_fds[i] == fd;
      if (!keep && dup2 (fd == 0 ? devnull : out, fd) < 0)
        _exit (127);
    }
  close_range (3, ~0U, CLOSE_RANGE_CLOEXEC);
  fcntl (sk, F_SETFD, 0);
  for (size_t i = 0; i < c->n_keep_fds; i++)
    fcntl (c->keep_fds[i], F_SETFD, 0);
  snprintf (fdstr, sizeof fdstr, "%d", sk);
  execve (c->e->binary, argv, envp);
  dprintf (2, "cannot execute criu `%s`: %s\n", c->e->binary, strerror (errno));
  _exit (127);
}

static int
spawn_swrk (struct engine_call *c, int *sk_out, int *out_fd, cryo_error_t *err)
{
  cleanup_close int devnull = -1, out = -1, sync_r = -1, sync_w = -1;
  int sks[2], p[2];
  cleanup_strv char **envp = engine_swrk_env (c->e);
  pid_t parent = getpid (), pid;
  char byte;

  devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0)
    return cryo_error (err, errno, "open `/dev/null`");
  out = memfd_create ("criu-output", MFD_CLOEXEC);
  if (out < 0)
    return cryo_error (err, errno, "memfd_create");
  /* Closed by the child's exec: by then it is in its mount namespace. */
  if (c->kdat_ns && pipe2 (p, O_CLOEXEC) < 0)
    c->kdat_ns = false;
  else if (c->kdat_ns)
    sync_r = p[0], sync_w = p[1];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sks) < 0)
    return cryo_error (err, errno, "socketpair for criu swrk");
  pid = fork ();
  if (pid < 0)
    {
      close (sks[0]);
      close (sks[1]);
      return cryo_error (err, errno, "fork criu swrk");
    }
  if (pid == 0)
    exec_swrk (c, parent, sks[1], out, devnull, envp);
  /* Also here, so the watchdog's kill (-pid) cannot race the child's own call. */
  if (c->own_pgrp)
    setpgid (pid, pid);
  close (sks[1]);
  if (sync_r >= 0)
    {
      close (sync_w);
      sync_w = -1;
      while (read (sync_r, &byte, 1) < 0 && errno == EINTR)
        ;
    }
  c->swrk_pid = pid;
  *sk_out = sks[0];
  *out_fd = move_fd (&out);
  log_debug ("criu swrk %d started for %s", (int)pid, c->what);
  return 0;
}

struct watchdog
{
  pthread_t thread;
  int stop_fd;
  int sk;
  struct engine_call *call;
  uint64_t deadline_ns;
};

static void
kill_swrk (struct engine_call *c)
{
  /* CRIU is not reaped before the watchdog is joined, so neither its pid
   * nor its process group can have been reused. */
  if (c->own_pgrp)
    kill (-c->swrk_pid, SIGKILL);
  kill (c->swrk_pid, SIGKILL);
}

static void *
watchdog_main (void *arg)
{
  struct watchdog *w = arg;

  for (;;)
    {
      uint64_t now = now_ns ();
      struct pollfd p = { .fd = w->stop_fd, .events = POLLIN };
      int ms;

      if (now >= w->deadline_ns)
        break;
      ms = (int)((w->deadline_ns - now + 999999) / 1000000);
      if (poll (&p, 1, ms) > 0)
        return NULL;
    }
  w->call->expired = true;
  kill_swrk (w->call);
  shutdown (w->sk, SHUT_RDWR);
  return NULL;
}

static int
watchdog_start (struct watchdog *w, struct engine_call *c, int sk, cryo_error_t *err)
{
  sigset_t all, old;
  int ret;

  w->call = c;
  w->sk = sk;
  w->deadline_ns = now_ns () + (uint64_t)c->deadline_ms * 1000000;
  w->stop_fd = eventfd (0, EFD_CLOEXEC);
  if (w->stop_fd < 0)
    return cryo_error (err, errno, "eventfd");
  /* The watchdog must never take a signal meant for the caller. */
  sigfillset (&all);
  pthread_sigmask (SIG_SETMASK, &all, &old);
  ret = pthread_create (&w->thread, NULL, watchdog_main, w);
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  if (ret != 0)
    {
      close (w->stop_fd);
      return cryo_error (err, ret, "start the engine watchdog");
    }
  return 0;
}

static void
watchdog_stop (struct watchdog *w)
{
  uint64_t one = 1;

  if (write (w->stop_fd, &one, sizeof one) < 0)
    log_debug ("cannot wake the watchdog: %s", strerror (errno));
  pthread_join (w->thread, NULL);
  close (w->stop_fd);
}

/* libcriu's perror() prefixes: transport noise when CRIU died, logged at
 * debug level instead of reaching the user. */
static const char *const libcriu_noise[] = {
  "Can't read request",    "Can't receive response",  "Failed unpacking response",
  "Can't send request",    "Failed packing request",  "Unexpected response type",
  "Can't connect to criu", "Can't connect to socket", "Can't create socket",
};

static void
replay_stderr (const char *text)
{
  cleanup_free char *copy = xstrdup (text);
  char *save = NULL;

  for (char *line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      bool noise = false;
      for (size_t i = 0; i < ARRAY_SIZE (libcriu_noise); i++)
        noise |= strncmp (line, libcriu_noise[i], strlen (libcriu_noise[i])) == 0;
      if (noise)
        log_debug ("libcriu: %s", line);
      else
        fprintf (stderr, "%s\n", line);
    }
}

static char *
read_memfd (int fd)
{
  char *buf = NULL;
  size_t len;
  cryo_error_t ignored = NULL;

  if (lseek (fd, 0, SEEK_SET) < 0 || read_all_fd (fd, "output", &buf, &len, &ignored) < 0)
    {
      cryo_error_release (&ignored);
      return xstrdup ("");
    }
  return buf;
}

/* Run fn with stderr captured and SIGPIPE (a write to a CRIU that died)
 * blocked and swallowed. */
static int
run_captured (criu_opts *opts, engine_rpc_fn fn, void *arg)
{
  int cap = memfd_create ("libcriu-stderr", MFD_CLOEXEC);
  int saved = cap >= 0 ? fcntl (2, F_DUPFD_CLOEXEC, 3) : -1;
  sigset_t pipe_set, old, pending;
  struct timespec zero = { 0, 0 };
  bool was_pending;
  int ret;

  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  sigpending (&pending);
  was_pending = sigismember (&pending, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &pipe_set, &old);
  fflush (stderr);
  if (saved >= 0)
    dup2 (cap, 2);

  ret = fn (opts, arg);

  fflush (stderr);
  if (saved >= 0)
    {
      dup2 (saved, 2);
      close (saved);
    }
  sigpending (&pending);
  if (!was_pending && sigismember (&pending, SIGPIPE))
    sigtimedwait (&pipe_set, NULL, &zero);
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  if (cap >= 0)
    {
      cleanup_free char *text = read_memfd (cap);
      replay_stderr (text);
      close (cap);
    }
  return ret;
}

int
engine_call_run (struct engine_call *c, criu_opts *opts, engine_rpc_fn fn, int *rpc_ret, cryo_error_t *err)
{
  cleanup_close int sk = -1, out = -1, ns_work = -1;
  struct watchdog w;
  siginfo_t si;
  int lib_sk, status;

  if (access (c->e->binary, X_OK) < 0)
    return cryo_error (err, errno,
                       "criu binary `%s` is not executable: install CRIU >= 4.1 or pass --criu PATH",
                       c->e->binary);
  if (spawn_swrk (c, &sk, &out, err) < 0)
    return -1;
  if (c->kdat_ns && (ns_work = engine_kdat_work_dir (c->swrk_pid, c->work_dir_fd)) >= 0)
    criu_local_set_work_dir_fd (opts, ns_work);
  /* libcriu closes the fd it is given; cryo keeps its own to shut it down. */
  lib_sk = fcntl (sk, F_DUPFD_CLOEXEC, 3);
  if (lib_sk < 0 || watchdog_start (&w, c, sk, err) < 0)
    {
      if (lib_sk >= 0)
        close (lib_sk);
      kill_swrk (c);
      waitpid (c->swrk_pid, NULL, 0);
      return lib_sk < 0 ? cryo_error (err, errno, "dup the criu socket") : -1;
    }
  criu_local_set_service_fd (opts, lib_sk);
  /* Each notification is a round trip: only ask when someone listens. */
  if (c->notify || c->track_notify)
    criu_local_set_notify_cb (opts, notify_trampoline);

  current_call = c;
  *rpc_ret = run_captured (opts, fn, c->rpc_arg);
  current_call = NULL;

  /* EOF tells CRIU to exit; wait for it (without reaping, so the watchdog
   * can still kill it safely) within the same deadline. */
  shutdown (sk, SHUT_RDWR);
  while (waitid (P_PID, c->swrk_pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
    ;
  watchdog_stop (&w);
  while (waitpid (c->swrk_pid, &status, 0) < 0 && errno == EINTR)
    ;
  c->swrk_status = status;
  c->output = read_memfd (out);
  log_debug ("criu swrk %d: %s returned %d, exit status %#x%s", (int)c->swrk_pid, c->what, *rpc_ret, status,
             c->expired ? " (deadline expired)" : "");
  return 0;
}

void
engine_call_release (struct engine_call *c)
{
  cryo_error_release (&c->cb_err);
  free (c->output);
  c->output = NULL;
}
