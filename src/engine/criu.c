/* The CRIU engine: engine_ops over libcriu's criu_local_* API.
 *
 * Every call builds its own criu_opts (no libcriu global options), runs it
 * through engine_call_run (our own `criu swrk` child, with a deadline) and
 * turns a failure into one line naming what failed plus the log's path.
 * Options libcriu has no setter for (restore-sibling, lazy-pages) go
 * through an RPC configuration file that CRIU reads after the RPC options:
 * a memfd it opens as /proc/<cryo>/fd/N. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOG_PREFIX "engine: "
#include "engine/internal.h"
#include "lib/log.h"
#include "lib/util.h"

static void
cleanup_criu_optsp (criu_opts **o)
{
  if (*o)
    criu_local_free_opts (*o);
  *o = NULL;
}
#define cleanup_criu_opts __attribute__ ((cleanup (cleanup_criu_optsp)))

static int
new_opts (criu_opts **o, cryo_error_t *err)
{
  if (engine_libcriu_load (err) < 0)
    return -1;
  if (criu_local_init_opts (o) < 0)
    return cryo_error (err, ENOMEM, "libcriu: cannot allocate options");
  return 0;
}

static const char *
rpc_error_text (int ret)
{
  switch (-ret)
    {
    case EBADE:
      return "CRIU reported a failure without an error line";
    case ECOMM:
      return "lost the connection to criu";
    case ECONNREFUSED:
      return "cannot connect to criu";
    case EINVAL:
      return "this CRIU does not support the request: update CRIU";
    case EBADMSG:
      return "unexpected response from criu: update CRIU";
    default:
      return "failed";
    }
}

/* The one line of a failed call; @also is added when not NULL. */
static int
call_error (struct engine_call *c, int rpc_ret, const char *log_path, const char *also, cryo_error_t *err)
{
  cleanup_free char *line = NULL;
  cleanup_free char *where = NULL;
  char deadline[32];

  /* CRIU killed before it wrote anything: no log to point to */
  if (log_path && access (log_path, F_OK) < 0)
    log_path = NULL;
  where = log_path ? xasprintf (" (log: `%s`)", log_path) : xstrdup ("");
  if (also == NULL)
    also = "";
  if (c->expired)
    {
      engine_format_deadline (c->deadline_ms, deadline, sizeof deadline);
      return cryo_error (err, 0,
                         "criu %s timed out after %s (CRYO_ENGINE_TIMEOUT sets the deadline in seconds)%s%s",
                         c->what, deadline, also, where);
    }
  if (c->cb_err)
    return cryo_error (err, cryo_error_status (c->cb_err), "criu %s: %s: %s%s", c->what, c->cb_action,
                       c->cb_err->msg, also);
  if (log_path)
    line = engine_log_first_error (log_path);
  if (line == NULL)
    line = engine_text_first_error (c->output);
  if (line == NULL && WIFSIGNALED (c->swrk_status))
    line = xasprintf ("criu was killed by signal %d before it finished", WTERMSIG (c->swrk_status));
  if (line == NULL)
    line = engine_last_line (c->output);
  return cryo_error (err, 0, "criu %s failed: %s%s%s", c->what, line ? line : rpc_error_text (rpc_ret), also,
                     where);
}

static void
call_init (struct engine_call *c, struct engine *e, const char *what, unsigned deadline_ms)
{
  memset (c, 0, sizeof *c);
  c->e = e;
  c->what = what;
  c->deadline_ms = deadline_ms ? deadline_ms : e->deadline_ms;
  c->own_pgrp = true;
}

/* Version. */

static int
rpc_version (criu_opts *o, void *arg UNUSED)
{
  return criu_local_get_version (o);
}

static int
rpc_dump (criu_opts *o, void *arg UNUSED)
{
  return criu_local_dump (o);
}

static int
rpc_pre_dump (criu_opts *o, void *arg UNUSED)
{
  return criu_local_pre_dump (o);
}

static int
rpc_restore (criu_opts *o, void *arg UNUSED)
{
  return criu_local_restore (o);
}

static void
version_string (int v, char *buf, size_t len)
{
  snprintf (buf, len, "%d.%d.%d", v / 10000, v / 100 % 100, v % 100);
}

