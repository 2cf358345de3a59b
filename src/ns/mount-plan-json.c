/* The mount plan as JSON: written into checkpoint images, read back and
 * replayed at restore.  Every field of every operation is written, so
 * from_json (to_json (plan)) is the same plan; the reader is strict (a
 * corrupt image must fail with the field's name, never mount garbage). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "ns/mount-plan.h"
#include "lib/util.h"

#define MOUNT_PLAN_VERSION 1

static void
gen_mappings (json_gen_t *gen, const char *key, const struct spec_id_mapping *m, size_t n)
{
  size_t i;
  jg_key (gen, key);
  jg_open_array (gen);
  for (i = 0; i < n; i++)
    {
      jg_open_map (gen);
      jg_kv_uint (gen, "containerID", m[i].container_id);
      jg_kv_uint (gen, "hostID", m[i].host_id);
      jg_kv_uint (gen, "size", m[i].size);
      jg_close_map (gen);
    }
  jg_close_array (gen);
}

static void
gen_mount (json_gen_t *gen, const struct mount_op *op)
{
  jg_kv_str (gen, "type", op->type);
  jg_kv_str (gen, "source", op->source);
  jg_kv_strv (gen, "options", op->options);
  jg_kv_uint (gen, "flags", op->flags);
  jg_kv_uint (gen, "clearFlags", op->clear_flags);
  jg_kv_uint (gen, "propagation", op->propagation);
  jg_kv_uint (gen, "recAttrSet", op->rec_attr_set);
  jg_kv_uint (gen, "recAttrClr", op->rec_attr_clr);
  jg_kv_str (gen, "data", op->data);
  jg_kv_bool (gen, "idmap", op->idmap);
  jg_kv_bool (gen, "idmapRecursive", op->idmap_recursive);
  jg_kv_bool (gen, "tmpcopyup", op->tmpcopyup);
  gen_mappings (gen, "uidMappings", op->uid_mappings, op->n_uid_mappings);
  gen_mappings (gen, "gidMappings", op->gid_mappings, op->n_gid_mappings);
}

static void
gen_op (json_gen_t *gen, const struct mount_op *op)
{
  char type[2] = { op->dev_type, '\0' };

  jg_open_map (gen);
  jg_kv_str (gen, "kind", mount_op_kind_names[op->kind]);
  jg_kv_str (gen, "destination", op->destination);
  switch (op->kind)
    {
    case MOUNT_OP_MOUNT:
      gen_mount (gen, op);
      break;
    case MOUNT_OP_DEVICE:
      jg_kv_str (gen, "devType", type);
      jg_kv_int (gen, "major", op->major);
      jg_kv_int (gen, "minor", op->minor);
      jg_kv_uint (gen, "mode", op->mode);
      jg_kv_uint (gen, "uid", op->uid);
      jg_kv_uint (gen, "gid", op->gid);
      break;
    case MOUNT_OP_SYMLINK:
      jg_kv_str (gen, "target", op->target);
      break;
    default:
      break;
    }
  jg_close_map (gen);
}

int
mount_plan_to_json (const struct mount_plan *plan, json_gen_t *gen, cryo_error_t *err)
{
  size_t i;

  for (i = 0; i < plan->n_ops; i++)
    if ((unsigned) plan->ops[i].kind >= MOUNT_OP_MAX)
      return cryo_error (err, 0, "mount plan: operation %zu has an unknown kind %d", i,
                         (int) plan->ops[i].kind);
  jg_open_map (gen);
  jg_kv_int (gen, "version", MOUNT_PLAN_VERSION);
  jg_kv_uint (gen, "rootPropagation", plan->root_propagation);
  jg_kv_bool (gen, "readonlyRoot", plan->readonly_root);
  jg_kv_bool (gen, "setupDev", plan->setup_dev);
  jg_kv_bool (gen, "cgroupNs", plan->cgroup_ns);
  jg_key (gen, "ops");
  jg_open_array (gen);
  for (i = 0; i < plan->n_ops; i++)
    gen_op (gen, &plan->ops[i]);
  jg_close_array (gen);
  jg_close_map (gen);
  return 0;
}

/* Strict readers: @field is the JSON path for the message. */
static int
rd_str (json_value_t *obj, const char *field, const char *key, bool required, char **out,
        cryo_error_t *err)
{
  json_value_t *v = json_get (obj, key);
  if ((v == NULL || json_is_null (v)) && !required)
    return 0;
  if (!json_is_string (v))
    return cryo_error (err, 0, "mount plan: %s.%s: expected a string, found %s", field, key,
                       v ? json_type_name (v) : "nothing");
  *out = xstrdup (json_string (v));
  return 0;
}

