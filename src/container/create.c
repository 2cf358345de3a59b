/* cryo create: the runtime's side.  Validate the config, make the state
 * directory, the cgroup and the children, drive the sync steps, and on any
 * failure remove all of it again. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOG_PREFIX "create: "
#include "spec/caps.h"
#include "container/internal.h"
#include "container/hooks.h"
#include "lib/log.h"
#include "spec/lsm.h"
#include "ns/mount-plan.h"
#include "spec/seccomp-filter.h"
#include "container/sync.h"
#include "spec/sysctl.h"
#include "container/terminal.h"
#include "lib/util.h"

/* Without a mount namespace the container shares the runtime's mounts: it
 * is only chrooted into its rootfs (as runc does), and cryo makes none of
 * its mounts, which would be the host's (runc makes them on the host, and
 * leaves them there).  Masked and read-only paths are refused (spec/linux.c),
 * as runc refuses them. */
static void
warn_no_mount_ns (const struct spec *spec)
{
  const struct spec_linux *l = spec->linux_;
  size_t n_devices = l ? l->n_devices : 0;

  if (spec->n_mounts > 0 || n_devices > 0 || spec->root_readonly)
    log_warning ("no mount namespace: the container is only chrooted into `%s`; the mounts, devices and "
                 "read-only root of its config are not made (they would be the host's)",
                 spec->rootfs);
}

static int
validate_spec (const struct container_create_options *o, bool foreground, const struct spec *spec,
               cryo_error_t *err)
{
  const struct spec_process *p = spec->process;

  if (p == NULL)
    return cryo_error (err, 0, "process: required to create a container");
  if (!spec_has_ns (spec, NS_MNT))
    warn_no_mount_ns (spec);
  if (p->terminal && o->console_socket == NULL && !foreground)
    return cryo_error (err, 0, "process.terminal is true: a detached container needs "
                               "--console-socket to receive its terminal");
  if (!p->terminal && o->console_socket)
    return cryo_error (err, 0, "--console-socket is given but process.terminal is false");
  if (o->preserve_fds < 0)
    return cryo_error (err, 0, "--preserve-fds: %d is negative", o->preserve_fds);
  if (caps_validate (p->capabilities, err) < 0 || lsm_validate (p, err) < 0
      || sysctl_validate (spec, err) < 0 || personality_validate (spec, err) < 0)
    return -1;
  return 0;
}

/* The process environment, plus systemd socket activation passed through
 * as runc does: LISTEN_FDS fds come first (3...), then --preserve-fds. */
static void
prepare_env_and_fds (const struct container_create_options *o, struct container_creation *c)
{
  c->ctx.env = strv_dup (c->spec->process->env);
  c->ctx.n_pass_fds = process_env_listen_fds (&c->ctx.env) + o->preserve_fds;
}

static int
create_prepare (const struct container_create_options *o, bool foreground,
                struct container_creation *c, cryo_error_t *err)
{
  if (container_id_validate (o->id, err) < 0)
    return -1;
  if (spec_load (o->bundle ? o->bundle : ".", &c->spec, err) < 0)
    return -1;
  if (validate_spec (o, foreground, c->spec, err) < 0)
    return -1;
  if (mount_plan_build (c->spec, &c->plan, err) < 0)
    return -1;
  if (cryo_seccomp_prepare (c->spec->linux_ ? c->spec->linux_->seccomp : NULL, &c->seccomp, err) < 0)
    return -1;
  prepare_env_and_fds (o, c);
  c->ctx.opts = o;
  c->ctx.spec = c->spec;
  c->ctx.plan = c->plan;
  c->ctx.seccomp = c->seccomp;
  c->ctx.console_to_parent = c->spec->process->terminal && o->console_socket == NULL;
  if (o->console_socket
      && terminal_connect_console_socket (o->console_socket, &c->ctx.console_fd, err) < 0)
    return -1;
  return 0;
}

static char *
owner_name (void)
{
  struct passwd *pw = getpwuid (geteuid ());
  return pw ? xstrdup (pw->pw_name) : xasprintf ("%u", geteuid ());
}

static void
fill_state (const struct container_create_options *o, struct container_creation *c)
{
  struct container_state *s = c->state;

  s->bundle = xstrdup (c->spec->bundle);
  s->rootfs = xstrdup (c->spec->rootfs);
  s->oci_version = xstrdup (c->spec->oci_version);
  s->created = format_rfc3339_now ();
  s->owner = owner_name ();
  s->annotation_keys = strv_dup (c->spec->annotation_keys);
  s->annotation_values = strv_dup (c->spec->annotation_values);
  s->systemd_cgroup = o->systemd_cgroup;
  s->no_pivot = o->no_pivot;
  s->no_new_keyring = o->no_new_keyring;
  s->terminal = c->spec->process->terminal;
  s->creator_pid = getpid ();
  process_start_time (s->creator_pid, &s->creator_start_time);
  s->status = CONTAINER_CREATING;
}

