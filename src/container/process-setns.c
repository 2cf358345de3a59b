/* The children of `cryo exec`: stage-1 joins the running container's
 * namespaces, the process it forks becomes the exec'd one.  The steps and
 * their order are those of runc's nsexec + setns_init. */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container/process.h"
#include "container/sync.h"
#include "spec/sysctl.h"
#include "container/terminal.h"
#include "lib/util.h"

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

static _Noreturn void exec_child (struct exec_ctx *ctx);

/* User namespace first: the others are joined with the capabilities it
 * gives (NS_USER is the first entry of the table). */
static int
join_namespaces (struct exec_ctx *ctx, cryo_error_t *err)
{
  for (int ns = 0; ns < NS_MAX; ns++)
    {
      if (ctx->ns_fds[ns] < 0)
        continue;
      if (setns (ctx->ns_fds[ns], ns_table[ns].clone_flag) < 0)
        return cryo_error (err, errno, "join the container's %s namespace", ns_table[ns].oci_name);
      close (ctx->ns_fds[ns]);
      ctx->ns_fds[ns] = -1;
    }
  return 0;
}

static int
stage1_run (struct exec_ctx *ctx, cryo_error_t *err)
{
  pid_t pid;

  if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid () != ctx->runtime_pid)
    return cryo_error (err, errno, "the runtime exited while starting the process");
  /* Until execve nothing in the container may open /proc/PID of ours
   * (CVE-2016-9962, CVE-2019-5736); execve makes the process dumpable again. */
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return cryo_error (err, errno, "prctl PR_SET_DUMPABLE");
  if (sync_expect (ctx->sync_fd, SYNC_STAGE1_GO, "the runtime", NULL, err) < 0)
    return -1;
  if (join_namespaces (ctx, err) < 0)
    return -1;
  /* CLONE_PARENT: the process is the runtime's child (it waits for it),
   * and after setns(CLONE_NEWPID) it is in the container's pid namespace. */
  pid = syscall (SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
  if (pid < 0)
    return cryo_error (err, errno, "fork into the container's pid namespace%s",
                       errno == ENOMEM ? " (did the container's init exit?)" : "");
  if (pid == 0)
    exec_child (ctx);
  return sync_send (ctx->sync_fd, SYNC_EXEC_PID, pid, NULL, 0, -1, err);
}

void
process_exec_stage1 (struct exec_ctx *ctx)
{
  cleanup_error cryo_error_t err = NULL;

  /* The lock must not be held by what outlives the runtime. */
  cleanup_closep (&ctx->lock_fd);
  if (stage1_run (ctx, &err) < 0)
    {
      sync_send_error (ctx->sync_fd, err);
      _exit (1);
    }
  _exit (0);
}

/* The container's session keyring, made searchable by its init: joined by
 * name, as runc's setns init does.  An exec'd process that cannot find it
 * gets a new one of the same name rather than the runtime's. */
static int
join_keyring (struct exec_ctx *ctx, cryo_error_t *err)
{
  cleanup_free char *name = NULL;

  if (!ctx->join_keyring)
    return 0;
  name = xasprintf ("_ses.%s", ctx->id);
  if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0) < 0 && errno != ENOSYS)
    return cryo_error (err, errno, "join the container's session keyring `%s`", name);
  return 0;
}

static int
setup_console (struct exec_ctx *ctx, cryo_error_t *err)
{
  cleanup_close int master = -1;

  if (!ctx->process->terminal)
    return 0;
  if (terminal_setup (ctx->process, &master, err) < 0)
    return -1;
  if (ctx->console_fd >= 0)
    {
      if (terminal_send_master (ctx->console_fd, master, err) < 0)
        return -1;
      cleanup_closep (&ctx->console_fd);
      return 0;
    }
  return sync_send (ctx->sync_fd, SYNC_CONSOLE, 0, NULL, 0, master, err);
}

/* Everything up to execve, in the container's namespaces and cgroup. */
static int
child_setup (struct exec_ctx *ctx, char **exe, cryo_error_t *err)
{
  const struct spec_process *p = ctx->process;
  bool in_cwd;

  if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
    return cryo_error (err, errno, "prctl PR_SET_PDEATHSIG");
  if (sync_expect (ctx->sync_fd, SYNC_EXEC_GO, "the runtime", NULL, err) < 0)
    return -1;
  if (setsid () < 0)
    return cryo_error (err, errno, "setsid");
  if (join_keyring (ctx, err) < 0 || setup_console (ctx, err) < 0
      || process_set_rlimits (p, err) < 0 || personality_apply (ctx->spec, err) < 0)
    return -1;
  /* Before any filter is loaded: it may not allow close_range. */
  if (process_close_fds (ctx->n_pass_fds, err) < 0
      || process_load_seccomp_privileged (p, ctx->seccomp, ctx->sync_fd, err) < 0)
    return -1;
  /* Checked to be inside the container's root: a cwd through a leaked
   * host fd fails here (CVE-2024-21626). */
  if (process_chdir_early (p->cwd, &in_cwd, err) < 0 || process_set_user (&p->user, err) < 0)
    return -1;
  umask (p->user.umask.set ? (mode_t) p->user.umask.value : 0022);
  if (!in_cwd && process_chdir (p->cwd, false, err) < 0)
    return -1;
  process_env_add_home (&ctx->env, p->user.uid);
  if (process_find_executable (p->args[0], ctx->env, exe, err) < 0)
    return -1;
  if (process_apply_security (p, ctx->seccomp, ctx->sync_fd, err) < 0)
    return -1;
  /* A detached process outlives the runtime. */
  if (prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0) < 0)
    return cryo_error (err, errno, "prctl PR_SET_PDEATHSIG");
  return 0;
}

static void
exec_child (struct exec_ctx *ctx)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_free char *exe = NULL;

  process_reset_signals ();
  if (child_setup (ctx, &exe, &err) == 0)
    {
      execve (exe, ctx->process->args, ctx->env);
      cryo_error (&err, errno, "exec `%s`", exe);
    }
  sync_send_error (ctx->sync_fd, err);
  _exit (127);
}
