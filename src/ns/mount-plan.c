/* Building the mount plan from config.json: the option table runc and crun
 * share, default devices, /dev symlinks, masked and readonly paths.
 * Serialization lives in mount-plan-json.c. */
#define LOG_PREFIX "mount-plan: "
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "lib/log.h"
#include "ns/mount-plan.h"
#include "lib/util.h"

const char *const mount_op_kind_names[MOUNT_OP_MAX] = {
  [MOUNT_OP_MOUNT] = "mount",
  [MOUNT_OP_DEVICE] = "device",
  [MOUNT_OP_SYMLINK] = "symlink",
  [MOUNT_OP_MASK] = "mask",
  [MOUNT_OP_READONLY] = "readonly",
};

enum option_kind
{
  OPT_SET,       /* MS_* flag to set */
  OPT_CLEAR,     /* MS_* flag to clear */
  OPT_PROPAGATION,
  OPT_REC_SET,   /* MOUNT_ATTR_* for the whole tree */
  OPT_REC_CLEAR,
  OPT_REC_ATIME, /* one value of the MOUNT_ATTR__ATIME enum, whole tree */
  OPT_IDMAP,
  OPT_COPYUP, /* tmpcopyup: a runc/crun extension, not a mount flag */
};

struct mount_option
{
  const char *name;
  enum option_kind kind;
  unsigned long value;
  bool recursive; /* OPT_IDMAP */
};

/* Every option runc and crun accept.  The recursive ones (rro, rnosuid, ...)
 * need mount_setattr(AT_RECURSIVE): mount(2) cannot change a whole tree.
 * The atime settings are an enum in the new mount API, not bits, so their
 * "negations" map to the setting they leave in place (norelatime means
 * strictatime, atime and nostrictatime mean the kernel default relatime). */
