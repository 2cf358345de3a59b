/* Where the cgroup hierarchies are: /proc/self/cgroup names the hierarchies
 * cryo is in (and its cgroup in each), /proc/self/mountinfo where each is
 * mounted.  Nothing here assumes /sys/fs/cgroup/<controller>: "cpu,cpuacct"
 * co-mounts, named hierarchies and a cgroup2 tree anywhere all work. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PREFIX "cgroup: "
#include "cgroup/internal.h"
#include "lib/log.h"
#include "lib/util.h"

/* One cgroup mount from mountinfo. */
struct mi_entry
{
  char *mount;
  char *root;
  char **opts; /* super options: "rw", "cpu", "name=systemd", ... */
  bool v2;
};

static void
mi_free (struct mi_entry *e, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (e[i].mount);
      free (e[i].root);
      strv_free (e[i].opts);
    }
  free (e);
}

static char **
split (const char *s, const char *sep)
{
  cleanup_free char *copy = xstrdup (s);
  char **v = xzalloc (sizeof (char *));
  char *save = NULL;

  for (char *t = strtok_r (copy, sep, &save); t; t = strtok_r (NULL, sep, &save))
    strv_append (&v, t);
  return v;
}

/* A mountinfo line: "id parent maj:min root mountpoint opts [tags] - fstype source superopts". */
static bool
mi_parse_line (char *line, struct mi_entry *e)
{
  char *f[6], *save = NULL, *dash, *fstype, *superopts;
  int i;

  dash = strstr (line, " - ");
  if (dash == NULL)
    return false;
  *dash = '\0';
  fstype = strtok_r (dash + 3, " ", &save);
  strtok_r (NULL, " ", &save); /* source */
  superopts = strtok_r (NULL, " \n", &save);
  if (fstype == NULL || superopts == NULL)
    return false;
  if (strcmp (fstype, "cgroup") != 0 && strcmp (fstype, "cgroup2") != 0)
    return false;
  save = NULL;
  for (i = 0; i < 6; i++)
    if ((f[i] = strtok_r (i ? NULL : line, " ", &save)) == NULL)
      return false;
  e->root = xstrdup (f[3]);
  e->mount = xstrdup (f[4]);
  e->opts = split (superopts, ",");
  e->v2 = strcmp (fstype, "cgroup2") == 0;
  return true;
}