static int
rd_u64 (json_value_t *obj, const char *field, const char *key, uint64_t max, uint64_t *out,
        cryo_error_t *err)
{
  json_value_t *v = json_get (obj, key);
  if (!json_is_integer (v) || (!json_integer_is_unsigned_only (v) && json_integer (v) < 0)
      || json_uinteger (v) > max)
    return cryo_error (err, 0, "mount plan: %s.%s: expected an integer in [0, %llu]", field, key,
                       (unsigned long long) max);
  *out = json_uinteger (v);
  return 0;
}

static int
rd_i64 (json_value_t *obj, const char *field, const char *key, int64_t *out, cryo_error_t *err)
{
  json_value_t *v = json_get (obj, key);
  if (!json_is_integer (v) || json_integer_is_unsigned_only (v))
    return cryo_error (err, 0, "mount plan: %s.%s: expected an integer", field, key);
  *out = json_integer (v);
  return 0;
}

static int
rd_bool (json_value_t *obj, const char *field, const char *key, bool *out, cryo_error_t *err)
{
  json_value_t *v = json_get (obj, key);
  if (!json_is_bool (v))
    return cryo_error (err, 0, "mount plan: %s.%s: expected a boolean", field, key);
  *out = json_bool (v);
  return 0;
}

/* A key this version added: absent means what plans meant before it. */
static int
rd_bool_opt (json_value_t *obj, const char *field, const char *key, bool absent, bool *out,
             cryo_error_t *err)
{
  if (json_get (obj, key) == NULL)
    {
      *out = absent;
      return 0;
    }
  return rd_bool (obj, field, key, out, err);
}

static int
rd_ulong (json_value_t *obj, const char *field, const char *key, unsigned long *out,
          cryo_error_t *err)
{
  uint64_t u;
  if (rd_u64 (obj, field, key, (unsigned long) -1, &u, err) < 0)
    return -1;
  *out = (unsigned long) u;
  return 0;
}

static int
rd_strv (json_value_t *obj, const char *field, const char *key, char ***out, cryo_error_t *err)
{
  json_value_t *v = json_get (obj, key);
  size_t i;

  if (!json_is_array (v))
    return cryo_error (err, 0, "mount plan: %s.%s: expected an array of strings", field, key);
  *out = xzalloc (sizeof (char *));
  for (i = 0; i < json_len (v); i++)
    {
      if (!json_is_string (json_at (v, i)))
        return cryo_error (err, 0, "mount plan: %s.%s[%zu]: expected a string", field, key, i);
      strv_append (out, json_string (json_at (v, i)));
    }
  return 0;
}

static int
rd_mappings (json_value_t *obj, const char *field, const char *key, struct spec_id_mapping **out,
             size_t *n, cryo_error_t *err)
{
  json_value_t *v = json_get (obj, key);
  size_t i;

  if (!json_is_array (v))
    return cryo_error (err, 0, "mount plan: %s.%s: expected an array", field, key);
  *n = json_len (v);
  *out = *n ? xreallocarray (NULL, *n, sizeof (**out)) : NULL;
  for (i = 0; i < *n; i++)
    {
      cleanup_free char *f = xasprintf ("%s.%s[%zu]", field, key, i);
      json_value_t *m = json_at (v, i);
      uint64_t c, h, s;
      if (rd_u64 (m, f, "containerID", UINT32_MAX, &c, err) < 0
          || rd_u64 (m, f, "hostID", UINT32_MAX, &h, err) < 0
          || rd_u64 (m, f, "size", UINT32_MAX, &s, err) < 0)
        return -1;
      (*out)[i] = (struct spec_id_mapping){ (uint32_t) c, (uint32_t) h, (uint32_t) s };
    }
  return 0;
}

static int
rd_mount (json_value_t *o, const char *f, struct mount_op *op, cryo_error_t *err)
{
  if (rd_str (o, f, "type", false, &op->type, err) < 0
      || rd_str (o, f, "source", false, &op->source, err) < 0
      || rd_strv (o, f, "options", &op->options, err) < 0
      || rd_ulong (o, f, "flags", &op->flags, err) < 0
      || rd_ulong (o, f, "clearFlags", &op->clear_flags, err) < 0
      || rd_ulong (o, f, "propagation", &op->propagation, err) < 0
      || rd_u64 (o, f, "recAttrSet", UINT64_MAX, &op->rec_attr_set, err) < 0
      || rd_u64 (o, f, "recAttrClr", UINT64_MAX, &op->rec_attr_clr, err) < 0
      || rd_str (o, f, "data", false, &op->data, err) < 0
      || rd_bool (o, f, "idmap", &op->idmap, err) < 0
      || rd_bool (o, f, "idmapRecursive", &op->idmap_recursive, err) < 0
      || rd_bool_opt (o, f, "tmpcopyup", false, &op->tmpcopyup, err) < 0
      || rd_mappings (o, f, "uidMappings", &op->uid_mappings, &op->n_uid_mappings, err) < 0
      || rd_mappings (o, f, "gidMappings", &op->gid_mappings, &op->n_gid_mappings, err) < 0)
    return -1;
  if (!(op->flags & (MS_BIND | MS_REMOUNT)) && op->type == NULL)
    return cryo_error (err, 0, "mount plan: %s.type: required for a mount that is not a bind", f);
  if ((op->flags & MS_BIND) && (op->source == NULL || op->source[0] != '/'))
    return cryo_error (err, 0, "mount plan: %s.source: a bind mount needs an absolute source", f);
  if (op->tmpcopyup && (!mount_op_is_tmpfs (op) || (op->flags & MS_REMOUNT)))
    return cryo_error (err, 0, "mount plan: %s.tmpcopyup: only a new tmpfs can be filled", f);
  return 0;
}

