/* config.json (OCI runtime-spec 1.2) parsed into validated C structures.
 *
 * spec_load() reads a bundle and refuses a bad config with one line naming
 * the JSON field ("process.args: must be a non-empty array of strings").
 * Every consumer (create, exec, restore, the image writer) works from these
 * structures, never from the raw JSON, except the two objects whose grammar
 * belongs to another module and that are kept as parsed JSON: the seccomp
 * object (src/seccomp.c) and linux.resources.unified (src/cgroup/v2.c). */
#ifndef CRYO_SPEC_H
#define CRYO_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "lib/json.h"
#include "ns/namespaces.h"

/* An optional number: the field was present in config.json. */
struct spec_opt_i64
{
  bool set;
  int64_t value;
};
struct spec_opt_u64
{
  bool set;
  uint64_t value;
};

struct spec_id_mapping
{
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

struct spec_mount
{
  char *destination; /* absolute path inside the container */
  char *type;        /* "bind" for binds, may be NULL */
  char *source;      /* may be NULL */
  char **options;    /* NULL-terminated, may be empty */
  struct spec_id_mapping *uid_mappings; /* idmapped mounts; n may be 0 */
  size_t n_uid_mappings;
  struct spec_id_mapping *gid_mappings;
  size_t n_gid_mappings;
};

struct spec_rlimit
{
  int resource; /* RLIMIT_* */
  char *type;   /* "RLIMIT_NOFILE" as written */
  uint64_t soft;
  uint64_t hard;
};

enum spec_cap_set
{
  CAP_SET_BOUNDING,
  CAP_SET_EFFECTIVE,
  CAP_SET_INHERITABLE,
  CAP_SET_PERMITTED,
  CAP_SET_AMBIENT,
  CAP_SET_MAX,
};

struct spec_capabilities
{
  /* Names as written ("CAP_NET_ADMIN"); NULL when the set is absent, which
   * means empty.  src/spec/caps.c turns names into numbers and rejects unknowns. */
  char **sets[CAP_SET_MAX];
};

struct spec_user
{
  uid_t uid;
  gid_t gid;
  struct spec_opt_u64 umask;
  gid_t *additional_gids;
  size_t n_additional_gids;
  char *username; /* Windows field, kept only to be ignored explicitly */
};

struct spec_process
{
  bool terminal;
  uint32_t console_height, console_width;
  struct spec_user user;
  char **args;       /* non-empty for create/exec */
  char **env;        /* "KEY=value", may be empty */
  char *cwd;         /* absolute */
  struct spec_capabilities *capabilities; /* NULL when absent */
  struct spec_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  char *apparmor_profile;
  char *selinux_label;
  struct spec_opt_i64 oom_score_adj;
};

enum spec_hook_kind
{
  HOOK_PRESTART,
  HOOK_CREATE_RUNTIME,
  HOOK_CREATE_CONTAINER,
  HOOK_START_CONTAINER,
  HOOK_POSTSTART,
  HOOK_POSTSTOP,
  HOOK_MAX,
};

extern const char *const spec_hook_names[HOOK_MAX]; /* "prestart", "createRuntime", ... */

struct spec_hook
{
  char *path;   /* absolute */
  char **args;  /* may be NULL: then argv is just { path } */
  char **env;   /* may be NULL */
  int timeout;  /* seconds, 0 = none */
};

struct spec_namespace
{
  enum cryo_ns type;
  char *path; /* join this namespace instead of creating one; NULL to create */
};

struct spec_device
{
  char *path;      /* absolute, inside the container */
  char type;       /* 'c', 'b', 'u' (= 'c'), 'p' */
  int64_t major, minor;
  struct spec_opt_u64 file_mode;
  struct spec_opt_u64 uid;
  struct spec_opt_u64 gid;
};

/* linux.resources.devices: the device cgroup allow/deny list */
struct spec_device_rule
{
  bool allow;
  char type;               /* 'a', 'c', 'b' */
  struct spec_opt_i64 major; /* unset = wildcard */
  struct spec_opt_i64 minor;
  char access[4];          /* subset of "rwm" */
};

struct spec_resources
{
  struct
  {
    struct spec_opt_i64 limit, reservation, swap, kernel, kernel_tcp;
    struct spec_opt_u64 swappiness;
    bool disable_oom_killer;
    bool use_hierarchy;
    bool check_before_update;
  } memory;
  struct
  {
    struct spec_opt_u64 shares, period, realtime_period;
    struct spec_opt_i64 quota, realtime_runtime, idle;
    char *cpus;
    char *mems;
  } cpu;
  struct
  {
    struct spec_opt_i64 limit; /* -1 or 0 = unlimited, as in runc */
  } pids;
  struct
  {
    struct spec_opt_u64 weight, leaf_weight;
  } block_io;
  struct spec_device_rule *devices;
  size_t n_devices;
  json_value_t *unified; /* linux.resources.unified, points into the tree */
  bool present;          /* linux.resources was in config.json */
};

struct spec_linux
{
  struct spec_namespace *namespaces;
  size_t n_namespaces;
  struct spec_id_mapping *uid_mappings;
  size_t n_uid_mappings;
  struct spec_id_mapping *gid_mappings;
  size_t n_gid_mappings;
  char **sysctl_keys;   /* parallel NULL-terminated vectors */
  char **sysctl_values;
  struct spec_resources resources;
  char *cgroups_path;   /* NULL: the runtime picks one */
  json_value_t *seccomp; /* linux.seccomp, points into the tree, NULL when absent */
  char *rootfs_propagation; /* "private", "rslave", ... or NULL */
  char **masked_paths;
  char **readonly_paths;
  char *mount_label;
  struct spec_device *devices;
  size_t n_devices;
  struct
  {
    bool set;
    char *domain;   /* "LINUX" or "LINUX32" */
    char **flags;
  } personality;
  struct
  {
    struct spec_opt_i64 monotonic_secs, monotonic_nanosecs;
    struct spec_opt_i64 boottime_secs, boottime_nanosecs;
  } time_offsets;
};

struct spec
{
  json_value_t *tree;    /* the parsed config.json; owns every json_value_t above */
  char *text;            /* config.json as read, for the image and the digest */
  char *bundle;          /* absolute path of the bundle directory */
  char *oci_version;
  char *root_path;       /* as written (may be relative to the bundle) */
  char *rootfs;          /* absolute, resolved against the bundle */
  bool root_readonly;
  char *hostname;
  char *domainname;
  struct spec_mount *mounts;
  size_t n_mounts;
  struct spec_process *process; /* NULL when absent (allowed only without create) */
  struct spec_hook *hooks[HOOK_MAX];
  size_t n_hooks[HOOK_MAX];
  char **annotation_keys;  /* parallel NULL-terminated vectors */
  char **annotation_values;
  struct spec_linux *linux_; /* NULL when absent */
};

/**
 * spec_load - read and validate BUNDLE/config.json
 * @bundle: bundle directory (relative paths are made absolute)
 *
 * Fails with one line naming the problem: a missing bundle or config.json,
 * a JSON syntax error, or the first invalid field by its JSON path.
 * The rootfs must exist and be a directory.
 */
int spec_load (const char *bundle, struct spec **out, cryo_error_t *err);

/* Parse config.json text without touching the filesystem (unit tests,
 * the config stored in a checkpoint image). @bundle may be NULL. */
int spec_parse (const char *text, const char *bundle, struct spec **out, cryo_error_t *err);

void spec_free (struct spec *spec);
void cleanup_specp (struct spec **spec);
#define cleanup_spec __attribute__ ((cleanup (cleanup_specp)))

/* `process` object alone: exec --process FILE.  @field names it in errors. */
int spec_parse_process (json_value_t *obj, const char *field, struct spec_process **out, cryo_error_t *err);
void spec_process_free (struct spec_process *p);

/* `linux.resources` object alone: update --resources FILE. */
int spec_parse_resources (json_value_t *obj, const char *field, struct spec_resources *out, cryo_error_t *err);
void spec_resources_clear (struct spec_resources *r);

/* spec-resources-json.c: config.json @text again, with the fields @update
 * sets written over linux.resources (cryo update), or with linux.resources
 * replaced by @resources (restore); *@out is the caller's. */
int spec_text_update_resources (const char *text, const struct spec_resources *update, char **out,
                                cryo_error_t *err);
int spec_text_set_resources (const char *text, json_value_t *resources, char **out, cryo_error_t *err);

/* Whether the config asks for a new namespace of this type (present without
 * a path); and the path to join, or NULL. */
bool spec_ns_is_new (const struct spec *spec, enum cryo_ns ns);
const char *spec_ns_path (const struct spec *spec, enum cryo_ns ns);
bool spec_has_ns (const struct spec *spec, enum cryo_ns ns);

/* Annotation value or NULL. */
const char *spec_annotation (const struct spec *spec, const char *key);

/* The config `cryo spec` writes (runc's default, busybox-friendly). */
char *spec_default_json (bool rootless);

#endif
