/* The container's cgroup: where it goes in each hierarchy, creating it,
 * removing exactly what was created, and the JSON kept in state.json. */
#define _GNU_SOURCE
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_PREFIX "cgroup: "
#include "cgroup/internal.h"
#include "lib/log.h"
#include "lib/util.h"

#define CGROUP_STATE_VERSION 1
/* How long cgroup_destroy() retries a cgroup whose last processes are still exiting. */
#define CGROUP_RMDIR_WAIT_MS 2000

bool
cgroup_name_has (const char *name, const char *controller)
{
  size_t len = strlen (controller);

  for (const char *p = name; p && *p; p = strchr (p, ','), p = p ? p + 1 : NULL)
    if (strncmp (p, controller, len) == 0 && (p[len] == ',' || p[len] == '\0'))
      return true;
  return false;
}

struct cgroup_hier *
cgroup_hier_find (const struct cgroup_manager *cg, const char *controller)
{
  struct cgroup_hier *v2 = NULL;

  for (size_t i = 0; i < cg->n; i++)
    {
      if (strcmp (cg->h[i].name, CGROUP2_NAME) == 0)
        v2 = &cg->h[i];
      else if (*controller && cgroup_name_has (cg->h[i].name, controller))
        return &cg->h[i];
    }
  /* Controllers live in the cgroup2 tree only on a pure v2 layout. */
  if (*controller == '\0' || cg->mode == CGROUP_MODE_V2)
    return v2;
  return NULL;
}

const char *
cgroup_dir (const struct cgroup_manager *cg, const char *controller)
{
  struct cgroup_hier *h = cgroup_hier_find (cg, controller);
  return h ? h->dir : NULL;
}

const char *
cgroup_path (const struct cgroup_manager *cg)
{
  return cg->path;
}

enum cgroup_mode
cgroup_manager_mode (const struct cgroup_manager *cg)
{
  return cg->mode;
}

int
cgroup_check_path (const char *path, cryo_error_t *err)
{
  cleanup_free char *copy = xstrdup (path);
  char *save = NULL;
  bool any = false;

  for (char *t = strtok_r (copy, "/", &save); t; t = strtok_r (NULL, "/", &save))
    {
      if (strcmp (t, ".") == 0 || strcmp (t, "..") == 0)
        return cryo_error (err, 0, "linux.cgroupsPath `%s`: `%s` components are not allowed", path, t);
      any = true;
    }
  if (!any)
    return cryo_error (err, 0, "linux.cgroupsPath `%s` names no cgroup: give a path below the root", path);
  return 0;
}

static void
hier_clear (struct cgroup_hier *h)
{
  free (h->name);
  free (h->mount);
  free (h->dir);
  strv_free (h->created);
  free (h->prune);
}

void
cgroup_manager_free (struct cgroup_manager *cg)
{
  if (cg == NULL)
    return;
  for (size_t i = 0; i < cg->n; i++)
    hier_clear (&cg->h[i]);
  free (cg->h);
  free (cg->path);
  free (cg);
}

void
cleanup_cgroupp (struct cgroup_manager **cg)
{
  cgroup_manager_free (*cg);
  *cg = NULL;
}

/* "a//b/" -> "a/b" */
static char *
path_join (const char *a, const char *b)
{
  char *s = xasprintf ("%s/%s", a, b), *w = s;

  for (const char *r = s; *r; r++)
    if (!(*r == '/' && (r[1] == '/' || r[1] == '\0') && r != s))
      *w++ = *r;
  *w = '\0';
  return s;
}

/* mkdir every missing component of @rel below @base, outermost first. */
static int
hier_mkdirs (struct cgroup_hier *h, const char *base, const char *rel, bool cpuset, cryo_error_t *err)
{
  cleanup_free char *copy = xstrdup (rel);
  cleanup_free char *cur = xstrdup (base);
  char *save = NULL;

  for (char *t = strtok_r (copy, "/", &save); t; t = strtok_r (NULL, "/", &save))
    {
      char *next = path_join (cur, t);
      free (cur);
      cur = next;
      if (mkdir (cur, 0755) == 0)
        {
          if (!strv_contains (h->created, cur))
            strv_append (&h->created, cur);
        }
      else if (errno != EEXIST)
        return cryo_error (err, errno, "create cgroup `%s`", cur);
      if (cpuset && cgroup_v1_cpuset_init (cur, err) < 0)
        return -1;
    }
  return 0;
}

