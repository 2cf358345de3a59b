/* cryo restore: open the image, make the container's state, then cgroup,
 * pre-restore hooks, namespaces, mounts, CRIU, state, post-restore hooks;
 * every step timed at debug level.  Any failure undoes all of it in
 * reverse: no process, mount, cgroup, namespace or state is left, and the
 * image is only ever read. */
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

#define LOG_PREFIX "restore: "
#include "cgroup/cgroup.h"
#include "container/internal.h"
#include "image/image.h"
#include "lib/log.h"
#include "ns/netconf.h"
#include "container/process.h"
#include "cr/restore-internal.h"
#include "container/terminal.h"
#include "lib/util.h"

static void
restore_clear (struct restore *r)
{
  cr_nshelper_stop (&r->nsh);
  cr_mounts_release (&r->mounts);
  engine_free (r->engine);
  cgroup_manager_free (r->cg);
  container_state_free (r->s);
  spec_free (r->spec);
  cr_externals_clear (&r->x);
  json_free (r->ns);
  netconf_free (r->netconf);
  image_free (r->img);
  cleanup_closep (&r->console_fd);
  cleanup_closep (&r->net_fd);
  cleanup_closep (&r->lock_fd);
}

static int
read_json (struct image *img, const char *name, json_value_t **out, cryo_error_t *err)
{
  cleanup_free char *text = NULL;

  *out = NULL;
  if (!image_has_file (img, name))
    return 0;
  if (image_read_file (img, name, &text, NULL, err) < 0 || json_parse (text, out, err) < 0)
    return cryo_error_wrap (err, "image `%s`: %s", image_path (img), name);
  return 0;
}

static int
open_image (struct restore *r, cryo_error_t *err)
{
  const char *path = r->o->c.image_path ? r->o->c.image_path : "checkpoint";
  cleanup_json json_value_t *ext = NULL, *net = NULL;

  /* Every checksum, CRIU's pages too, before anything is touched: with
   * XXH3 (format 4) this costs about what reading the image once does, and
   * CRIU then reads it from the page cache. */
  if (image_open (path, &r->img, err) < 0 || image_verify (r->img, err) < 0)
    return -1;
  if (image_mode (r->img) == IMAGE_MODE_SUBTREE)
    log_warning ("image `%s` is a subtree checkpoint: what its %s lists is not guaranteed", path,
                 IMAGE_FILE_LEAKS);
  if (read_json (r->img, CR_FILE_EXTERNALS, &ext, err) < 0
      || read_json (r->img, IMAGE_FILE_NAMESPACES, &r->ns, err) < 0
      || read_json (r->img, IMAGE_FILE_NETWORK, &net, err) < 0)
    return -1;
  if (ext == NULL || r->ns == NULL)
    return cryo_error (err, 0, "image `%s` was not made by `cryo checkpoint` (no %s)", path,
                       CR_FILE_EXTERNALS);
  if (cr_externals_from_json (ext, &r->x, err) < 0 || (net && netconf_from_json (net, &r->netconf, err) < 0))
    return cryo_error_wrap (err, "image `%s`", path);
  return 0;
}

/* Which namespaces the image's container created itself (cryo rebuilds
 * those); the bundle's config may name others to join. */
static bool
image_created_ns (struct restore *r, enum cryo_ns ns)
{
  json_value_t *list = json_get (r->ns, "namespaces");

  for (size_t i = 0; i < json_len (list); i++)
    {
      json_value_t *n = json_at (list, i);
      const char *type = json_string (json_get (n, "type"));
      if (type && ns_from_oci_name (type) == (int)ns)
        return json_bool (json_get (n, "created"));
    }
  return false;
}

static int
check_cg_mode (struct restore *r, cryo_error_t *err)
{
  enum engine_cg_mode mode;

  if (cr_cg_mode_check (r->o->c.manage_cgroups_mode, image_created_ns (r, NS_CGROUP), err) < 0
      || cr_cg_mode (r->o->c.manage_cgroups_mode, &mode, err) < 0)
    return -1;
  if (mode == ENGINE_CG_STRICT)
    return cryo_error (err, 0,
                       "--manage-cgroups-mode strict: CRIU refuses to restore into the cgroup cryo "
                       "makes for the container with the bundle's limits (\"Abort restore of existing "
                       "cgroups\"); use soft or full");
  return 0;
}

/* The limits the container had at checkpoint (its stored config, which
 * `cryo update` keeps current) win over the bundle's: they are part of the
 * container's state, as in runc's state.json.  A later update changes them. */
