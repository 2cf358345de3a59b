/* config.json `process`: what to run, as whom, with which limits.  Also the
 * parser of `exec --process FILE`, which holds the same object alone. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "spec/parse.h"
#include "lib/util.h"

static const struct
{
  const char *name;
  int resource;
} rlimit_table[] = {
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_STACK", RLIMIT_STACK },
};

static const char *const cap_set_keys[CAP_SET_MAX] = {
  [CAP_SET_BOUNDING] = "bounding",   [CAP_SET_EFFECTIVE] = "effective",
  [CAP_SET_INHERITABLE] = "inheritable", [CAP_SET_PERMITTED] = "permitted",
  [CAP_SET_AMBIENT] = "ambient",
};

static int
rlimit_from_name (const char *name)
{
  for (size_t i = 0; i < ARRAY_SIZE (rlimit_table); i++)
    if (strcmp (rlimit_table[i].name, name) == 0)
      return rlimit_table[i].resource;
  return -1;
}

static int
parse_user (json_value_t *proc, const char *field, struct spec_user *u, cryo_error_t *err)
{
  cleanup_free char *path = sp_path (field, "user");
  json_value_t *obj, *gids;
  uint64_t v;

  if (sp_object (proc, field, "user", &obj, err) < 0)
    return -1;
  if (obj == NULL)
    return 0; /* root, as runc reads a missing user */
  v = 0;
  if (sp_uint_max (obj, path, "uid", false, UINT32_MAX, &v, err) < 0)
    return -1;
  u->uid = v;
  v = 0;
  if (sp_uint_max (obj, path, "gid", false, UINT32_MAX, &v, err) < 0)
    return -1;
  u->gid = v;
  if (sp_u64 (obj, path, "umask", &u->umask, err) < 0)
    return -1;
  if (u->umask.set && u->umask.value > 07777)
    return sp_error (err, path, "umask", "%" PRIu64 " is not a file mode (at most 0o7777 = 4095)",
                     u->umask.value);
  if (sp_string (obj, path, "username", false, &u->username, err) < 0
      || sp_array (obj, path, "additionalGids", &gids, err) < 0)
    return -1;
  if (gids == NULL)
    return 0;
  u->n_additional_gids = json_len (gids);
  u->additional_gids = xzalloc ((u->n_additional_gids + 1) * sizeof (gid_t));
  for (size_t i = 0; i < u->n_additional_gids; i++)
    {
      json_value_t *e = json_at (gids, i);
      cleanup_free char *p = sp_path (path, "additionalGids");
      cleanup_free char *elem = sp_index (p, i);
      if (!json_is_integer (e) || json_integer_is_unsigned_only (e) || json_integer (e) < 0
          || json_integer (e) > UINT32_MAX)
        return sp_int_type_error (err, elem, NULL, "a group id (0..4294967295)", e);
      u->additional_gids[i] = json_integer (e);
    }
  return 0;
}

static int
parse_args_env (json_value_t *proc, const char *field, struct spec_process *p, cryo_error_t *err)
{
  json_value_t *args = sp_member (proc, "args");

  if (args == NULL || (json_is_array (args) && json_len (args) == 0))
    return sp_error (err, field, "args", "must be a non-empty array of strings");
  if (!json_is_array (args))
    return sp_error (err, field, "args", "must be a non-empty array of strings, found %s",
                     json_type_name (args));
  if (sp_strv (proc, field, "args", &p->args, err) < 0 || sp_strv (proc, field, "env", &p->env, err) < 0)
    return -1;
  if (p->env == NULL)
    p->env = xzalloc (sizeof (char *));
  for (size_t i = 0; p->env[i]; i++)
    {
      const char *eq = strchr (p->env[i], '=');
      if (eq == NULL || eq == p->env[i])
        {
          cleanup_free char *path = sp_path (field, "env");
          cleanup_free char *elem = sp_index (path, i);
          return sp_error (err, elem, NULL, "`%s` is not of the form KEY=value", p->env[i]);
        }
    }
  return 0;
}

static int
parse_capabilities (json_value_t *proc, const char *field, struct spec_process *p, cryo_error_t *err)
{
  cleanup_free char *path = sp_path (field, "capabilities");
  json_value_t *obj;

  if (sp_object (proc, field, "capabilities", &obj, err) < 0)
    return -1;
  if (obj == NULL)
    return 0;
  p->capabilities = xzalloc (sizeof (*p->capabilities));
  for (int s = 0; s < CAP_SET_MAX; s++)
    if (sp_strv (obj, path, cap_set_keys[s], &p->capabilities->sets[s], err) < 0)
      return -1;
  return 0;
}