static int
rd_device (json_value_t *o, const char *f, struct mount_op *op, cryo_error_t *err)
{
  cleanup_free char *type = NULL;
  uint64_t mode, uid, gid;

  if (rd_str (o, f, "devType", true, &type, err) < 0 || rd_i64 (o, f, "major", &op->major, err) < 0
      || rd_i64 (o, f, "minor", &op->minor, err) < 0
      || rd_u64 (o, f, "mode", 07777, &mode, err) < 0
      || rd_u64 (o, f, "uid", UINT32_MAX, &uid, err) < 0
      || rd_u64 (o, f, "gid", UINT32_MAX, &gid, err) < 0)
    return -1;
  if (strlen (type) != 1 || strchr ("cbp", type[0]) == NULL)
    return cryo_error (err, 0, "mount plan: %s.devType: `%s` is not c, b or p", f, type);
  if (op->major < 0 || op->major > 0xfff || op->minor < 0 || op->minor > 0xfffff)
    return cryo_error (err, 0, "mount plan: %s: major %lld minor %lld out of range", f,
                       (long long) op->major, (long long) op->minor);
  op->dev_type = type[0];
  op->mode = (mode_t) mode;
  op->uid = (uid_t) uid;
  op->gid = (gid_t) gid;
  return 0;
}

static int
rd_op (json_value_t *o, size_t i, struct mount_plan *plan, cryo_error_t *err)
{
  cleanup_free char *f = xasprintf ("ops[%zu]", i);
  cleanup_free char *kind = NULL, *dest = NULL;
  struct mount_op *op;
  int k;

  if (!json_is_object (o))
    return cryo_error (err, 0, "mount plan: %s: expected an object", f);
  if (rd_str (o, f, "kind", true, &kind, err) < 0 || rd_str (o, f, "destination", true, &dest, err) < 0)
    return -1;
  for (k = 0; k < MOUNT_OP_MAX && strcmp (kind, mount_op_kind_names[k]) != 0; k++)
    ;
  if (k == MOUNT_OP_MAX)
    return cryo_error (err, 0, "mount plan: %s.kind: unknown kind `%s`", f, kind);
  if (dest[0] != '/')
    return cryo_error (err, 0, "mount plan: %s.destination: `%s` is not absolute", f, dest);
  op = mount_plan_append (plan, (enum mount_op_kind) k, NULL);
  op->destination = steal_pointer (&dest);
  switch (op->kind)
    {
    case MOUNT_OP_MOUNT:
      return rd_mount (o, f, op, err);
    case MOUNT_OP_DEVICE:
      return rd_device (o, f, op, err);
    case MOUNT_OP_SYMLINK:
      return rd_str (o, f, "target", true, &op->target, err);
    default:
      return 0;
    }
}

int
mount_plan_from_json (json_value_t *v, struct mount_plan **out, cryo_error_t *err)
{
  cleanup_mount_plan struct mount_plan *plan = xzalloc (sizeof (*plan));
  json_value_t *ops;
  uint64_t version;
  size_t i;

  if (!json_is_object (v))
    return cryo_error (err, 0, "mount plan: expected an object, found %s",
                       v ? json_type_name (v) : "nothing");
  if (rd_u64 (v, "plan", "version", UINT32_MAX, &version, err) < 0)
    return -1;
  if (version != MOUNT_PLAN_VERSION)
    return cryo_error (err, 0, "mount plan: version %llu is not supported (this cryo reads %d)",
                       (unsigned long long) version, MOUNT_PLAN_VERSION);
  if (rd_ulong (v, "plan", "rootPropagation", &plan->root_propagation, err) < 0
      || rd_bool (v, "plan", "readonlyRoot", &plan->readonly_root, err) < 0
      || rd_bool (v, "plan", "setupDev", &plan->setup_dev, err) < 0
      /* before cgroupNs, a cgroup mount always mounted cgroup file systems */
      || rd_bool_opt (v, "plan", "cgroupNs", true, &plan->cgroup_ns, err) < 0)
    return -1;
  ops = json_get (v, "ops");
  if (!json_is_array (ops))
    return cryo_error (err, 0, "mount plan: plan.ops: expected an array");
  for (i = 0; i < json_len (ops); i++)
    if (rd_op (json_at (ops, i), i, plan, err) < 0)
      return -1;
  *out = steal_pointer (&plan);
  return 0;
}