static int
hier_create (struct cgroup_hier *h, const struct cgroup_mount *m, const char *path, bool runtime_owned,
             cryo_error_t *err)
{
  cleanup_free char *base = NULL;
  bool cpuset = strcmp (m->name, CGROUP2_NAME) != 0 && cgroup_name_has (m->name, "cpuset");

  h->name = xstrdup (m->name);
  h->mount = xstrdup (m->mount);
  h->created = xzalloc (sizeof (char *));
  base = path[0] == '/' ? xstrdup (m->mount) : path_join (m->mount, m->own);
  h->dir = path_join (base, path);
  if (runtime_owned)
    h->prune = path_join (base, "cryo");
  /* A concurrent cgroup_destroy() may remove an empty runtime-owned parent
   * between our mkdir of it and of the leaf (ENOENT, or ENODEV while the
   * kernel is still tearing it down): start over. */
  for (int attempt = 0;; attempt++)
    {
      int ret = hier_mkdirs (h, base, path, cpuset, err);
      int status = ret < 0 ? cryo_error_status (*err) : 0;
      if (ret == 0 || (status != ENOENT && status != ENODEV) || attempt == 50)
        return ret;
      cryo_error_release (err);
    }
}

/* runc warns and goes on (two containers may share a cgroup on purpose);
 * the shared cgroup's limits and a kill --all reach both. */
static int
warn_not_empty (struct cgroup_manager *cg, cryo_error_t *err)
{
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;

  if (cgroup_pids (cg, &pids, &n, err) < 0)
    return -1;
  if (n > 0)
    log_warning ("container's cgroup is not empty: `%s` already holds %zu process%s (pid %d)", cg->path, n,
                 n == 1 ? "" : "es", pids[0]);
  return 0;
}

/* Undo a failed create without hiding its error. */
static void
create_rollback (struct cgroup_manager *cg)
{
  cleanup_error cryo_error_t e = NULL;
  if (cgroup_destroy (cg, &e) < 0)
    log_warning ("%s", e->msg);
}

int
cgroup_create_in (const struct cgroup_layout *l, const char *cgroups_path, const char *id,
                  struct cgroup_manager **out, cryo_error_t *err)
{
  cleanup_cgroup struct cgroup_manager *cg = xzalloc (sizeof (*cg));
  bool runtime_owned = cgroups_path == NULL;

  if (runtime_owned && (id == NULL || *id == '\0' || strchr (id, '/') || id[0] == '.'))
    return cryo_error (err, 0, "container id `%s` cannot name a cgroup", id ? id : "");
  cg->path = runtime_owned ? xasprintf ("/cryo/%s", id) : xstrdup (cgroups_path);
  if (cgroup_check_path (cg->path, err) < 0)
    return -1;
  cg->mode = l->mode;
  cg->h = xzalloc (l->n * sizeof (*cg->h));
  for (size_t i = 0; i < l->n; i++)
    {
      cg->n++;
      if (hier_create (&cg->h[i], &l->m[i], cg->path, runtime_owned, err) < 0)
        goto fail;
      if (cg->mode == CGROUP_MODE_V2 && cgroup_v2_enable_controllers (cg->h[i].mount, cg->h[i].dir, err) < 0)
        goto fail;
    }
  if (warn_not_empty (cg, err) < 0)
    goto fail;
  log_debug ("created cgroup `%s` (%s, %zu hierarchies)", cg->path, cgroup_mode_name (cg->mode), cg->n);
  *out = steal_pointer (&cg);
  return 0;

fail:
  create_rollback (cg);
  return -1;
}

/* systemd's cgroupsPath is "slice:prefix:name" and the cgroup is made by
 * systemd over D-Bus.  Without systemd as init there is nobody to ask; with
 * it, cryo does not drive systemd yet.  Either way: say so, do not pretend. */
