/* src/lib/json.c: parse errors, NULL-safe accessors, integers beyond int64,
 * the generator (sticky errors, incomplete documents) and jg_value copies. */
#include "config.h"

#include <stdlib.h>

#include "lib/json.h"
#include "tap.h"
#include "lib/util.h"

static int
expect_parse_error (const char *text, const char *message)
{
  cleanup_json json_value_t *v = NULL;
  cleanup_error cryo_error_t err = NULL;

  CHECK (json_parse (text, &v, &err) < 0);
  CHECK (v == NULL);
  CHECK_ERR_CONTAINS (err, message);
  CHECK (strchr (err->msg, '\n') == NULL);
  return 0;
}

static int
test_parse_errors (void)
{
  cleanup_free char *deep = xmalloc (2000);
  cleanup_free char *in_string = NULL;
  cleanup_json json_value_t *v = NULL;
  cleanup_error cryo_error_t err = NULL;

  CHECK (expect_parse_error ("{", "invalid JSON: ") == 0);
  CHECK (expect_parse_error ("{\"a\":}", "invalid JSON: ") == 0);
  CHECK (expect_parse_error ("[1,]", "invalid JSON: ") == 0);
  CHECK (expect_parse_error ("{\"a\" 1}", "invalid JSON: ") == 0);
  CHECK (expect_parse_error ("\"\xff\"", "invalid JSON: ") == 0);
  CHECK (expect_parse_error ("nul", "invalid JSON: ") == 0);
  memset (deep, '[', 1000);
  memset (deep + 1000, ']', 999);
  deep[1999] = '\0';
  CHECK (expect_parse_error (deep, "JSON nested deeper than 512 levels") == 0);
  /* brackets inside strings, escaped quotes included, are not nesting */
  in_string = xasprintf ("[\"\\\"%.*s\"]", 1000, deep);
  CHECK (json_parse (in_string, &v, &err) == 0);
  CHECK (json_is_array (v) && json_len (v) == 1 && strlen (json_string (json_at (v, 0))) == 1001);
  return 0;
}

static int
test_accessors (void)
{
  cleanup_json json_value_t *v = NULL;
  cleanup_error cryo_error_t err = NULL;
  json_value_t *o;

  CHECK (json_parse ("{\"s\":\"x\",\"i\":-42,\"d\":1.5,\"t\":true,\"f\":false,\"n\":null,"
                     "\"a\":[1,\"2\"],\"o\":{\"k\":1,\"k\":2}}", &v, &err) == 0);
  CHECK_STR (json_string (json_get (v, "s")), "x");
  CHECK (json_integer (json_get (v, "i")) == -42 && json_is_integer (json_get (v, "i")));
  CHECK (json_double (json_get (v, "d")) == 1.5 && !json_is_integer (json_get (v, "d")));
  CHECK (json_is_number (json_get (v, "d")) && json_integer (json_get (v, "d")) == 0);
  CHECK (json_bool (json_get (v, "t")) && json_is_bool (json_get (v, "f")) && !json_bool (json_get (v, "f")));
  CHECK (json_is_null (json_get (v, "n")) && !json_bool (json_get (v, "n")));
  CHECK_STR (json_type_name (json_get (v, "a")), "array");
  CHECK_STR (json_type_name (json_get (v, "o")), "object");
  CHECK_STR (json_type_name (json_get (v, "t")), "boolean");
  CHECK_STR (json_type_name (json_get (v, "n")), "null");
  CHECK_STR (json_type_name (NULL), "nothing");
  /* wrong types and missing keys give neutral values, never a crash */
  CHECK (json_string (json_get (v, "i")) == NULL && json_integer (json_get (v, "s")) == 0);
  CHECK (json_get (v, "missing") == NULL && json_get (NULL, "s") == NULL && json_get (json_get (v, "a"), "s") == NULL);
  CHECK (json_len (NULL) == 0 && json_len (json_get (v, "s")) == 0 && json_at (NULL, 0) == NULL);
  CHECK (json_len (json_get (v, "a")) == 2 && json_at (json_get (v, "a"), 2) == NULL);
  CHECK_STR (json_string (json_at (json_get (v, "a"), 1)), "2");
  o = json_get (v, "o");
  CHECK (json_len (o) == 2 && json_integer (json_get (o, "k")) == 2); /* last duplicate wins */
  CHECK_STR (json_key_at (o, 1), "k");
  CHECK (json_key_at (o, 2) == NULL && json_key_at (json_get (v, "a"), 0) == NULL);
  CHECK (json_integer (json_at (o, 0)) == 1);
  return 0;
}

