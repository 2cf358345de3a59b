/* manifest.json: what an image holds and how to check it.  See FORMAT.md. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "image/image-internal.h"
#include "image/tree.h"
#include "lib/util.h"

static const char *const mode_names[] = {
  [IMAGE_MODE_CONTAINER] = "container",
  [IMAGE_MODE_SUBTREE] = "subtree",
};

const char *
image_mode_name (enum image_mode mode)
{
  return (size_t) mode < ARRAY_SIZE (mode_names) ? mode_names[mode] : "unknown";
}

/* The boolean checkpoint options, by manifest key. */
#define OPTION(name)                                                                                         \
  {                                                                                                          \
#name, offsetof(struct image_checkpoint_options, name)                                                   \
  }
static const struct
{
  const char *key;
  size_t offset;
} option_table[] = {
  OPTION (leave_running), OPTION (tcp_established), OPTION (tcp_close),
  OPTION (ext_unix_sk),   OPTION (shell_job),       OPTION (file_locks),
  OPTION (link_remap),    OPTION (skip_in_flight),  OPTION (lazy_pages),
  OPTION (page_server),
};

void
manifest_release (struct image_manifest *m)
{
  free (m->cryo_version);
  free (m->criu_version);
  free (m->kernel_release);
  free (m->created);
  free (m->container_id);
  free (m->config_digest);
  for (size_t i = 0; i < m->n_namespaces; i++)
    free (m->namespaces[i].path);
  free (m->namespaces);
  free (m->mount_plan);
  free (m->cgroup_path);
  free (m->cgroup_version);
  free ((char *) m->options.manage_cgroups_mode);
  for (size_t i = 0; i < m->n_tmpfs; i++)
    {
      free (m->tmpfs[i].destination);
      free (m->tmpfs[i].file);
    }
  free (m->tmpfs);
  for (size_t i = 0; i < m->n_files; i++)
    free (m->files[i].name);
  free (m->files);
  memset (m, 0, sizeof (*m));
}

void
manifest_add_namespace (struct image_manifest *m, const struct image_namespace *ns)
{
  m->namespaces = xreallocarray (m->namespaces, m->n_namespaces + 1, sizeof (*m->namespaces));
  m->namespaces[m->n_namespaces] = *ns;
  m->namespaces[m->n_namespaces].path = xstrdup (ns->path);
  m->n_namespaces++;
}

void
manifest_add_tmpfs (struct image_manifest *m, const char *destination, const char *file)
{
  m->tmpfs = xreallocarray (m->tmpfs, m->n_tmpfs + 1, sizeof (*m->tmpfs));
  m->tmpfs[m->n_tmpfs].destination = xstrdup (destination);
  m->tmpfs[m->n_tmpfs].file = xstrdup (file);
  m->n_tmpfs++;
}

const struct image_file *
manifest_find_file (const struct image_manifest *m, const char *name)
{
  for (size_t i = 0; i < m->n_files; i++)
    if (strcmp (m->files[i].name, name) == 0)
      return &m->files[i];
  return NULL;
}

/* ---- generation ---- */

void
manifest_gen_namespaces (json_gen_t *g, const struct image_manifest *m)
{
  jg_open_array (g);
  for (size_t i = 0; i < m->n_namespaces; i++)
    {
      const struct image_namespace *ns = &m->namespaces[i];
      jg_open_map (g);
      jg_kv_str (g, "type", ns_table[ns->type].oci_name);
      jg_kv_bool (g, "created", ns->created);
      jg_kv_uint (g, "inode", ns->inode);
      if (ns->path)
        jg_kv_str (g, "path", ns->path);
      jg_close_map (g);
    }
  jg_close_array (g);
}

static void
gen_options (json_gen_t *g, const struct image_checkpoint_options *o)
{
  jg_open_map (g);
  for (size_t i = 0; i < ARRAY_SIZE (option_table); i++)
    jg_kv_bool (g, option_table[i].key, *(const bool *) ((const char *) o + option_table[i].offset));
  if (o->manage_cgroups_mode)
    jg_kv_str (g, "manage_cgroups_mode", o->manage_cgroups_mode);
  jg_close_map (g);
}

