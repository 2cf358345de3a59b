/* The declared externals of a checkpoint (see cr-internal.h) and their
 * JSON form, externals.json in the image:
 *
 *   { "version": 1,
 *     "mounts": [ { "kind": "tmpfs", "destination": "/dev", "key": "cryo-tmpfs-0",
 *                   "data": "size=65536k,mode=755" }, ... ],
 *     "stdio": [ { "fd": 0, "kind": "file", "key": "file[17:3]", "path": "/dev/null" }, ... ],
 *     "netns": true, "empty_netns": false, "terminal": false } */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "cr/internal.h"
#include "lib/util.h"

#define EXTERNALS_VERSION 1

const char *const cr_ext_kind_names[CR_EXT_MAX] = {
  [CR_EXT_BIND] = "bind",           [CR_EXT_TMPFS] = "tmpfs",   [CR_EXT_MASK_DIR] = "mask-dir",
  [CR_EXT_MASK_FILE] = "mask-file", [CR_EXT_CGROUP] = "cgroup",
};

static void
mount_clear (struct cr_mount *m)
{
  free (m->destination);
  free (m->key);
  free (m->source);
  free (m->data);
  free (m->options);
}

void
cr_externals_clear (struct cr_externals *x)
{
  for (size_t i = 0; i < x->n_mounts; i++)
    mount_clear (&x->mounts[i]);
  free (x->mounts);
  for (size_t i = 0; i < ARRAY_SIZE (x->stdio); i++)
    {
      free (x->stdio[i].kind);
      free (x->stdio[i].key);
      free (x->stdio[i].path);
    }
  memset (x, 0, sizeof *x);
}

struct cr_mount *
cr_externals_add_mount (struct cr_externals *x, enum cr_ext_kind kind, const char *destination)
{
  struct cr_mount *m;

  x->mounts = xreallocarray (x->mounts, x->n_mounts + 1, sizeof *x->mounts);
  m = &x->mounts[x->n_mounts];
  memset (m, 0, sizeof *m);
  m->kind = kind;
  m->destination = xstrdup (destination);
  m->key = xasprintf ("cryo-%s-%zu", cr_ext_kind_names[kind], x->n_mounts);
  x->n_mounts++;
  return m;
}

const struct cr_mount *
cr_externals_find (const struct cr_externals *x, const char *destination)
{
  for (size_t i = 0; i < x->n_mounts; i++)
    if (strcmp (x->mounts[i].destination, destination) == 0)
      return &x->mounts[i];
  return NULL;
}

unsigned long
cr_mount_flags (const char *options)
{
  static const struct
  {
    const char *name;
    unsigned long flag;
  } table[] = {
    { "ro", MS_RDONLY },         { "nosuid", MS_NOSUID },           { "nodev", MS_NODEV },
    { "noexec", MS_NOEXEC },     { "noatime", MS_NOATIME },         { "nodiratime", MS_NODIRATIME },
    { "relatime", MS_RELATIME }, { "strictatime", MS_STRICTATIME },
  };
  cleanup_free char *copy = xstrdup (options ? options : "");
  unsigned long flags = 0;
  char *save = NULL;

  for (char *t = strtok_r (copy, ",", &save); t; t = strtok_r (NULL, ",", &save))
    for (size_t i = 0; i < ARRAY_SIZE (table); i++)
      if (strcmp (t, table[i].name) == 0)
        flags |= table[i].flag;
  return flags;
}

int
cr_externals_to_json (const struct cr_externals *x, json_gen_t *gen, cryo_error_t *err UNUSED)
{
  jg_open_map (gen);
  jg_kv_int (gen, "version", EXTERNALS_VERSION);
  jg_key (gen, "mounts");
  jg_open_array (gen);
  for (size_t i = 0; i < x->n_mounts; i++)
    {
      const struct cr_mount *m = &x->mounts[i];
      jg_open_map (gen);
      jg_kv_str (gen, "kind", cr_ext_kind_names[m->kind]);
      jg_kv_str (gen, "destination", m->destination);
      jg_kv_str (gen, "key", m->key);
      if (m->source)
        jg_kv_str (gen, "source", m->source);
      if (m->data)
        jg_kv_str (gen, "data", m->data);
      if (m->options)
        jg_kv_str (gen, "options", m->options);
      jg_close_map (gen);
    }
  jg_close_array (gen);
  jg_key (gen, "stdio");
  jg_open_array (gen);
  for (size_t i = 0; i < ARRAY_SIZE (x->stdio); i++)
    {
      const struct cr_stdio *s = &x->stdio[i];
      if (s->kind == NULL)
        continue;
      jg_open_map (gen);
      jg_kv_int (gen, "fd", s->fd);
      jg_kv_str (gen, "kind", s->kind);
      jg_kv_str (gen, "key", s->key);
      jg_kv_str (gen, "path", s->path);
      if (s->type)
        {
          char t[2] = { s->type, '\0' };
          jg_kv_str (gen, "type", t);
        }
      jg_close_map (gen);
    }
  jg_close_array (gen);
  jg_kv_bool (gen, "netns", x->netns);
  jg_kv_bool (gen, "empty_netns", x->empty_netns);
  jg_kv_bool (gen, "terminal", x->terminal);
  jg_close_map (gen);
  return 0;
}

