/* Typed readers for config.json fields: every wrong type or value becomes one
 * line naming the field by its JSON path ("process.user.uid: ..."). */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "spec/parse.h"
#include "lib/util.h"

char *
sp_path (const char *field, const char *key)
{
  if (field == NULL || *field == '\0')
    return xstrdup (key);
  if (key == NULL)
    return xstrdup (field);
  return xasprintf ("%s.%s", field, key);
}

char *
sp_index (const char *field, size_t i)
{
  return xasprintf ("%s[%zu]", field, i);
}

int
sp_error (cryo_error_t *err, const char *field, const char *key, const char *fmt, ...)
{
  cleanup_free char *path = sp_path (field, key);
  cleanup_free char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    oom ();
  va_end (ap);
  return cryo_error (err, 0, "%s: %s", path, msg);
}

int
sp_type_error (cryo_error_t *err, const char *field, const char *key, const char *expected,
               json_value_t *found)
{
  return sp_error (err, field, key, "expected %s, found %s", expected, json_type_name (found));
}

int
sp_int_type_error (cryo_error_t *err, const char *field, const char *key, const char *expected,
                   json_value_t *found)
{
  /* "found number" would be confusing when an integer was expected */
  if (json_is_number (found) && !json_is_integer (found))
    return sp_error (err, field, key, "expected %s, found a fractional or out-of-range number", expected);
  return sp_type_error (err, field, key, expected, found);
}

json_value_t *
sp_member (json_value_t *obj, const char *key)
{
  json_value_t *v = json_get (obj, key);
  return json_is_null (v) ? NULL : v;
}

int
sp_object (json_value_t *obj, const char *field, const char *key, json_value_t **out, cryo_error_t *err)
{
  json_value_t *v = sp_member (obj, key);

  *out = NULL;
  if (v == NULL)
    return 0;
  if (!json_is_object (v))
    return sp_type_error (err, field, key, "an object", v);
  *out = v;
  return 0;
}

int
sp_array (json_value_t *obj, const char *field, const char *key, json_value_t **out, cryo_error_t *err)
{
  json_value_t *v = sp_member (obj, key);

  *out = NULL;
  if (v == NULL)
    return 0;
  if (!json_is_array (v))
    return sp_type_error (err, field, key, "an array", v);
  *out = v;
  return 0;
}

int
sp_string (json_value_t *obj, const char *field, const char *key, bool required, char **out,
           cryo_error_t *err)
{
  json_value_t *v = sp_member (obj, key);

  if (v == NULL)
    {
      if (required)
        return sp_error (err, field, key, "missing (a string is required)");
      return 0;
    }
  if (!json_is_string (v))
    return sp_type_error (err, field, key, "a string", v);
  free (*out);
  *out = xstrdup (json_string (v));
  return 0;
}

int
sp_bool (json_value_t *obj, const char *field, const char *key, bool *out, cryo_error_t *err)
{
  json_value_t *v = sp_member (obj, key);

  if (v == NULL)
    return 0;
  if (!json_is_bool (v))
    return sp_type_error (err, field, key, "a boolean", v);
  *out = json_bool (v);
  return 0;
}

int
sp_i64 (json_value_t *obj, const char *field, const char *key, struct spec_opt_i64 *out, cryo_error_t *err)
{
  json_value_t *v = sp_member (obj, key);

  if (v == NULL)
    return 0;
  if (!json_is_integer (v))
    return sp_int_type_error (err, field, key, "an integer", v);
  if (json_integer_is_unsigned_only (v))
    return sp_error (err, field, key, "%" PRIu64 " is out of range (at most %" PRId64 ")",
                     json_uinteger (v), INT64_MAX);
  out->set = true;
  out->value = json_integer (v);
  return 0;
}

int
sp_u64 (json_value_t *obj, const char *field, const char *key, struct spec_opt_u64 *out, cryo_error_t *err)
{
  json_value_t *v = sp_member (obj, key);

  if (v == NULL)
    return 0;
  if (!json_is_integer (v))
    return sp_int_type_error (err, field, key, "a non-negative integer", v);
  if (!json_integer_is_unsigned_only (v) && json_integer (v) < 0)
    return sp_error (err, field, key, "must not be negative, found %" PRId64, json_integer (v));
  out->set = true;
  out->value = json_uinteger (v);
  return 0;
}

int
sp_uint_max (json_value_t *obj, const char *field, const char *key, bool required, uint64_t max,
             uint64_t *out, cryo_error_t *err)
{
  struct spec_opt_u64 u = { 0 };

  if (sp_u64 (obj, field, key, &u, err) < 0)
    return -1;
  if (!u.set)
    {
      if (required)
        return sp_error (err, field, key, "missing (an integer is required)");
      return 0;
    }
  if (u.value > max)
    return sp_error (err, field, key, "%" PRIu64 " is out of range (0..%" PRIu64 ")", u.value, max);
  *out = u.value;
  return 0;
}