static int
test_big_integers (void)
{
  cleanup_json json_value_t *v = NULL;
  cleanup_error cryo_error_t err = NULL;
  json_value_t *max_i, *above, *max_u, *too_big, *min_i;

  CHECK (json_parse ("[9223372036854775807,9223372036854775808,18446744073709551615,18446744073709551616,"
                     "-9223372036854775808]", &v, &err) == 0);
  max_i = json_at (v, 0), above = json_at (v, 1), max_u = json_at (v, 2), too_big = json_at (v, 3);
  min_i = json_at (v, 4);
  CHECK (json_is_integer (max_i) && !json_integer_is_unsigned_only (max_i) && json_integer (max_i) == INT64_MAX);
  CHECK (json_is_integer (above) && json_integer_is_unsigned_only (above));
  CHECK (json_uinteger (above) == 9223372036854775808ULL && json_integer (above) == 0);
  CHECK (json_is_integer (max_u) && json_uinteger (max_u) == UINT64_MAX);
  CHECK (!json_is_integer (too_big) && json_is_number (too_big) && json_uinteger (too_big) == 0);
  CHECK (json_is_integer (min_i) && json_integer (min_i) == INT64_MIN && !json_integer_is_unsigned_only (min_i));
  return 0;
}

static void
gen_sample (json_gen_t *g)
{
  static const char *const strv[] = { "a", "b c", NULL };

  jg_open_map (g);
  jg_kv_str (g, "str", "t\xc3\xa9st \"quoted\"\n");
  jg_kv_int (g, "neg", INT64_MIN);
  jg_kv_uint (g, "umax", UINT64_MAX);
  jg_key (g, "dbl");
  jg_double (g, 0.25);
  jg_kv_bool (g, "yes", true);
  jg_key (g, "nothing");
  jg_str (g, NULL);
  jg_kv_strv (g, "list", (char *const *) strv);
  jg_key (g, "empty");
  jg_strv (g, NULL);
  jg_key (g, "nested");
  jg_open_array (g);
  jg_open_map (g);
  jg_close_map (g);
  jg_null (g);
  jg_close_array (g);
  jg_close_map (g);
}

static int
test_generator_round_trip (void)
{
  for (int pretty = 0; pretty < 2; pretty++)
    {
      cleanup_json_gen json_gen_t *g = json_gen_new (pretty);
      cleanup_free char *text = NULL;
      cleanup_json json_value_t *v = NULL;
      cleanup_error cryo_error_t err = NULL;
      size_t len = 0;

      gen_sample (g);
      CHECK (json_gen_finish (g, &text, &len, &err) == 0);
      CHECK (len == strlen (text));
      CHECK (pretty == (strchr (text, '\n') != NULL));
      CHECK (json_parse (text, &v, &err) == 0);
      CHECK_STR (json_string (json_get (v, "str")), "t\xc3\xa9st \"quoted\"\n");
      CHECK (json_integer (json_get (v, "neg")) == INT64_MIN);
      CHECK (json_uinteger (json_get (v, "umax")) == UINT64_MAX);
      CHECK (json_double (json_get (v, "dbl")) == 0.25);
      CHECK (json_bool (json_get (v, "yes")) && json_is_null (json_get (v, "nothing")));
      CHECK_STR (json_string (json_at (json_get (v, "list"), 1)), "b c");
      CHECK (json_is_array (json_get (v, "empty")) && json_len (json_get (v, "empty")) == 0);
      CHECK (json_is_object (json_at (json_get (v, "nested"), 0)) && json_is_null (json_at (json_get (v, "nested"), 1)));
    }
  return 0;
}