static int
take_image_resources (struct restore *r, cryo_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_free char *merged = NULL;
  cleanup_json json_value_t *tree = NULL;
  json_value_t *res;
  struct spec *spec = NULL;

  if (image_read_file (r->img, IMAGE_FILE_CONFIG, &text, NULL, err) < 0 || json_parse (text, &tree, err) < 0)
    return cryo_error_wrap (err, "the image's %s", IMAGE_FILE_CONFIG);
  res = json_get (json_get (tree, "linux"), "resources");
  if (res == NULL)
    return 0;
  if (spec_text_set_resources (r->spec->text, res, &merged, err) < 0
      || spec_parse (merged, r->spec->bundle, &spec, err) < 0)
    return cryo_error_wrap (err, "the bundle's config with the image's linux.resources");
  spec_free (r->spec);
  r->spec = spec;
  return 0;
}

static int
load_bundle (struct restore *r, cryo_error_t *err)
{
  const struct spec_process *p;

  if (spec_load (r->o->bundle ? r->o->bundle : ".", &r->spec, err) < 0 || take_image_resources (r, err) < 0
      || cr_hooks_validate (r->spec, err) < 0 || check_cg_mode (r, err) < 0)
    return -1;
  p = r->spec->process;
  if (p == NULL || !spec_has_ns (r->spec, NS_MNT) || !spec_ns_is_new (r->spec, NS_PID))
    return cryo_error (err, 0,
                       "restore needs a config with a process, a mount namespace and a new pid "
                       "namespace, as the checkpointed container had");
  if (r->x.terminal && r->o->console_socket == NULL)
    return cryo_error (err, 0, "the checkpointed container has a terminal: restore it with --console-socket");
  if (!r->x.terminal && r->o->console_socket)
    return cryo_error (err, 0, "--console-socket is given but the checkpointed container has no terminal");
  if (r->o->console_socket && terminal_connect_console_socket (r->o->console_socket, &r->console_fd, err) < 0)
    return -1;
  return 0;
}

static void
fill_state (struct restore *r)
{
  struct container_state *s = r->s;
  struct passwd *pw = getpwuid (geteuid ());

  s->bundle = xstrdup (r->spec->bundle);
  s->rootfs = xstrdup (r->spec->rootfs);
  s->oci_version = xstrdup (r->spec->oci_version);
  s->created = format_rfc3339_now ();
  s->owner = pw ? xstrdup (pw->pw_name) : xasprintf ("%u", geteuid ());
  s->annotation_keys = strv_dup (r->spec->annotation_keys);
  s->annotation_values = strv_dup (r->spec->annotation_values);
  s->systemd_cgroup = r->o->systemd_cgroup;
  s->no_pivot = r->o->no_pivot;
  s->no_new_keyring = r->o->no_new_keyring;
  s->terminal = r->x.terminal;
  s->creator_pid = getpid ();
  process_start_time (s->creator_pid, &s->creator_start_time);
  s->status = CONTAINER_CREATING;
}

/* A new container, as with runc: a checkpoint that killed its container
 * destroyed it, and a container that still exists under the id (running,
 * or checkpointed with --leave-running) is in the way. */
static int
take_state (struct restore *r, cryo_error_t *err)
{
  const char *root = r->o->c.root, *id = r->o->c.id;
  cleanup_free char *config_file = state_path (root, id, STATE_CONFIG_FILE);
  cleanup_free char *state_file = state_path (root, id, STATE_FILE);
  cleanup_container_state struct container_state *old = NULL;

  if (container_id_validate (id, err) < 0)
    return -1;
  if (access (state_file, F_OK) == 0)
    {
      if (container_load (root, id, &old, err) < 0)
        return -1;
      return cryo_error (err, 0,
                         "container with id `%s` already exists and is %s: restore under another id, "
                         "or delete it first",
                         id, container_status_name (old->status));
    }
  if (state_create (root, id, &r->lock_fd, err) < 0)
    return -1;
  r->s = state_new (root, id);
  fill_state (r);
  if (write_file_atomic_at (AT_FDCWD, config_file, r->spec->text, strlen (r->spec->text), err) < 0)
    return -1;
  return state_write (r->s, err);
}

static int
make_cgroup (struct restore *r, cryo_error_t *err)
{
  const char *path = r->spec->linux_ ? r->spec->linux_->cgroups_path : NULL;

  if (cgroup_create (path, r->o->c.id, r->o->systemd_cgroup, &r->cg, err) < 0)
    return -1;
  r->s->cgroup = cgroup_serialize (r->cg);
  /* Recorded before anything runs in it: a crashed restore can be deleted. */
  if (state_write (r->s, err) < 0 || cgroup_apply_spec (r->cg, r->spec, err) < 0)
    return -1;
  return cr_fault ("restore-cgroup", err);
}