static int
mi_read (struct mi_entry **out, size_t *n, cryo_error_t *err)
{
  cleanup_file FILE *f = fopen ("/proc/self/mountinfo", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;
  struct mi_entry e;

  if (f == NULL)
    return cryo_error (err, errno, "open `/proc/self/mountinfo`");
  *out = NULL;
  *n = 0;
  while (getline (&line, &cap, f) > 0)
    {
      memset (&e, 0, sizeof (e));
      if (!mi_parse_line (line, &e))
        continue;
      *out = xreallocarray (*out, *n + 1, sizeof (e));
      (*out)[(*n)++] = e;
    }
  return 0;
}

/* The first mount of the hierarchy whose controllers are @ctrls (v1), or the
 * first cgroup2 mount (@ctrls NULL).  A hierarchy may be mounted several
 * times; the first mount is the canonical one. */
static struct mi_entry *
mi_find (struct mi_entry *e, size_t n, char **ctrls)
{
  for (size_t i = 0; i < n; i++)
    {
      bool all = true;
      if (ctrls == NULL)
        {
          if (e[i].v2)
            return &e[i];
          continue;
        }
      if (e[i].v2)
        continue;
      for (char **c = ctrls; *c && all; c++)
        all = strv_contains (e[i].opts, *c);
      if (all)
        return &e[i];
    }
  return NULL;
}

/* cryo's cgroup relative to the mount's root: a mount of a sub-tree (inside
 * a container) shows only what is below its root. */
static char *
own_below_root (const char *own, const char *root)
{
  size_t len = strlen (root);

  if (strcmp (root, "/") == 0)
    return xstrdup (own);
  if (strncmp (own, root, len) == 0 && (own[len] == '/' || own[len] == '\0'))
    return xstrdup (own[len] ? own + len : "/");
  return xstrdup ("/");
}

static void
layout_add (struct cgroup_layout *l, const char *name, const char *mount, const char *own)
{
  l->m = xreallocarray (l->m, l->n + 1, sizeof (*l->m));
  l->m[l->n].name = xstrdup (name);
  l->m[l->n].mount = xstrdup (mount);
  l->m[l->n].own = xstrdup (own);
  l->n++;
}

/* One /proc/self/cgroup line: "id:controllers:path". */
static void
layout_add_line (struct cgroup_layout *l, char *line, struct mi_entry *mi, size_t n_mi, bool *has_v1,
                 bool *has_v2)
{
  char *c1 = strchr (line, ':'), *c2, *path;
  cleanup_strv char **ctrls = NULL;
  cleanup_free char *own = NULL;
  struct mi_entry *m;

  if (c1 == NULL || (c2 = strchr (c1 + 1, ':')) == NULL)
    return;
  *c2 = '\0';
  path = c2 + 1;
  path[strcspn (path, "\n")] = '\0';
  if (c1[1] == '\0')
    m = mi_find (mi, n_mi, NULL);
  else
    m = mi_find (mi, n_mi, ctrls = split (c1 + 1, ","));
  if (m == NULL)
    {
      log_debug ("hierarchy `%s` is not mounted: skipped", c1 + 1);
      return;
    }
  own = own_below_root (path, m->root);
  layout_add (l, c1[1] ? c1 + 1 : CGROUP2_NAME, m->mount, own);
  if (c1[1])
    *has_v1 = true;
  else
    *has_v2 = true;
}

int
cgroup_layout_read (struct cgroup_layout *l, cryo_error_t *err)
{
  cleanup_file FILE *f = NULL;
  cleanup_free char *line = NULL;
  struct mi_entry *mi = NULL;
  size_t n_mi = 0, cap = 0;
  bool has_v1 = false, has_v2 = false;

  memset (l, 0, sizeof (*l));
  if (mi_read (&mi, &n_mi, err) < 0)
    return -1;
  f = fopen ("/proc/self/cgroup", "re");
  if (f == NULL)
    {
      mi_free (mi, n_mi);
      return cryo_error (err, errno, "open `/proc/self/cgroup`");
    }
  while (getline (&line, &cap, f) > 0)
    layout_add_line (l, line, mi, n_mi, &has_v1, &has_v2);
  mi_free (mi, n_mi);
  if (!has_v1 && !has_v2)
    return cryo_error (err, 0, "no cgroup filesystem is mounted (see /proc/self/mountinfo)");
  l->mode = has_v1 ? (has_v2 ? CGROUP_MODE_HYBRID : CGROUP_MODE_V1) : CGROUP_MODE_V2;
  return 0;
}

void
cgroup_layout_clear (struct cgroup_layout *l)
{
  for (size_t i = 0; i < l->n; i++)
    {
      free (l->m[i].name);
      free (l->m[i].mount);
      free (l->m[i].own);
    }
  free (l->m);
  l->m = NULL;
  l->n = 0;
}

int
cgroup_layout_restrict (struct cgroup_layout *l, enum cgroup_mode mode, cryo_error_t *err)
{
  size_t j = 0;

  if (mode == l->mode)
    return 0;
  if (l->mode != CGROUP_MODE_HYBRID || mode == CGROUP_MODE_HYBRID)
    return cryo_error (err, 0, "cannot use cgroup %s on a %s layout", cgroup_mode_name (mode),
                       cgroup_mode_name (l->mode));
  for (size_t i = 0; i < l->n; i++)
    {
      bool v2 = strcmp (l->m[i].name, CGROUP2_NAME) == 0;
      if (v2 == (mode == CGROUP_MODE_V2))
        {
          l->m[j++] = l->m[i];
          continue;
        }
      free (l->m[i].name);
      free (l->m[i].mount);
      free (l->m[i].own);
    }
  l->n = j;
  l->mode = mode;
  if (j == 0)
    return cryo_error (err, 0, "no cgroup %s hierarchy is mounted", cgroup_mode_name (mode));
  return 0;
}

int
cgroup_mode_detect (enum cgroup_mode *mode, cryo_error_t *err)
{
  struct cgroup_layout l;

  if (cgroup_layout_read (&l, err) < 0)
    return -1;
  *mode = l.mode;
  cgroup_layout_clear (&l);
  return 0;
}

const char *
cgroup_mode_name (enum cgroup_mode mode)
{
  static const char *const names[] = {
    [CGROUP_MODE_V1] = "v1",
    [CGROUP_MODE_HYBRID] = "hybrid",
    [CGROUP_MODE_V2] = "v2",
  };
  return (unsigned)mode < ARRAY_SIZE (names) ? names[mode] : "unknown";
}
