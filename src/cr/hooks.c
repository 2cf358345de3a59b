/* cryo's checkpoint/restore hooks: programs named by config.json
 * annotations "org.cryo.hooks.pre-dump", "...post-dump", "...pre-restore",
 * "...post-restore".  The value is an absolute path, or a JSON array of OCI
 * hook objects.  They run through the OCI hooks runner (src/container/hooks.c), with
 * the state on stdin, a timeout and their output captured. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#define LOG_PREFIX "hooks: "
#include "cr/internal.h"
#include "container/hooks.h"
#include "lib/log.h"
#include "lib/util.h"

extern char **environ;

/* Without a timeout of its own, a hook may take this long. */
#define CR_HOOK_DEFAULT_TIMEOUT 60

static const char *const kind_names[CR_HOOK_MAX] = {
  [CR_HOOK_PRE_DUMP] = "pre-dump",
  [CR_HOOK_POST_DUMP] = "post-dump",
  [CR_HOOK_PRE_RESTORE] = "pre-restore",
  [CR_HOOK_POST_RESTORE] = "post-restore",
};

struct hook_list
{
  struct spec_hook *hooks;
  size_t n;
};

static void
hook_list_clear (struct hook_list *l)
{
  for (size_t i = 0; i < l->n; i++)
    {
      free (l->hooks[i].path);
      strv_free (l->hooks[i].args);
      strv_free (l->hooks[i].env);
    }
  free (l->hooks);
  l->hooks = NULL;
  l->n = 0;
}
#define cleanup_hook_list __attribute__ ((cleanup (hook_list_clear)))

static char **
strv_from_json (json_value_t *v)
{
  char **out = xzalloc (sizeof (char *));

  for (size_t i = 0; i < json_len (v); i++)
    if (json_is_string (json_at (v, i)))
      strv_append (&out, json_string (json_at (v, i)));
  return out;
}

static int
add_hook (struct hook_list *l, const char *path, json_value_t *obj, const char *what, cryo_error_t *err)
{
  struct spec_hook *h;
  json_value_t *timeout = json_get (obj, "timeout");

  if (path == NULL || path[0] != '/')
    return cryo_error (err, 0, "%s: the hook needs an absolute `path`", what);
  if ((json_get (obj, "args") && !json_is_array (json_get (obj, "args")))
      || (json_get (obj, "env") && !json_is_array (json_get (obj, "env")))
      || (timeout && (!json_is_integer (timeout) || json_integer (timeout) <= 0)))
    return cryo_error (err, 0, "%s: `args` and `env` must be arrays, `timeout` a positive integer", what);
  l->hooks = xreallocarray (l->hooks, l->n + 1, sizeof *l->hooks);
  h = &l->hooks[l->n++];
  memset (h, 0, sizeof *h);
  h->path = xstrdup (path);
  h->args = json_get (obj, "args") ? strv_from_json (json_get (obj, "args")) : NULL;
  h->env = json_get (obj, "env") ? strv_from_json (json_get (obj, "env")) : NULL;
  h->timeout = timeout ? (int)json_integer (timeout) : CR_HOOK_DEFAULT_TIMEOUT;
  return 0;
}

static int
parse_hooks (const struct spec *spec, enum cr_hook_kind kind, struct hook_list *l, cryo_error_t *err)
{
  cleanup_free char *key = xasprintf ("org.cryo.hooks.%s", kind_names[kind]);
  const char *v = spec_annotation (spec, key);
  cleanup_json json_value_t *tree = NULL;

  if (v == NULL)
    return 0;
  if (v[0] != '[' && v[0] != '{')
    return add_hook (l, v, NULL, key, err);
  if (json_parse (v, &tree, err) < 0)
    return cryo_error_wrap (err, "annotation %s", key);
  if (json_is_object (tree))
    return add_hook (l, json_string (json_get (tree, "path")), tree, key, err);
  for (size_t i = 0; i < json_len (tree); i++)
    {
      json_value_t *h = json_at (tree, i);
      if (!json_is_object (h) || add_hook (l, json_string (json_get (h, "path")), h, key, err) < 0)
        return cryo_error (err, 0,
                           "annotation %s: element %zu must be a hook object with an absolute "
                           "`path`",
                           key, i);
    }
  return 0;
}

int
cr_hooks_validate (const struct spec *spec, cryo_error_t *err)
{
  for (int k = 0; k < CR_HOOK_MAX; k++)
    {
      cleanup_hook_list struct hook_list l = { NULL, 0 };
      if (parse_hooks (spec, k, &l, err) < 0)
        return -1;
    }
  return 0;
}

static char **
hook_env (const struct spec_hook *h, enum cr_hook_kind kind, const struct cr_hook_env *e)
{
  char **env = strv_dup (h->env ? h->env : environ);
  cleanup_free char *k = xasprintf ("CRYO_HOOK=%s", kind_names[kind]);
  cleanup_free char *img = xasprintf ("CRYO_IMAGE_PATH=%s", e->image_path ? e->image_path : "");
  cleanup_free char *id = xasprintf ("CRYO_CONTAINER_ID=%s", e->id);
  cleanup_free char *pid = xasprintf ("CRYO_PID=%d", (int)e->pid);

  strv_append (&env, k);
  strv_append (&env, img);
  strv_append (&env, id);
  if (e->pid > 0)
    strv_append (&env, pid);
  return env;
}

int
cr_hooks_run (const struct spec *spec, enum cr_hook_kind kind, const char *state_json,
              const struct cr_hook_env *e, cryo_error_t *err)
{
  cleanup_hook_list struct hook_list l = { NULL, 0 };

  if (parse_hooks (spec, kind, &l, err) < 0)
    return -1;
  for (size_t i = 0; i < l.n; i++)
    {
      struct spec_hook h = l.hooks[i];
      cleanup_strv char **env = hook_env (&l.hooks[i], kind, e);
      h.env = env;
      if (hook_run (&h, kind_names[kind], state_json, err) < 0)
        return -1;
    }
  return 0;
}