/* The binary's identity, so a cached version follows an upgrade. */
static char *
binary_key (struct engine *e)
{
  struct stat st;
  if (stat (e->binary, &st) < 0)
    return NULL;
  return xasprintf ("%lu:%lu:%lld:%lld", (unsigned long)st.st_dev, (unsigned long)st.st_ino,
                    (long long)st.st_size, (long long)st.st_mtime);
}

static int
cached_version (struct engine *e, const char *key)
{
  cleanup_free char *path = xasprintf ("%s/criu-version", e->cache_dir);
  cleanup_free char *line = engine_read_line_at (AT_FDCWD, path);
  size_t klen = key ? strlen (key) : 0;

  if (line == NULL || key == NULL || strncmp (line, key, klen) != 0 || line[klen] != ' ')
    return 0;
  return atoi (line + klen + 1);
}

static void
store_version (struct engine *e, const char *key, int v)
{
  cleanup_free char *line = xasprintf ("%s %d\n", key, v);
  cleanup_close int fd = -1;
  cryo_error_t ignored = NULL;

  if (mkdir_p (e->cache_dir, 0700, &ignored) < 0
      || (fd = open (e->cache_dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC)) < 0
      || write_file_atomic_at (fd, "criu-version", line, strlen (line), &ignored) < 0)
    cryo_error_release (&ignored);
}

int
engine_get_version (struct engine *e, cryo_error_t *err)
{
  cleanup_criu_opts criu_opts *o = NULL;
  cleanup_free char *key = binary_key (e);
  struct engine_call c;
  int v = cached_version (e, key), ret;

  if (e->version.criu > 0)
    return e->version.criu;
  if (v <= 0)
    {
      call_init (&c, e, "version", 0);
      if (new_opts (&o, err) < 0 || engine_call_run (&c, o, rpc_version, &v, err) < 0)
        return -1;
      if (v <= 0)
        {
          ret = call_error (&c, v, NULL, NULL, err);
          engine_call_release (&c);
          return ret;
        }
      engine_call_release (&c);
      if (key)
        store_version (e, key, v);
    }
  e->version.criu = v;
  e->version.libcriu = CRIU_VERSION_MAJOR * 10000 + CRIU_VERSION_MINOR * 100 + CRIU_VERSION_SUBLEVEL;
  version_string (v, e->version.criu_str, sizeof e->version.criu_str);
  return v;
}

static int
engine_criu_version (struct engine *e, struct engine_version *out, cryo_error_t *err)
{
  if (engine_get_version (e, err) < 0)
    return -1;
  *out = e->version;
  return 0;
}

/* Options shared by dump and restore. */

static const enum criu_cg_mode cg_modes[] = {
  [ENGINE_CG_IGNORE] = CRIU_CG_MODE_IGNORE, [ENGINE_CG_NONE] = CRIU_CG_MODE_NONE,
  [ENGINE_CG_PROPS] = CRIU_CG_MODE_PROPS,   [ENGINE_CG_SOFT] = CRIU_CG_MODE_SOFT,
  [ENGINE_CG_FULL] = CRIU_CG_MODE_FULL,     [ENGINE_CG_STRICT] = CRIU_CG_MODE_STRICT,
};

static int
set_common (criu_opts *o, const struct engine_common *c, const char *log_file, cryo_error_t *err)
{
  if (c->images_fd < 0)
    return cryo_error (err, 0, "no image directory given to the engine");
  if (strchr (log_file, '/'))
    return cryo_error (err, 0, "criu log file `%s` must be a plain file name (it goes to the work dir)",
                       log_file);
  criu_local_set_images_dir_fd (o, c->images_fd);
  if (c->work_fd >= 0)
    criu_local_set_work_dir_fd (o, c->work_fd);
  if (criu_local_set_log_file (o, log_file) < 0)
    return cryo_error (err, ENOMEM, "libcriu: set the log file");
  criu_local_set_log_level (o, c->log_level > 0 ? c->log_level : CRIU_LOG_DEBUG);
  criu_local_set_shell_job (o, c->shell_job);
  criu_local_set_tcp_established (o, c->tcp_established);
  criu_local_set_ext_unix_sk (o, c->ext_unix_sk);
  criu_local_set_file_locks (o, c->file_locks);
  if (c->manage_cgroups_mode != ENGINE_CG_DEFAULT)
    {
      if ((unsigned)c->manage_cgroups_mode >= ARRAY_SIZE (cg_modes))
        return cryo_error (err, 0, "unknown manage-cgroups mode %d", (int)c->manage_cgroups_mode);
      criu_local_set_manage_cgroups (o, true);
      criu_local_set_manage_cgroups_mode (o, cg_modes[c->manage_cgroups_mode]);
    }
  for (char *const *x = c->external; x && *x; x++)
    if (criu_local_add_external (o, *x) < 0)
      return cryo_error (err, 0, "libcriu: cannot add external `%s`", *x);
  if (c->empty_ns)
    criu_local_set_empty_ns (o, c->empty_ns);
  if (c->skip_network_lock && criu_local_set_network_lock (o, CRIU_NETWORK_LOCK_SKIP) < 0)
    return cryo_error (err, 0, "libcriu: cannot skip the network lock");
  return 0;
}

