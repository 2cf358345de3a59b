/* cryo exec: a new process in a created or running container (runc's
 * `exec`).  The runtime checks the container, builds the process, opens the
 * namespaces of its init (checked through a pidfd), puts stage-1 into the
 * container's cgroup, and waits until the process has exec'd; in the
 * foreground it then waits for it as `run` does (container-wait.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOG_PREFIX "exec: "
#include "spec/caps.h"
#include "container/internal.h"
#include "lib/log.h"
#include "spec/lsm.h"
#include "spec/seccomp-filter.h"
#include "container/sync.h"
#include "container/terminal.h"
#include "lib/util.h"

struct exec_run
{
  const struct container_exec_options *o;
  struct container_state *s;
  struct spec *spec;
  struct spec_process *process;
  struct cryo_seccomp *seccomp;
  struct cgroup_manager *cg;
  struct exec_ctx ctx;  /* what the children get */
  int lock_fd;
  int sync_fd;          /* the runtime's end */
  int pty_master;       /* foreground terminal */
  pid_t pid;            /* the exec'd process, our child */
  unsigned deadline_ms; /* of each wait on the children */
};

static void
exec_run_clear (struct exec_run *r)
{
  for (int ns = 0; ns < NS_MAX; ns++)
    cleanup_closep (&r->ctx.ns_fds[ns]);
  cleanup_closep (&r->ctx.console_fd);
  cleanup_closep (&r->ctx.sync_fd);
  cleanup_closep (&r->sync_fd);
  cleanup_closep (&r->pty_master);
  cleanup_closep (&r->lock_fd);
  strv_free (r->ctx.env);
  cgroup_manager_free (r->cg);
  cryo_seccomp_free (r->seccomp);
  spec_process_free (r->process);
  spec_free (r->spec);
  container_state_free (r->s);
}

static int
check_status (const struct exec_run *r, cryo_error_t *err)
{
  switch (r->s->status)
    {
    case CONTAINER_RUNNING:
    case CONTAINER_CREATED: /* runc too: init's namespaces are all there */
      return 0;
    case CONTAINER_PAUSED:
      if (r->o->ignore_paused)
        return 0;
      return cryo_error (err, 0, "cannot exec in a paused container (use --ignore-paused to override)");
    case CONTAINER_STOPPED:
      return cryo_error (err, 0, "cannot exec in a stopped container");
    case CONTAINER_CHECKPOINTED:
      return cryo_error (err, 0, "cannot exec in a checkpointed container: restore it first");
    default:
      return cryo_error (err, 0, "cannot exec in a container in state `%s`",
                         container_status_name (r->s->status));
    }
}

static int
exec_load (struct exec_run *r, cryo_error_t *err)
{
  const struct container_exec_options *o = r->o;

  if (state_lock (o->root, o->id, &r->lock_fd, err) < 0 || container_load (o->root, o->id, &r->s, err) < 0
      || check_status (r, err) < 0 || container_load_spec (r->s, &r->spec, err) < 0)
    return -1;
  if (r->s->cgroup && cgroup_load (r->s->cgroup, &r->cg, err) < 0)
    return cryo_error_wrap (err, "container `%s`", o->id);
  return 0;
}

/* runc's rules (and messages) for the terminal of an exec'd process. */
static int
check_console (const struct container_exec_options *o, const struct spec_process *p, cryo_error_t *err)
{
  if (p->terminal && o->detach && o->console_socket == NULL)
    return cryo_error (err, 0, "cannot allocate a tty for a detached process without --console-socket");
  if (o->console_socket && (!o->detach || !p->terminal))
    return cryo_error (err, 0, "--console-socket needs --detach and a terminal (--tty, or "
                               "process.terminal with --process)");
  if (o->preserve_fds < 0)
    return cryo_error (err, 0, "--preserve-fds: %d is negative", o->preserve_fds);
  return 0;
}

static int
exec_prepare (struct exec_run *r, cryo_error_t *err)
{
  const struct container_exec_options *o = r->o;
  struct exec_ctx *ctx = &r->ctx;
  json_value_t *seccomp = r->spec->linux_ ? r->spec->linux_->seccomp : NULL;

  if (exec_process_build (o, r->spec, &r->process, err) < 0 || check_console (o, r->process, err) < 0
      || caps_validate (r->process->capabilities, err) < 0 || lsm_validate (r->process, err) < 0
      || cryo_seccomp_prepare (seccomp, &r->seccomp, err) < 0
      || setup_deadline_ms (NULL, &r->deadline_ms, err) < 0)
    return -1;
  ctx->id = r->s->id;
  ctx->join_keyring = !r->s->no_new_keyring;
  ctx->spec = r->spec;
  ctx->process = r->process;
  ctx->seccomp = r->seccomp;
  ctx->env = strv_dup (r->process->env);
  ctx->n_pass_fds = process_env_listen_fds (&ctx->env) + o->preserve_fds;
  ctx->console_to_parent = r->process->terminal && o->console_socket == NULL;
  if (o->console_socket && terminal_connect_console_socket (o->console_socket, &ctx->console_fd, err) < 0)
    return -1;
  return 0;
}