static void
gen_files (json_gen_t *g, const struct image_manifest *m)
{
  jg_open_array (g);
  for (size_t i = 0; i < m->n_files; i++)
    {
      jg_open_map (g);
      jg_kv_str (g, "name", m->files[i].name);
      jg_kv_uint (g, "size", m->files[i].size);
      if (m->files[i].chunk_size)
        jg_kv_uint (g, "chunk_size", m->files[i].chunk_size);
      jg_kv_str (g, digest_alg_name (m->files[i].alg), m->files[i].checksum);
      jg_close_map (g);
    }
  jg_close_array (g);
}

static void
gen_tmpfs (json_gen_t *g, const struct image_manifest *m)
{
  jg_open_array (g);
  for (size_t i = 0; i < m->n_tmpfs; i++)
    {
      jg_open_map (g);
      jg_kv_str (g, "destination", m->tmpfs[i].destination);
      jg_kv_str (g, "file", m->tmpfs[i].file);
      jg_close_map (g);
    }
  jg_close_array (g);
}

int
manifest_to_json (const struct image_manifest *m, char **out, size_t *len, cryo_error_t *err)
{
  cleanup_json_gen json_gen_t *g = json_gen_new (true);

  jg_open_map (g);
  jg_kv_str (g, "format", IMAGE_FORMAT_MAGIC);
  jg_kv_int (g, "version", m->version);
  jg_kv_str (g, "cryo_version", m->cryo_version);
  jg_kv_str (g, "criu_version", m->criu_version);
  jg_kv_str (g, "kernel", m->kernel_release);
  jg_kv_str (g, "created", m->created);
  jg_kv_str (g, "container_id", m->container_id);
  jg_kv_str (g, "mode", image_mode_name (m->mode));
  jg_kv_str (g, "config_digest", m->config_digest);
  jg_key (g, "namespaces");
  manifest_gen_namespaces (g, m);
  jg_kv_str (g, "mount_plan", m->mount_plan);
  jg_key (g, "cgroup");
  if (m->cgroup_path == NULL && m->cgroup_version == NULL)
    jg_null (g);
  else
    {
      jg_open_map (g);
      jg_kv_str (g, "path", m->cgroup_path);
      jg_kv_str (g, "version", m->cgroup_version);
      jg_close_map (g);
    }
  jg_key (g, "options");
  gen_options (g, &m->options);
  jg_key (g, "tmpfs");
  gen_tmpfs (g, m);
  if (m->has_stats)
    {
      jg_key (g, "stats");
      jg_open_map (g);
      image_stats_gen (g, &m->stats);
      jg_close_map (g);
    }
  jg_key (g, "files");
  gen_files (g, m);
  jg_close_map (g);
  return json_gen_finish (g, out, len, err);
}

/* ---- parsing ---- */

static int
get_string (json_value_t *obj, const char *field, const char *key, bool required, char **out,
            cryo_error_t *err)
{
  json_value_t *v = json_get (obj, key);

  *out = NULL;
  if (v == NULL || (!required && json_is_null (v)))
    {
      if (required)
        return cryo_error (err, 0, "missing field `%s%s`", field, key);
      return 0;
    }
  if (!json_is_string (v))
    return cryo_error (err, 0, "field `%s%s`: must be a string, not %s", field, key, json_type_name (v));
  if (required && json_string (v)[0] == '\0')
    return cryo_error (err, 0, "field `%s%s`: must not be empty", field, key);
  *out = xstrdup (json_string (v));
  return 0;
}

static int
get_bool (json_value_t *obj, const char *field, const char *key, bool required, bool *out, cryo_error_t *err)
{
  json_value_t *v = json_get (obj, key);

  *out = false;
  if (v == NULL)
    return required ? cryo_error (err, 0, "missing field `%s%s`", field, key) : 0;
  if (!json_is_bool (v))
    return cryo_error (err, 0, "field `%s%s`: must be true or false, not %s", field, key, json_type_name (v));
  *out = json_bool (v);
  return 0;
}

static int
get_uint (json_value_t *obj, const char *field, const char *key, bool required, uint64_t *out,
          cryo_error_t *err)
{
  json_value_t *v = json_get (obj, key);

  *out = 0;
  if (v == NULL)
    return required ? cryo_error (err, 0, "missing field `%s%s`", field, key) : 0;
  if (!json_is_integer (v) || (!json_integer_is_unsigned_only (v) && json_integer (v) < 0))
    return cryo_error (err, 0, "field `%s%s`: must be a non-negative integer", field, key);
  *out = json_uinteger (v);
  return 0;
}