static char *
log_path_of (const struct engine_common *c, const char *log_file)
{
  const char *dir = c->work_fd >= 0 ? c->work_path : c->images_path;
  return dir ? xasprintf ("%s/%s", dir, log_file) : xstrdup (log_file);
}

/* The RPC configuration file: the caller's (c->config_file), then @own,
 * the options libcriu has no setter for.  CRIU takes one such file and
 * lets it override the RPC's options. */
static int
set_config_file (criu_opts *o, const struct engine_common *c, const char *own, int *memfd, cryo_error_t *err)
{
  cleanup_free char *path = NULL, *given = NULL, *text = NULL;

  if (c->config_file && read_all_file (c->config_file, &given, NULL, err) < 0)
    return cryo_error_wrap (err, "the CRIU configuration file");
  if (given == NULL && *own == '\0')
    return 0;
  text = xasprintf ("%s\n%s", given ? given : "", own);
  *memfd = memfd_create ("criu-rpc.conf", MFD_CLOEXEC);
  if (*memfd < 0)
    return cryo_error (err, errno, "memfd_create for the criu configuration");
  if (write_all (*memfd, text, strlen (text)) < 0)
    return cryo_error (err, errno, "write the criu configuration");
  path = xasprintf ("/proc/%d/fd/%d", (int)getpid (), *memfd);
  if (criu_local_set_config_file (o, path) < 0)
    return cryo_error (err, ENOMEM, "libcriu: set the configuration file");
  return 0;
}

static int
check_lazy_pipe (cryo_error_t *err)
{
  unsigned long have = engine_pipe_max_size ();

  if (have < ENGINE_LAZY_PIPE_SIZE)
    return cryo_error (err, 0,
                       "lazy pages need fs.pipe-max-size >= %u (it is %lu), or CRIU's page server hangs: "
                       "run `sysctl -w fs.pipe-max-size=%u`",
                       ENGINE_LAZY_PIPE_SIZE, have, ENGINE_LAZY_PIPE_SIZE);
  return 0;
}

/* Get ready for a dump or restore: the version (for CRIU_FAULT) and the
 * kdat cache. */
static int
prepare (struct engine *e, cryo_error_t *err)
{
  if (engine_get_version (e, err) < 0)
    return -1;
  engine_kdat_ensure (e);
  return 0;
}

/* Dump. */

static int
refuse_dump (struct engine *e, const struct engine_dump_opts *o, cryo_error_t *err)
{
  if (o->pid <= 0)
    return cryo_error (err, 0, "no pid given to dump");
  if ((o->pre_dump || o->track_mem || o->parent_images) && !engine_soft_dirty (e))
    return cryo_error (err, 0,
                       "%s needs soft-dirty memory tracking, which this kernel lacks (CONFIG_MEM_SOFT_DIRTY "
                       "is not set): make a full checkpoint instead",
                       o->pre_dump        ? "pre-dump"
                       : o->parent_images ? "an incremental dump"
                                          : "memory tracking");
  if (o->lazy_pages && check_lazy_pipe (err) < 0)
    return -1;
  return 0;
}

/* A lazy dump serves the pages itself, listening on the page server's
 * address (`criu dump --lazy-pages --address A --port P`).  Not through
 * the RPC's page server: CRIU reads it before the configuration file that
 * carries lazy-pages (libcriu has no setter), takes it for a page server
 * to send the pages to, and the dump fails connecting to it. */
