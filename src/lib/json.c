#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "lib/json.h"
#include "lib/util.h"

/* json_value_t is yajl's node; the cast stays inside this file. */
#define Y(v) ((yajl_val) (v))

/* Deeper documents are refused: yajl frees its tree recursively, and a
 * hostile config.json of a million '[' would overflow the stack. */
#define JSON_MAX_DEPTH 512

static int
check_depth (const char *text, cryo_error_t *err)
{
  int depth = 0;
  bool in_string = false;

  for (const char *p = text; *p; p++)
    {
      if (in_string)
        {
          if (*p == '\\' && p[1])
            p++;
          else if (*p == '"')
            in_string = false;
          continue;
        }
      if (*p == '"')
        in_string = true;
      else if (*p == '[' || *p == '{')
        {
          if (++depth > JSON_MAX_DEPTH)
            return cryo_error (err, 0, "JSON nested deeper than %d levels", JSON_MAX_DEPTH);
        }
      else if (*p == ']' || *p == '}')
        depth--;
    }
  return 0;
}

int
json_parse (const char *text, json_value_t **out, cryo_error_t *err)
{
  char errbuf[1024] = "";
  yajl_val tree;
  char *nl;

  if (check_depth (text, err) < 0)
    return -1;
  tree = yajl_tree_parse (text, errbuf, sizeof (errbuf));
  if (tree == NULL)
    {
      /* yajl's message spans lines (it draws an arrow); keep the first. */
      nl = strchr (errbuf, '\n');
      if (nl)
        *nl = '\0';
      return cryo_error (err, 0, "invalid JSON: %s", *errbuf ? errbuf : "parse error");
    }
  *out = (json_value_t *) tree;
  return 0;
}

void
json_free (json_value_t *v)
{
  if (v)
    yajl_tree_free (Y (v));
}

void
cleanup_json_freep (json_value_t **v)
{
  json_free (*v);
  *v = NULL;
}

json_value_t *
json_get (json_value_t *obj, const char *key)
{
  if (!YAJL_IS_OBJECT (Y (obj)))
    return NULL;
  /* Last one wins on duplicate keys, as with most JSON parsers. */
  for (size_t i = Y (obj)->u.object.len; i > 0; i--)
    if (strcmp (Y (obj)->u.object.keys[i - 1], key) == 0)
      return (json_value_t *) Y (obj)->u.object.values[i - 1];
  return NULL;
}

bool json_is_object (json_value_t *v) { return YAJL_IS_OBJECT (Y (v)); }
bool json_is_array (json_value_t *v) { return YAJL_IS_ARRAY (Y (v)); }
bool json_is_string (json_value_t *v) { return YAJL_IS_STRING (Y (v)); }
bool json_is_number (json_value_t *v) { return YAJL_IS_NUMBER (Y (v)); }
bool json_is_null (json_value_t *v) { return YAJL_IS_NULL (Y (v)); }
bool json_is_bool (json_value_t *v) { return YAJL_IS_TRUE (Y (v)) || YAJL_IS_FALSE (Y (v)); }

bool
json_is_integer (json_value_t *v)
{
  uint64_t u;
  int64_t i;
  if (YAJL_IS_INTEGER (Y (v)))
    return true;
  /* yajl gives up on integers above INT64_MAX, and on INT64_MIN itself (it
   * overflows the magnitude first); they are still integers. */
  return YAJL_IS_NUMBER (Y (v))
         && (parse_uint64 (Y (v)->u.number.r, &u) == 0 || parse_int64 (Y (v)->u.number.r, &i) == 0);
}

const char *
json_type_name (json_value_t *v)
{
  if (v == NULL)
    return "nothing";
  switch (Y (v)->type)
    {
    case yajl_t_string: return "string";
    case yajl_t_number: return "number";
    case yajl_t_object: return "object";
    case yajl_t_array: return "array";
    case yajl_t_true:
    case yajl_t_false: return "boolean";
    case yajl_t_null: return "null";
    default: return "unknown";
    }
}