int
sp_strv (json_value_t *obj, const char *field, const char *key, char ***out, cryo_error_t *err)
{
  json_value_t *v = sp_member (obj, key);
  cleanup_strv char **vec = NULL;
  size_t n;

  if (v == NULL)
    return 0;
  if (!json_is_array (v))
    return sp_type_error (err, field, key, "an array of strings", v);
  n = json_len (v);
  vec = xzalloc ((n + 1) * sizeof (char *));
  for (size_t i = 0; i < n; i++)
    {
      json_value_t *e = json_at (v, i);
      if (!json_is_string (e))
        {
          cleanup_free char *path = sp_path (field, key);
          cleanup_free char *elem = sp_index (path, i);
          return sp_type_error (err, elem, NULL, "a string", e);
        }
      vec[i] = xstrdup (json_string (e));
    }
  strv_free (*out);
  *out = steal_pointer (&vec);
  return 0;
}

int
sp_string_map (json_value_t *obj, const char *field, const char *key, char ***keys, char ***values,
               cryo_error_t *err)
{
  cleanup_strv char **k = NULL;
  cleanup_strv char **val = NULL;
  json_value_t *map;
  size_t n;

  if (sp_object (obj, field, key, &map, err) < 0)
    return -1;
  if (map == NULL)
    return 0;
  n = json_len (map);
  k = xzalloc ((n + 1) * sizeof (char *));
  val = xzalloc ((n + 1) * sizeof (char *));
  for (size_t i = 0; i < n; i++)
    {
      json_value_t *e = json_at (map, i);
      if (!json_is_string (e))
        {
          cleanup_free char *path = sp_path (field, key);
          cleanup_free char *elem = xasprintf ("%s[\"%s\"]", path, json_key_at (map, i));
          return sp_type_error (err, elem, NULL, "a string", e);
        }
      k[i] = xstrdup (json_key_at (map, i));
      val[i] = xstrdup (json_string (e));
    }
  strv_free (*keys);
  strv_free (*values);
  *keys = steal_pointer (&k);
  *values = steal_pointer (&val);
  return 0;
}

static int
parse_one_mapping (json_value_t *e, const char *field, struct spec_id_mapping *m, cryo_error_t *err)
{
  uint64_t container_id = 0, host_id = 0, size = 0;

  if (!json_is_object (e))
    return sp_type_error (err, field, NULL, "an object", e);
  if (sp_uint_max (e, field, "containerID", true, UINT32_MAX, &container_id, err) < 0
      || sp_uint_max (e, field, "hostID", true, UINT32_MAX, &host_id, err) < 0
      || sp_uint_max (e, field, "size", true, UINT32_MAX, &size, err) < 0)
    return -1;
  if (size == 0)
    return sp_error (err, field, "size", "must be greater than 0");
  if (container_id + size - 1 > UINT32_MAX || host_id + size - 1 > UINT32_MAX)
    return sp_error (err, field, "size", "the range goes past id %" PRIu32, UINT32_MAX);
  m->container_id = container_id;
  m->host_id = host_id;
  m->size = size;
  return 0;
}

int
sp_id_mappings (json_value_t *obj, const char *field, const char *key, struct spec_id_mapping **out,
                size_t *n, cryo_error_t *err)
{
  cleanup_free struct spec_id_mapping *maps = NULL;
  cleanup_free char *path = sp_path (field, key);
  json_value_t *arr;
  size_t len;

  if (sp_array (obj, field, key, &arr, err) < 0)
    return -1;
  if (arr == NULL)
    return 0;
  len = json_len (arr);
  maps = xzalloc ((len ? len : 1) * sizeof (*maps));
  for (size_t i = 0; i < len; i++)
    {
      cleanup_free char *elem = sp_index (path, i);
      if (parse_one_mapping (json_at (arr, i), elem, &maps[i], err) < 0)
        return -1;
    }
  free (*out);
  *out = steal_pointer (&maps);
  *n = len;
  return 0;
}

int
sp_check_absolute_paths (char *const *v, const char *field, const char *key, cryo_error_t *err)
{
  for (size_t i = 0; v && v[i]; i++)
    if (v[i][0] != '/')
      {
        cleanup_free char *path = sp_path (field, key);
        cleanup_free char *elem = sp_index (path, i);
        return sp_error (err, elem, NULL, "`%s` must be an absolute path", v[i]);
      }
  return 0;
}

char *
sp_path_clean (const char *path)
{
  bool absolute = path[0] == '/';
  cleanup_free char *copy = xstrdup (path);
  char *out = xzalloc (strlen (path) + 2);
  size_t len = 0;
  char *save = NULL;

  for (char *c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      if (strcmp (c, ".") == 0)
        continue;
      if (strcmp (c, "..") == 0)
        {
          char *slash = len ? memrchr (out, '/', len) : NULL;
          /* "a/.." in a relative path: keep it simple and keep "..". */
          if (absolute || (len > 0 && strcmp (slash ? slash + 1 : out, "..") != 0))
            {
              len = slash ? (size_t) (slash - out) : 0;
              out[len] = '\0';
              continue;
            }
        }
      if (len > 0 || absolute)
        out[len++] = '/';
      strcpy (out + len, c);
      len += strlen (c);
    }
  if (len == 0)
    strcpy (out, absolute ? "/" : ".");
  return out;
}
