/* cryo checkpoint: pre-dump hooks, freeze, cryo's metadata, CRIU's dump,
 * resume or kill, post-dump hooks; every step timed at debug level.
 *
 * CRIU always dumps with leave-running into a frozen cgroup: it seizes the
 * frozen tasks and leaves them frozen again, so nothing of the container
 * has run since the dump when cryo decides.  With --leave-running the
 * container is thawed first and the image sealed while it runs again (the
 * checksums and fsyncs are not downtime).  Without, the image is sealed
 * first and only then is the container killed: a failure anywhere before
 * that leaves it thawed and running, as before the checkpoint.
 *
 * A lazy dump (--lazy-pages) is the exception: its image is sealed when
 * CRIU is ready to serve the pages, so that the target can restore from it
 * while the pages are fetched; the container is killed and destroyed
 * only once the target's daemon has every page (src/cr/lazy-relay.c), and
 * a dump that fails after the seal removes the image again. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_PREFIX "checkpoint: "
#include "cgroup/cgroup.h"
#include "container/internal.h"
#include "cr/internal.h"
#include "image/image.h"
#include "leak/leak.h"
#include "lib/log.h"
#include "ns/mount-plan.h"
#include "spec/seccomp-filter.h"
#include "lib/util.h"

struct checkpoint
{
  const struct checkpoint_options *o;
  struct container_state *s;
  struct spec *spec;
  struct mount_plan *plan;
  struct cgroup_manager *cg;
  struct engine *engine;
  struct image_writer *w;
  struct cr_externals x;
  struct leak_target *leaks;
  struct cr_lazy_relay *relay; /* --lazy-pages: between the daemon and CRIU */
  char *image_path;
  struct cr_work_dir work;
  bool was_frozen; /* paused by the user: stays paused */
  bool frozen;     /* by us, to be undone */
  bool committed;  /* the image is at its path (a lazy dump: before the dump ends) */
  struct cr_timer t;
  struct image_stats stats;
  uint64_t frozen_at, thawed_at; /* now_ns (); 0: not (yet) */
};

static void
checkpoint_clear (struct checkpoint *c)
{
  cr_lazy_relay_free (c->relay);
  image_writer_abort (c->w);
  leak_target_free (c->leaks);
  engine_free (c->engine);
  cgroup_manager_free (c->cg);
  mount_plan_free (c->plan);
  spec_free (c->spec);
  container_state_free (c->s);
  cr_externals_clear (&c->x);
  free (c->image_path);
}

static char *
absolute (const char *path)
{
  cleanup_free char *cwd = NULL;

  if (path[0] == '/')
    return xstrdup (path);
  cwd = getcwd (NULL, 0);
  if (cwd == NULL)
    oom ();
  return xasprintf ("%s/%s", cwd, path);
}

/* As runc: a --status-fd that cannot be written is refused before anything
 * is frozen, not found out when the pages are ready. */
static int
check_status_fd (int fd, cryo_error_t *err)
{
  int flags;

  if (fd < 0)
    return 0;
  if ((flags = fcntl (fd, F_GETFL)) < 0)
    return cryo_error (err, 0, "--status-fd %d: not an open file descriptor: pass one open for writing", fd);
  if ((flags & O_ACCMODE) == O_RDONLY)
    return cryo_error (err, 0, "--status-fd %d: not open for writing: pass one open for writing", fd);
  return 0;
}

static int
check_options (const struct checkpoint_options *o, cryo_error_t *err)
{
  enum engine_cg_mode mode;
  bool empty;

  if (cr_cg_mode (o->c.manage_cgroups_mode, &mode, err) < 0 || cr_empty_ns (o->c.empty_ns, &empty, err) < 0)
    return -1;
  if ((o->pre_dump || o->parent_path) && !engine_probe_soft_dirty ())
    return cryo_error (err, 0,
                       "%s needs soft-dirty memory tracking, which this kernel lacks "
                       "(CONFIG_MEM_SOFT_DIRTY is not set): make a full checkpoint instead",
                       o->pre_dump ? "--pre-dump" : "--parent-path");
  if (o->parent_path && o->parent_path[0] == '/')
    return cryo_error (err, 0, "--parent-path `%s`: must be relative to the image path", o->parent_path);
  if (o->page_server && strrchr (o->page_server, ':') == NULL)
    return cryo_error (err, 0, "--page-server `%s`: must be ADDRESS:PORT", o->page_server);
  /* The pages stay in the container, served by the dump: without an
   * address nobody could fetch them. */
  if (o->c.lazy_pages && o->page_server == NULL)
    return cryo_error (err, 0,
                       "--lazy-pages needs --page-server ADDRESS:PORT, where the target's "
                       "`criu lazy-pages` daemon fetches the pages");
  return check_status_fd (o->status_fd, err);
}