const char *
json_string (json_value_t *v)
{
  return YAJL_IS_STRING (Y (v)) ? Y (v)->u.string : NULL;
}

int64_t
json_integer (json_value_t *v)
{
  int64_t i = 0;
  if (YAJL_IS_INTEGER (Y (v)))
    return Y (v)->u.number.i;
  if (YAJL_IS_NUMBER (Y (v)))
    parse_int64 (Y (v)->u.number.r, &i); /* INT64_MIN, see json_is_integer */
  return i;
}

uint64_t
json_uinteger (json_value_t *v)
{
  uint64_t u = 0;
  if (YAJL_IS_INTEGER (Y (v)))
    return (uint64_t) Y (v)->u.number.i;
  if (YAJL_IS_NUMBER (Y (v)))
    parse_uint64 (Y (v)->u.number.r, &u);
  return u;
}

bool
json_integer_is_unsigned_only (json_value_t *v)
{
  uint64_t u;
  return YAJL_IS_NUMBER (Y (v)) && !YAJL_IS_INTEGER (Y (v)) && parse_uint64 (Y (v)->u.number.r, &u) == 0;
}

double
json_double (json_value_t *v)
{
  return YAJL_IS_NUMBER (Y (v)) ? Y (v)->u.number.d : 0;
}

bool
json_bool (json_value_t *v)
{
  return YAJL_IS_TRUE (Y (v));
}

size_t
json_len (json_value_t *v)
{
  if (YAJL_IS_OBJECT (Y (v)))
    return Y (v)->u.object.len;
  if (YAJL_IS_ARRAY (Y (v)))
    return Y (v)->u.array.len;
  return 0;
}

json_value_t *
json_at (json_value_t *v, size_t i)
{
  if (i >= json_len (v))
    return NULL;
  if (YAJL_IS_OBJECT (Y (v)))
    return (json_value_t *) Y (v)->u.object.values[i];
  return (json_value_t *) Y (v)->u.array.values[i];
}

const char *
json_key_at (json_value_t *obj, size_t i)
{
  if (!YAJL_IS_OBJECT (Y (obj)) || i >= Y (obj)->u.object.len)
    return NULL;
  return Y (obj)->u.object.keys[i];
}

struct json_gen
{
  yajl_gen gen;
  yajl_gen_status status; /* first failure, sticky */
  int depth;              /* open maps and arrays: yajl hands out a half document */
};

json_gen_t *
json_gen_new (bool pretty)
{
  json_gen_t *g = xzalloc (sizeof (*g));
  g->gen = yajl_gen_alloc (NULL);
  if (g->gen == NULL)
    oom ();
  if (pretty)
    {
      yajl_gen_config (g->gen, yajl_gen_beautify, 1);
      yajl_gen_config (g->gen, yajl_gen_indent_string, "  ");
    }
  yajl_gen_config (g->gen, yajl_gen_validate_utf8, 1);
  return g;
}

void
json_gen_free (json_gen_t *g)
{
  if (g == NULL)
    return;
  yajl_gen_free (g->gen);
  free (g);
}

void
cleanup_json_genp (json_gen_t **g)
{
  json_gen_free (*g);
  *g = NULL;
}

static void
track (json_gen_t *g, yajl_gen_status s)
{
  if (g->status == yajl_gen_status_ok && s != yajl_gen_status_ok)
    g->status = s;
}

void jg_open_map (json_gen_t *g) { g->depth++; track (g, yajl_gen_map_open (g->gen)); }
void jg_close_map (json_gen_t *g) { g->depth--; track (g, yajl_gen_map_close (g->gen)); }
void jg_open_array (json_gen_t *g) { g->depth++; track (g, yajl_gen_array_open (g->gen)); }
void jg_close_array (json_gen_t *g) { g->depth--; track (g, yajl_gen_array_close (g->gen)); }
void jg_int (json_gen_t *g, int64_t v) { track (g, yajl_gen_integer (g->gen, v)); }
void jg_double (json_gen_t *g, double v) { track (g, yajl_gen_double (g->gen, v)); }
void jg_bool (json_gen_t *g, bool v) { track (g, yajl_gen_bool (g->gen, v)); }
void jg_null (json_gen_t *g) { track (g, yajl_gen_null (g->gen)); }

