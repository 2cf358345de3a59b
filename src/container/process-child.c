/* The runtime's two children: stage-1 (namespaces) and the container's
 * init, up to execve.  The order of init's steps is TEAM.md's. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spec/caps.h"
#include "container/hooks.h"
#include "spec/lsm.h"
#include "ns/mount-plan.h"
#include "ns/netlink.h"
#include "ns/rootfs.h"
#include "container/process.h"
#include "spec/seccomp-filter.h"
#include "container/sync.h"
#include "spec/sysctl.h"
#include "container/terminal.h"
#include "lib/util.h"

/* State JSON for the hooks that run inside the container. */
struct init_hooks_state
{
  char *creating; /* createContainer */
  char *created;  /* startContainer */
};

static int
stage1_user_and_time (struct container_ctx *ctx, cryo_error_t *err)
{
  if (!spec_ns_is_new (ctx->spec, NS_USER))
    return process_set_time_offsets (ctx->spec, err);
  /* Time offsets before the uid change: that makes us non-dumpable, and
   * /proc/self/timens_offsets then belongs to the host's root. */
  if (sync_send (ctx->sync_fd, SYNC_USERMAP, 0, NULL, 0, -1, err) < 0
      || sync_expect (ctx->sync_fd, SYNC_USERMAP_DONE, "the runtime", NULL, err) < 0
      || process_set_time_offsets (ctx->spec, err) < 0)
    return -1;
  /* Become the namespace's root when it is mapped: init then starts with
   * uid 0 inside.  Without a mapping for 0 the capabilities the new user
   * namespace gave us still hold until process_set_user. */
  if (setresgid (0, 0, 0) < 0 && errno != EINVAL)
    return cryo_error (err, errno, "setresgid 0 in the new user namespace");
  if (setresuid (0, 0, 0) < 0 && errno != EINVAL)
    return cryo_error (err, errno, "setresuid 0 in the new user namespace");
  return 0;
}

/* In a new user namespace the container's root is a host uid that may not
 * reach a bind source (a 0700 directory of the host's root).  Stage-1 still
 * has the runtime's host uid, in the container's new mount namespace: it
 * opens the sources, and init (its copy) binds them through /proc/self/fd,
 * which needs no access to the path (runc's mount fds).  A source it cannot
 * open is left to init, which reports it. */
static void
stage1_open_bind_sources (struct container_ctx *ctx)
{
  if (ctx->plan == NULL || !spec_ns_is_new (ctx->spec, NS_USER))
    return;
  for (size_t i = 0; i < ctx->plan->n_ops; i++)
    {
      struct mount_op *op = &ctx->plan->ops[i];
      int fd;
      if (op->kind != MOUNT_OP_MOUNT || !(op->flags & MS_BIND) || (op->flags & MS_REMOUNT)
          || op->source == NULL)
        continue;
      fd = open (op->source, O_PATH | O_CLOEXEC);
      if (fd < 0)
        continue;
      free (op->source);
      op->source = xasprintf ("/proc/self/fd/%d", fd);
    }
}

static int
stage1_run (struct container_ctx *ctx, cryo_error_t *err)
{
  pid_t pid;

  if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid () != ctx->runtime_pid)
    return cryo_error (err, errno, "the runtime exited while creating the container");
  if (sync_expect (ctx->sync_fd, SYNC_STAGE1_GO, "the runtime", NULL, err) < 0)
    return -1;
  if (process_join_namespaces (ctx->spec, err) < 0 || process_unshare_namespaces (ctx->spec, err) < 0)
    return -1;
  stage1_open_bind_sources (ctx);
  if (stage1_user_and_time (ctx, err) < 0)
    return -1;
  /* CLONE_PARENT: init is the runtime's child, not ours (we exit now). */
  pid = syscall (SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
  if (pid < 0)
    return cryo_error (err, errno, "fork the container's init");
  if (pid == 0)
    process_init (ctx);
  return sync_send (ctx->sync_fd, SYNC_INIT_PID, pid, NULL, 0, -1, err);
}

void
process_stage1 (struct container_ctx *ctx)
{
  cleanup_error cryo_error_t err = NULL;

  if (stage1_run (ctx, &err) < 0)
    {
      sync_send_error (ctx->sync_fd, err);
      _exit (1);
    }
  _exit (0);
}

