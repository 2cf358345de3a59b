/* What `cryo check` reports, as a struct checkpoint can use too: CRIU's
 * versions and self-check, the host features checkpoint/restore depends on,
 * and a verdict per feature. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_PREFIX "engine: "
#include "cgroup/cgroup.h"
#include "engine/internal.h"
#include "lib/log.h"
#include "lib/util.h"

static const char *const verdict_names[] = {
  [ENGINE_SUPPORTED] = "supported",
  [ENGINE_UNSUPPORTED] = "unsupported",
  [ENGINE_NEEDS_SETUP] = "needs-setup",
  [ENGINE_WORKAROUND] = "workaround",
};

const char *
engine_verdict_name (enum engine_verdict v)
{
  return (unsigned)v < ARRAY_SIZE (verdict_names) ? verdict_names[v] : "unknown";
}

void
engine_report_free (struct engine_report *r)
{
  free (r->criu_path);
  free (r->criu_check_error);
  free (r->cgroup_layout);
  free (r->cgroup_detail);
  free (r->kdat_cache);
  free (r->kdat_source);
  for (size_t i = 0; i < r->n_features; i++)
    free (r->features[i].reason);
  memset (r, 0, sizeof *r);
}

const struct engine_feature *
engine_report_feature (const struct engine_report *r, const char *name)
{
  for (size_t i = 0; i < r->n_features; i++)
    if (strcmp (r->features[i].name, name) == 0)
      return &r->features[i];
  return NULL;
}

static void
add_feature (struct engine_report *r, const char *name, enum engine_verdict v, char *reason)
{
  if (r->n_features >= ENGINE_MAX_FEATURES)
    {
      free (reason);
      return;
    }
  r->features[r->n_features++] = (struct engine_feature){ .name = name, .verdict = v, .reason = reason };
}

static int
rpc_check (criu_opts *o, void *arg UNUSED)
{
  return criu_local_check (o);
}

static int
rpc_features (criu_opts *o, void *arg)
{
  return criu_local_feature_check (o, arg, sizeof (struct criu_feature_check));
}

/* One RPC request logging to @log in the cache directory; the first error
 * line (or the timeout) in *error when it fails. */
