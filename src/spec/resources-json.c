/* linux.resources written back into config.json text: `cryo update` keeps
 * the container's stored config current (runc keeps updated resources in
 * its state), so that a checkpoint records, and a restore applies, the
 * limits the container really had. */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "lib/json.h"
#include "spec/spec.h"
#include "lib/util.h"

enum res_kind
{
  RES_I64,
  RES_U64,
  RES_STR,
};

/* The fields `update` can set, by their JSON names. */
struct res_field
{
  const char *group, *key;
  enum res_kind kind;
  size_t offset;
};

#define F(g, k, kind, field) { g, k, kind, offsetof (struct spec_resources, field) }
static const struct res_field res_fields[] = {
  F ("memory", "limit", RES_I64, memory.limit),
  F ("memory", "reservation", RES_I64, memory.reservation),
  F ("memory", "swap", RES_I64, memory.swap),
  F ("memory", "kernel", RES_I64, memory.kernel),
  F ("memory", "kernelTCP", RES_I64, memory.kernel_tcp),
  F ("memory", "swappiness", RES_U64, memory.swappiness),
  F ("cpu", "shares", RES_U64, cpu.shares),
  F ("cpu", "quota", RES_I64, cpu.quota),
  F ("cpu", "period", RES_U64, cpu.period),
  F ("cpu", "realtimeRuntime", RES_I64, cpu.realtime_runtime),
  F ("cpu", "realtimePeriod", RES_U64, cpu.realtime_period),
  F ("cpu", "idle", RES_I64, cpu.idle),
  F ("cpu", "cpus", RES_STR, cpu.cpus),
  F ("cpu", "mems", RES_STR, cpu.mems),
  F ("pids", "limit", RES_I64, pids.limit),
  F ("blockIO", "weight", RES_U64, block_io.weight),
  F ("blockIO", "leafWeight", RES_U64, block_io.leaf_weight),
};
#undef F

static const char *const res_groups[] = { "memory", "cpu", "pids", "blockIO" };

/* Whether @u sets the field, and if so emit it when @g is not NULL. */
static bool
field_emit (const struct res_field *f, const struct spec_resources *u, json_gen_t *g)
{
  const char *base = (const char *) u + f->offset;

  if (f->kind == RES_STR && *(char *const *) base == NULL)
    return false;
  if (f->kind == RES_I64 && !((const struct spec_opt_i64 *) base)->set)
    return false;
  if (f->kind == RES_U64 && !((const struct spec_opt_u64 *) base)->set)
    return false;
  if (g == NULL)
    return true;
  jg_key (g, f->key);
  if (f->kind == RES_STR)
    jg_str (g, *(char *const *) base);
  else if (f->kind == RES_I64)
    jg_int (g, ((const struct spec_opt_i64 *) base)->value);
  else
    jg_uint (g, ((const struct spec_opt_u64 *) base)->value);
  return true;
}

static bool
overridden (const char *group, const char *key, const struct spec_resources *u)
{
  for (size_t i = 0; i < ARRAY_SIZE (res_fields); i++)
    if (strcmp (res_fields[i].group, group) == 0 && strcmp (res_fields[i].key, key) == 0)
      return field_emit (&res_fields[i], u, NULL);
  return false;
}

/* One group object of @old with the members @u sets over it. */
static void
emit_group (json_gen_t *g, const char *group, json_value_t *old, const struct spec_resources *u)
{
  jg_open_map (g);
  for (size_t i = 0; i < json_len (old); i++)
    if (!overridden (group, json_key_at (old, i), u))
      {
        jg_key (g, json_key_at (old, i));
        jg_value (g, json_at (old, i));
      }
  for (size_t i = 0; i < ARRAY_SIZE (res_fields); i++)
    if (strcmp (res_fields[i].group, group) == 0)
      field_emit (&res_fields[i], u, g);
  jg_close_map (g);
}