static const char *
opt_str (json_value_t *obj, const char *key)
{
  return json_string (json_get (obj, key));
}

static int
mount_from_json (json_value_t *v, size_t i, struct cr_externals *x, cryo_error_t *err)
{
  const char *kind = opt_str (v, "kind"), *dst = opt_str (v, "destination"), *key = opt_str (v, "key");
  struct cr_mount *m;
  int k;

  if (kind == NULL || dst == NULL || dst[0] != '/' || key == NULL || strpbrk (key, "[]:") || *key == '\0')
    return cryo_error (err, 0, "mounts[%zu]: needs kind, an absolute destination and a key", i);
  for (k = 0; k < CR_EXT_MAX && strcmp (cr_ext_kind_names[k], kind) != 0; k++)
    ;
  if (k == CR_EXT_MAX)
    return cryo_error (err, 0, "mounts[%zu]: unknown kind `%s`", i, kind);
  m = cr_externals_add_mount (x, k, dst);
  free (m->key);
  m->key = xstrdup (key);
  m->source = xstrdup (opt_str (v, "source"));
  m->data = xstrdup (opt_str (v, "data"));
  m->options = xstrdup (opt_str (v, "options"));
  if (k == CR_EXT_CGROUP && m->source == NULL)
    return cryo_error (err, 0, "mounts[%zu]: a cgroup mount needs its controller in `source`", i);
  return 0;
}

static int
stdio_from_json (json_value_t *v, size_t i, struct cr_externals *x, cryo_error_t *err)
{
  json_value_t *fd = json_get (v, "fd");
  struct cr_stdio *s;

  if (!json_is_integer (fd) || json_integer (fd) < 0 || json_integer (fd) > 2 || opt_str (v, "kind") == NULL)
    return cryo_error (err, 0, "stdio[%zu]: needs fd (0-2) and kind", i);
  s = &x->stdio[json_integer (fd)];
  free (s->kind);
  free (s->key);
  free (s->path);
  s->fd = (int)json_integer (fd);
  s->kind = xstrdup (opt_str (v, "kind"));
  s->key = xstrdup (opt_str (v, "key"));
  s->path = xstrdup (opt_str (v, "path"));
  s->type = opt_str (v, "type") ? opt_str (v, "type")[0] : 0;
  return 0;
}

int
cr_externals_from_json (json_value_t *v, struct cr_externals *x, cryo_error_t *err)
{
  json_value_t *mounts = json_get (v, "mounts"), *stdio = json_get (v, "stdio");

  memset (x, 0, sizeof *x);
  if (!json_is_object (v) || json_integer (json_get (v, "version")) != EXTERNALS_VERSION)
    return cryo_error (err, 0, "%s: not version %d", CR_FILE_EXTERNALS, EXTERNALS_VERSION);
  if (!json_is_array (mounts) || !json_is_array (stdio))
    return cryo_error (err, 0, "%s: `mounts` and `stdio` must be arrays", CR_FILE_EXTERNALS);
  for (size_t i = 0; i < json_len (mounts); i++)
    if (mount_from_json (json_at (mounts, i), i, x, err) < 0)
      return cryo_error_wrap (err, "%s", CR_FILE_EXTERNALS);
  for (size_t i = 0; i < json_len (stdio); i++)
    if (stdio_from_json (json_at (stdio, i), i, x, err) < 0)
      return cryo_error_wrap (err, "%s", CR_FILE_EXTERNALS);
  x->netns = json_bool (json_get (v, "netns"));
  x->empty_netns = json_bool (json_get (v, "empty_netns"));
  x->terminal = json_bool (json_get (v, "terminal"));
  return 0;
}