/* CRIU dumps a seccomp filter but not the listener its agent holds: the
 * restored filter has none, so the calls it notifies fail with ENOSYS from
 * then on.  runc checkpoints such a container anyway; cryo refuses it. */
static int
check_seccomp_notify (const char *id, const struct spec *spec, cryo_error_t *err)
{
  cleanup_seccomp struct cryo_seccomp *s = NULL;

  if (cryo_seccomp_prepare (spec->linux_ ? spec->linux_->seccomp : NULL, &s, err) < 0)
    return -1;
  if (!cryo_seccomp_has_notify (s))
    return 0;
  return cryo_error (err, 0,
                     "cannot checkpoint container `%s`: its seccomp profile has SCMP_ACT_NOTIFY rules, and "
                     "CRIU cannot restore the notify fd its seccomp agent holds (the restored calls would "
                     "fail with ENOSYS)",
                     id);
}

static int
load_container (struct checkpoint *c, cryo_error_t *err)
{
  const struct cr_common_options *co = &c->o->c;

  if (container_load (co->root, co->id, &c->s, err) < 0)
    return -1;
  if (c->s->status != CONTAINER_RUNNING && c->s->status != CONTAINER_PAUSED)
    return cryo_error (err, 0, "cannot checkpoint container `%s`: it is %s, not running", co->id,
                       container_status_name (c->s->status));
  if (c->s->cgroup == NULL)
    return cryo_error (err, 0, "cannot checkpoint container `%s`: it has no cgroup to freeze", co->id);
  if (container_load_spec (c->s, &c->spec, err) < 0 || check_seccomp_notify (co->id, c->spec, err) < 0
      || mount_plan_build (c->spec, &c->plan, err) < 0 || cr_hooks_validate (c->spec, err) < 0
      || cr_cg_mode_check (co->manage_cgroups_mode, spec_ns_is_new (c->spec, NS_CGROUP), err) < 0)
    return -1;
  if (cgroup_load (c->s->cgroup, &c->cg, err) < 0 || cgroup_is_frozen (c->cg, &c->was_frozen, err) < 0)
    return -1;
  if (!c->o->pre_dump)
    {
      struct leak_options lo = { .mode = c->o->subtree ? LEAK_MODE_SUBTREE : LEAK_MODE_CONTAINER,
                                 .tcp_established = co->tcp_established };
      if (leak_target_new (c->s, &lo, &c->leaks, err) < 0)
        return -1;
    }
  return cr_engine_open (co, &c->engine, err);
}

static int
open_image (struct checkpoint *c, cryo_error_t *err)
{
  const struct cr_common_options *co = &c->o->c;
  /* a lazy dump commits before it ends: should it fail after all, the
   * image it replaced comes back */
  const struct image_writer_options replace = { .replace = true, .keep_replaced = co->lazy_pages };

  c->image_path = absolute (co->image_path ? co->image_path : "checkpoint");
  if (cr_work_dir_open (&c->work, co->work_path, "checkpoint", co->id, err) < 0)
    return -1;
  if (image_writer_begin (c->image_path, &replace, &c->w, err) < 0)
    return -1;
  image_writer_set_container (c->w, co->id, c->o->subtree ? IMAGE_MODE_SUBTREE : IMAGE_MODE_CONTAINER);
  return 0;
}

static int
run_hooks (struct checkpoint *c, enum cr_hook_kind kind, cryo_error_t *err)
{
  struct cr_hook_env e = { .image_path = c->image_path, .id = c->o->c.id, .pid = c->s->pid };
  cleanup_free char *json = state_oci_json_string (c->s, false);

  return cr_hooks_run (c->spec, kind, json, &e, err);
}