static const struct mount_option option_table[] = {
  { "defaults", OPT_SET, 0 },
  { "ro", OPT_SET, MS_RDONLY },
  { "rw", OPT_CLEAR, MS_RDONLY },
  { "nosuid", OPT_SET, MS_NOSUID },
  { "suid", OPT_CLEAR, MS_NOSUID },
  { "nodev", OPT_SET, MS_NODEV },
  { "dev", OPT_CLEAR, MS_NODEV },
  { "noexec", OPT_SET, MS_NOEXEC },
  { "exec", OPT_CLEAR, MS_NOEXEC },
  { "sync", OPT_SET, MS_SYNCHRONOUS },
  { "async", OPT_CLEAR, MS_SYNCHRONOUS },
  { "dirsync", OPT_SET, MS_DIRSYNC },
  { "remount", OPT_SET, MS_REMOUNT },
  { "mand", OPT_SET, MS_MANDLOCK },
  { "nomand", OPT_CLEAR, MS_MANDLOCK },
  { "noatime", OPT_SET, MS_NOATIME },
  { "atime", OPT_CLEAR, MS_NOATIME },
  { "nodiratime", OPT_SET, MS_NODIRATIME },
  { "diratime", OPT_CLEAR, MS_NODIRATIME },
  { "relatime", OPT_SET, MS_RELATIME },
  { "norelatime", OPT_CLEAR, MS_RELATIME },
  { "strictatime", OPT_SET, MS_STRICTATIME },
  { "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
  { "lazytime", OPT_SET, MS_LAZYTIME },
  { "nolazytime", OPT_CLEAR, MS_LAZYTIME },
  { "silent", OPT_SET, MS_SILENT },
  { "loud", OPT_CLEAR, MS_SILENT },
  { "iversion", OPT_SET, MS_I_VERSION },
  { "noiversion", OPT_CLEAR, MS_I_VERSION },
  { "nosymfollow", OPT_SET, MS_NOSYMFOLLOW },
  { "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW },
  { "bind", OPT_SET, MS_BIND },
  { "rbind", OPT_SET, MS_BIND | MS_REC },
  { "private", OPT_PROPAGATION, MS_PRIVATE },
  { "rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC },
  { "shared", OPT_PROPAGATION, MS_SHARED },
  { "rshared", OPT_PROPAGATION, MS_SHARED | MS_REC },
  { "slave", OPT_PROPAGATION, MS_SLAVE },
  { "rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC },
  { "unbindable", OPT_PROPAGATION, MS_UNBINDABLE },
  { "runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC },
  { "rro", OPT_REC_SET, MOUNT_ATTR_RDONLY },
  { "rrw", OPT_REC_CLEAR, MOUNT_ATTR_RDONLY },
  { "rnosuid", OPT_REC_SET, MOUNT_ATTR_NOSUID },
  { "rsuid", OPT_REC_CLEAR, MOUNT_ATTR_NOSUID },
  { "rnodev", OPT_REC_SET, MOUNT_ATTR_NODEV },
  { "rdev", OPT_REC_CLEAR, MOUNT_ATTR_NODEV },
  { "rnoexec", OPT_REC_SET, MOUNT_ATTR_NOEXEC },
  { "rexec", OPT_REC_CLEAR, MOUNT_ATTR_NOEXEC },
  { "rnodiratime", OPT_REC_SET, MOUNT_ATTR_NODIRATIME },
  { "rdiratime", OPT_REC_CLEAR, MOUNT_ATTR_NODIRATIME },
  { "rnosymfollow", OPT_REC_SET, MOUNT_ATTR_NOSYMFOLLOW },
  { "rsymfollow", OPT_REC_CLEAR, MOUNT_ATTR_NOSYMFOLLOW },
  { "rnoatime", OPT_REC_ATIME, MOUNT_ATTR_NOATIME },
  { "ratime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
  { "rrelatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
  { "rnorelatime", OPT_REC_ATIME, MOUNT_ATTR_STRICTATIME },
  { "rstrictatime", OPT_REC_ATIME, MOUNT_ATTR_STRICTATIME },
  { "rnostrictatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
  { "idmap", OPT_IDMAP, 0, false },
  { "ridmap", OPT_IDMAP, 0, true },
  { "tmpcopyup", OPT_COPYUP, 0 },
};

static const struct
{
  const char *name;
  unsigned long value;
} propagation_table[] = {
  { "private", MS_PRIVATE },   { "rprivate", MS_PRIVATE | MS_REC },
  { "slave", MS_SLAVE },       { "rslave", MS_SLAVE | MS_REC },
  { "shared", MS_SHARED },     { "rshared", MS_SHARED | MS_REC },
  { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

char **
mount_option_names (void)
{
  char **v = xzalloc (sizeof (char *));
  size_t i;
  for (i = 0; i < ARRAY_SIZE (option_table); i++)
    strv_append (&v, option_table[i].name);
  return v;
}

long
mount_propagation_from_name (const char *name)
{
  size_t i;
  for (i = 0; name && i < ARRAY_SIZE (propagation_table); i++)
    if (strcmp (name, propagation_table[i].name) == 0)
      return (long) propagation_table[i].value;
  return -1;
}

const char *
mount_propagation_name (unsigned long propagation)
{
  size_t i;
  for (i = 0; i < ARRAY_SIZE (propagation_table); i++)
    if (propagation == propagation_table[i].value)
      return propagation_table[i].name;
  return NULL;
}

int
mount_option_parse (const char *option, struct mount_op *op, cryo_error_t *err)
{
  const struct mount_option *o = NULL;
  size_t i;

  for (i = 0; i < ARRAY_SIZE (option_table) && o == NULL; i++)
    if (strcmp (option, option_table[i].name) == 0)
      o = &option_table[i];
  if (o == NULL)
    return 1;

  switch (o->kind)
    {
    case OPT_SET:
      op->flags |= o->value;
      op->clear_flags &= ~o->value;
      break;
    case OPT_CLEAR:
      op->clear_flags |= o->value;
      op->flags &= ~o->value;
      break;
    case OPT_PROPAGATION:
      op->propagation = o->value;
      break;
    case OPT_REC_SET:
      op->rec_attr_set |= o->value;
      op->rec_attr_clr &= ~(uint64_t) o->value;
      break;
    case OPT_REC_CLEAR:
      op->rec_attr_clr |= o->value;
      op->rec_attr_set &= ~(uint64_t) o->value;
      break;
    case OPT_REC_ATIME:
      /* the kernel wants the whole atime field cleared to change it */
      op->rec_attr_set = (op->rec_attr_set & ~(uint64_t) MOUNT_ATTR__ATIME) | o->value;
      op->rec_attr_clr |= MOUNT_ATTR__ATIME;
      break;
    case OPT_IDMAP:
      op->idmap = true;
      op->idmap_recursive = o->recursive;
      break;
    case OPT_COPYUP:
      op->tmpcopyup = true;
      break;
    }
  (void) err;
  return 0;
}

/* Per-mount MOUNT_ATTR_* for the top mount, from the MS_* flags. */
void
mount_op_attr (const struct mount_op *op, uint64_t *set, uint64_t *clr)
{
  static const struct
  {
    unsigned long ms;
    uint64_t attr;
  } bits[] = {
    { MS_RDONLY, MOUNT_ATTR_RDONLY }, { MS_NOSUID, MOUNT_ATTR_NOSUID },
    { MS_NODEV, MOUNT_ATTR_NODEV },   { MS_NOEXEC, MOUNT_ATTR_NOEXEC },
    { MS_NODIRATIME, MOUNT_ATTR_NODIRATIME }, { MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW },
  };
  size_t i;

  *set = *clr = 0;
  for (i = 0; i < ARRAY_SIZE (bits); i++)
    {
      if (op->flags & bits[i].ms)
        *set |= bits[i].attr;
      if (op->clear_flags & bits[i].ms)
        *clr |= bits[i].attr;
    }
  if (op->flags & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)
      || op->clear_flags & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME))
    {
      *clr |= MOUNT_ATTR__ATIME;
      if (op->flags & MS_NOATIME)
        *set |= MOUNT_ATTR_NOATIME;
      else if (op->flags & MS_STRICTATIME || op->clear_flags & MS_RELATIME)
        *set |= MOUNT_ATTR_STRICTATIME;
      else
        *set |= MOUNT_ATTR_RELATIME;
    }
}

/* Lexically clean an absolute path: no "//", ".", ".." (clamped at "/"),
 * no trailing slash.  Symlinks are resolved later, inside the rootfs. */
char *
mount_path_clean (const char *path)
{
  cleanup_free char *copy = xstrdup (path);
  char *out = xmalloc (strlen (path) + 2);
  char *save = NULL, *tok;
  size_t len = 0;

  for (tok = strtok_r (copy, "/", &save); tok; tok = strtok_r (NULL, "/", &save))
    {
      if (strcmp (tok, ".") == 0)
        continue;
      if (strcmp (tok, "..") == 0)
        {
          while (len > 0 && out[len - 1] != '/')
            len--;
          if (len > 0)
            len--; /* and the slash before it */
          continue;
        }
      out[len++] = '/';
      memcpy (out + len, tok, strlen (tok));
      len += strlen (tok);
    }
  if (len == 0)
    out[len++] = '/';
  out[len] = '\0';
  return out;
}

static void
mount_op_clear (struct mount_op *op)
{
  free (op->destination);
  free (op->type);
  free (op->source);
  strv_free (op->options);
  free (op->data);
  free (op->uid_mappings);
  free (op->gid_mappings);
  free (op->target);
  memset (op, 0, sizeof (*op));
}

void
mount_plan_free (struct mount_plan *plan)
{
  size_t i;
  if (plan == NULL)
    return;
  for (i = 0; i < plan->n_ops; i++)
    mount_op_clear (&plan->ops[i]);
  free (plan->ops);
  free (plan);
}

void
cleanup_mount_planp (struct mount_plan **plan)
{
  mount_plan_free (*plan);
  *plan = NULL;
}

struct mount_op *
mount_plan_append (struct mount_plan *plan, enum mount_op_kind kind, const char *destination)
{
  struct mount_op *op;
  plan->ops = xreallocarray (plan->ops, plan->n_ops + 1, sizeof (*plan->ops));
  op = &plan->ops[plan->n_ops++];
  memset (op, 0, sizeof (*op));
  op->kind = kind;
  op->destination = destination ? mount_path_clean (destination) : NULL;
  return op;
}

size_t
mount_plan_len (const struct mount_plan *plan)
{
  return plan ? plan->n_ops : 0;
}

const struct mount_op *
mount_plan_op (const struct mount_plan *plan, size_t i)
{
  return plan && i < plan->n_ops ? &plan->ops[i] : NULL;
}

bool
mount_op_is_bind (const struct mount_op *op)
{
  return op && op->kind == MOUNT_OP_MOUNT && (op->flags & MS_BIND);
}

bool
mount_op_is_tmpfs (const struct mount_op *op)
{
  return op && op->kind == MOUNT_OP_MOUNT && !(op->flags & MS_BIND) && op->type
         && strcmp (op->type, "tmpfs") == 0;
}

static struct spec_id_mapping *
copy_mappings (const struct spec_id_mapping *m, size_t n)
{
  struct spec_id_mapping *copy;
  if (n == 0)
    return NULL;
  copy = xreallocarray (NULL, n, sizeof (*m));
  memcpy (copy, m, n * sizeof (*m));
  return copy;
}

/* The unknown options, in order, joined by commas: the fs parses them. */
static void
append_data (struct mount_op *op, const char *option)
{
  char *data;
  if (op->data == NULL)
    {
      op->data = xstrdup (option);
      return;
    }
  data = xasprintf ("%s,%s", op->data, option);
  free (op->data);
  op->data = data;
}

static int
plan_idmap (const struct spec *spec, const struct spec_mount *m, struct mount_op *op,
            const char *field, cryo_error_t *err)
{
  const struct spec_linux *l = spec->linux_;

  /* mappings on the mount make it idmapped even without the option (crun) */
  if (m->n_uid_mappings || m->n_gid_mappings)
    op->idmap = true;
  if (!op->idmap)
    return 0;
  if (!(op->flags & MS_BIND))
    return cryo_error (err, 0, "%s: idmap is only supported on bind mounts", field);
  if (m->n_uid_mappings && m->n_gid_mappings)
    {
      op->uid_mappings = copy_mappings (m->uid_mappings, op->n_uid_mappings = m->n_uid_mappings);
      op->gid_mappings = copy_mappings (m->gid_mappings, op->n_gid_mappings = m->n_gid_mappings);
      return 0;
    }
  if (m->n_uid_mappings || m->n_gid_mappings)
    return cryo_error (err, 0, "%s: an idmapped mount needs both uidMappings and gidMappings", field);
  /* no mappings of its own: the container's user namespace ones */
  if (l == NULL || l->n_uid_mappings == 0 || l->n_gid_mappings == 0)
    return cryo_error (err, 0, "%s: idmap needs uidMappings and gidMappings on the mount "
                       "or a user namespace with mappings", field);
  op->uid_mappings = copy_mappings (l->uid_mappings, op->n_uid_mappings = l->n_uid_mappings);
  op->gid_mappings = copy_mappings (l->gid_mappings, op->n_gid_mappings = l->n_gid_mappings);
  return 0;
}

static int
plan_bind_source (const struct spec *spec, const struct spec_mount *m, struct mount_op *op,
                  const char *field, cryo_error_t *err)
{
  if (m->source == NULL || m->source[0] == '\0')
    return cryo_error (err, 0, "%s.source: a bind mount needs a source", field);
  if (m->source[0] == '/')
    op->source = xstrdup (m->source);
  else if (spec->bundle)
    op->source = xasprintf ("%s/%s", spec->bundle, m->source);
  else
    return cryo_error (err, 0, "%s.source: relative bind source `%s` without a bundle", field,
                       m->source);
  free (op->type);
  op->type = xstrdup ("bind");
  return 0;
}

static int
plan_mount (const struct spec *spec, struct mount_plan *plan, size_t idx, cryo_error_t *err)
{
  const struct spec_mount *m = &spec->mounts[idx];
  cleanup_free char *field = xasprintf ("mounts[%zu]", idx);
  struct mount_op *op;
  char *const *o;
  int ret;

  if (m->destination == NULL || m->destination[0] != '/')
    return cryo_error (err, 0, "%s.destination: `%s` is not an absolute path", field,
                       m->destination ? m->destination : "");
  op = mount_plan_append (plan, MOUNT_OP_MOUNT, m->destination);
  op->type = xstrdup (m->type);
  op->options = strv_dup (m->options ? m->options : (char *const[]){ NULL });
  for (o = m->options; o && *o; o++)
    {
      ret = mount_option_parse (*o, op, err);
      if (ret < 0)
        return cryo_error_wrap (err, "%s.options", field);
      if (ret > 0)
        append_data (op, *o);
    }
  /* type "bind" without bind/rbind is a recursive bind, as crun does */
  if (m->type && strcmp (m->type, "bind") == 0 && !(op->flags & MS_BIND))
    op->flags |= MS_BIND | MS_REC;
  if (op->flags & MS_BIND)
    ret = plan_bind_source (spec, m, op, field, err);
  else
    {
      /* a remount changes what is there: its type does not matter */
      if ((m->type == NULL || m->type[0] == '\0') && !(op->flags & MS_REMOUNT))
        return cryo_error (err, 0, "%s.type: required for a mount that is not a bind mount", field);
      op->source = xstrdup (m->source);
      ret = 0;
    }
  if (ret < 0)
    return ret;
  /* runc ignores it elsewhere; a copy into a bind would write to the host */
  if (op->tmpcopyup && (!mount_op_is_tmpfs (op) || (op->flags & MS_REMOUNT)))
    return cryo_error (err, 0, "%s.options: tmpcopyup needs a new tmpfs mount, `%s` is a %s",
                       field, op->destination,
                       op->flags & MS_REMOUNT ? "remount" : op->flags & MS_BIND ? "bind mount"
                                                                               : op->type);
  return plan_idmap (spec, m, op, field, err);
}

static int
plan_mounts (const struct spec *spec, struct mount_plan *plan, cryo_error_t *err)
{
  size_t i;
  int ret;

  plan->setup_dev = true;
  for (i = 0; i < spec->n_mounts; i++)
    {
      ret = plan_mount (spec, plan, i, err);
      if (ret < 0)
        return ret;
      /* /dev from the host: its nodes and links are the host's (runc) */
      if (mount_op_is_bind (&plan->ops[plan->n_ops - 1])
          && strcmp (plan->ops[plan->n_ops - 1].destination, "/dev") == 0)
        plan->setup_dev = false;
    }
  return 0;
}

static void
plan_paths (struct mount_plan *plan, char *const *paths, enum mount_op_kind kind)
{
  for (; paths && *paths; paths++)
    mount_plan_append (plan, kind, *paths);
}

static int
plan_check_paths (char *const *paths, const char *field, cryo_error_t *err)
{
  size_t i;
  for (i = 0; paths && paths[i]; i++)
    if (paths[i][0] != '/')
      return cryo_error (err, 0, "linux.%s[%zu]: `%s` is not an absolute path", field, i, paths[i]);
  return 0;
}

int
mount_plan_build (const struct spec *spec, struct mount_plan **out, cryo_error_t *err)
{
  cleanup_mount_plan struct mount_plan *plan = xzalloc (sizeof (*plan));
  const struct spec_linux *l = spec->linux_;
  int ret;

  plan->readonly_root = spec->root_readonly;
  plan->cgroup_ns = spec_has_ns (spec, NS_CGROUP);
  if (l && l->rootfs_propagation && l->rootfs_propagation[0])
    {
      long p = mount_propagation_from_name (l->rootfs_propagation);
      if (p < 0)
        return cryo_error (err, 0, "linux.rootfsPropagation: unknown value `%s` (use private, "
                           "rprivate, slave, rslave, shared, rshared, unbindable or runbindable)",
                           l->rootfs_propagation);
      plan->root_propagation = (unsigned long) p;
    }
  ret = plan_mounts (spec, plan, err);
  if (ret == 0 && plan->setup_dev)
    ret = mount_plan_add_devices (spec, plan, err);
  if (ret == 0 && l)
    ret = plan_check_paths (l->masked_paths, "maskedPaths", err);
  if (ret == 0 && l)
    ret = plan_check_paths (l->readonly_paths, "readonlyPaths", err);
  if (ret < 0)
    return ret;
  if (l)
    {
      plan_paths (plan, l->masked_paths, MOUNT_OP_MASK);
      plan_paths (plan, l->readonly_paths, MOUNT_OP_READONLY);
    }
  *out = steal_pointer (&plan);
  return 0;
}
