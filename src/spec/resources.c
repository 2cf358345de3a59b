/* config.json `linux.resources`: cgroup limits.  Also the parser of
 * `update --resources FILE`, which holds the same object alone.  Only types
 * and ranges are checked here; whether the host's cgroup driver can apply a
 * value is the driver's call (src/cgroup*.c). */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "spec/parse.h"
#include "lib/util.h"

static int
parse_memory (json_value_t *res, const char *field, struct spec_resources *r, cryo_error_t *err)
{
  cleanup_free char *path = sp_path (field, "memory");
  json_value_t *m, *swappiness;

  if (sp_object (res, field, "memory", &m, err) < 0)
    return -1;
  if (m == NULL)
    return 0;
  if (sp_i64 (m, path, "limit", &r->memory.limit, err) < 0
      || sp_i64 (m, path, "reservation", &r->memory.reservation, err) < 0
      || sp_i64 (m, path, "swap", &r->memory.swap, err) < 0
      || sp_i64 (m, path, "kernel", &r->memory.kernel, err) < 0
      || sp_i64 (m, path, "kernelTCP", &r->memory.kernel_tcp, err) < 0
      || sp_bool (m, path, "disableOOMKiller", &r->memory.disable_oom_killer, err) < 0
      || sp_bool (m, path, "useHierarchy", &r->memory.use_hierarchy, err) < 0
      || sp_bool (m, path, "checkBeforeUpdate", &r->memory.check_before_update, err) < 0)
    return -1;
  /* Docker-era configs write -1 for "leave the kernel's default"; runc
   * accepts it, so do we. */
  swappiness = sp_member (m, "swappiness");
  if (json_is_integer (swappiness) && !json_integer_is_unsigned_only (swappiness)
      && json_integer (swappiness) == -1)
    return 0;
  if (sp_u64 (m, path, "swappiness", &r->memory.swappiness, err) < 0)
    return -1;
  if (r->memory.swappiness.set && r->memory.swappiness.value > 100)
    return sp_error (err, path, "swappiness", "%" PRIu64 " is out of range (0..100)",
                     r->memory.swappiness.value);
  return 0;
}

static int
parse_cpu (json_value_t *res, const char *field, struct spec_resources *r, cryo_error_t *err)
{
  cleanup_free char *path = sp_path (field, "cpu");
  json_value_t *c;

  if (sp_object (res, field, "cpu", &c, err) < 0)
    return -1;
  if (c == NULL)
    return 0;
  return (sp_u64 (c, path, "shares", &r->cpu.shares, err) < 0
          || sp_u64 (c, path, "period", &r->cpu.period, err) < 0
          || sp_u64 (c, path, "realtimePeriod", &r->cpu.realtime_period, err) < 0
          || sp_i64 (c, path, "quota", &r->cpu.quota, err) < 0
          || sp_i64 (c, path, "realtimeRuntime", &r->cpu.realtime_runtime, err) < 0
          || sp_i64 (c, path, "idle", &r->cpu.idle, err) < 0
          || sp_string (c, path, "cpus", false, &r->cpu.cpus, err) < 0
          || sp_string (c, path, "mems", false, &r->cpu.mems, err) < 0)
             ? -1
             : 0;
}

static int
parse_pids_blkio (json_value_t *res, const char *field, struct spec_resources *r, cryo_error_t *err)
{
  cleanup_free char *pids_path = sp_path (field, "pids");
  cleanup_free char *blkio_path = sp_path (field, "blockIO");
  json_value_t *pids, *blkio;
  uint64_t v;

  if (sp_object (res, field, "pids", &pids, err) < 0 || sp_object (res, field, "blockIO", &blkio, err) < 0)
    return -1;
  if (pids && sp_i64 (pids, pids_path, "limit", &r->pids.limit, err) < 0)
    return -1;
  if (blkio == NULL)
    return 0;
  /* uint16 in the runtime-spec */
  if (sp_member (blkio, "weight"))
    {
      if (sp_uint_max (blkio, blkio_path, "weight", false, UINT16_MAX, &v, err) < 0)
        return -1;
      r->block_io.weight = (struct spec_opt_u64){ true, v };
    }
  if (sp_member (blkio, "leafWeight"))
    {
      if (sp_uint_max (blkio, blkio_path, "leafWeight", false, UINT16_MAX, &v, err) < 0)
        return -1;
      r->block_io.leaf_weight = (struct spec_opt_u64){ true, v };
    }
  return 0;
}