static int
freeze (struct checkpoint *c, cryo_error_t *err)
{
  if (cr_fault ("checkpoint-freeze", err) < 0)
    return -1;
  if (c->was_frozen)
    return 0;
  c->frozen_at = now_ns ();
  if (cgroup_freeze (c->cg, true, err) < 0)
    return cryo_error_wrap (err, "freeze container `%s`", c->o->c.id);
  c->frozen = true;
  c->stats.freezing_time = (now_ns () - c->frozen_at) / 1000;
  c->frozen_at = now_ns ();
  return 0;
}

static int
thaw (struct checkpoint *c, cryo_error_t *err)
{
  if (!c->frozen)
    return 0;
  if (cgroup_freeze (c->cg, false, err) < 0)
    return cryo_error_wrap (err, "thaw container `%s`", c->o->c.id);
  c->frozen = false;
  if (c->thawed_at == 0)
    c->thawed_at = now_ns ();
  return 0;
}

static void
set_image_options (struct checkpoint *c)
{
  const struct cr_common_options *co = &c->o->c;
  struct image_checkpoint_options io = {
    .leave_running = c->o->leave_running,
    .tcp_established = co->tcp_established,
    .ext_unix_sk = co->ext_unix_sk,
    .shell_job = co->shell_job,
    .file_locks = co->file_locks,
    .lazy_pages = co->lazy_pages,
    /* a lazy dump serves its pages itself: its pagemap files are in the image */
    .page_server = c->o->page_server != NULL && !co->lazy_pages,
    .manage_cgroups_mode = co->manage_cgroups_mode ? co->manage_cgroups_mode : "soft",
  };

  image_writer_set_options (c->w, &io);
  image_writer_set_cgroup (c->w, cgroup_path (c->cg), cgroup_mode_name (cgroup_manager_mode (c->cg)));
}

static int
save_externals (struct checkpoint *c, cryo_error_t *err)
{
  cleanup_json_gen json_gen_t *g = json_gen_new (true);

  if (cr_collect_externals (c->s->pid, c->spec, c->plan, &c->o->c, &c->x, err) < 0
      || cr_externals_to_json (&c->x, g, err) < 0)
    return -1;
  return image_writer_add_json (c->w, CR_FILE_EXTERNALS, g, err);
}

/* The tmpfs contents, read through init's root while it is frozen. */
static int
save_tmpfs (struct checkpoint *c, cryo_error_t *err)
{
  for (size_t i = 0; i < c->x.n_mounts; i++)
    {
      const struct cr_mount *m = &c->x.mounts[i];
      cleanup_free char *source = NULL;
      if (m->kind != CR_EXT_TMPFS)
        continue;
      source = xasprintf ("/proc/%d/root%s", c->s->pid, m->destination);
      if (image_writer_add_tmpfs (c->w, m->destination, source, err) < 0)
        return -1;
    }
  return 0;
}

static bool
empty_net_requested (struct checkpoint *c)
{
  bool empty = false;

  cr_empty_ns (c->o->c.empty_ns, &empty, NULL);
  return empty;
}

/* The first line of the report, for a one-line error. */
static char *
first_leak (const struct leak_report *r)
{
  cleanup_free char *text = leak_report_to_text (r);
  char *nl = strchr (text, '\n');

  return xstrndup (text, nl ? (size_t)(nl - text) : strlen (text));
}

/* On the frozen container: a container checkpoint refuses any leak; a
 * subtree one records them in the image (only what makes the dump
 * impossible refuses it). */
static int
check_leaks (struct checkpoint *c, cryo_error_t *err)
{
  cleanup_leak_report struct leak_report *r = NULL;
  cleanup_free char *json = NULL, *first = NULL;
  size_t blocking = 0;

  if (c->leaks == NULL)
    return 0;
  if (leak_scan (c->leaks, &r, err) < 0)
    return cryo_error_wrap (err, "leak detection");
  cr_timer_step (&c->t, "leak detection");
  for (size_t i = 0; i < r->n_leaks; i++)
    blocking += r->leaks[i].blocks_dump;
  if ((!c->o->subtree && r->n_errors > 0) || blocking > 0)
    {
      first = first_leak (r);
      return cryo_error (
          err, 0, "container `%s` is not self-contained (%zu leak%s; `cryo leaks %s` lists them%s): %s",
          c->o->c.id, c->o->subtree ? blocking : r->n_errors,
          (c->o->subtree ? blocking : r->n_errors) == 1 ? "" : "s", c->o->c.id,
          c->o->subtree ? "" : ", --subtree checkpoints anyway", first);
    }
  if (!c->o->subtree)
    return 0;
  if (r->n_leaks)
    log_warning ("subtree checkpoint of `%s`: %zu thing%s not guaranteed at restore (saved in %s)",
                 c->o->c.id, r->n_leaks, r->n_leaks == 1 ? "" : "s", IMAGE_FILE_LEAKS);
  if (leak_report_json_string (r, true, &json, err) < 0)
    return -1;
  return image_writer_add_file (c->w, IMAGE_FILE_LEAKS, json, strlen (json), err);
}