/* 1 when /proc/self/ns/<name> and @path are the same namespace. */
static int
same_ns_as_ours (const char *name, const char *path, cryo_error_t *err)
{
  char self[64];
  struct stat a, b;

  snprintf (self, sizeof (self), "/proc/self/ns/%s", name);
  if (stat (path, &b) < 0)
    return errno == ENOENT && stat (self, &a) < 0 ? 1 : cryo_error (err, errno, "stat `%s`", path);
  return stat (self, &a) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Every namespace of init that is not ours, opened through /proc while a
 * pidfd shows init is the process the state names (pid + start time) and
 * still alive afterwards: never the namespaces of a recycled pid. */
static int
open_namespaces (struct exec_run *r, cryo_error_t *err)
{
  cleanup_close int pidfd = syscall (SYS_pidfd_open, r->s->pid, 0);
  struct pollfd pfd = { pidfd, POLLIN, 0 };

  if (pidfd < 0 || !state_init_alive (r->s))
    return cryo_error (err, 0, "cannot exec in a stopped container");
  for (int ns = 0; ns < NS_MAX; ns++)
    {
      cleanup_free char *path = xasprintf ("/proc/%d/ns/%s", r->s->pid, ns_table[ns].proc_name);
      int same = same_ns_as_ours (ns_table[ns].proc_name, path, err);

      if (same < 0)
        return -1;
      if (same)
        continue;
      r->ctx.ns_fds[ns] = open (path, O_RDONLY | O_CLOEXEC);
      if (r->ctx.ns_fds[ns] < 0)
        return cryo_error (err, errno, "open the container's %s namespace `%s`", ns_table[ns].oci_name, path);
    }
  if (poll (&pfd, 1, 0) != 0)
    return cryo_error (err, 0, "cannot exec in a stopped container");
  return 0;
}

static int
reap_stage1 (pid_t pid, unsigned ms, cryo_error_t *err)
{
  int status;

  if (child_reap (pid, &status, ms, "the exec stage-1 process", err) < 0)
    return -1;
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  return cryo_error (err, 0, "the exec stage-1 process failed (status %#x)", status);
}

/* Until execve closes the process's end of the sync socket (close-on-exec),
 * or it reports why it could not. */
static int
wait_exec (struct exec_run *r, cryo_error_t *err)
{
  bool notify = cryo_seccomp_has_notify (r->seccomp);

  for (;;)
    {
      cleanup_sync_msg struct sync_msg m = { .fd = -1 };
      int ret;

      if (sync_wait (r->sync_fd, r->deadline_ms, "the exec'd process", "exec", err) < 0)
        return -1;
      ret = sync_recv (r->sync_fd, &m, err);
      if (ret < 0)
        return cryo_error_wrap (err, "waiting for the process to exec");
      if (ret > 0)
        return 0;
      if (m.step == SYNC_ERROR)
        return cryo_error (err, 0, "%s", m.data ? m.data : "the process failed before exec");
      if (m.step != SYNC_SECCOMP || !notify)
        return cryo_error (err, 0, "sync: unexpected `%s` from the exec'd process", sync_step_name (m.step));
      /* Once: the filter is loaded once. */
      notify = false;
      if (seccomp_notify_forward (r->sync_fd, &m, r->seccomp, r->s, r->pid, err) < 0)
        return -1;
    }
}

static int
sync_children (struct exec_run *r, pid_t *stage1, cryo_error_t *err)
{
  static const char who[] = "the exec'd process";
  cleanup_sync_msg struct sync_msg m = { .fd = -1 };

  if (r->cg == NULL && r->o->cgroups && r->o->cgroups[0])
    return cryo_error (err, 0, "--cgroup: container `%s` has no cgroup", r->o->id);
  if (r->cg && cgroup_add_pid_sub (r->cg, *stage1, r->o->cgroups, err) < 0)
    return -1;
  if (sync_send (r->sync_fd, SYNC_STAGE1_GO, 0, NULL, 0, -1, err) < 0
      || sync_expect_within (r->sync_fd, SYNC_EXEC_PID, "the exec stage-1 process", r->deadline_ms, &m, err)
             < 0)
    return -1;
  r->pid = (pid_t) m.value;
  if (reap_stage1 (*stage1, r->deadline_ms, err) < 0)
    return -1;
  *stage1 = 0;
  if (process_set_oom_score_adj (r->pid, r->process, err) < 0
      || sync_send (r->sync_fd, SYNC_EXEC_GO, 0, NULL, 0, -1, err) < 0)
    return -1;
  /* The process is in the container's cgroup and namespaces, where kill
   * and delete reach it: what it does before execve (a user lookup in the
   * container's /etc/passwd, a terminal) must not hold every other
   * command on this container waiting. */
  cleanup_closep (&r->lock_fd);
  if (r->ctx.console_to_parent)
    {
      sync_msg_clear (&m);
      if (sync_expect_within (r->sync_fd, SYNC_CONSOLE, who, r->deadline_ms, &m, err) < 0)
        return -1;
      r->pty_master = move_fd (&m.fd);
    }
  return wait_exec (r, err);
}

static int
exec_spawn (struct exec_run *r, cryo_error_t *err)
{
  cleanup_pid pid_t stage1 = 0;
  int fds[2];

  if (sync_pair (fds, err) < 0)
    return -1;
  r->sync_fd = fds[0];
  r->ctx.sync_fd = fds[1];
  r->ctx.runtime_pid = getpid ();
  r->ctx.lock_fd = r->lock_fd;
  fflush (NULL);
  stage1 = fork ();
  if (stage1 < 0)
    return cryo_error (err, errno, "fork");
  if (stage1 == 0)
    {
      close (r->sync_fd);
      process_exec_stage1 (&r->ctx);
    }
  /* Only the children hold their end: its closing is how execve shows. */
  cleanup_closep (&r->ctx.sync_fd);
  for (int ns = 0; ns < NS_MAX; ns++)
    cleanup_closep (&r->ctx.ns_fds[ns]);
  return sync_children (r, &stage1, err);
}

static void
kill_process (struct exec_run *r)
{
  if (r->pid <= 0)
    return;
  cleanup_error cryo_error_t e = NULL;

  kill (r->pid, SIGKILL);
  if (child_reap (r->pid, NULL, r->deadline_ms, "the exec'd process", &e) < 0)
    log_warning ("%s", e->msg);
  r->pid = 0;
}

static int
write_pid_file (const char *path, pid_t pid, cryo_error_t *err)
{
  char buf[24];
  int n = snprintf (buf, sizeof (buf), "%d", pid);

  if (write_file_atomic_at (AT_FDCWD, path, buf, n, err) < 0)
    return cryo_error_wrap (err, "--pid-file");
  return 0;
}

/* Start the process; the lock is released once it runs. */
static int
exec_start (struct exec_run *r, cryo_error_t *err)
{
  if (exec_load (r, err) < 0 || exec_prepare (r, err) < 0 || open_namespaces (r, err) < 0)
    return -1;
  /* A frozen stage-1 waits for `cryo resume`, which takes the lock. */
  if (r->s->status == CONTAINER_PAUSED)
    {
      cleanup_closep (&r->lock_fd);
      r->deadline_ms = 0; /* --ignore-paused: as long as the pause lasts */
    }
  if (exec_spawn (r, err) < 0 || (r->o->pid_file && write_pid_file (r->o->pid_file, r->pid, err) < 0))
    {
      kill_process (r);
      return -1;
    }
  cleanup_closep (&r->lock_fd);
  log_debug ("process %d runs `%s` in container `%s`", r->pid, r->process->args[0], r->o->id);
  return 0;
}

int
container_exec (const struct container_exec_options *o, int *exit_status, cryo_error_t *err)
{
  struct exec_run r = { .o = o, .lock_fd = -1, .sync_fd = -1, .pty_master = -1 };
  cleanup_close int sigfd = -1;
  sigset_t old;
  int ret;

  *exit_status = 0;
  r.ctx.sync_fd = r.ctx.console_fd = r.ctx.lock_fd = -1;
  for (int ns = 0; ns < NS_MAX; ns++)
    r.ctx.ns_fds[ns] = -1;
  /* Blocked before the fork: no signal for the process is lost. */
  if (!o->detach && (sigfd = foreground_block_signals (&old, err)) < 0)
    return -1;
  ret = exec_start (&r, err);
  if (ret == 0 && !o->detach)
    {
      struct foreground f = { .pid = r.pid, .sigfd = sigfd, .sync_fd = -1 };

      f.pty_master = move_fd (&r.pty_master);
      ret = foreground_wait (&f, exit_status, err);
    }
  if (!o->detach)
    sigprocmask (SIG_SETMASK, &old, NULL);
  exec_run_clear (&r);
  return ret;
}
