/* JSON for cryo: the only interface to the JSON library (yajl today), so the
 * backend can be swapped without touching callers.
 *
 * Parsing gives a read-only tree; accessors are NULL-safe so a lookup chain
 * like json_get (json_get (root, "process"), "cwd") needs no checks in
 * between.  Generation goes through json_gen_t, whose error is sticky: build
 * the whole document, check once in json_gen_finish(). */
#ifndef CRYO_JSON_H
#define CRYO_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

typedef struct json_value json_value_t;

/* Parse text; on error the message says where the syntax is wrong. */
int json_parse (const char *text, json_value_t **out, cryo_error_t *err);
void json_free (json_value_t *v);
void cleanup_json_freep (json_value_t **v);
#define cleanup_json __attribute__ ((cleanup (cleanup_json_freep)))

json_value_t *json_get (json_value_t *obj, const char *key);  /* NULL if absent */
bool json_is_object (json_value_t *v);
bool json_is_array (json_value_t *v);
bool json_is_string (json_value_t *v);
bool json_is_number (json_value_t *v);
bool json_is_integer (json_value_t *v);
bool json_is_bool (json_value_t *v);
bool json_is_null (json_value_t *v);
const char *json_type_name (json_value_t *v); /* "object", "string", ... */

const char *json_string (json_value_t *v);    /* NULL if not a string */
int64_t json_integer (json_value_t *v);       /* 0 if not an integer */
uint64_t json_uinteger (json_value_t *v);     /* integers above INT64_MAX too */
bool json_integer_is_unsigned_only (json_value_t *v); /* > INT64_MAX */
double json_double (json_value_t *v);
bool json_bool (json_value_t *v);             /* true only for `true` */

size_t json_len (json_value_t *v);            /* members of an object or array */
json_value_t *json_at (json_value_t *v, size_t i); /* i-th element or member value */
const char *json_key_at (json_value_t *obj, size_t i);

/* Generator. */
typedef struct json_gen json_gen_t;
json_gen_t *json_gen_new (bool pretty);
void json_gen_free (json_gen_t *g);
void cleanup_json_genp (json_gen_t **g);
#define cleanup_json_gen __attribute__ ((cleanup (cleanup_json_genp)))

void jg_open_map (json_gen_t *g);
void jg_close_map (json_gen_t *g);
void jg_open_array (json_gen_t *g);
void jg_close_array (json_gen_t *g);
void jg_key (json_gen_t *g, const char *key);
void jg_str (json_gen_t *g, const char *s);     /* NULL gives null */
void jg_int (json_gen_t *g, int64_t v);
void jg_uint (json_gen_t *g, uint64_t v);
void jg_double (json_gen_t *g, double v);
void jg_bool (json_gen_t *g, bool v);
void jg_null (json_gen_t *g);
void jg_value (json_gen_t *g, json_value_t *v); /* copy a parsed subtree */
void jg_strv (json_gen_t *g, char *const *v);   /* array of strings */

/* key + value shorthands */
void jg_kv_str (json_gen_t *g, const char *key, const char *s);
void jg_kv_int (json_gen_t *g, const char *key, int64_t v);
void jg_kv_uint (json_gen_t *g, const char *key, uint64_t v);
void jg_kv_bool (json_gen_t *g, const char *key, bool v);
void jg_kv_strv (json_gen_t *g, const char *key, char *const *v);

/* The document as a NUL-terminated string, owned by the caller. */
int json_gen_finish (json_gen_t *g, char **out, size_t *len, cryo_error_t *err);

#endif
