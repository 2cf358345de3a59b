/* config.json: load a bundle, parse the top level (version, root, hostname,
 * mounts, hooks, annotations) and hand `process` and `linux` to their own
 * files.  Unknown fields are ignored so newer runtime-spec documents load;
 * known fields with a wrong type or value are refused, one line each. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec/parse.h"
#include "lib/util.h"

const char *const spec_hook_names[HOOK_MAX] = {
  [HOOK_PRESTART] = "prestart",
  [HOOK_CREATE_RUNTIME] = "createRuntime",
  [HOOK_CREATE_CONTAINER] = "createContainer",
  [HOOK_START_CONTAINER] = "startContainer",
  [HOOK_POSTSTART] = "poststart",
  [HOOK_POSTSTOP] = "poststop",
};

static int
parse_one_mount (json_value_t *e, const char *elem, struct spec_mount *m, cryo_error_t *err)
{
  if (!json_is_object (e))
    return sp_type_error (err, elem, NULL, "an object", e);
  if (sp_string (e, elem, "destination", true, &m->destination, err) < 0
      || sp_string (e, elem, "type", false, &m->type, err) < 0
      || sp_string (e, elem, "source", false, &m->source, err) < 0
      || sp_strv (e, elem, "options", &m->options, err) < 0
      || sp_id_mappings (e, elem, "uidMappings", &m->uid_mappings, &m->n_uid_mappings, err) < 0
      || sp_id_mappings (e, elem, "gidMappings", &m->gid_mappings, &m->n_gid_mappings, err) < 0)
    return -1;
  if (m->options == NULL)
    m->options = xzalloc (sizeof (char *));
  if (m->destination[0] != '/')
    return sp_error (err, elem, "destination", "`%s` must be an absolute path", m->destination);
  return 0;
}

int
spec_parse_mounts (json_value_t *root, struct spec *spec, cryo_error_t *err)
{
  json_value_t *arr;

  if (sp_array (root, "", "mounts", &arr, err) < 0)
    return -1;
  if (arr == NULL)
    return 0;
  spec->mounts = xzalloc ((json_len (arr) + 1) * sizeof (*spec->mounts));
  for (size_t i = 0; i < json_len (arr); i++)
    {
      cleanup_free char *elem = sp_index ("mounts", i);
      spec->n_mounts = i + 1;
      if (parse_one_mount (json_at (arr, i), elem, &spec->mounts[i], err) < 0)
        return -1;
    }
  return 0;
}

void
spec_mounts_clear (struct spec *spec)
{
  for (size_t i = 0; i < spec->n_mounts; i++)
    {
      struct spec_mount *m = &spec->mounts[i];
      free (m->destination);
      free (m->type);
      free (m->source);
      strv_free (m->options);
      free (m->uid_mappings);
      free (m->gid_mappings);
    }
  free (spec->mounts);
  spec->mounts = NULL;
  spec->n_mounts = 0;
}

static int
parse_one_hook (json_value_t *e, const char *elem, struct spec_hook *h, cryo_error_t *err)
{
  uint64_t timeout = 0;

  if (!json_is_object (e))
    return sp_type_error (err, elem, NULL, "an object", e);
  if (sp_string (e, elem, "path", true, &h->path, err) < 0 || sp_strv (e, elem, "args", &h->args, err) < 0
      || sp_strv (e, elem, "env", &h->env, err) < 0)
    return -1;
  if (h->path[0] != '/')
    return sp_error (err, elem, "path", "`%s` must be an absolute path", h->path);
  if (sp_member (e, "timeout"))
    {
      json_value_t *t = sp_member (e, "timeout");
      if (json_is_integer (t) && !json_integer_is_unsigned_only (t) && json_integer (t) <= 0)
        return sp_error (err, elem, "timeout", "must be greater than 0 seconds, found %" PRId64,
                         json_integer (t));
      if (sp_uint_max (e, elem, "timeout", false, INT_MAX, &timeout, err) < 0)
        return -1;
    }
  h->timeout = timeout;
  return 0;
}

int
spec_parse_hooks (json_value_t *root, struct spec *spec, cryo_error_t *err)
{
  json_value_t *hooks;

  if (sp_object (root, "", "hooks", &hooks, err) < 0)
    return -1;
  for (int k = 0; hooks && k < HOOK_MAX; k++)
    {
      cleanup_free char *path = sp_path ("hooks", spec_hook_names[k]);
      json_value_t *arr;

      if (sp_array (hooks, "hooks", spec_hook_names[k], &arr, err) < 0)
        return -1;
      if (arr == NULL)
        continue;
      spec->hooks[k] = xzalloc ((json_len (arr) + 1) * sizeof (struct spec_hook));
      for (size_t i = 0; i < json_len (arr); i++)
        {
          cleanup_free char *elem = sp_index (path, i);
          spec->n_hooks[k] = i + 1;
          if (parse_one_hook (json_at (arr, i), elem, &spec->hooks[k][i], err) < 0)
            return -1;
        }
    }
  return 0;
}

void
spec_hooks_clear (struct spec *spec)
{
  for (int k = 0; k < HOOK_MAX; k++)
    {
      for (size_t i = 0; i < spec->n_hooks[k]; i++)
        {
          free (spec->hooks[k][i].path);
          strv_free (spec->hooks[k][i].args);
          strv_free (spec->hooks[k][i].env);
        }
      free (spec->hooks[k]);
      spec->hooks[k] = NULL;
      spec->n_hooks[k] = 0;
    }
}

static int
parse_root (json_value_t *tree, struct spec *spec, const char *bundle, cryo_error_t *err)
{
  json_value_t *root;

  if (sp_object (tree, "", "root", &root, err) < 0)
    return -1;
  if (root == NULL)
    return cryo_error (err, 0, "root: missing (an object with `path` is required)");
  if (sp_string (root, "root", "path", true, &spec->root_path, err) < 0
      || sp_bool (root, "root", "readonly", &spec->root_readonly, err) < 0)
    return -1;
  if (spec->root_path[0] == '\0')
    return cryo_error (err, 0, "root.path: must not be empty");
  if (spec->root_path[0] == '/' || bundle == NULL)
    spec->rootfs = sp_path_clean (spec->root_path);
  else
    {
      cleanup_free char *joined = xasprintf ("%s/%s", bundle, spec->root_path);
      spec->rootfs = sp_path_clean (joined);
    }
  return 0;
}

static int
parse_top (json_value_t *tree, struct spec *spec, const char *bundle, cryo_error_t *err)
{
  json_value_t *proc, *lin;

  if (!json_is_object (tree))
    return cryo_error (err, 0, "expected an object at the top level, found %s", json_type_name (tree));
  if (sp_string (tree, "", "ociVersion", true, &spec->oci_version, err) < 0)
    return -1;
  if (spec->oci_version[0] == '\0')
    return cryo_error (err, 0, "ociVersion: must not be empty");
  if (parse_root (tree, spec, bundle, err) < 0 || sp_string (tree, "", "hostname", false, &spec->hostname, err) < 0
      || sp_string (tree, "", "domainname", false, &spec->domainname, err) < 0
      || spec_parse_mounts (tree, spec, err) < 0 || spec_parse_hooks (tree, spec, err) < 0
      || sp_string_map (tree, "", "annotations", &spec->annotation_keys, &spec->annotation_values, err) < 0
      || sp_object (tree, "", "process", &proc, err) < 0 || sp_object (tree, "", "linux", &lin, err) < 0)
    return -1;
  if (proc && spec_parse_process (proc, "process", &spec->process, err) < 0)
    return -1;
  if (lin && spec_parse_linux (lin, "linux", &spec->linux_, err) < 0)
    return -1;
  return spec_check_cross (spec, err);
}

int
spec_parse (const char *text, const char *bundle, struct spec **out, cryo_error_t *err)
{
  cleanup_spec struct spec *spec = xzalloc (sizeof (*spec));

  spec->text = xstrdup (text);
  spec->bundle = xstrdup (bundle);
  if (strspn (text, " \t\r\n") == strlen (text))
    return cryo_error (err, 0, "config.json: invalid JSON: empty document");
  if (json_parse (text, &spec->tree, err) < 0 || parse_top (spec->tree, spec, bundle, err) < 0)
    return cryo_error_wrap (err, "config.json");
  *out = steal_pointer (&spec);
  return 0;
}

void
spec_free (struct spec *spec)
{
  if (spec == NULL)
    return;
  spec_process_free (spec->process);
  spec_linux_free (spec->linux_);
  spec_mounts_clear (spec);
  spec_hooks_clear (spec);
  strv_free (spec->annotation_keys);
  strv_free (spec->annotation_values);
  free (spec->oci_version);
  free (spec->root_path);
  free (spec->rootfs);
  free (spec->hostname);
  free (spec->domainname);
  free (spec->bundle);
  free (spec->text);
  json_free (spec->tree);
  free (spec);
}

void
cleanup_specp (struct spec **spec)
{
  spec_free (*spec);
  *spec = NULL;
}

static int
check_directory (const char *path, const char *what, cryo_error_t *err)
{
  struct stat st;

  if (stat (path, &st) < 0)
    {
      if (errno == ENOENT)
        return cryo_error (err, 0, "%s: no such directory", what);
      return cryo_error (err, errno, "%s", what);
    }
  if (!S_ISDIR (st.st_mode))
    return cryo_error (err, 0, "%s: not a directory", what);
  return 0;
}

static char *
absolute_bundle (const char *bundle)
{
  cleanup_free char *cwd = NULL;
  cleanup_free char *joined = NULL;

  if (bundle[0] == '/')
    return sp_path_clean (bundle);
  cwd = getcwd (NULL, 0);
  if (cwd == NULL)
    return sp_path_clean (bundle); /* cwd removed: stat will say what is wrong */
  joined = xasprintf ("%s/%s", cwd, bundle);
  return sp_path_clean (joined);
}

