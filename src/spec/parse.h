/* Internal to the config.json parser (src/spec*.c): typed field readers
 * that name the field by its JSON path when it is wrong.
 *
 * Every reader takes the parent's path (@field, "" for the top level) and
 * the key, and builds "parent.key" only for the error message.  JSON null is
 * treated as absent, as Go's decoder (runc) does; absent optional fields
 * leave the output untouched, so callers preset defaults. */
#ifndef CRYO_SPEC_PARSE_H
#define CRYO_SPEC_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/error.h"
#include "lib/json.h"
#include "spec/spec.h"

/* "parent.key", or "key" at the top level; caller frees. */
char *sp_path (const char *field, const char *key);
/* "parent[i]"; caller frees. */
char *sp_index (const char *field, size_t i);

/* "PATH: MESSAGE" with the path built from @field and @key (@key may be NULL). */
int sp_error (cryo_error_t *err, const char *field, const char *key, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
/* "PATH: expected EXPECTED, found TYPE". */
int sp_type_error (cryo_error_t *err, const char *field, const char *key, const char *expected,
                   json_value_t *found);
/* The same for integer fields: says when the number is fractional or too large. */
int sp_int_type_error (cryo_error_t *err, const char *field, const char *key, const char *expected,
                       json_value_t *found);

/* The member @key of @obj, NULL when absent or null. */
json_value_t *sp_member (json_value_t *obj, const char *key);

/* @out NULL when absent; an error when present with another type. */
int sp_object (json_value_t *obj, const char *field, const char *key, json_value_t **out, cryo_error_t *err);
int sp_array (json_value_t *obj, const char *field, const char *key, json_value_t **out, cryo_error_t *err);

int sp_string (json_value_t *obj, const char *field, const char *key, bool required, char **out,
               cryo_error_t *err);
int sp_bool (json_value_t *obj, const char *field, const char *key, bool *out, cryo_error_t *err);
int sp_i64 (json_value_t *obj, const char *field, const char *key, struct spec_opt_i64 *out,
            cryo_error_t *err);
int sp_u64 (json_value_t *obj, const char *field, const char *key, struct spec_opt_u64 *out,
            cryo_error_t *err);
/* An integer in [0, max]; @required: an error when absent. */
int sp_uint_max (json_value_t *obj, const char *field, const char *key, bool required, uint64_t max,
                 uint64_t *out, cryo_error_t *err);
/* An array of strings; NULL when absent, a NULL-terminated vector otherwise. */
int sp_strv (json_value_t *obj, const char *field, const char *key, char ***out, cryo_error_t *err);
/* An object whose values are all strings, as two parallel vectors. */
int sp_string_map (json_value_t *obj, const char *field, const char *key, char ***keys, char ***values,
                   cryo_error_t *err);
/* An array of {containerID, hostID, size}. */
int sp_id_mappings (json_value_t *obj, const char *field, const char *key,
                    struct spec_id_mapping **out, size_t *n, cryo_error_t *err);

/* Every string of @v is an absolute path ("PATH[i]: must be an absolute path"). */
int sp_check_absolute_paths (char *const *v, const char *field, const char *key, cryo_error_t *err);

/* Lexically clean an absolute or relative path: no "//", "/./", "/../", trailing "/". */
char *sp_path_clean (const char *path);

/* Sections, each in its own file. */
int spec_parse_linux (json_value_t *obj, const char *field, struct spec_linux **out, cryo_error_t *err);
void spec_linux_free (struct spec_linux *l);
int spec_parse_hooks (json_value_t *root, struct spec *spec, cryo_error_t *err);
void spec_hooks_clear (struct spec *spec);
int spec_parse_mounts (json_value_t *root, struct spec *spec, cryo_error_t *err);
void spec_mounts_clear (struct spec *spec);
/* Checks that need the whole document (hostname needs a uts namespace ...). */
int spec_check_cross (const struct spec *spec, cryo_error_t *err);

#endif