static int
run_hooks (struct restore *r, enum cr_hook_kind kind, cryo_error_t *err)
{
  struct cr_hook_env e = { .image_path = image_path (r->img), .id = r->o->c.id, .pid = r->pid };
  cleanup_free char *json = state_oci_json_string (r->s, false);

  return cr_hooks_run (r->spec, kind, json, &e, err);
}

/* With a user namespace CRIU's root task is born in a new user namespace of
 * its own (the image says so, CRIU writes its id maps), from where it can
 * neither open nor setns() into namespaces cryo made ("Can't open ns file
 * /proc/PID/ns/user: Permission denied" with join-ns user, EPERM for the
 * others): CRIU then makes them all, restoring hostname and IPC from its
 * images, and cryo configures the network from network.json once the
 * namespace exists (setup-namespaces, restore-engine.c). */
static int
make_namespaces (struct restore *r, cryo_error_t *err)
{
  struct cr_ns_plan p = { 0 };
  const char *net_path = spec_ns_path (r->spec, NS_NET);
  bool userns = image_created_ns (r, NS_USER), empty_net;

  if (cr_empty_ns (r->o->c.empty_ns, &empty_net, err) < 0)
    return -1;
  if (empty_net)
    {
      netconf_free (r->netconf);
      r->netconf = NULL;
    }
  p.uts = !userns && image_created_ns (r, NS_UTS) && spec_ns_is_new (r->spec, NS_UTS);
  p.ipc = !userns && image_created_ns (r, NS_IPC) && spec_ns_is_new (r->spec, NS_IPC);
  p.net = r->x.netns && net_path == NULL;
  p.hostname = p.uts ? json_string (json_get (r->ns, "hostname")) : NULL;
  p.domainname = p.uts ? json_string (json_get (r->ns, "domainname")) : NULL;
  p.netconf = p.net && !empty_net ? r->netconf : NULL;
  if (cr_nshelper_start (&p, &r->nsh, err) < 0)
    return -1;
  if (r->x.netns)
    {
      const char *path = net_path ? net_path : r->nsh.paths[NS_NET];
      r->net_fd = open (path, O_RDONLY | O_CLOEXEC);
      if (r->net_fd < 0)
        return cryo_error (err, errno, "open the network namespace `%s`", path);
    }
  return cr_fault ("restore-namespaces", err);
}

static int
write_pid_file (const char *path, pid_t pid, cryo_error_t *err)
{
  char buf[24];
  int n = snprintf (buf, sizeof buf, "%d", pid);

  if (write_file_atomic_at (AT_FDCWD, path, buf, n, err) < 0)
    return cryo_error_wrap (err, "--pid-file");
  return 0;
}

/* CRIU is done: the container is a normal running one from here. */
static int
finish (struct restore *r, cryo_error_t *err)
{
  bool frozen = false;

  /* --manage-cgroups-mode full restores the freezer's state too, and the
   * container was dumped frozen: a restored container runs. */
  if (cgroup_is_frozen (r->cg, &frozen, err) < 0 || (frozen && cgroup_freeze (r->cg, false, err) < 0))
    return cryo_error_wrap (err, "thaw the restored container");
  cr_nshelper_stop (&r->nsh);
  cr_mounts_release (&r->mounts);
  r->s->pid = r->pid;
  if (process_start_time (r->pid, &r->s->pid_start_time) < 0)
    return cryo_error (err, 0, "the restored init (pid %d) exited at once", r->pid);
  r->s->status = CONTAINER_RUNNING;
  if (cr_fault ("restore-state", err) < 0 || state_write (r->s, err) < 0)
    return -1;
  if (r->o->pid_file && write_pid_file (r->o->pid_file, r->pid, err) < 0)
    return -1;
  cr_timer_step (&r->t, "state");
  return 0;
}

/* Undo everything, in reverse; the image was only read. */
static void
rollback (struct restore *r)
{
  cleanup_error cryo_error_t e = NULL;

  if (r->cg)
    cgroup_kill (r->cg, SIGKILL, NULL);
  if (r->pid > 0)
    {
      kill (r->pid, SIGKILL);
      while (waitpid (r->pid, NULL, 0) < 0 && errno == EINTR)
        ;
      r->pid = 0;
    }
  cr_nshelper_stop (&r->nsh);
  cr_mounts_release (&r->mounts);
  if (r->cg && cgroup_destroy (r->cg, &e) < 0)
    log_warning ("%s", e->msg);
  cryo_error_release (&e);
  if (r->s && state_remove (r->o->c.root, r->o->c.id, &e) < 0)
    log_warning ("%s", e->msg);
}