int
spec_load (const char *bundle, struct spec **out, cryo_error_t *err)
{
  cleanup_free char *abs = absolute_bundle (bundle && *bundle ? bundle : ".");
  cleanup_free char *what = xasprintf ("bundle `%s`", abs);
  cleanup_free char *config = xasprintf ("%s/config.json", abs);
  cleanup_free char *text = NULL;
  cleanup_spec struct spec *spec = NULL;
  size_t len;

  if (check_directory (abs, what, err) < 0)
    return -1;
  if (access (config, F_OK) < 0 && errno == ENOENT)
    return cryo_error (err, 0, "bundle `%s`: no config.json (create one with `cryo spec`)", abs);
  if (read_all_file (config, &text, &len, err) < 0)
    return -1;
  if (len == 0)
    return cryo_error (err, 0, "config.json: empty file `%s`", config);
  if (strlen (text) != len)
    return cryo_error (err, 0, "config.json: invalid JSON: NUL byte at offset %zu", strlen (text));
  if (spec_parse (text, abs, &spec, err) < 0)
    return -1;
  free (what);
  what = xasprintf ("rootfs `%s` (root.path)", spec->rootfs);
  if (check_directory (spec->rootfs, what, err) < 0)
    return -1;
  *out = steal_pointer (&spec);
  return 0;
}

bool
spec_has_ns (const struct spec *spec, enum cryo_ns ns)
{
  for (size_t i = 0; spec->linux_ && i < spec->linux_->n_namespaces; i++)
    if (spec->linux_->namespaces[i].type == ns)
      return true;
  return false;
}

bool
spec_ns_is_new (const struct spec *spec, enum cryo_ns ns)
{
  return spec_has_ns (spec, ns) && spec_ns_path (spec, ns) == NULL;
}

const char *
spec_ns_path (const struct spec *spec, enum cryo_ns ns)
{
  for (size_t i = 0; spec->linux_ && i < spec->linux_->n_namespaces; i++)
    if (spec->linux_->namespaces[i].type == ns)
      return spec->linux_->namespaces[i].path;
  return NULL;
}

const char *
spec_annotation (const struct spec *spec, const char *key)
{
  const char *found = NULL;

  /* the last of duplicate keys wins, as in json_get() */
  for (size_t i = 0; spec->annotation_keys && spec->annotation_keys[i]; i++)
    if (strcmp (spec->annotation_keys[i], key) == 0)
      found = spec->annotation_values[i];
  return found;
}