/* cryo's part of the image, while the container is frozen. */
static int
save_metadata (struct checkpoint *c, cryo_error_t *err)
{
  if (check_leaks (c, err) < 0 || cr_fault ("checkpoint-leaks", err) < 0)
    return -1;
  set_image_options (c);
  if (image_writer_set_config (c->w, c->spec->text, strlen (c->spec->text), err) < 0
      || image_writer_set_mount_plan (c->w, c->plan, err) < 0 || save_externals (c, err) < 0
      || cr_save_namespaces (c->w, c->s->pid, c->spec, err) < 0)
    return -1;
  if (spec_ns_is_new (c->spec, NS_NET) && !empty_net_requested (c)
      && cr_save_network (c->w, c->s->pid, err) < 0)
    return -1;
  cr_timer_step (&c->t, "metadata");
  if (save_tmpfs (c, err) < 0)
    return -1;
  cr_timer_step (&c->t, "tmpfs");
  return cr_fault ("checkpoint-metadata", err);
}

/* runc keeps CRIU's images at the top of the image path, and tools look
 * there: podman decides that a checkpoint exists from inventory.img.  A
 * hard link to criu/inventory.img (listed and checksummed like any file)
 * serves them without copying anything. */
static int
link_inventory (struct checkpoint *c, cryo_error_t *err)
{
  if (linkat (image_writer_criu_dirfd (c->w), "inventory.img", image_writer_dirfd (c->w), "inventory.img", 0)
          < 0
      && errno != ENOENT)
    return cryo_error (err, errno, "link inventory.img at the top of the image");
  return 0;
}

static int
commit (struct checkpoint *c, cryo_error_t *err)
{
  struct engine_version v;

  if (c->committed)
    return 0;
  if (engine_version (c->engine, &v, NULL) == 0)
    image_writer_set_criu_version (c->w, v.criu_str);
  /* The freeze is over when the container runs again before the commit;
   * a killed one's ends after it (only --stats has it). */
  c->stats.frozen_time = c->thawed_at && c->frozen_at ? (c->thawed_at - c->frozen_at) / 1000 : 0;
  image_writer_set_stats (c->w, &c->stats);
  if (link_inventory (c, err) < 0 || cr_fault ("checkpoint-commit", err) < 0
      || image_writer_commit (c->w, err) < 0)
    return -1;
  c->committed = true;
  cr_timer_step (&c->t, "write image");
  return 0;
}

/* A lazy dump is ready to serve the pages: everything else is in the
 * image, and the restore on the target starts now (runc's --status-fd says
 * so with "\0"), so the image is committed here, while CRIU waits.  CRIU
 * writes nothing into the images directory after this: its last file,
 * stats-dump, goes to its working directory, which cryo keeps apart from
 * the image (the work path, or a temporary directory). */
static int
dump_notify (const struct engine_notify *n, void *data, cryo_error_t *err)
{
  struct checkpoint *c = data;

  if (n->event != ENGINE_EV_STATUS_READY || c->relay == NULL)
    return 0;
  if (cr_fault ("checkpoint-lazy-ready", err) < 0 || commit (c, err) < 0
      || cr_lazy_relay_ready (c->relay, err) < 0)
    return -1;
  if (c->o->status_fd >= 0)
    {
      (void)!write (c->o->status_fd, "", 1);
      close (c->o->status_fd);
    }
  return 0;
}

static int
parse_page_server (const char *s, char **addr, int *port, cryo_error_t *err)
{
  const char *colon = strrchr (s, ':');
  int64_t p;

  if (colon == NULL || parse_int64 (colon + 1, &p) < 0 || p <= 0 || p > 65535)
    return cryo_error (err, 0, "--page-server `%s`: must be ADDRESS:PORT", s);
  *addr = xstrndup (s, colon - s);
  *port = (int)p;
  return 0;
}