void
jg_key (json_gen_t *g, const char *key)
{
  track (g, yajl_gen_string (g->gen, (const unsigned char *) key, strlen (key)));
}

void
jg_str (json_gen_t *g, const char *s)
{
  if (s == NULL)
    jg_null (g);
  else
    track (g, yajl_gen_string (g->gen, (const unsigned char *) s, strlen (s)));
}

void
jg_uint (json_gen_t *g, uint64_t v)
{
  char buf[32];
  int n = snprintf (buf, sizeof (buf), "%" PRIu64, v);
  track (g, yajl_gen_number (g->gen, buf, n));
}

void
jg_strv (json_gen_t *g, char *const *v)
{
  jg_open_array (g);
  for (size_t i = 0; v && v[i]; i++)
    jg_str (g, v[i]);
  jg_close_array (g);
}

void
jg_value (json_gen_t *g, json_value_t *v)
{
  yajl_val y = Y (v);

  if (y == NULL)
    {
      jg_null (g);
      return;
    }
  switch (y->type)
    {
    case yajl_t_string: jg_str (g, y->u.string); break;
    case yajl_t_number: track (g, yajl_gen_number (g->gen, y->u.number.r, strlen (y->u.number.r))); break;
    case yajl_t_true: jg_bool (g, true); break;
    case yajl_t_false: jg_bool (g, false); break;
    case yajl_t_null: jg_null (g); break;
    case yajl_t_object:
      jg_open_map (g);
      for (size_t i = 0; i < y->u.object.len; i++)
        {
          jg_key (g, y->u.object.keys[i]);
          jg_value (g, (json_value_t *) y->u.object.values[i]);
        }
      jg_close_map (g);
      break;
    case yajl_t_array:
      jg_open_array (g);
      for (size_t i = 0; i < y->u.array.len; i++)
        jg_value (g, (json_value_t *) y->u.array.values[i]);
      jg_close_array (g);
      break;
    default:
      track (g, yajl_gen_invalid_string);
    }
}

void jg_kv_str (json_gen_t *g, const char *k, const char *s) { jg_key (g, k); jg_str (g, s); }
void jg_kv_int (json_gen_t *g, const char *k, int64_t v) { jg_key (g, k); jg_int (g, v); }
void jg_kv_uint (json_gen_t *g, const char *k, uint64_t v) { jg_key (g, k); jg_uint (g, v); }
void jg_kv_bool (json_gen_t *g, const char *k, bool v) { jg_key (g, k); jg_bool (g, v); }
void jg_kv_strv (json_gen_t *g, const char *k, char *const *v) { jg_key (g, k); jg_strv (g, v); }

static const char *
gen_status_text (yajl_gen_status s)
{
  switch (s)
    {
    case yajl_gen_keys_must_be_strings: return "a key must be a string";
    case yajl_max_depth_exceeded: return "nested too deep";
    case yajl_gen_in_error_state: return "generator in error state";
    case yajl_gen_generation_complete: return "value after the end of the document";
    case yajl_gen_invalid_number: return "invalid number";
    case yajl_gen_invalid_string: return "string is not valid UTF-8";
    default: return "generator error";
    }
}

int
json_gen_finish (json_gen_t *g, char **out, size_t *len, cryo_error_t *err)
{
  const unsigned char *buf;
  size_t size;

  if (g->status != yajl_gen_status_ok)
    return cryo_error (err, 0, "generate JSON: %s", gen_status_text (g->status));
  if (yajl_gen_get_buf (g->gen, &buf, &size) != yajl_gen_status_ok || size == 0 || g->depth != 0)
    return cryo_error (err, 0, "generate JSON: incomplete document");
  *out = xstrndup ((const char *) buf, size);
  if (len)
    *len = size;
  return 0;
}