static int
refuse_systemd (const char *path, cryo_error_t *err)
{
  cleanup_free char *comm = NULL;

  if (path && strchr (path, ':') == NULL)
    return cryo_error (err, 0, "--systemd-cgroup: linux.cgroupsPath `%s` must be `slice:prefix:name`", path);
  if (read_all_file ("/proc/1/comm", &comm, NULL, NULL) < 0)
    comm = xstrdup ("unknown");
  comm[strcspn (comm, "\n")] = '\0';
  if (access ("/run/systemd/system", F_OK) < 0 || strcmp (comm, "systemd") != 0)
    return cryo_error (err, 0,
                       "--systemd-cgroup: systemd is not running as init (pid 1 is `%s`); "
                       "run without --systemd-cgroup",
                       comm);
  return cryo_error (err, 0,
                     "--systemd-cgroup: creating the container's scope through systemd is not "
                     "supported by cryo; run without --systemd-cgroup");
}

int
cgroup_create (const char *cgroups_path, const char *id, bool systemd, struct cgroup_manager **out,
               cryo_error_t *err)
{
  struct cgroup_layout l;
  int ret;

  if (systemd)
    return refuse_systemd (cgroups_path, err);
  if (cgroup_layout_read (&l, err) < 0)
    return -1;
  ret = cgroup_create_in (&l, cgroups_path, id, out, err);
  cgroup_layout_clear (&l);
  return ret;
}

/* rmdir @dir and the cgroups the container made below it, deepest first;
 * retried while the last processes are still exiting (EBUSY). */
static int
remove_tree (const char *dir, cryo_error_t *err)
{
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;
  uint64_t deadline = now_ns () + CGROUP_RMDIR_WAIT_MS * 1000000ULL;

  if (d == NULL)
    return errno == ENOENT ? 0 : cryo_error (err, errno, "open cgroup `%s`", dir);
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *sub = NULL;
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      sub = xasprintf ("%s/%s", dir, de->d_name);
      if (remove_tree (sub, err) < 0)
        return -1;
    }
  while (rmdir (dir) < 0)
    {
      if (errno == ENOENT)
        return 0;
      if (errno != EBUSY || now_ns () > deadline)
        return cryo_error (err, errno, "remove cgroup `%s`%s", dir,
                           errno == EBUSY ? " (processes are still in it: kill them first)" : "");
      cg_sleep_ms (10);
    }
  return 0;
}

static int
hier_destroy (struct cgroup_hier *h, cryo_error_t *err)
{
  size_t n = strv_len (h->created);

  for (size_t i = n; i > 0; i--)
    {
      const char *dir = h->created[i - 1];
      if (strcmp (dir, h->dir) == 0)
        {
          if (remove_tree (dir, err) < 0)
            return -1;
        }
      /* A parent may have gained other children since: leave it. */
      else if (rmdir (dir) < 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EBUSY)
        return cryo_error (err, errno, "remove cgroup `%s`", dir);
    }
  if (h->prune && rmdir (h->prune) < 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EBUSY)
    return cryo_error (err, errno, "remove cgroup `%s`", h->prune);
  return 0;
}

int
cgroup_destroy (struct cgroup_manager *cg, cryo_error_t *err)
{
  cleanup_error cryo_error_t first = NULL;
  int ret;

  /* Go on after a failure: leave as little behind as possible. */
  for (size_t i = 0; i < cg->n; i++)
    {
      cleanup_error cryo_error_t e = NULL;
      if (hier_destroy (&cg->h[i], &e) < 0 && first == NULL)
        first = cryo_error_steal (&e);
    }
  if (first == NULL)
    return 0;
  ret = -cryo_error_status (first) - 1;
  if (err)
    {
      cryo_error_release (err);
      *err = steal_pointer (&first);
    }
  return ret;
}