static int
test_generator_errors (void)
{
  cleanup_json_gen json_gen_t *bad_utf8 = json_gen_new (false);
  cleanup_json_gen json_gen_t *unclosed = json_gen_new (false);
  cleanup_json_gen json_gen_t *empty = json_gen_new (false);
  cleanup_json_gen json_gen_t *key_type = json_gen_new (false);
  cleanup_free char *out = NULL;
  cleanup_error cryo_error_t err = NULL;

  jg_open_array (bad_utf8);
  jg_str (bad_utf8, "\xff\xfe");
  jg_str (bad_utf8, "fine"); /* the first error sticks */
  jg_close_array (bad_utf8);
  CHECK (json_gen_finish (bad_utf8, &out, NULL, &err) < 0);
  CHECK_STR (err->msg, "generate JSON: string is not valid UTF-8");
  jg_open_map (unclosed);
  jg_kv_str (unclosed, "a", "b");
  CHECK (json_gen_finish (unclosed, &out, NULL, &err) < 0);
  CHECK_STR (err->msg, "generate JSON: incomplete document");
  CHECK (json_gen_finish (empty, &out, NULL, &err) < 0);
  CHECK_STR (err->msg, "generate JSON: incomplete document");
  jg_open_map (key_type);
  jg_int (key_type, 1);
  jg_close_map (key_type);
  CHECK (json_gen_finish (key_type, &out, NULL, &err) < 0);
  CHECK_STR (err->msg, "generate JSON: a key must be a string");
  CHECK (out == NULL);
  return 0;
}

static int
test_value_copy (void)
{
  /* compact input in yajl's own spelling: the copy must be byte for byte the same,
   * numbers included (kept as written: 1.50, 1e3, above INT64_MAX) */
  const char *text = "{\"a\":[1,-2,1.50,1e3,18446744073709551615,true,false,null],\"b\":{\"c\":\"d\\n\\u00e9\","
                     "\"e\":{}},\"f\":[],\"g\":\"\"}";
  cleanup_json json_value_t *v = NULL;
  cleanup_json_gen json_gen_t *g = json_gen_new (false);
  cleanup_json_gen json_gen_t *null_gen = json_gen_new (false);
  cleanup_free char *out = NULL;
  cleanup_free char *null_out = NULL;
  cleanup_error cryo_error_t err = NULL;

  CHECK (json_parse (text, &v, &err) == 0);
  jg_value (g, v);
  CHECK (json_gen_finish (g, &out, NULL, &err) == 0);
  CHECK_STR (out, "{\"a\":[1,-2,1.50,1e3,18446744073709551615,true,false,null],\"b\":{\"c\":\"d\\n\xc3\xa9\","
                  "\"e\":{}},\"f\":[],\"g\":\"\"}");
  jg_open_array (null_gen);
  jg_value (null_gen, NULL);
  jg_value (null_gen, json_get (json_get (v, "b"), "e"));
  jg_close_array (null_gen);
  CHECK (json_gen_finish (null_gen, &null_out, NULL, &err) == 0);
  CHECK_STR (null_out, "[null,{}]");
  return 0;
}

/* Errors are one line even when they quote a name with a newline or an
 * escape (found by fuzz-tree: a hard link target from a tmpfs archive). */
static int
test_error_one_line (void)
{
  cleanup_error cryo_error_t err = NULL;

  cryo_error (&err, 0, "`%s`: bad", "a\nb\033[2J");
  CHECK_STR (err->msg, "`a?b?[2J`: bad");
  cryo_error_wrap (&err, "image `%s`", "x\ry");
  CHECK_STR (err->msg, "image `x?y`: `a?b?[2J`: bad");
  return 0;
}

int
main (void)
{
  TAP_PLAN (7);
  RUN_TEST (test_parse_errors);
  RUN_TEST (test_accessors);
  RUN_TEST (test_big_integers);
  RUN_TEST (test_generator_round_trip);
  RUN_TEST (test_generator_errors);
  RUN_TEST (test_value_copy);
  RUN_TEST (test_error_one_line);
  return tap_exit ();
}