static json_value_t *
get_array (json_value_t *obj, const char *key, bool required, cryo_error_t *err)
{
  json_value_t *v = json_get (obj, key);

  if (v == NULL || (!required && json_is_null (v)))
    {
      if (required)
        cryo_error (err, 0, "missing field `%s`", key);
      return NULL;
    }
  if (!json_is_array (v))
    {
      cryo_error (err, 0, "field `%s`: must be an array, not %s", key, json_type_name (v));
      return NULL;
    }
  return v;
}

/* @n lower-case hex digits. */
static bool
is_hex_digest (const char *s, size_t n)
{
  if (s == NULL || strlen (s) != n)
    return false;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
      return false;
  return true;
}

int
manifest_check_header (json_value_t *root, int *version, cryo_error_t *err)
{
  json_value_t *format, *v;

  if (!json_is_object (root))
    return cryo_error (err, 0, "not a JSON object (not a cryo image)");
  format = json_get (root, "format");
  if (format == NULL)
    return cryo_error (err, 0, "missing field `format` (not a cryo image)");
  if (!json_is_string (format) || strcmp (json_string (format), IMAGE_FORMAT_MAGIC) != 0)
    return cryo_error (err, 0, "field `format`: is not \"%s\" (not a cryo image)", IMAGE_FORMAT_MAGIC);
  v = json_get (root, "version");
  if (v == NULL)
    return cryo_error (err, 0, "missing field `version`");
  if (!json_is_integer (v) || json_integer (v) < 1 || json_integer (v) > 1000000)
    return cryo_error (err, 0, "field `version`: must be a positive integer");
  *version = (int) json_integer (v);
  return 0;
}

static int
parse_namespace (json_value_t *v, size_t i, struct image_namespace *ns, cryo_error_t *err)
{
  cleanup_free char *field = xasprintf ("namespaces[%zu].", i);
  cleanup_free char *type = NULL;
  int idx;

  if (!json_is_object (v))
    return cryo_error (err, 0, "field `namespaces[%zu]`: must be an object", i);
  if (get_string (v, field, "type", true, &type, err) < 0)
    return -1;
  idx = ns_from_oci_name (type);
  if (idx < 0)
    return cryo_error (err, 0, "field `%stype`: unknown namespace `%s`", field, type);
  ns->type = idx;
  if (get_bool (v, field, "created", true, &ns->created, err) < 0
      || get_uint (v, field, "inode", false, &ns->inode, err) < 0
      || get_string (v, field, "path", false, &ns->path, err) < 0)
    return -1;
  return 0;
}

int
manifest_parse_namespaces (json_value_t *v, struct image_manifest *m, cryo_error_t *err)
{
  for (size_t i = 0; i < json_len (v); i++)
    {
      struct image_namespace ns = { 0 };
      int ret = parse_namespace (json_at (v, i), i, &ns, err);
      for (size_t j = 0; ret == 0 && j < m->n_namespaces; j++)
        if (m->namespaces[j].type == ns.type)
          ret = cryo_error (err, 0, "field `namespaces[%zu]`: namespace `%s` listed twice", i,
                            ns_table[ns.type].oci_name);
      if (ret == 0)
        manifest_add_namespace (m, &ns);
      free (ns.path);
      if (ret < 0)
        return -1;
    }
  return 0;
}

int
manifest_parse_options (json_value_t *v, struct image_checkpoint_options *o, cryo_error_t *err)
{
  char *mode = NULL;

  if (!json_is_object (v))
    return cryo_error (err, 0, "field `options`: must be an object");
  for (size_t i = 0; i < ARRAY_SIZE (option_table); i++)
    if (get_bool (v, "options.", option_table[i].key, false, (bool *) ((char *) o + option_table[i].offset),
                  err)
        < 0)
      return -1;
  if (get_string (v, "options.", "manage_cgroups_mode", false, &mode, err) < 0)
    return -1;
  o->manage_cgroups_mode = mode;
  return 0;
}

/* Since version 3 a big file's checksum is over its chunks (digest.h). */
static int
parse_chunk_size (json_value_t *v, const char *field, int version, struct image_file *f, cryo_error_t *err)
{
  if (json_get (v, "chunk_size") == NULL)
    return 0;
  if (version < 3)
    return cryo_error (err, 0, "field `%schunk_size`: not in format version %d", field, version);
  if (get_uint (v, field, "chunk_size", true, &f->chunk_size, err) < 0)
    return -1;
  if (f->chunk_size < 4096 || f->chunk_size > (1ull << 40) || f->size <= f->chunk_size)
    return cryo_error (err, 0, "field `%schunk_size`: must be 4096 bytes to 1 TiB, and less than the size",
                       field);
  return 0;
}

