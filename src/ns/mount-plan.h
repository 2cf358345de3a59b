/* The declarative mount plan: config.json's mounts, devices, /dev symlinks,
 * masked and readonly paths turned into one ordered list of operations.
 *
 * The plan is built once from the spec (create) and executed by
 * src/ns/rootfs.c; it is also serialized into the checkpoint image, so that
 * restore replays exactly what create did even if the host changed in
 * between.  Everything rootfs.c needs is in the plan except the rootfs
 * path itself (a restore may use another one). */
#ifndef CRYO_MOUNT_PLAN_H
#define CRYO_MOUNT_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "lib/json.h"
#include "spec/spec.h"

enum mount_op_kind
{
  MOUNT_OP_MOUNT,    /* an entry of config.json "mounts" */
  MOUNT_OP_DEVICE,   /* a device node: the defaults and linux.devices */
  MOUNT_OP_SYMLINK,  /* a /dev symlink (fd, stdin, ..., ptmx, core) */
  MOUNT_OP_MASK,     /* linux.maskedPaths: run by rootfs_finalize */
  MOUNT_OP_READONLY, /* linux.readonlyPaths: run by rootfs_finalize */
  MOUNT_OP_MAX,
};

extern const char *const mount_op_kind_names[MOUNT_OP_MAX]; /* "mount", "device", ... */

/* One operation.  Fields not used by a kind are zero / NULL. */
struct mount_op
{
  enum mount_op_kind kind;
  char *destination; /* absolute, inside the container (every kind) */

  /* MOUNT_OP_MOUNT */
  char *type;               /* "bind" for bind mounts, else the fs type */
  char *source;             /* host path for binds (absolute), fs source otherwise; may be NULL */
  char **options;           /* the options as written, for inspection; never NULL */
  unsigned long flags;      /* MS_* the options set (MS_BIND, MS_REC, MS_RDONLY, ...) */
  unsigned long clear_flags;/* MS_* the options clear (rw, suid, dev, exec, ...) */
  unsigned long propagation;/* MS_PRIVATE/MS_SLAVE/MS_SHARED/MS_UNBINDABLE [| MS_REC], 0 = none */
  uint64_t rec_attr_set;    /* MOUNT_ATTR_* for the whole tree (rro, rnosuid, ...) */
  uint64_t rec_attr_clr;
  char *data;               /* options the table does not know, comma-joined; may be NULL */
  bool idmap;               /* idmap / ridmap: an idmapped mount */
  bool idmap_recursive;
  bool tmpcopyup;           /* tmpfs only: filled with what was at the destination */
  struct spec_id_mapping *uid_mappings; /* for idmap */
  size_t n_uid_mappings;
  struct spec_id_mapping *gid_mappings;
  size_t n_gid_mappings;

  /* MOUNT_OP_DEVICE */
  char dev_type;   /* 'c', 'b' or 'p' ('u' is stored as 'c') */
  int64_t major, minor;
  mode_t mode;     /* permission bits only */
  uid_t uid;
  gid_t gid;

  /* MOUNT_OP_SYMLINK: where the link points */
  char *target;
};

struct mount_plan
{
  struct mount_op *ops;
  size_t n_ops;
  unsigned long root_propagation; /* from linux.rootfsPropagation; 0 = not set (rslave applies) */
  bool readonly_root;             /* root.readonly */
  bool setup_dev;                 /* false when /dev is a bind mount: no device nodes, no links */
  /* The container has a cgroup namespace (new or joined): a "cgroup" mount
   * mounts cgroup file systems.  Without one it binds the container's own
   * cgroup directories, as runc does (a cgroup fs would show the host's
   * whole hierarchy, and a user namespace may not mount one). */
  bool cgroup_ns;
};

/**
 * mount_plan_build - turn a spec into the ordered list of operations
 *
 * Fails with one line naming the field: a relative destination, an unknown
 * rootfsPropagation, tmpcopyup on a mount that is not a tmpfs, a bad device.
 */
int mount_plan_build (const struct spec *spec, struct mount_plan **out, cryo_error_t *err);
void mount_plan_free (struct mount_plan *plan);
void cleanup_mount_planp (struct mount_plan **plan);
#define cleanup_mount_plan __attribute__ ((cleanup (cleanup_mount_planp)))

/**
 * mount_plan_to_json - write the plan as one JSON object (lossless)
 * mount_plan_from_json - read it back; refuses unknown kinds, versions, fields of the wrong type
 *
 * Keys added after version 1 are optional on reading, with the meaning
 * plans had before them: "tmpcopyup" (false), "cgroupNs" (true).
 */
int mount_plan_to_json (const struct mount_plan *plan, json_gen_t *gen, cryo_error_t *err);
int mount_plan_from_json (json_value_t *v, struct mount_plan **out, cryo_error_t *err);

/* Query API (checkpoint/restore): iterate with mount_plan_len/mount_plan_op. */
size_t mount_plan_len (const struct mount_plan *plan);
const struct mount_op *mount_plan_op (const struct mount_plan *plan, size_t i); /* NULL past the end */
bool mount_op_is_bind (const struct mount_op *op);
bool mount_op_is_tmpfs (const struct mount_op *op);

/**
 * mount_option_parse - apply one OCI mount option to @op
 *
 * Known options update flags / clear_flags / propagation / rec_attr_* /
 * idmap / tmpcopyup; returns 0 for those, 1 for an option the table does not
 * know (the caller puts it in data).  Never fails today; @err is for
 * options a later table may refuse.
 */
int mount_option_parse (const char *option, struct mount_op *op, cryo_error_t *err);

/* Every option the table knows, for `cryo features` (mountOptions); caller frees. */
char **mount_option_names (void);

/* The MOUNT_ATTR_* to set and clear on the top mount for op's MS_* flags. */
void mount_op_attr (const struct mount_op *op, uint64_t *set, uint64_t *clr);

/* Internal to src/ns (mount-plan*.c, devices.c): building blocks of a plan. */
char *mount_path_clean (const char *path); /* lexical: no "//", ".", "..", trailing "/" */
struct mount_op *mount_plan_append (struct mount_plan *plan, enum mount_op_kind kind,
                                    const char *destination);
int mount_plan_add_devices (const struct spec *spec, struct mount_plan *plan, cryo_error_t *err);

/* MS_* propagation for a rootfsPropagation / option name, or -1 if unknown. */
long mount_propagation_from_name (const char *name);
/* "rslave" for MS_SLAVE|MS_REC, ...; NULL for 0 or an unknown value. */
const char *mount_propagation_name (unsigned long propagation);

#endif