static bool
check_call (struct engine *e, const char *what, engine_rpc_fn fn, void *arg, const char *log, char **error)
{
  cleanup_close int dirfd = open (e->cache_dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  cleanup_free char *log_path = xasprintf ("%s/%s", e->cache_dir, log);
  struct engine_call c = { .e = e,
                           .what = what,
                           .deadline_ms = e->deadline_ms,
                           .own_pgrp = true,
                           .kdat_ns = e->kdat_bind != NULL && dirfd >= 0, /* no tree: any namespace serves */
                           .work_dir_fd = dirfd,
                           .rpc_arg = arg };
  cryo_error_t err = NULL;
  criu_opts *o = NULL;
  int rpc_ret = -1;
  bool ok;

  if (criu_local_init_opts (&o) < 0)
    oom ();
  if (dirfd >= 0)
    {
      criu_local_set_work_dir_fd (o, dirfd);
      criu_local_set_log_file (o, log);
      criu_local_set_log_level (o, CRIU_LOG_WARN);
      unlinkat (dirfd, log, 0);
    }
  if (engine_call_run (&c, o, fn, &rpc_ret, &err) < 0)
    {
      *error = xstrdup (err->msg);
      cryo_error_release (&err);
      criu_local_free_opts (o);
      return false;
    }
  criu_local_free_opts (o);
  ok = rpc_ret == 0 && !c.expired;
  if (!ok)
    {
      char dl[32];
      engine_format_deadline (c.deadline_ms, dl, sizeof dl);
      /* libcriu sends no options with a CHECK request: its log is stderr. */
      *error = c.expired ? xasprintf ("criu %s timed out after %s", what, dl)
                         : engine_log_first_error (log_path);
      if (*error == NULL)
        *error = engine_text_first_error (c.output);
      if (*error == NULL)
        *error = engine_last_line (c.output);
      if (*error == NULL)
        *error = xasprintf ("criu %s failed (log: `%s`)", what, log_path);
    }
  engine_call_release (&c);
  return ok;
}

/* CRIU's own breakpoint verdict, from the log of the kdat probe it ran for
 * the cache (4.2 probes; older versions do not). */
static int
criu_hw_breakpoints (struct engine *e)
{
  cleanup_free char *path = xasprintf ("%s/kdat.log", e->cache_dir);
  cleanup_free char *text = NULL;
  cryo_error_t ignored = NULL;

  if (e->version.criu < 40200 || read_all_file (path, &text, NULL, &ignored) < 0)
    return cryo_error_release (&ignored), -1;
  if (strstr (text, "Hardware breakpoints don't seem to work")
      || strstr (text, "Hardware breakpoints appear to be disabled"))
    return 0;
  return strstr (text, "Dirty tracking support is") ? 1 : -1; /* the log shows a full probe */
}

static char *
cgroup_controllers_v1 (void)
{
  cleanup_free char *text = NULL;
  cryo_error_t ignored = NULL;
  char *save = NULL, *out = xstrdup ("");

  if (read_all_file ("/proc/cgroups", &text, NULL, &ignored) < 0)
    return cryo_error_release (&ignored), out;
  for (char *l = strtok_r (text, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      char name[64];
      int hier, num, enabled;
      if (l[0] == '#' || sscanf (l, "%63s %d %d %d", name, &hier, &num, &enabled) != 4 || hier == 0
          || !enabled)
        continue;
      char *next = xasprintf ("%s%s%s", out, out[0] ? "," : "", name);
      free (out);
      out = next;
    }
  return out;
}

static void
probe_cgroups (struct engine_report *r)
{
  cryo_error_t err = NULL;
  enum cgroup_mode mode;
  cleanup_free char *v1 = NULL;
  cleanup_free char *v2 = NULL;

  if (cgroup_mode_detect (&mode, &err) < 0)
    {
      r->cgroup_layout = xstrdup ("none");
      r->cgroup_detail = xstrdup (err->msg);
      cryo_error_release (&err);
      return;
    }
  r->cgroup_layout = xstrdup (cgroup_mode_name (mode));
  v2 = engine_read_line_at (AT_FDCWD, mode == CGROUP_MODE_V2 ? "/sys/fs/cgroup/cgroup.controllers"
                                                             : "/sys/fs/cgroup/unified/cgroup.controllers");
  if (mode == CGROUP_MODE_V2)
    r->cgroup_detail = xasprintf ("cgroup2 at /sys/fs/cgroup, controllers: %s", v2 && v2[0] ? v2 : "none");
  else
    {
      v1 = cgroup_controllers_v1 ();
      r->cgroup_detail
          = xasprintf ("v1 controllers: %s%s%s", v1[0] ? v1 : "none",
                       mode == CGROUP_MODE_HYBRID ? "; cgroup2 at /sys/fs/cgroup/unified, controllers: " : "",
                       mode == CGROUP_MODE_HYBRID ? (v2 && v2[0] ? v2 : "none") : "");
    }
}

static void
verdicts (struct engine_report *r)
{
  add_feature (r, "checkpoint/restore", r->criu_check_ok ? ENGINE_SUPPORTED : ENGINE_UNSUPPORTED,
               r->criu_check_ok ? NULL : xasprintf ("`criu check` fails: %s", r->criu_check_error));
  if (r->soft_dirty)
    add_feature (r, "pre-dump", ENGINE_SUPPORTED, NULL);
  else
    add_feature (r, "pre-dump", ENGINE_UNSUPPORTED,
                 xstrdup ("no soft-dirty memory tracking in this kernel (CONFIG_MEM_SOFT_DIRTY is not set): "
                          "pre-dump and incremental dumps cannot work"));
  if (!r->uffd_noncooperative)
    add_feature (r, "lazy-pages", ENGINE_UNSUPPORTED,
                 xstrdup (r->userfaultfd ? "userfaultfd lacks the fork/remap/unmap events lazy restore needs"
                                         : "userfaultfd is not available"));
  else if (r->pipe_max_size < ENGINE_LAZY_PIPE_SIZE)
    add_feature (r, "lazy-pages", ENGINE_NEEDS_SETUP,
                 xasprintf ("fs.pipe-max-size is %lu, CRIU's page server needs %u: run `sysctl -w "
                            "fs.pipe-max-size=%u`",
                            r->pipe_max_size, ENGINE_LAZY_PIPE_SIZE, ENGINE_LAZY_PIPE_SIZE));
  else
    add_feature (r, "lazy-pages", ENGINE_SUPPORTED, NULL);
  if (r->hw_breakpoints == 1)
    add_feature (r, "hardware-breakpoints", ENGINE_SUPPORTED, NULL);
  else
    add_feature (r, "hardware-breakpoints", ENGINE_WORKAROUND,
                 xstrdup (r->criu_fault_no_breakpoints
                              ? "they do not fire here: cryo runs CRIU with CRIU_FAULT=130"
                          : r->version.criu >= 40200 ? "they do not fire here: CRIU >= 4.2 detects it and "
                                                       "does without them"
                                                     : "they do not fire here"));
  if (r->kdat_cached && r->kdat_source)
    add_feature (r, "kdat-cache", ENGINE_SUPPORTED,
                 xasprintf ("CRIU loads its kernel probe from `%s`, bound from `%s` in a mount namespace of "
                            "its own (calls on trees outside cryo's mount namespace)",
                            r->kdat_cache, r->kdat_source));
  else if (r->kdat_cached)
    add_feature (r, "kdat-cache", ENGINE_SUPPORTED,
                 xasprintf ("CRIU loads its kernel probe from `%s`", r->kdat_cache));
  else
    add_feature (r, "kdat-cache", ENGINE_UNSUPPORTED,
                 xstrdup ("CRIU probes the kernel on every call (about 50 ms each)"));
  add_feature (r, "cgroups", strcmp (r->cgroup_layout, "none") ? ENGINE_SUPPORTED : ENGINE_UNSUPPORTED,
               xasprintf ("%s: %s", r->cgroup_layout, r->cgroup_detail));
}

int
engine_criu_check (struct engine *e, struct engine_report *r, cryo_error_t *err)
{
  struct criu_feature_check feat = { .mem_track = true, .lazy_pages = true, .pidfd_store = true };
  cleanup_free char *ferr = NULL;
  cryo_error_t verr = NULL;

  memset (r, 0, sizeof *r);
  if (engine_libcriu_load (err) < 0)
    return -1;
  r->criu_path = xstrdup (e->binary);
  r->version.libcriu = CRIU_VERSION_MAJOR * 10000 + CRIU_VERSION_MINOR * 100 + CRIU_VERSION_SUBLEVEL;
  if (mkdir_p (e->cache_dir, 0700, err) < 0)
    return -1;
  if (engine_get_version (e, &verr) < 0)
    {
      r->criu_check_error = xstrdup (verr->msg);
      cryo_error_release (&verr);
    }
  else
    {
      r->version = e->version; /* libcriu too */
      engine_kdat_ensure (e);
      r->criu_check_ok = check_call (e, "check", rpc_check, NULL, "check.log", &r->criu_check_error);
      if (!check_call (e, "feature check", rpc_features, &feat, "feature-check.log", &ferr))
        memset (&feat, 0, sizeof feat);
      r->criu_mem_track = feat.mem_track;
      r->criu_hw_breakpoints = criu_hw_breakpoints (e);
    }
  r->userfaultfd = engine_probe_userfaultfd (&r->uffd_noncooperative);
  r->soft_dirty = engine_soft_dirty (e);
  r->hw_breakpoints = engine_hw_breakpoints_cached (e->state_root, &verr);
  if (r->hw_breakpoints < 0)
    {
      log_debug ("hardware breakpoint probe: %s", verr->msg);
      cryo_error_release (&verr);
      r->hw_breakpoints = -1;
    }
  r->criu_fault_no_breakpoints = engine_needs_no_breakpoints_fault (r->version.criu, r->hw_breakpoints);
  probe_cgroups (r);
  r->pipe_max_size = engine_pipe_max_size ();
  r->kdat_cache = xstrdup (e->kdat_path);
  r->kdat_source = e->kdat_bind ? xstrdup (e->kdat_bind) : NULL;
  r->kdat_cached = e->kdat_cached;
  verdicts (r);
  return 0;
}

void
engine_report_to_json (const struct engine_report *r, json_gen_t *g)
{
  jg_open_map (g);
  jg_key (g, "criu");
  jg_open_map (g);
  jg_kv_str (g, "path", r->criu_path);
  jg_kv_str (g, "version", r->version.criu ? r->version.criu_str : NULL);
  jg_kv_int (g, "versionCode", r->version.criu);
  jg_kv_int (g, "libcriuVersionCode", r->version.libcriu);
  jg_kv_bool (g, "checkPassed", r->criu_check_ok);
  jg_kv_str (g, "checkError", r->criu_check_error);
  jg_kv_bool (g, "memTrack", r->criu_mem_track);
  jg_kv_int (g, "hardwareBreakpoints", r->criu_hw_breakpoints);
  jg_kv_bool (g, "faultNoBreakpoints", r->criu_fault_no_breakpoints);
  jg_kv_str (g, "kdatCache", r->kdat_cache);
  jg_kv_str (g, "kdatSource", r->kdat_source);
  jg_kv_bool (g, "kdatCached", r->kdat_cached);
  jg_close_map (g);
  jg_key (g, "host");
  jg_open_map (g);
  jg_kv_bool (g, "userfaultfd", r->userfaultfd);
  jg_kv_bool (g, "userfaultfdNonCooperative", r->uffd_noncooperative);
  jg_kv_bool (g, "softDirty", r->soft_dirty);
  jg_kv_int (g, "hardwareBreakpoints", r->hw_breakpoints);
  jg_kv_str (g, "cgroupLayout", r->cgroup_layout);
  jg_kv_str (g, "cgroupDetail", r->cgroup_detail);
  jg_kv_uint (g, "pipeMaxSize", r->pipe_max_size);
  jg_kv_uint (g, "pipeSizeLazyPages", ENGINE_LAZY_PIPE_SIZE);
  jg_close_map (g);
  jg_key (g, "features");
  jg_open_array (g);
  for (size_t i = 0; i < r->n_features; i++)
    {
      jg_open_map (g);
      jg_kv_str (g, "name", r->features[i].name);
      jg_kv_str (g, "verdict", engine_verdict_name (r->features[i].verdict));
      jg_kv_str (g, "reason", r->features[i].reason);
      jg_close_map (g);
    }
  jg_close_array (g);
  jg_close_map (g);
}