/* --page-server: where CRIU sends the pages; with --lazy-pages, where the
 * daemon fetches them, through the relay (src/cr/lazy-relay.c). */
static int
set_page_server (struct checkpoint *c, struct engine_dump_opts *d, char **addr, cryo_error_t *err)
{
  if (c->o->page_server == NULL)
    return 0;
  if (parse_page_server (c->o->page_server, addr, &d->page_server_port, err) < 0)
    return -1;
  d->page_server_address = *addr;
  if (!c->o->c.lazy_pages)
    return 0;
  if (cr_lazy_relay_start (*addr, d->page_server_port, &c->relay, err) < 0)
    return -1;
  d->page_server_address = "127.0.0.1";
  d->page_server_port = cr_lazy_relay_backend_port (c->relay);
  return 0;
}

/* A lazy dump ended: CRIU says it succeeded whenever the daemon went away,
 * the relay knows whether it had every page. */
static int
lazy_dump_done (struct checkpoint *c, cryo_error_t *err)
{
  if (c->relay == NULL || cr_lazy_relay_finish (c->relay))
    return 0;
  return cryo_error (
      err, 0,
      "--lazy-pages: the lazy-pages daemon that connected to %s left before it had every page "
      "(it never asked to close the session): container `%s` keeps running, the image is removed",
      c->o->page_server, c->o->c.id);
}

/* A lazy dump committed the image at STATUS_READY: when it fails after
 * all, the image goes, as with any failed checkpoint.  Returns -1. */
static int
withdraw (struct checkpoint *c)
{
  cleanup_error cryo_error_t rm_err = NULL;

  if (image_writer_withdraw (c->w, &rm_err) < 0)
    log_warning ("%s", rm_err->msg);
  c->committed = false;
  return -1;
}

static int
dump (struct checkpoint *c, cryo_error_t *err)
{
  const struct cr_common_options *co = &c->o->c;
  cleanup_strv char **ext = cr_dump_externals (&c->x, c->s->pid, err);
  cleanup_free char *parent = NULL, *ps_addr = NULL;
  cleanup_error cryo_error_t stats_err = NULL;
  struct engine_dump_opts d;

  if (ext == NULL)
    return -1;
  engine_dump_opts_init (&d);
  d.c.images_fd = image_writer_criu_dirfd (c->w);
  d.c.images_path = image_writer_tmp_path (c->w);
  d.c.work_fd = c->work.fd;
  d.c.work_path = c->work.path;
  d.c.shell_job = co->shell_job;
  d.c.tcp_established = co->tcp_established;
  d.c.ext_unix_sk = co->ext_unix_sk;
  d.c.file_locks = co->file_locks;
  d.c.external = ext;
  d.c.empty_ns = c->x.empty_netns ? CLONE_NEWNET : 0;
  /* Only established connections need the network locked while frozen:
   * without --tcp-established CRIU refuses them anyway. */
  d.c.skip_network_lock = !co->tcp_established;
  d.c.config_file = cr_criu_config_file (c->spec);
  d.c.notify = dump_notify;
  d.c.notify_data = c;
  if (cr_cg_mode (co->manage_cgroups_mode, &d.c.manage_cgroups_mode, err) < 0)
    return -1;
  d.pid = c->s->pid;
  d.leave_running = true; /* see the top of this file */
  d.orphan_pts_master = c->x.terminal;
  d.freeze_cgroup = cgroup_freezer_path (c->cg);
  d.pre_dump = c->o->pre_dump;
  d.track_mem = c->o->pre_dump || c->o->parent_path;
  if (c->o->parent_path)
    d.parent_images = parent = xasprintf ("../%s/%s", c->o->parent_path, IMAGE_DIR_CRIU);
  d.lazy_pages = co->lazy_pages;
  if (set_page_server (c, &d, &ps_addr, err) < 0)
    return -1;
  if (engine_dump (c->engine, &d, err) < 0 || lazy_dump_done (c, err) < 0
      || cr_fault ("checkpoint-dump", err) < 0)
    return withdraw (c);
  cr_timer_step (&c->t, "dump");
  /* CRIU's own stats, from its working directory; they are not worth
   * failing the checkpoint for. */
  if (image_read_criu_stats (c->work.fd, &c->stats, &stats_err) < 0)
    log_debug ("no CRIU stats: %s", stats_err->msg);
  return 0;
}