char *
cgroup_serialize (const struct cgroup_manager *cg)
{
  cleanup_json_gen json_gen_t *g = json_gen_new (false);
  char *out = NULL;

  jg_open_map (g);
  jg_kv_int (g, "version", CGROUP_STATE_VERSION);
  jg_kv_str (g, "mode", cgroup_mode_name (cg->mode));
  jg_kv_str (g, "path", cg->path);
  jg_key (g, "hierarchies");
  jg_open_array (g);
  for (size_t i = 0; i < cg->n; i++)
    {
      jg_open_map (g);
      jg_kv_str (g, "name", cg->h[i].name);
      jg_kv_str (g, "mount", cg->h[i].mount);
      jg_kv_str (g, "dir", cg->h[i].dir);
      jg_kv_strv (g, "created", cg->h[i].created);
      jg_kv_str (g, "prune", cg->h[i].prune);
      jg_close_map (g);
    }
  jg_close_array (g);
  jg_close_map (g);
  if (json_gen_finish (g, &out, NULL, NULL) < 0)
    oom (); /* only a bug in the generator calls can get here */
  return out;
}

static int
load_str (json_value_t *obj, const char *key, bool nullable, char **out, cryo_error_t *err)
{
  json_value_t *v = json_get (obj, key);

  if (nullable && (v == NULL || json_is_null (v)))
    return 0;
  if (!json_is_string (v) || (!nullable && *json_string (v) == '\0' && strcmp (key, "name") != 0))
    return cryo_error (err, 0, "cgroup state: `%s` must be a string", key);
  *out = xstrdup (json_string (v));
  return 0;
}

static int
load_hier (json_value_t *v, struct cgroup_hier *h, cryo_error_t *err)
{
  json_value_t *created = json_get (v, "created");

  if (!json_is_object (v) || !json_is_array (created))
    return cryo_error (err, 0, "cgroup state: each hierarchy must be an object with a `created` array");
  if (load_str (v, "name", false, &h->name, err) < 0 || load_str (v, "mount", false, &h->mount, err) < 0
      || load_str (v, "dir", false, &h->dir, err) < 0 || load_str (v, "prune", true, &h->prune, err) < 0)
    return -1;
  h->created = xzalloc (sizeof (char *));
  for (size_t i = 0; i < json_len (created); i++)
    {
      const char *s = json_string (json_at (created, i));
      if (s == NULL || s[0] != '/')
        return cryo_error (err, 0, "cgroup state: `created` must hold absolute paths");
      strv_append (&h->created, s);
    }
  if (h->dir[0] != '/' || h->mount[0] != '/')
    return cryo_error (err, 0, "cgroup state: `dir` and `mount` must be absolute paths");
  return 0;
}

static int
load_mode (json_value_t *root, enum cgroup_mode *mode, cryo_error_t *err)
{
  const char *m = json_string (json_get (root, "mode"));

  if (json_integer (json_get (root, "version")) != CGROUP_STATE_VERSION)
    return cryo_error (err, 0, "cgroup state: unsupported version (expected %d)", CGROUP_STATE_VERSION);
  for (int i = CGROUP_MODE_V1; i <= CGROUP_MODE_V2; i++)
    if (m && strcmp (m, cgroup_mode_name (i)) == 0)
      {
        *mode = i;
        return 0;
      }
  return cryo_error (err, 0, "cgroup state: unknown mode `%s`", m ? m : "(missing)");
}

int
cgroup_load (const char *serialized, struct cgroup_manager **out, cryo_error_t *err)
{
  cleanup_json json_value_t *root = NULL;
  cleanup_cgroup struct cgroup_manager *cg = xzalloc (sizeof (*cg));
  json_value_t *hs;

  if (serialized == NULL)
    return cryo_error (err, 0, "cgroup state: missing");
  if (json_parse (serialized, &root, err) < 0)
    return cryo_error_wrap (err, "cgroup state");
  hs = json_get (root, "hierarchies");
  if (load_mode (root, &cg->mode, err) < 0 || load_str (root, "path", false, &cg->path, err) < 0)
    return -1;
  if (!json_is_array (hs) || json_len (hs) == 0)
    return cryo_error (err, 0, "cgroup state: `hierarchies` must be a non-empty array");
  cg->h = xzalloc (json_len (hs) * sizeof (*cg->h));
  for (size_t i = 0; i < json_len (hs); i++)
    {
      cg->n++;
      if (load_hier (json_at (hs, i), &cg->h[i], err) < 0)
        return -1;
    }
  *out = steal_pointer (&cg);
  return 0;
}