static int
set_lazy_dump (criu_opts *opts, const struct engine_dump_opts *o, int *conffd, cryo_error_t *err)
{
  cleanup_free char *conf = NULL;

  if (o->page_server_address)
    conf = xasprintf ("lazy-pages\naddress %s\nport %d\n", o->page_server_address, o->page_server_port);
  else
    conf = xstrdup ("lazy-pages\n");
  return set_config_file (opts, &o->c, conf, conffd, err);
}

static int
set_dump (criu_opts *opts, const struct engine_dump_opts *o, int *conffd, cryo_error_t *err)
{
  criu_local_set_pid (opts, o->pid);
  criu_local_set_leave_running (opts, o->leave_running);
  criu_local_set_orphan_pts_master (opts, o->orphan_pts_master);
  if (o->freeze_cgroup && criu_local_set_freeze_cgroup (opts, o->freeze_cgroup) < 0)
    return cryo_error (err, ENOMEM, "libcriu: set the freeze cgroup");
  if (o->ghost_limit)
    criu_local_set_ghost_limit (opts, o->ghost_limit);
  criu_local_set_track_mem (opts, o->track_mem);
  if (o->parent_images && criu_local_set_parent_images (opts, o->parent_images) < 0)
    return cryo_error (err, ENOMEM, "libcriu: set the parent images");
  if (o->lazy_pages)
    return set_lazy_dump (opts, o, conffd, err);
  /* libcriu (4.2.1) returns -ENOMEM from this one even when it worked:
   * its result tells nothing */
  if (o->page_server_address)
    (void) criu_local_set_page_server_address_port (opts, o->page_server_address, o->page_server_port);
  return set_config_file (opts, &o->c, "", conffd, err);
}

static int
engine_criu_dump (struct engine *e, const struct engine_dump_opts *o, cryo_error_t *err)
{
  const char *log_file = o->c.log_file ? o->c.log_file : (o->pre_dump ? "pre-dump.log" : "dump.log");
  cleanup_criu_opts criu_opts *opts = NULL;
  cleanup_free char *log_path = log_path_of (&o->c, log_file);
  cleanup_close int conffd = -1;
  struct engine_snapshot snap;
  struct engine_call c;
  int rpc_ret, ret = 0;

  if (refuse_dump (e, o, err) < 0 || prepare (e, err) < 0 || new_opts (&opts, err) < 0
      || set_common (opts, &o->c, log_file, err) < 0 || set_dump (opts, o, &conffd, err) < 0)
    return -1;
  call_init (&c, e, o->pre_dump ? "pre-dump" : "dump", o->c.deadline_ms);
  c.own_pgrp = !o->c.shell_job;
  c.kdat_ns = engine_kdat_ns_for_pid (e, o->pid);
  c.work_dir_fd = o->c.work_fd >= 0 ? o->c.work_fd : o->c.images_fd;
  c.notify = o->c.notify;
  c.notify_data = o->c.notify_data;
  engine_snapshot_take (&snap, o->pid, o->freeze_cgroup);
  if (engine_call_run (&c, opts, o->pre_dump ? rpc_pre_dump : rpc_dump, &rpc_ret, err) < 0)
    ret = -1;
  else if (rpc_ret < 0 || c.expired || c.cb_err)
    {
      /* CRIU resumes the tree itself when it fails; when it was killed it
       * could not, and a frozen cgroup or a stopped task would stay so. */
      bool resumed = engine_snapshot_restore (&snap) > 0;
      ret = call_error (&c, rpc_ret, log_path,
                        resumed ? "; cryo resumed the tasks it left stopped or frozen" : NULL, err);
    }
  engine_snapshot_release (&snap);
  engine_call_release (&c);
  return ret;
}

/* Restore. */