static int
parse_one_rlimit (json_value_t *e, const char *elem, struct spec_rlimit *r, cryo_error_t *err)
{
  if (!json_is_object (e))
    return sp_type_error (err, elem, NULL, "an object", e);
  if (sp_string (e, elem, "type", true, &r->type, err) < 0)
    return -1;
  r->resource = rlimit_from_name (r->type);
  if (r->resource < 0)
    return sp_error (err, elem, "type", "unknown rlimit `%s` (expected RLIMIT_NOFILE, RLIMIT_NPROC, ...)",
                     r->type);
  if (sp_uint_max (e, elem, "soft", true, UINT64_MAX, &r->soft, err) < 0
      || sp_uint_max (e, elem, "hard", true, UINT64_MAX, &r->hard, err) < 0)
    return -1;
  if (r->soft > r->hard)
    return sp_error (err, elem, NULL, "%s: soft limit %" PRIu64 " is above the hard limit %" PRIu64, r->type,
                     r->soft, r->hard);
  return 0;
}

static int
parse_rlimits (json_value_t *proc, const char *field, struct spec_process *p, cryo_error_t *err)
{
  cleanup_free char *path = sp_path (field, "rlimits");
  json_value_t *arr;

  if (sp_array (proc, field, "rlimits", &arr, err) < 0)
    return -1;
  if (arr == NULL)
    return 0;
  p->rlimits = xzalloc ((json_len (arr) + 1) * sizeof (*p->rlimits));
  for (size_t i = 0; i < json_len (arr); i++)
    {
      cleanup_free char *elem = sp_index (path, i);
      struct spec_rlimit *r = &p->rlimits[i];

      p->n_rlimits = i + 1; /* so that spec_process_free sees r->type */
      if (parse_one_rlimit (json_at (arr, i), elem, r, err) < 0)
        return -1;
      for (size_t j = 0; j < i; j++)
        if (p->rlimits[j].resource == r->resource)
          return sp_error (err, elem, "type", "duplicate rlimit `%s` (also at %s[%zu])", r->type, path, j);
    }
  return 0;
}

static int
parse_process_scalars (json_value_t *proc, const char *field, struct spec_process *p, cryo_error_t *err)
{
  cleanup_free char *path = sp_path (field, "consoleSize");
  json_value_t *console;
  uint64_t v;

  if (sp_bool (proc, field, "terminal", &p->terminal, err) < 0
      || sp_bool (proc, field, "noNewPrivileges", &p->no_new_privileges, err) < 0
      || sp_string (proc, field, "apparmorProfile", false, &p->apparmor_profile, err) < 0
      || sp_string (proc, field, "selinuxLabel", false, &p->selinux_label, err) < 0
      || sp_i64 (proc, field, "oomScoreAdj", &p->oom_score_adj, err) < 0
      || sp_object (proc, field, "consoleSize", &console, err) < 0)
    return -1;
  if (p->oom_score_adj.set && (p->oom_score_adj.value < -1000 || p->oom_score_adj.value > 1000))
    return sp_error (err, field, "oomScoreAdj", "%" PRId64 " is out of range (-1000..1000)",
                     p->oom_score_adj.value);
  v = 0;
  if (sp_uint_max (console, path, "height", false, UINT32_MAX, &v, err) < 0)
    return -1;
  p->console_height = v;
  v = 0;
  if (sp_uint_max (console, path, "width", false, UINT32_MAX, &v, err) < 0)
    return -1;
  p->console_width = v;
  return 0;
}

static void
cleanup_processp (struct spec_process **p)
{
  spec_process_free (*p);
  *p = NULL;
}

int
spec_parse_process (json_value_t *obj, const char *field, struct spec_process **out, cryo_error_t *err)
{
  __attribute__ ((cleanup (cleanup_processp))) struct spec_process *p = NULL;

  if (!json_is_object (obj))
    return sp_type_error (err, field, NULL, "an object", obj);
  p = xzalloc (sizeof (*p));
  if (parse_args_env (obj, field, p, err) < 0 || parse_process_scalars (obj, field, p, err) < 0
      || sp_string (obj, field, "cwd", false, &p->cwd, err) < 0 || parse_user (obj, field, &p->user, err) < 0
      || parse_capabilities (obj, field, p, err) < 0 || parse_rlimits (obj, field, p, err) < 0)
    return -1;
  if (p->cwd == NULL || p->cwd[0] == '\0')
    return sp_error (err, field, "cwd", "missing (an absolute path is required)");
  if (p->cwd[0] != '/')
    return sp_error (err, field, "cwd", "`%s` must be an absolute path", p->cwd);
  *out = steal_pointer (&p);
  return 0;
}

void
spec_process_free (struct spec_process *p)
{
  if (p == NULL)
    return;
  free (p->user.additional_gids);
  free (p->user.username);
  strv_free (p->args);
  strv_free (p->env);
  free (p->cwd);
  if (p->capabilities)
    for (int s = 0; s < CAP_SET_MAX; s++)
      strv_free (p->capabilities->sets[s]);
  free (p->capabilities);
  for (size_t i = 0; i < p->n_rlimits; i++)
    free (p->rlimits[i].type);
  free (p->rlimits);
  free (p->apparmor_profile);
  free (p->selinux_label);
  free (p);
}
