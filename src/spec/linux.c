/* config.json `linux`: namespaces, id mappings, sysctls, devices, masked and
 * readonly paths, personality, time offsets, and the resources object (parsed
 * by src/spec/resources.c). */
#include "config.h"

#include <sys/stat.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "spec/parse.h"
#include "lib/util.h"

static const char *const propagations[] = {
  "shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable", NULL,
};

static int
parse_one_namespace (json_value_t *e, const char *elem, struct spec_namespace *ns, cryo_error_t *err)
{
  cleanup_free char *type = NULL;
  int idx;

  if (!json_is_object (e))
    return sp_type_error (err, elem, NULL, "an object", e);
  if (sp_string (e, elem, "type", true, &type, err) < 0 || sp_string (e, elem, "path", false, &ns->path, err) < 0)
    return -1;
  idx = ns_from_oci_name (type);
  if (idx < 0)
    return sp_error (err, elem, "type", "unknown namespace `%s`", type);
  ns->type = idx;
  if (ns->path && ns->path[0] == '\0')
    {
      /* runc reads an empty path as "create a new one" */
      free (ns->path);
      ns->path = NULL;
    }
  if (ns->path && ns->path[0] != '/')
    return sp_error (err, elem, "path", "`%s` must be an absolute path", ns->path);
  return 0;
}

static int
parse_namespaces (json_value_t *lin, const char *field, struct spec_linux *l, cryo_error_t *err)
{
  cleanup_free char *path = sp_path (field, "namespaces");
  json_value_t *arr;

  if (sp_array (lin, field, "namespaces", &arr, err) < 0)
    return -1;
  if (arr == NULL)
    return 0;
  l->namespaces = xzalloc ((json_len (arr) + 1) * sizeof (*l->namespaces));
  for (size_t i = 0; i < json_len (arr); i++)
    {
      cleanup_free char *elem = sp_index (path, i);
      struct spec_namespace *ns = &l->namespaces[i];

      l->n_namespaces = i + 1;
      if (parse_one_namespace (json_at (arr, i), elem, ns, err) < 0)
        return -1;
      for (size_t j = 0; j < i; j++)
        if (l->namespaces[j].type == ns->type)
          return sp_error (err, elem, "type", "duplicate namespace `%s` (also at %s[%zu])",
                           ns_table[ns->type].oci_name, path, j);
    }
  return 0;
}

/* podman (and the kernel's st_mode) write fileMode with the file-type bits,
 * e.g. 0o20666 for a character device: accept them when they agree with
 * "type" and keep only the permission bits, as runc does. */
static int
strip_device_file_type (struct spec_device *d, const char *elem, cryo_error_t *err)
{
  uint64_t type_bits = d->file_mode.value & S_IFMT;
  mode_t expected = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;

  if ((d->file_mode.value & ~(uint64_t) (S_IFMT | 07777)) != 0 || (type_bits && type_bits != expected))
    return sp_error (err, elem, "fileMode", "%" PRIu64 " is not a file mode for a `%c` device", d->file_mode.value,
                     d->type);
  d->file_mode.value &= 07777;
  return 0;
}

static int
parse_one_device (json_value_t *e, const char *elem, struct spec_device *d, cryo_error_t *err)
{
  cleanup_free char *type = NULL;
  struct spec_opt_i64 major = { 0 }, minor = { 0 };
  uint64_t v = 0;

  if (!json_is_object (e))
    return sp_type_error (err, elem, NULL, "an object", e);
  if (sp_string (e, elem, "path", true, &d->path, err) < 0 || sp_string (e, elem, "type", true, &type, err) < 0
      || sp_i64 (e, elem, "major", &major, err) < 0 || sp_i64 (e, elem, "minor", &minor, err) < 0
      || sp_u64 (e, elem, "fileMode", &d->file_mode, err) < 0)
    return -1;
  if (d->path[0] != '/')
    return sp_error (err, elem, "path", "`%s` must be an absolute path", d->path);
  if (strlen (type) != 1 || strchr ("cbup", type[0]) == NULL)
    return sp_error (err, elem, "type", "unknown device type `%s` (expected c, b, u or p)", type);
  d->type = type[0] == 'u' ? 'c' : type[0];
  if (d->type != 'p' && (!major.set || !minor.set))
    return sp_error (err, elem, major.set ? "minor" : "major", "missing (required for a %s device)",
                     d->type == 'b' ? "block" : "character");
  if (major.value < 0 || minor.value < 0)
    return sp_error (err, elem, major.value < 0 ? "major" : "minor", "must not be negative");
  d->major = major.value;
  d->minor = minor.value;
  if (d->file_mode.set && strip_device_file_type (d, elem, err) < 0)
    return -1;
  if (sp_member (e, "uid"))
    {
      if (sp_uint_max (e, elem, "uid", false, UINT32_MAX, &v, err) < 0)
        return -1;
      d->uid = (struct spec_opt_u64){ true, v };
    }
  if (sp_member (e, "gid"))
    {
      if (sp_uint_max (e, elem, "gid", false, UINT32_MAX, &v, err) < 0)
        return -1;
      d->gid = (struct spec_opt_u64){ true, v };
    }
  return 0;
}