static int
parse_rule_number (json_value_t *e, const char *elem, const char *key, struct spec_opt_i64 *out,
                   cryo_error_t *err)
{
  if (sp_i64 (e, elem, key, out, err) < 0)
    return -1;
  /* -1 is the wildcard, the same as leaving the number out */
  if (out->set && out->value == -1)
    out->set = false;
  else if (out->set && out->value < 0)
    return sp_error (err, elem, key, "%" PRId64 " is not a device number (-1 means any)", out->value);
  return 0;
}

/* The r, w and m of @access, in that order, into @out (4 bytes).  Other
 * letters are ignored, as runc's device rules do ("rwa" is "rw"; runc's
 * update.bats uses it); an access with none of them is refused. */
static int
normalize_access (const char *access, char *out)
{
  char *o = out;

  for (const char *l = "rwm"; *l; l++)
    if (strchr (access, *l))
      *o++ = *l;
  *o = '\0';
  return o == out ? -1 : 0;
}

static int
parse_device_rule (json_value_t *e, const char *elem, struct spec_device_rule *d, cryo_error_t *err)
{
  cleanup_free char *type = NULL;
  cleanup_free char *access = NULL;

  if (!json_is_object (e))
    return sp_type_error (err, elem, NULL, "an object", e);
  if (sp_member (e, "allow") == NULL)
    return sp_error (err, elem, "allow", "missing (a boolean is required)");
  if (sp_bool (e, elem, "allow", &d->allow, err) < 0 || sp_string (e, elem, "type", false, &type, err) < 0
      || sp_string (e, elem, "access", false, &access, err) < 0
      || parse_rule_number (e, elem, "major", &d->major, err) < 0
      || parse_rule_number (e, elem, "minor", &d->minor, err) < 0)
    return -1;
  d->type = type && *type ? type[0] : 'a';
  if ((type && strlen (type) > 1) || strchr ("acb", d->type) == NULL)
    return sp_error (err, elem, "type", "unknown device type `%s` (expected a, c or b)", type);
  if (access == NULL || *access == '\0')
    strcpy (d->access, "rwm");
  else if (normalize_access (access, d->access) < 0)
    return sp_error (err, elem, "access", "`%s` names none of `r`, `w`, `m`", access);
  return 0;
}

static int
parse_device_rules (json_value_t *res, const char *field, struct spec_resources *r, cryo_error_t *err)
{
  cleanup_free char *path = sp_path (field, "devices");
  json_value_t *arr;

  if (sp_array (res, field, "devices", &arr, err) < 0)
    return -1;
  if (arr == NULL)
    return 0;
  r->devices = xzalloc ((json_len (arr) + 1) * sizeof (*r->devices));
  r->n_devices = json_len (arr);
  for (size_t i = 0; i < r->n_devices; i++)
    {
      cleanup_free char *elem = sp_index (path, i);
      if (parse_device_rule (json_at (arr, i), elem, &r->devices[i], err) < 0)
        return -1;
    }
  return 0;
}

/* linux.resources.unified is cgroup v2 file name -> value; its grammar
 * belongs to the v2 driver, but both sides are strings. */
static int
check_unified (json_value_t *res, const char *field, struct spec_resources *r, cryo_error_t *err)
{
  cleanup_strv char **keys = NULL;
  cleanup_strv char **values = NULL;

  if (sp_string_map (res, field, "unified", &keys, &values, err) < 0)
    return -1;
  r->unified = sp_member (res, "unified");
  return 0;
}

int
spec_parse_resources (json_value_t *obj, const char *field, struct spec_resources *out, cryo_error_t *err)
{
  struct spec_resources r = { 0 };

  if (!json_is_object (obj))
    return sp_type_error (err, field, NULL, "an object", obj);
  r.present = true;
  if (parse_memory (obj, field, &r, err) < 0 || parse_cpu (obj, field, &r, err) < 0
      || parse_pids_blkio (obj, field, &r, err) < 0 || parse_device_rules (obj, field, &r, err) < 0
      || check_unified (obj, field, &r, err) < 0)
    {
      spec_resources_clear (&r);
      return -1;
    }
  *out = r;
  return 0;
}

void
spec_resources_clear (struct spec_resources *r)
{
  if (r == NULL)
    return;
  free (r->cpu.cpus);
  free (r->cpu.mems);
  free (r->devices);
  memset (r, 0, sizeof (*r));
}