/* CRIU does not save keyrings: the restored processes inherit the session
 * keyring of CRIU, which is ours.  Without --no-new-keyring they get one of
 * their own, "_ses.<id>" as `cryo create` gives (exec joins it by name), so
 * the caller's keys stay out of reach; with it they keep the caller's.  The
 * runtime has no further use for its own: post-restore hooks run in it. */
static int
join_keyring (struct restore *r, cryo_error_t *err)
{
  if (r->o->no_new_keyring)
    return 0;
  return process_join_session_keyring (r->o->c.id, err);
}

/* A lazy image's memory is still in the source container, served by its
 * dump: only a lazy restore can use it.  A lazy restore hands the memory to
 * a `criu lazy-pages` daemon the user started (as with runc), which CRIU
 * meets at lazy-pages.socket in its work directory: restore's --work-path
 * must be the daemon's --work-dir. */
static int
check_lazy (struct restore *r, cryo_error_t *err)
{
  const char *work = r->o->c.work_path;
  cleanup_free char *sock = NULL;
  struct stat st;

  if (image_options (r->img)->lazy_pages && !r->o->c.lazy_pages)
    return cryo_error (err, 0,
                       "image `%s` was checkpointed with --lazy-pages: its memory is served by the source "
                       "while the checkpoint runs; restore it with --lazy-pages",
                       image_path (r->img));
  if (!r->o->c.lazy_pages)
    return 0;
  if (engine_check_lazy_restore (err) < 0)
    return -1;
  if (work == NULL)
    return cryo_error (err, 0,
                       "restore --lazy-pages needs --work-path DIR, the --work-dir of the `criu lazy-pages` "
                       "daemon (CRIU meets it at DIR/lazy-pages.socket)");
  sock = xasprintf ("%s/lazy-pages.socket", work);
  if (stat (sock, &st) < 0 || !S_ISSOCK (st.st_mode))
    return cryo_error (err, 0,
                       "restore --lazy-pages: no `criu lazy-pages` daemon in `%s` (no lazy-pages.socket): "
                       "start `criu lazy-pages --page-server --address SOURCE --port PORT --images-dir %s "
                       "--work-dir %s` first",
                       work, image_criu_dir (r->img), work);
  return 0;
}

static int
restore_locked (struct restore *r, cryo_error_t *err)
{
  cleanup_error cryo_error_t hook_err = NULL;

  if (open_image (r, err) < 0 || check_lazy (r, err) < 0 || load_bundle (r, err) < 0
      || take_state (r, err) < 0 || cr_restore_check_stdio (&r->x, err) < 0)
    return -1;
  cr_timer_step (&r->t, "prepare");
  if (make_cgroup (r, err) < 0)
    return -1;
  cr_timer_step (&r->t, "cgroup");
  if (run_hooks (r, CR_HOOK_PRE_RESTORE, err) < 0 || cr_fault ("restore-pre-restore", err) < 0)
    return -1;
  cr_timer_step (&r->t, "pre-restore hooks");
  if (make_namespaces (r, err) < 0)
    return -1;
  cr_timer_step (&r->t, "namespaces");
  if (cr_mounts_prepare (&r->mounts, r->o->c.root, r->spec, &r->x, r->img, r->cg, err) < 0
      || cr_fault ("restore-mounts", err) < 0)
    return -1;
  cr_timer_step (&r->t, "mounts");
  if (join_keyring (r, err) < 0 || cr_restore_engine (r, err) < 0 || finish (r, err) < 0)
    return -1;
  if (run_hooks (r, CR_HOOK_POST_RESTORE, &hook_err) < 0)
    log_warning ("%s", hook_err->msg);
  cr_timer_step (&r->t, "post-restore hooks");
  return 0;
}

int
container_restore (const struct restore_options *o, int *exit_status, cryo_error_t *err)
{
  struct restore r = { .o = o, .lock_fd = -1, .console_fd = -1, .net_fd = -1, .work = { .fd = -1 } };
  enum engine_cg_mode mode;
  bool empty;
  int ret;

  *exit_status = 0;
  if (cr_cg_mode (o->c.manage_cgroups_mode, &mode, err) < 0 || cr_empty_ns (o->c.empty_ns, &empty, err) < 0)
    return -1;
  cr_timer_start (&r.t, "restore");
  ret = restore_locked (&r, err);
  cr_work_dir_close (&r.work, ret < 0 ? err : NULL);
  if (ret < 0)
    rollback (&r);
  cr_timer_done (&r.t);
  if (ret == 0 && !o->detach)
    {
      cleanup_closep (&r.lock_fd);
      ret = cr_restore_wait (&r, exit_status, err);
    }
  restore_clear (&r);
  return ret;
}