static int
set_restore (criu_opts *opts, const struct engine_restore_opts *o, int *conffd, cryo_error_t *err)
{
  cleanup_free char *conf
      = xasprintf ("%s%s", o->rst_sibling ? "restore-sibling\n" : "", o->lazy_pages ? "lazy-pages\n" : "");

  if (o->root && criu_local_set_root (opts, o->root) < 0)
    return cryo_error (err, ENOMEM, "libcriu: set the root");
  criu_local_set_orphan_pts_master (opts, o->orphan_pts_master);
  for (size_t i = 0; i < o->n_inherit_fds; i++)
    if (criu_local_add_inherit_fd (opts, o->inherit_fds[i].fd, o->inherit_fds[i].key) < 0)
      return cryo_error (err, 0, "libcriu: cannot add inherit fd %d (`%s`)", o->inherit_fds[i].fd,
                         o->inherit_fds[i].key);
  for (size_t i = 0; i < o->n_join_ns; i++)
    if (criu_local_join_ns_add (opts, o->join_ns[i].ns, o->join_ns[i].path, o->join_ns[i].extra) < 0)
      return cryo_error (err, 0, "libcriu: cannot join %s namespace `%s`", o->join_ns[i].ns,
                         o->join_ns[i].path);
  for (size_t i = 0; i < o->n_cg_roots; i++)
    if (criu_local_add_cg_root (opts, o->cg_root_ctrls ? o->cg_root_ctrls[i] : NULL, o->cg_root_paths[i]) < 0)
      return cryo_error (err, 0, "libcriu: cannot add cgroup root `%s`", o->cg_root_paths[i]);
  if (o->lsm_profile && criu_local_set_lsm_profile (opts, o->lsm_profile) < 0)
    return cryo_error (err, ENOMEM, "libcriu: set the LSM profile");
  return set_config_file (opts, &o->c, conf, conffd, err);
}

int
engine_check_lazy_restore (cryo_error_t *err)
{
  bool noncoop;

  if (!engine_probe_userfaultfd (&noncoop) || !noncoop)
    return cryo_error (err, 0,
                       "lazy pages need userfaultfd with fork/remap/unmap events, which this "
                       "kernel does not offer: restore without lazy pages");
  return check_lazy_pipe (err);
}

static int
refuse_restore (const struct engine_restore_opts *o, cryo_error_t *err)
{
  return o->lazy_pages ? engine_check_lazy_restore (err) : 0;
}

static int
engine_criu_restore (struct engine *e, const struct engine_restore_opts *o, pid_t *pid, cryo_error_t *err)
{
  const char *log_file = o->c.log_file ? o->c.log_file : "restore.log";
  cleanup_criu_opts criu_opts *opts = NULL;
  cleanup_free char *log_path = log_path_of (&o->c, log_file);
  cleanup_free int *keep = xmalloc ((o->n_inherit_fds + 1) * sizeof *keep);
  cleanup_close int conffd = -1;
  struct engine_call c;
  size_t n_keep;
  int rpc_ret, ret = 0;

  if (refuse_restore (o, err) < 0 || prepare (e, err) < 0 || new_opts (&opts, err) < 0
      || set_common (opts, &o->c, log_file, err) < 0 || set_restore (opts, o, &conffd, err) < 0)
    return -1;
  for (size_t i = 0; i < o->n_inherit_fds; i++)
    keep[i] = o->inherit_fds[i].fd;
  n_keep = o->n_inherit_fds;
  /* A shell job's terminal comes back as CRIU's own stdin ("Don't have
   * tty to inherit session from" when it is not a tty): runc hands criu its
   * stdin for that, cryo keeps its own there too. */
  if (o->c.shell_job)
    keep[n_keep++] = STDIN_FILENO;
  call_init (&c, e, "restore", o->c.deadline_ms);
  c.own_pgrp = !o->c.shell_job;
  c.kdat_ns = engine_kdat_ns_for_images (e, o->c.images_fd);
  c.work_dir_fd = o->c.work_fd >= 0 ? o->c.work_fd : o->c.images_fd;
  c.track_notify = true; /* the restored root's pid, to clean up after a deadline */
  c.keep_fds = keep;
  c.n_keep_fds = n_keep;
  c.notify = o->c.notify;
  c.notify_data = o->c.notify_data;
  if (engine_call_run (&c, opts, rpc_restore, &rpc_ret, err) < 0)
    ret = -1;
  else if (rpc_ret <= 0 || c.expired || c.cb_err)
    {
      /* No half-restored remains: CRIU kills what it restored when it
       * fails, but not when it was killed. */
      if (c.expired && c.restored_pid > 0)
        engine_kill_tree (c.restored_pid, o->rst_sibling);
      ret = call_error (&c, rpc_ret, log_path, NULL, err);
    }
  else
    *pid = rpc_ret;
  engine_call_release (&c);
  return ret;
}

/* The engine object. */