static int
init_namespaces (struct container_ctx *ctx, cryo_error_t *err)
{
  const struct spec *spec = ctx->spec;

  if (spec_ns_is_new (spec, NS_CGROUP) && unshare (CLONE_NEWCGROUP) < 0)
    return cryo_error (err, errno, "create the cgroup namespace");
  if (setsid () < 0)
    return cryo_error (err, errno, "setsid");
  if (!ctx->opts->no_new_keyring && process_join_session_keyring (ctx->opts->id, err) < 0)
    return -1;
  if (spec_ns_is_new (spec, NS_UTS) && process_set_uts (spec, err) < 0)
    return -1;
  if (spec_ns_is_new (spec, NS_NET) && netlink_loopback_up (err) < 0)
    return cryo_error_wrap (err, "bring up `lo` in the new network namespace");
  return 0;
}

static int
init_rootfs (struct container_ctx *ctx, struct init_hooks_state *hs, cryo_error_t *err)
{
  const struct spec *spec = ctx->spec;
  cleanup_sync_msg struct sync_msg creating = { .fd = -1 };
  cleanup_sync_msg struct sync_msg created = { .fd = -1 };

  bool mount_ns = spec_has_ns (spec, NS_MNT);

  if (mount_ns && rootfs_prepare (spec, ctx->plan, err) < 0)
    return -1;
  if (sync_send (ctx->sync_fd, SYNC_PRESTART, 0, NULL, 0, -1, err) < 0
      || sync_expect (ctx->sync_fd, SYNC_HOOKS_DONE, "the runtime", &creating, err) < 0
      || sync_expect (ctx->sync_fd, SYNC_STATE_CREATED, "the runtime", &created, err) < 0)
    return -1;
  hs->creating = steal_pointer (&creating.data);
  hs->created = steal_pointer (&created.data);
  if (hooks_run (spec, HOOK_CREATE_CONTAINER, hs->creating, err) < 0)
    return -1;
  /* Without a mount namespace, no pivot_root (it would move the host's
   * root): a chroot, and nothing to finalize. */
  if (!mount_ns && rootfs_chroot (spec->rootfs, err) < 0)
    return -1;
  if (mount_ns && rootfs_pivot (spec->rootfs, ctx->opts->no_pivot, err) < 0)
    return -1;
  /* Before finalize: the cwd may have to be made in a root that becomes
   * read-only, and /proc/sys is still writable for the sysctls. */
  if (process_chdir (spec->process->cwd, true, err) < 0 || sysctl_apply (spec, err) < 0)
    return -1;
  return mount_ns ? rootfs_finalize (spec, err) : 0;
}

static int
init_console (struct container_ctx *ctx, cryo_error_t *err)
{
  cleanup_close int master = -1;

  if (!ctx->spec->process->terminal)
    return 0;
  if (terminal_setup (ctx->spec->process, &master, err) < 0)
    return -1;
  if (ctx->console_fd >= 0)
    {
      if (terminal_send_master (ctx->console_fd, master, err) < 0)
        return -1;
      close (ctx->console_fd);
      ctx->console_fd = -1;
      return 0;
    }
  return sync_send (ctx->sync_fd, SYNC_CONSOLE, 0, NULL, 0, master, err);
}

/* A notify fd must reach the agent while `create` is there to send it:
 * such a filter is loaded before "ready", as runc loads every filter (after
 * no_new_privs, as runc sets it), not after `start` as cryo loads others. */
static int
init_load_notify_filter (struct container_ctx *ctx, cryo_error_t *err)
{
  if (!cryo_seccomp_has_notify (ctx->seccomp))
    return 0;
  if (ctx->spec->process->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return cryo_error (err, errno, "process.noNewPrivileges: prctl PR_SET_NO_NEW_PRIVS");
  return process_load_seccomp (ctx->seccomp, ctx->sync_fd, err);
}

/* Everything up to "ready": on failure `cryo create` fails with our error. */
static int
init_setup (struct container_ctx *ctx, struct init_hooks_state *hs, char **exe, cryo_error_t *err)
{
  const struct spec_process *p = ctx->spec->process;

  if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
    return cryo_error (err, errno, "prctl PR_SET_PDEATHSIG");
  if (sync_expect (ctx->sync_fd, SYNC_INIT_GO, "the runtime", NULL, err) < 0)
    return -1;
  if (init_namespaces (ctx, err) < 0 || init_rootfs (ctx, hs, err) < 0 || init_console (ctx, err) < 0
      || process_set_rlimits (p, err) < 0 || personality_apply (ctx->spec, err) < 0)
    return -1;
  process_env_add_home (&ctx->env, p->user.uid);
  if (process_find_executable (p->args[0], ctx->env, exe, err) < 0)
    return -1;
  if (init_load_notify_filter (ctx, err) < 0)
    return -1;
  /* From here on the container outlives the runtime's `create`. */
  if (prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0) < 0)
    return cryo_error (err, errno, "prctl PR_SET_PDEATHSIG");
  return sync_send (ctx->sync_fd, SYNC_READY, 0, NULL, 0, -1, err);
}