static bool
group_touched (const char *group, json_value_t *old, const struct spec_resources *u)
{
  if (json_get (old, group))
    return true;
  for (size_t i = 0; i < ARRAY_SIZE (res_fields); i++)
    if (strcmp (res_fields[i].group, group) == 0 && field_emit (&res_fields[i], u, NULL))
      return true;
  return false;
}

static bool
is_group (const char *key)
{
  for (size_t i = 0; i < ARRAY_SIZE (res_groups); i++)
    if (strcmp (res_groups[i], key) == 0)
      return true;
  return false;
}

/* linux.resources: @old with @u over it.  Devices are left alone (update
 * does not change them); a unified map in @u replaces the old keys it names. */
static void
emit_resources (json_gen_t *g, json_value_t *old, const struct spec_resources *u)
{
  json_value_t *old_unified = json_get (old, "unified");

  jg_open_map (g);
  for (size_t i = 0; i < json_len (old); i++)
    {
      const char *key = json_key_at (old, i);
      if (is_group (key) || (u->unified && strcmp (key, "unified") == 0))
        continue;
      jg_key (g, key);
      jg_value (g, json_at (old, i));
    }
  for (size_t i = 0; i < ARRAY_SIZE (res_groups); i++)
    if (group_touched (res_groups[i], old, u))
      {
        jg_key (g, res_groups[i]);
        emit_group (g, res_groups[i], json_get (old, res_groups[i]), u);
      }
  if (u->unified)
    {
      jg_key (g, "unified");
      jg_open_map (g);
      for (size_t i = 0; i < json_len (old_unified); i++)
        if (json_get (u->unified, json_key_at (old_unified, i)) == NULL)
          {
            jg_key (g, json_key_at (old_unified, i));
            jg_value (g, json_at (old_unified, i));
          }
      for (size_t i = 0; i < json_len (u->unified); i++)
        {
          jg_key (g, json_key_at (u->unified, i));
          jg_value (g, json_at (u->unified, i));
        }
      jg_close_map (g);
    }
  jg_close_map (g);
}

/* @tree with linux.resources replaced by @resources (a tree), or, when
 * @resources is NULL, by the old one with @u over it. */
static void
emit_config (json_gen_t *g, json_value_t *tree, json_value_t *resources, const struct spec_resources *u)
{
  json_value_t *linux_ = json_get (tree, "linux");

  jg_open_map (g);
  for (size_t i = 0; i < json_len (tree); i++)
    if (strcmp (json_key_at (tree, i), "linux") != 0)
      {
        jg_key (g, json_key_at (tree, i));
        jg_value (g, json_at (tree, i));
      }
  jg_key (g, "linux");
  jg_open_map (g);
  for (size_t i = 0; i < json_len (linux_); i++)
    if (strcmp (json_key_at (linux_, i), "resources") != 0)
      {
        jg_key (g, json_key_at (linux_, i));
        jg_value (g, json_at (linux_, i));
      }
  jg_key (g, "resources");
  if (resources)
    jg_value (g, resources);
  else
    emit_resources (g, json_get (linux_, "resources"), u);
  jg_close_map (g);
  jg_close_map (g);
}

int
spec_text_update_resources (const char *text, const struct spec_resources *update, char **out,
                            cryo_error_t *err)
{
  cleanup_json json_value_t *tree = NULL;
  cleanup_json_gen json_gen_t *g = json_gen_new (true);

  if (json_parse (text, &tree, err) < 0)
    return -1;
  emit_config (g, tree, NULL, update);
  return json_gen_finish (g, out, NULL, err);
}

int
spec_text_set_resources (const char *text, json_value_t *resources, char **out, cryo_error_t *err)
{
  cleanup_json json_value_t *tree = NULL;
  cleanup_json_gen json_gen_t *g = json_gen_new (true);

  if (json_parse (text, &tree, err) < 0)
    return -1;
  emit_config (g, tree, resources, NULL);
  return json_gen_finish (g, out, NULL, err);
}