/* Versions 1-3 checksum with SHA-256, version 4 with XXH3-128. */
static enum digest_alg
version_alg (int version)
{
  return version >= 4 ? DIGEST_XXH3 : DIGEST_SHA256;
}

static int
parse_file (json_value_t *v, size_t i, int version, struct image_file *f, cryo_error_t *err)
{
  cleanup_free char *field = xasprintf ("files[%zu].", i);
  cleanup_free char *sum = NULL;
  const char *why, *key;
  size_t digits;

  if (!json_is_object (v))
    return cryo_error (err, 0, "field `files[%zu]`: must be an object", i);
  if (get_string (v, field, "name", true, &f->name, err) < 0)
    return -1;
  why = image_name_problem (f->name);
  if (why)
    return cryo_error (err, 0, "field `%sname`: `%s` %s", field, f->name, why);
  if (strcmp (f->name, IMAGE_MANIFEST) == 0)
    return cryo_error (err, 0, "field `%sname`: the manifest cannot list itself", field);
  if (get_uint (v, field, "size", true, &f->size, err) < 0
      || parse_chunk_size (v, field, version, f, err) < 0)
    return -1;
  f->alg = version_alg (version);
  key = digest_alg_name (f->alg);
  digits = 2 * digest_raw_size (f->alg);
  if (get_string (v, field, key, true, &sum, err) < 0)
    return -1;
  if (!is_hex_digest (sum, digits))
    return cryo_error (err, 0, "field `%s%s`: must be %zu lower-case hex digits", field, key, digits);
  memcpy (f->checksum, sum, digits + 1);
  return 0;
}

static int
compare_file_names (const void *a, const void *b)
{
  return strcmp (((const struct image_file *) a)->name, ((const struct image_file *) b)->name);
}

static int
parse_files (json_value_t *root, struct image_manifest *m, cryo_error_t *err)
{
  json_value_t *v = get_array (root, "files", true, err);
  cleanup_free struct image_file *sorted = NULL;

  if (v == NULL)
    return -1;
  m->files = xzalloc ((json_len (v) + 1) * sizeof (*m->files));
  for (size_t i = 0; i < json_len (v); i++)
    {
      m->n_files++;
      if (parse_file (json_at (v, i), i, m->version, &m->files[i], err) < 0)
        return -1;
    }
  /* Duplicates would let one entry hide another. */
  sorted = xreallocarray (NULL, m->n_files + 1, sizeof (*sorted));
  memcpy (sorted, m->files, m->n_files * sizeof (*sorted));
  qsort (sorted, m->n_files, sizeof (*sorted), compare_file_names);
  for (size_t i = 1; i < m->n_files; i++)
    if (strcmp (sorted[i - 1].name, sorted[i].name) == 0)
      return cryo_error (err, 0, "field `files`: `%s` listed twice", sorted[i].name);
  return 0;
}

/* A metadata reference must name a file of the image. */
static int
check_listed (const struct image_manifest *m, const char *field, const char *name, cryo_error_t *err)
{
  if (manifest_find_file (m, name) == NULL)
    return cryo_error (err, 0, "field `%s`: `%s` is not in `files`", field, name);
  return 0;
}

static bool
has_suffix (const char *s, const char *suffix)
{
  size_t n = strlen (s), k = strlen (suffix);
  return n > k && strcmp (s + n - k, suffix) == 0;
}

static int
parse_tmpfs (json_value_t *root, struct image_manifest *m, cryo_error_t *err)
{
  cleanup_error cryo_error_t local = NULL;
  json_value_t *v = get_array (root, "tmpfs", false, &local);

  if (local)
    return cryo_error (err, 0, "%s", local->msg);
  for (size_t i = 0; v && i < json_len (v); i++)
    {
      cleanup_free char *field = xasprintf ("tmpfs[%zu].", i);
      cleanup_free char *dest = NULL, *file = NULL;
      json_value_t *e = json_at (v, i);

      if (!json_is_object (e))
        return cryo_error (err, 0, "field `tmpfs[%zu]`: must be an object", i);
      if (get_string (e, field, "destination", true, &dest, err) < 0
          || get_string (e, field, "file", true, &file, err) < 0)
        return -1;
      if (dest[0] != '/')
        return cryo_error (err, 0, "field `%sdestination`: must be an absolute path", field);
      if (check_listed (m, "tmpfs", file, err) < 0)
        return -1;
      if (m->version >= 3 && !has_suffix (file, TREE_SUFFIX))
        return cryo_error (err, 0, "field `%sfile`: `%s` is not a tmpfs archive (*%s)", field, file, TREE_SUFFIX);
      manifest_add_tmpfs (m, dest, file);
    }
  return 0;
}