/* The image is complete: the container's processes go, and the container
 * with them (cgroup, state, poststop hooks), as runc destroys it: its id
 * is free for a restore, from the image and the bundle.  Killed while
 * frozen, so none of them runs again after the dump. */
static int
kill_checkpointed (struct checkpoint *c, cryo_error_t *err)
{
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;

  if (cgroup_pids (c->cg, &pids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    kill (pids[i], SIGKILL);
  c->frozen = true; /* frozen by us or by the user: either way it must thaw to die */
  if (thaw (c, err) < 0 || cgroup_kill (c->cg, SIGKILL, err) < 0)
    return -1;
  if (container_destroy (c->o->c.root, c->s, c->spec, err) < 0)
    return -1;
  c->s->pid = 0; /* for the post-dump hooks: no process left */
  c->s->pid_start_time = 0;
  cr_timer_step (&c->t, "kill");
  return 0;
}

/* Everything after the freeze: on failure the caller thaws. */
static int
frozen_part (struct checkpoint *c, cryo_error_t *err)
{
  if (save_metadata (c, err) < 0 || dump (c, err) < 0)
    return -1;
  if (c->o->leave_running || c->o->pre_dump)
    {
      if (thaw (c, err) < 0)
        return -1;
      cr_timer_step (&c->t, "resume");
      return commit (c, err);
    }
  if (commit (c, err) < 0)
    return -1;
  return kill_checkpointed (c, err);
}

/* --stats FILE: the manifest's stats with the write-back, and the freeze of
 * a killed container too (it ended after the commit). */
static void
write_stats (struct checkpoint *c)
{
  const struct image_stats *w = image_writer_stats (c->w);
  struct image_stats s = w ? *w : c->stats;
  cleanup_json_gen json_gen_t *g = json_gen_new (true);
  cleanup_error cryo_error_t err = NULL;
  cleanup_free char *text = NULL;
  size_t len;

  if (c->o->stats_path == NULL)
    return;
  if (s.frozen_time == 0 && c->frozen_at && c->thawed_at > c->frozen_at)
    s.frozen_time = (c->thawed_at - c->frozen_at) / 1000;
  jg_open_map (g);
  image_stats_gen (g, &s);
  jg_close_map (g);
  /* The checkpoint is done: a stats file that cannot be written is a warning. */
  if (json_gen_finish (g, &text, &len, &err) < 0
      || write_file_atomic_at (AT_FDCWD, c->o->stats_path, text, len, &err) < 0)
    log_warning ("--stats `%s`: %s", c->o->stats_path, err->msg);
}

static int
checkpoint_locked (struct checkpoint *c, cryo_error_t *err)
{
  cleanup_error cryo_error_t thaw_err = NULL;
  cleanup_error cryo_error_t hook_err = NULL;

  if (load_container (c, err) < 0 || open_image (c, err) < 0)
    return -1;
  cr_timer_step (&c->t, "prepare");
  if (run_hooks (c, CR_HOOK_PRE_DUMP, err) < 0 || cr_fault ("checkpoint-pre-dump", err) < 0)
    return -1;
  cr_timer_step (&c->t, "pre-dump hooks");
  if (freeze (c, err) < 0)
    return -1;
  cr_timer_step (&c->t, "freeze");
  if (frozen_part (c, err) < 0)
    {
      if (thaw (c, &thaw_err) < 0)
        log_warning ("%s", thaw_err->msg);
      return -1;
    }
  if (run_hooks (c, CR_HOOK_POST_DUMP, &hook_err) < 0)
    log_warning ("%s", hook_err->msg);
  cr_timer_step (&c->t, "post-dump hooks");
  write_stats (c);
  return 0;
}

int
container_checkpoint (const struct checkpoint_options *o, cryo_error_t *err)
{
  struct checkpoint c = { .o = o, .work = { .fd = -1 } };
  cleanup_close int lock = -1;
  int ret;

  if (check_options (o, err) < 0 || state_lock (o->c.root, o->c.id, &lock, err) < 0)
    return -1;
  cr_timer_start (&c.t, "checkpoint");
  ret = checkpoint_locked (&c, err);
  cr_work_dir_close (&c.work, ret < 0 ? err : NULL);
  cr_timer_done (&c.t);
  checkpoint_clear (&c);
  return ret;
}