static int
create_state (const struct container_create_options *o, struct container_creation *c,
              cryo_error_t *err)
{
  cleanup_close int dirfd = -1;

  if (state_create (o->root, o->id, &c->lock_fd, err) < 0)
    return -1;
  c->state = state_new (o->root, o->id);
  fill_state (o, c);
  dirfd = open (c->state->dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dirfd < 0)
    return cryo_error (err, errno, "open `%s`", c->state->dir);
  if (write_file_at (dirfd, STATE_CONFIG_FILE, c->spec->text, strlen (c->spec->text), err) < 0)
    return -1;
  if (mkfifoat (dirfd, STATE_EXEC_FIFO, 0622) < 0)
    return cryo_error (err, errno, "create the exec fifo in `%s`", c->state->dir);
  c->ctx.fifo_fd = openat (dirfd, STATE_EXEC_FIFO, O_RDWR | O_CLOEXEC);
  if (c->ctx.fifo_fd < 0)
    return cryo_error (err, errno, "open the exec fifo in `%s`", c->state->dir);
  return state_write (c->state, err);
}

static int
create_cgroup (const struct container_create_options *o, struct container_creation *c,
               cryo_error_t *err)
{
  const char *path = c->spec->linux_ ? c->spec->linux_->cgroups_path : NULL;

  if (cgroup_create (path, o->id, o->systemd_cgroup, &c->cg, err) < 0)
    return -1;
  c->state->cgroup = cgroup_serialize (c->cg);
  /* Stored before anything runs in it: a crashed create can be deleted. */
  if (state_write (c->state, err) < 0 || cgroup_refuse_frozen (c->cg, err) < 0)
    return -1;
  return cgroup_apply_spec (c->cg, c->spec, err);
}

static int
reap (pid_t pid, const char *who, unsigned ms, cryo_error_t *err)
{
  int status;

  if (child_reap (pid, &status, ms, who, err) < 0)
    return -1;
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  return cryo_error (err, 0, "%s failed (status %#x)", who, status);
}

/* Steps up to init's pid: cgroup, user namespace maps. */
static int
sync_stage1 (struct container_creation *c, pid_t *stage1, cryo_error_t *err)
{
  cleanup_sync_msg struct sync_msg m = { .fd = -1 };
  static const char who[] = "the container's stage-1 process";

  if (c->cg && cgroup_add_pid (c->cg, *stage1, err) < 0)
    return -1;
  if (sync_send (c->sync_fd, SYNC_STAGE1_GO, 0, NULL, 0, -1, err) < 0)
    return -1;
  if (spec_ns_is_new (c->spec, NS_USER))
    {
      if (sync_expect_within (c->sync_fd, SYNC_USERMAP, who, c->deadline_ms, NULL, err) < 0
          || process_write_id_maps (*stage1, c->spec, err) < 0
          || sync_send (c->sync_fd, SYNC_USERMAP_DONE, 0, NULL, 0, -1, err) < 0)
        return -1;
    }
  if (sync_expect_within (c->sync_fd, SYNC_INIT_PID, who, c->deadline_ms, &m, err) < 0)
    return -1;
  c->init_pid = (pid_t) m.value;
  if (reap (*stage1, who, c->deadline_ms, err) < 0)
    return -1;
  *stage1 = 0;
  return 0;
}

static int
run_runtime_hooks (struct container_creation *c, cryo_error_t *err)
{
  cleanup_free char *creating = state_oci_json_string (c->state, false);
  cleanup_free char *created = NULL;

  if (hooks_run (c->spec, HOOK_PRESTART, creating, err) < 0
      || hooks_run (c->spec, HOOK_CREATE_RUNTIME, creating, err) < 0)
    return -1;
  c->state->status = CONTAINER_CREATED;
  created = state_oci_json_string (c->state, false);
  c->state->status = CONTAINER_CREATING;
  if (sync_send (c->sync_fd, SYNC_HOOKS_DONE, 0, creating, strlen (creating), -1, err) < 0)
    return -1;
  return sync_send (c->sync_fd, SYNC_STATE_CREATED, 0, created, strlen (created), -1, err);
}