/* `cryo start` writes one byte into the fifo; we hold it open read-write
 * so the open never blocked, and the read waits for that byte. */
static int
init_wait_start (struct container_ctx *ctx, cryo_error_t *err)
{
  char c;
  ssize_t r;

  do
    r = read (ctx->fifo_fd, &c, 1);
  while (r < 0 && errno == EINTR);
  if (r != 1)
    return cryo_error (err, r < 0 ? errno : 0, "read the exec fifo");
  /* Left open: execve closes it (close-on-exec), which tells `cryo start`
   * that the process runs; so not among the fds passed to the process (a
   * --preserve-fds number the caller had not open). */
  if (ctx->fifo_fd < 3 + ctx->n_pass_fds)
    {
      int fd = fcntl (ctx->fifo_fd, F_DUPFD_CLOEXEC, 3 + ctx->n_pass_fds);
      if (fd < 0)
        return cryo_error (err, errno, "move the exec fifo above the passed fds");
      close (ctx->fifo_fd);
      ctx->fifo_fd = fd;
    }
  return 0;
}

/* After `cryo start`: become the configured process. */
static int
init_exec (struct container_ctx *ctx, struct init_hooks_state *hs, const char *exe, cryo_error_t *err)
{
  const struct spec_process *p = ctx->spec->process;
  bool in_cwd;

  /* Before any filter is loaded (but a NOTIFY one): it may not allow
   * close_range (process_close_fds falls back to /proc/self/fd). */
  if (process_close_fds (ctx->n_pass_fds, err) < 0
      || process_load_seccomp_privileged (p, ctx->seccomp, ctx->sync_fd, err) < 0)
    return -1;
  if (process_chdir_early (p->cwd, &in_cwd, err) < 0 || process_set_user (&p->user, err) < 0)
    return -1;
  umask (p->user.umask.set ? (mode_t) p->user.umask.value : 0022);
  if ((!in_cwd && process_chdir (p->cwd, false, err) < 0)
      || process_apply_security (p, ctx->seccomp, ctx->sync_fd, err) < 0)
    return -1;
  /* Last, as runc runs them: the hooks run as the process will, under its
   * user, capabilities and seccomp filter (runc's seccomp.bats checks that
   * the filter applies to them). */
  if (hooks_run (ctx->spec, HOOK_START_CONTAINER, hs->created, err) < 0)
    return -1;
  execve (exe, p->args, ctx->env);
  return cryo_error (err, errno, "exec `%s`", exe);
}

/* After `create` returned nobody may read the sync socket: then the error
 * goes to the container's stderr. */
static void
init_report (struct container_ctx *ctx, cryo_error_t e, bool started)
{
  const char *msg = e && e->msg ? e->msg : "the container's init failed";

  if (sync_send (ctx->sync_fd, SYNC_ERROR, 0, msg, strlen (msg), -1, NULL) < 0 && started)
    dprintf (STDERR_FILENO, "cryo: %s\n", msg);
}

void
process_init (struct container_ctx *ctx)
{
  cleanup_error cryo_error_t err = NULL;
  struct init_hooks_state hs = { NULL, NULL };
  cleanup_free char *exe = NULL;

  process_reset_signals ();
  if (init_setup (ctx, &hs, &exe, &err) < 0)
    {
      init_report (ctx, err, false);
      _exit (1);
    }
  if (init_wait_start (ctx, &err) < 0 || init_exec (ctx, &hs, exe, &err) < 0)
    {
      init_report (ctx, err, true);
      _exit (127);
    }
  _exit (127);
}