static int
parse_mode (json_value_t *root, struct image_manifest *m, cryo_error_t *err)
{
  cleanup_free char *mode = NULL;

  if (get_string (root, "", "mode", true, &mode, err) < 0)
    return -1;
  for (size_t i = 0; i < ARRAY_SIZE (mode_names); i++)
    if (strcmp (mode, mode_names[i]) == 0)
      {
        m->mode = i;
        return 0;
      }
  return cryo_error (err, 0, "field `mode`: must be \"container\" or \"subtree\", not \"%s\"", mode);
}

static int
parse_cgroup (json_value_t *root, struct image_manifest *m, cryo_error_t *err)
{
  json_value_t *v = json_get (root, "cgroup");

  if (v == NULL || json_is_null (v))
    return 0;
  if (!json_is_object (v))
    return cryo_error (err, 0, "field `cgroup`: must be an object or null");
  if (get_string (v, "cgroup.", "path", false, &m->cgroup_path, err) < 0
      || get_string (v, "cgroup.", "version", false, &m->cgroup_version, err) < 0)
    return -1;
  return 0;
}

static int
parse_references (json_value_t *root, struct image_manifest *m, cryo_error_t *err)
{
  const struct image_file *config;
  enum digest_alg alg = version_alg (m->version);
  const char *name = digest_alg_name (alg);
  size_t plen = strlen (name);

  if (get_string (root, "", "config_digest", false, &m->config_digest, err) < 0
      || get_string (root, "", "mount_plan", false, &m->mount_plan, err) < 0)
    return -1;
  if (m->mount_plan && check_listed (m, "mount_plan", m->mount_plan, err) < 0)
    return -1;
  if (m->config_digest == NULL)
    return 0;
  if (strncmp (m->config_digest, name, plen) != 0 || m->config_digest[plen] != ':'
      || !is_hex_digest (m->config_digest + plen + 1, 2 * digest_raw_size (alg)))
    return cryo_error (err, 0, "field `config_digest`: must be \"%s:\" and %zu hex digits", name,
                       2 * digest_raw_size (alg));
  config = manifest_find_file (m, IMAGE_FILE_CONFIG);
  if (config == NULL)
    return cryo_error (err, 0, "field `config_digest`: the image has no %s", IMAGE_FILE_CONFIG);
  if (strcmp (config->checksum, m->config_digest + plen + 1) != 0)
    return cryo_error (err, 0, "field `config_digest`: does not match the checksum of %s", IMAGE_FILE_CONFIG);
  return 0;
}

int
manifest_from_json (json_value_t *root, struct image_manifest *m, cryo_error_t *err)
{
  json_value_t *v;

  if (manifest_check_header (root, &m->version, err) < 0)
    return -1;
  if (get_string (root, "", "cryo_version", true, &m->cryo_version, err) < 0
      || get_string (root, "", "criu_version", false, &m->criu_version, err) < 0
      || get_string (root, "", "kernel", true, &m->kernel_release, err) < 0
      || get_string (root, "", "created", true, &m->created, err) < 0
      || get_string (root, "", "container_id", true, &m->container_id, err) < 0
      || parse_mode (root, m, err) < 0)
    return -1;
  if (parse_files (root, m, err) < 0 || parse_references (root, m, err) < 0)
    return -1;
  v = get_array (root, "namespaces", true, err);
  if (v == NULL || manifest_parse_namespaces (v, m, err) < 0)
    return -1;
  v = json_get (root, "options");
  if (v == NULL)
    return cryo_error (err, 0, "missing field `options`");
  if (manifest_parse_options (v, &m->options, err) < 0 || parse_cgroup (root, m, err) < 0
      || parse_tmpfs (root, m, err) < 0 || manifest_parse_stats (root, m, err) < 0)
    return -1;
  return 0;
}