static int
sync_init (struct container_creation *c, cryo_error_t *err)
{
  static const char who[] = "the container's init";
  struct container_state *s = c->state;

  s->pid = c->init_pid;
  if (process_start_time (s->pid, &s->pid_start_time) < 0)
    return cryo_error (err, 0, "%s (pid %d) exited during setup", who, s->pid);
  if (state_write (s, err) < 0)
    return -1;
  if (process_set_oom_score_adj (s->pid, c->spec->process, err) < 0)
    return -1;
  if (sync_send (c->sync_fd, SYNC_INIT_GO, 0, NULL, 0, -1, err) < 0
      || sync_expect_within (c->sync_fd, SYNC_PRESTART, who, c->deadline_ms, NULL, err) < 0)
    return -1;
  if (run_runtime_hooks (c, err) < 0)
    return -1;
  if (c->ctx.console_to_parent)
    {
      cleanup_sync_msg struct sync_msg m = { .fd = -1 };
      if (sync_expect_within (c->sync_fd, SYNC_CONSOLE, who, c->deadline_ms, &m, err) < 0)
        return -1;
      c->pty_master = move_fd (&m.fd);
    }
  if (cryo_seccomp_has_notify (c->seccomp))
    {
      cleanup_sync_msg struct sync_msg m = { .fd = -1 };
      /* The state says "creating", with init's pid, as runc's does. */
      if (sync_expect_within (c->sync_fd, SYNC_SECCOMP, who, c->deadline_ms, &m, err) < 0
          || seccomp_notify_forward (c->sync_fd, &m, c->seccomp, c->state, c->init_pid, err) < 0)
        return -1;
    }
  return sync_expect_within (c->sync_fd, SYNC_READY, who, c->deadline_ms, NULL, err);
}

static int
create_spawn (struct container_creation *c, cryo_error_t *err)
{
  cleanup_pid pid_t stage1 = 0;
  int fds[2];

  if (sync_pair (fds, err) < 0)
    return -1;
  c->sync_fd = fds[0];
  c->ctx.sync_fd = fds[1];
  c->ctx.runtime_pid = getpid ();
  fflush (NULL);
  stage1 = fork ();
  if (stage1 < 0)
    return cryo_error (err, errno, "fork");
  if (stage1 == 0)
    {
      /* The lock must not outlive `create` in init; our end of the sync
       * socket must close when we exit, so the children see it. */
      close (c->lock_fd);
      close (c->sync_fd);
      process_stage1 (&c->ctx);
    }
  close (c->ctx.sync_fd);
  c->ctx.sync_fd = -1;
  if (sync_stage1 (c, &stage1, err) < 0 || sync_init (c, err) < 0)
    return -1;
  return 0;
}

static void
create_rollback (struct container_creation *c)
{
  cleanup_error cryo_error_t e = NULL;

  /* The cgroup first: its kill thaws a frozen v1 cgroup, where a SIGKILL
   * alone would not act. */
  if (c->cg)
    cgroup_kill (c->cg, SIGKILL, NULL);
  if (c->init_pid > 0)
    {
      kill (c->init_pid, SIGKILL);
      if (child_reap (c->init_pid, NULL, c->deadline_ms, "the container's init", &e) < 0)
        log_warning ("%s", e->msg);
      c->init_pid = 0;
    }
  if (c->cg)
    {
      cryo_error_release (&e);
      if (cgroup_destroy (c->cg, &e) < 0)
        log_warning ("%s", e->msg);
    }
  if (c->state)
    {
      cryo_error_release (&e);
      if (state_remove (c->ctx.opts->root, c->state->id, &e) < 0)
        log_warning ("%s", e->msg);
    }
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

int
container_create_locked (const struct container_create_options *o, bool foreground,
                         struct container_creation *c, cryo_error_t *err)
{
  memset (c, 0, sizeof (*c));
  c->lock_fd = c->sync_fd = c->pty_master = -1;
  c->ctx.sync_fd = c->ctx.fifo_fd = c->ctx.console_fd = -1;
  c->ctx.opts = o;
  if (create_prepare (o, foreground, c, err) < 0 || setup_deadline_ms (c->spec, &c->deadline_ms, err) < 0
      || create_state (o, c, err) < 0 || create_cgroup (o, c, err) < 0 || create_spawn (c, err) < 0)
    goto fail;
  c->state->status = CONTAINER_CREATED;
  if (state_write (c->state, err) < 0)
    goto fail;
  if (o->pid_file && write_pid_file (o->pid_file, c->init_pid, err) < 0)
    goto fail;
  return 0;

fail:
  create_rollback (c);
  container_creation_clear (c);
  return -1;
}

void
container_creation_clear (struct container_creation *c)
{
  cleanup_closep (&c->ctx.fifo_fd);
  cleanup_closep (&c->ctx.console_fd);
  cleanup_closep (&c->ctx.sync_fd);
  cleanup_closep (&c->sync_fd);
  cleanup_closep (&c->pty_master);
  cleanup_closep (&c->lock_fd);
  strv_free (c->ctx.env);
  c->ctx.env = NULL;
  cgroup_manager_free (c->cg);
  c->cg = NULL;
  container_state_free (c->state);
  c->state = NULL;
  cryo_seccomp_free (c->seccomp);
  c->seccomp = NULL;
  mount_plan_free (c->plan);
  c->plan = NULL;
  spec_free (c->spec);
  c->spec = NULL;
}

int
container_create (const struct container_create_options *o, cryo_error_t *err)
{
  struct container_creation c;

  if (container_create_locked (o, false, &c, err) < 0)
    return -1;
  container_creation_clear (&c);
  return 0;
}