static int
parse_devices (json_value_t *lin, const char *field, struct spec_linux *l, cryo_error_t *err)
{
  cleanup_free char *path = sp_path (field, "devices");
  json_value_t *arr;

  if (sp_array (lin, field, "devices", &arr, err) < 0)
    return -1;
  if (arr == NULL)
    return 0;
  l->devices = xzalloc ((json_len (arr) + 1) * sizeof (*l->devices));
  for (size_t i = 0; i < json_len (arr); i++)
    {
      cleanup_free char *elem = sp_index (path, i);
      l->n_devices = i + 1;
      if (parse_one_device (json_at (arr, i), elem, &l->devices[i], err) < 0)
        return -1;
    }
  return 0;
}

static int
parse_personality (json_value_t *lin, const char *field, struct spec_linux *l, cryo_error_t *err)
{
  cleanup_free char *path = sp_path (field, "personality");
  json_value_t *p;

  if (sp_object (lin, field, "personality", &p, err) < 0)
    return -1;
  if (p == NULL)
    return 0;
  l->personality.set = true;
  if (sp_string (p, path, "domain", true, &l->personality.domain, err) < 0
      || sp_strv (p, path, "flags", &l->personality.flags, err) < 0)
    return -1;
  if (strcmp (l->personality.domain, "LINUX") != 0 && strcmp (l->personality.domain, "LINUX32") != 0)
    return sp_error (err, path, "domain", "unknown domain `%s` (expected LINUX or LINUX32)",
                     l->personality.domain);
  return 0;
}

static int
parse_one_offset (json_value_t *offsets, const char *field, const char *clock, struct spec_opt_i64 *secs,
                  struct spec_opt_i64 *nanosecs, cryo_error_t *err)
{
  cleanup_free char *path = sp_path (field, clock);
  json_value_t *o;
  uint64_t ns = 0;

  if (sp_object (offsets, field, clock, &o, err) < 0)
    return -1;
  if (o == NULL)
    return 0;
  if (sp_i64 (o, path, "secs", secs, err) < 0
      || sp_uint_max (o, path, "nanosecs", false, 999999999, &ns, err) < 0)
    return -1;
  *nanosecs = (struct spec_opt_i64){ sp_member (o, "nanosecs") != NULL, (int64_t) ns };
  return 0;
}

static int
parse_time_offsets (json_value_t *lin, const char *field, struct spec_linux *l, cryo_error_t *err)
{
  cleanup_free char *path = sp_path (field, "timeOffsets");
  json_value_t *t;

  if (sp_object (lin, field, "timeOffsets", &t, err) < 0)
    return -1;
  if (t == NULL)
    return 0;
  return (parse_one_offset (t, path, "monotonic", &l->time_offsets.monotonic_secs,
                            &l->time_offsets.monotonic_nanosecs, err) < 0
          || parse_one_offset (t, path, "boottime", &l->time_offsets.boottime_secs,
                               &l->time_offsets.boottime_nanosecs, err) < 0)
             ? -1
             : 0;
}

static int
parse_linux_strings (json_value_t *lin, const char *field, struct spec_linux *l, cryo_error_t *err)
{
  json_value_t *seccomp, *res;

  if (sp_string (lin, field, "cgroupsPath", false, &l->cgroups_path, err) < 0
      || sp_string (lin, field, "rootfsPropagation", false, &l->rootfs_propagation, err) < 0
      || sp_string (lin, field, "mountLabel", false, &l->mount_label, err) < 0
      || sp_strv (lin, field, "maskedPaths", &l->masked_paths, err) < 0
      || sp_strv (lin, field, "readonlyPaths", &l->readonly_paths, err) < 0
      || sp_check_absolute_paths (l->masked_paths, field, "maskedPaths", err) < 0
      || sp_check_absolute_paths (l->readonly_paths, field, "readonlyPaths", err) < 0
      || sp_string_map (lin, field, "sysctl", &l->sysctl_keys, &l->sysctl_values, err) < 0
      || sp_object (lin, field, "seccomp", &seccomp, err) < 0 || sp_object (lin, field, "resources", &res, err) < 0)
    return -1;
  l->seccomp = seccomp;
  if (l->rootfs_propagation && *l->rootfs_propagation == '\0')
    {
      free (l->rootfs_propagation);
      l->rootfs_propagation = NULL;
    }
  if (l->rootfs_propagation && !strv_contains ((char *const *) propagations, l->rootfs_propagation))
    return sp_error (err, field, "rootfsPropagation", "unknown propagation `%s` (expected private, rslave, ...)",
                     l->rootfs_propagation);
  if (res)
    {
      cleanup_free char *path = sp_path (field, "resources");
      if (spec_parse_resources (res, path, &l->resources, err) < 0)
        return -1;
    }
  return 0;
}