static int
deadline_from_env (unsigned *ms, cryo_error_t *err)
{
  const char *v = getenv ("CRYO_ENGINE_TIMEOUT");
  char *end = NULL;
  double s;

  *ms = ENGINE_DEFAULT_DEADLINE_MS;
  if (v == NULL || *v == '\0')
    return 0;
  errno = 0;
  s = strtod (v, &end);
  if (errno || end == v || *end != '\0' || !(s > 0) || s > 7 * 86400.0)
    return cryo_error (err, 0, "CRYO_ENGINE_TIMEOUT `%s` is not a number of seconds (0 < N <= 604800)", v);
  *ms = (unsigned)(s * 1000.0 + 0.999); /* round up: never below what was asked */
  return 0;
}

/* runc's --criu takes a bare name looked up in PATH; CRIU lives in sbin. */
static char *
resolve_binary (const char *name)
{
  const char *path = getenv ("PATH");
  cleanup_free char *dirs = xasprintf ("%s:/usr/local/sbin:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
  char *save = NULL;

  if (strchr (name, '/'))
    return xstrdup (name);
  for (char *d = strtok_r (dirs, ":", &save); d; d = strtok_r (NULL, ":", &save))
    {
      cleanup_free char *full = xasprintf ("%s/%s", *d ? d : ".", name);
      if (access (full, X_OK) == 0)
        return steal_pointer (&full);
    }
  return xstrdup (name); /* the call says it is not executable */
}

const struct engine_ops engine_criu_ops = {
  .name = "criu",
  .check = engine_criu_check,
  .version = engine_criu_version,
  .dump = engine_criu_dump,
  .restore = engine_criu_restore,
};

int
engine_open (const char *name, const struct engine_config *cfg, struct engine **out, cryo_error_t *err)
{
  static const struct engine_config defaults = { 0 };
  struct engine *e;
  unsigned deadline;

  if (name && strcmp (name, engine_criu_ops.name) != 0)
    return cryo_error (err, 0, "unknown checkpoint engine `%s` (cryo has `criu`)", name);
  if (cfg == NULL)
    cfg = &defaults;
  if (deadline_from_env (&deadline, err) < 0)
    return -1;
  /* Now, not at the first call: a checkpoint calls CRIU while the container
   * is frozen, and a missing libcriu is better refused before freezing. */
  if (engine_libcriu_load (err) < 0)
    return -1;
  e = xzalloc (sizeof *e);
  e->ops = &engine_criu_ops;
  e->binary = resolve_binary (cfg->binary ? cfg->binary : CRIU_BINARY);
  e->state_root = xstrdup (cfg->state_root ? cfg->state_root : "/run/cryo");
  e->cache_dir = xasprintf ("%s/" ENGINE_CACHE_DIR, e->state_root);
  e->deadline_ms = cfg->deadline_ms ? cfg->deadline_ms : deadline;
  e->no_kdat_cache = cfg->no_kdat_cache;
  e->hw_breakpoints = -2;
  e->soft_dirty = -1;
  *out = e;
  return 0;
}

void
engine_free (struct engine *e)
{
  if (e == NULL)
    return;
  free (e->binary);
  free (e->state_root);
  free (e->cache_dir);
  free (e->kdat_path);
  free (e->kdat_bind);
  free (e);
}

void
cleanup_enginep (struct engine **e)
{
  engine_free (*e);
  *e = NULL;
}

const char *
engine_name (struct engine *e)
{
  return e->ops->name;
}

unsigned
engine_deadline_ms (struct engine *e)
{
  return e->deadline_ms;
}

int
engine_check (struct engine *e, struct engine_report *out, cryo_error_t *err)
{
  return e->ops->check (e, out, err);
}

int
engine_version (struct engine *e, struct engine_version *out, cryo_error_t *err)
{
  return e->ops->version (e, out, err);
}

int
engine_dump (struct engine *e, const struct engine_dump_opts *o, cryo_error_t *err)
{
  return e->ops->dump (e, o, err);
}

int
engine_restore (struct engine *e, const struct engine_restore_opts *o, pid_t *pid, cryo_error_t *err)
{
  return e->ops->restore (e, o, pid, err);
}

static void
common_init (struct engine_common *c)
{
  memset (c, 0, sizeof *c);
  c->images_fd = -1;
  c->work_fd = -1;
}

void
engine_dump_opts_init (struct engine_dump_opts *o)
{
  memset (o, 0, sizeof *o);
  common_init (&o->c);
}

void
engine_restore_opts_init (struct engine_restore_opts *o)
{
  memset (o, 0, sizeof *o);
  common_init (&o->c);
}