static void
cleanup_linuxp (struct spec_linux **l)
{
  spec_linux_free (*l);
  *l = NULL;
}

int
spec_parse_linux (json_value_t *obj, const char *field, struct spec_linux **out, cryo_error_t *err)
{
  __attribute__ ((cleanup (cleanup_linuxp))) struct spec_linux *l = xzalloc (sizeof (*l));

  if (!json_is_object (obj))
    return sp_type_error (err, field, NULL, "an object", obj);
  if (parse_namespaces (obj, field, l, err) < 0
      || sp_id_mappings (obj, field, "uidMappings", &l->uid_mappings, &l->n_uid_mappings, err) < 0
      || sp_id_mappings (obj, field, "gidMappings", &l->gid_mappings, &l->n_gid_mappings, err) < 0
      || parse_linux_strings (obj, field, l, err) < 0 || parse_devices (obj, field, l, err) < 0
      || parse_personality (obj, field, l, err) < 0 || parse_time_offsets (obj, field, l, err) < 0)
    return -1;
  *out = steal_pointer (&l);
  return 0;
}

void
spec_linux_free (struct spec_linux *l)
{
  if (l == NULL)
    return;
  for (size_t i = 0; i < l->n_namespaces; i++)
    free (l->namespaces[i].path);
  free (l->namespaces);
  free (l->uid_mappings);
  free (l->gid_mappings);
  strv_free (l->sysctl_keys);
  strv_free (l->sysctl_values);
  spec_resources_clear (&l->resources);
  free (l->cgroups_path);
  free (l->rootfs_propagation);
  strv_free (l->masked_paths);
  strv_free (l->readonly_paths);
  free (l->mount_label);
  for (size_t i = 0; i < l->n_devices; i++)
    free (l->devices[i].path);
  free (l->devices);
  free (l->personality.domain);
  strv_free (l->personality.flags);
  free (l);
}

/* Checks that tie sections together, as runc's validator does. */
int
spec_check_cross (const struct spec *spec, cryo_error_t *err)
{
  const struct spec_linux *l = spec->linux_;
  bool has_maps = l && (l->n_uid_mappings > 0 || l->n_gid_mappings > 0);

  if (has_maps && !spec_has_ns (spec, NS_USER))
    return cryo_error (err, 0, "linux.%s: id mappings need a user namespace (add {\"type\": \"user\"} to "
                       "linux.namespaces)", l->n_uid_mappings ? "uidMappings" : "gidMappings");
  if (spec_ns_is_new (spec, NS_USER) && (l->n_uid_mappings == 0 || l->n_gid_mappings == 0))
    return cryo_error (err, 0, "linux.%s: required with a new user namespace",
                       l->n_uid_mappings == 0 ? "uidMappings" : "gidMappings");
  if (spec->hostname && *spec->hostname && !spec_has_ns (spec, NS_UTS))
    return cryo_error (err, 0, "hostname: setting it needs a private uts namespace (add {\"type\": \"uts\"} "
                       "to linux.namespaces)");
  if (spec->domainname && *spec->domainname && !spec_has_ns (spec, NS_UTS))
    return cryo_error (err, 0, "domainname: setting it needs a private uts namespace (add {\"type\": \"uts\"} "
                       "to linux.namespaces)");
  if (l == NULL)
    return 0;
  if ((strv_len (l->masked_paths) > 0 || strv_len (l->readonly_paths) > 0) && !spec_has_ns (spec, NS_MNT))
    return cryo_error (err, 0, "linux.%s: needs a private mount namespace",
                       strv_len (l->masked_paths) ? "maskedPaths" : "readonlyPaths");
  if ((l->time_offsets.monotonic_secs.set || l->time_offsets.monotonic_nanosecs.set
       || l->time_offsets.boottime_secs.set || l->time_offsets.boottime_nanosecs.set)
      && !spec_ns_is_new (spec, NS_TIME))
    return cryo_error (err, 0, "linux.timeOffsets: needs a new time namespace");
  return 0;
}
