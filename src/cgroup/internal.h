/* Shared between src/cgroup*.c and the unit test, not by the rest of cryo:
 * the manager's layout, file helpers, and the per-version backends. */
#ifndef CRYO_CGROUP_INTERNAL_H
#define CRYO_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup/cgroup.h"

/* Upper bound on waiting for the kernel: a freeze that does not complete, or
 * processes that do not die, give an error instead of hanging the caller. */
#define CGROUP_WAIT_MS 10000

/* The name of the cgroup2 tree among the hierarchies. */
#define CGROUP2_NAME ""

/* One hierarchy the container's cgroup lives in. */
struct cgroup_hier
{
  char *name;     /* v1: controllers as in /proc/self/cgroup ("cpu,cpuacct",
                     "name=systemd"); CGROUP2_NAME for the cgroup2 tree */
  char *mount;    /* where the hierarchy is mounted */
  char *dir;      /* the container's cgroup: mount + path */
  char **created; /* directories cgroup_create() made, outermost first */
  char *prune;    /* a runtime-owned parent ("<mount>/cryo") removed once empty */
};

struct cgroup_manager
{
  enum cgroup_mode mode;
  char *path; /* cgroupsPath as given, or "/cryo/<id>" */
  struct cgroup_hier *h;
  size_t n;
};

/* A mounted hierarchy and cryo's own cgroup in it (src/cgroup/layout.c). */
struct cgroup_mount
{
  char *name;  /* as struct cgroup_hier.name */
  char *mount; /* mount point */
  char *own;   /* cryo's own cgroup in it, relative to the mount's root */
};

struct cgroup_layout
{
  enum cgroup_mode mode;
  struct cgroup_mount *m;
  size_t n;
};

/* Read /proc/self/mountinfo and /proc/self/cgroup. */
int cgroup_layout_read (struct cgroup_layout *out, cryo_error_t *err);
void cgroup_layout_clear (struct cgroup_layout *l);
/* Keep only the hierarchies @mode would use (the unit test runs the v1 and v2
 * backends separately on the hybrid layout). */
int cgroup_layout_restrict (struct cgroup_layout *l, enum cgroup_mode mode, cryo_error_t *err);

/* cgroup_create() on an explicit layout. */
int cgroup_create_in (const struct cgroup_layout *l, const char *cgroups_path, const char *id,
                      struct cgroup_manager **out, cryo_error_t *err);
/* Check a cgroupsPath: not empty, no "." or ".." component, not the root. */
int cgroup_check_path (const char *path, cryo_error_t *err);

/* The hierarchy holding @controller, or NULL. */
struct cgroup_hier *cgroup_hier_find (const struct cgroup_manager *cg, const char *controller);
bool cgroup_name_has (const char *name, const char *controller);

/* Files of a cgroup directory.  Errors name the file and, on write, the value. */
int cg_write (const char *dir, const char *file, const char *value, cryo_error_t *err);
int cg_write_u64 (const char *dir, const char *file, uint64_t v, cryo_error_t *err);
int cg_write_i64 (const char *dir, const char *file, int64_t v, cryo_error_t *err);
int cg_read (const char *dir, const char *file, char **out, cryo_error_t *err);      /* trailing \n cut */
int cg_read_u64 (const char *dir, const char *file, uint64_t *v, cryo_error_t *err); /* "max": UINT64_MAX */
bool cg_exists (const char *dir, const char *file);
/* "key value" lines (memory.stat, cpu.stat, cgroup.events): the value of @key. */
int cg_keyed_u64 (const char *text, const char *key, uint64_t *v);
void cg_sleep_ms (unsigned ms);

/* Every pid listed in DIR/cgroup.procs and below, appended to *pids. */
int cg_collect_pids (const char *dir, pid_t **pids, size_t *n, cryo_error_t *err);

/* What runc's `events --stats` reports, filled by a backend and written
 * by cgroup_stats_write() (src/cgroup/stats.c). */
struct cgroup_mem_entry
{
  uint64_t limit, usage, max, failcnt;
};

struct cgroup_blkio_entry
{
  uint64_t major, minor, value;
  char op[16];
};

enum
{
  BLKIO_SERVICE_BYTES,
  BLKIO_SERVICED,
  BLKIO_MAX,
};

struct cgroup_stats_data
{
  struct
  {
    uint64_t total, kernel, user;
    uint64_t *percpu, *percpu_kernel, *percpu_user;
    size_t n_percpu;
    uint64_t periods, throttled_periods, throttled_time;
  } cpu;
  struct
  {
    char *cpus, *mems; /* "0-3,5" as in cpuset.cpus */
    char *flags;       /* the numeric cpuset.* files as "key value" lines */
  } cpuset;
  struct
  {
    uint64_t cache;
    struct cgroup_mem_entry usage, swap, kernel, kernel_tcp;
    bool has_kernel;
    char *raw; /* memory.stat */
  } memory;
  struct
  {
    uint64_t current, limit;
  } pids;
  struct cgroup_blkio_entry *blkio[BLKIO_MAX];
  size_t n_blkio[BLKIO_MAX];
};

void cgroup_stats_data_clear (struct cgroup_stats_data *s);
void cgroup_stats_write (const struct cgroup_stats_data *s, json_gen_t *gen);
/* Append "MAJ:MIN OP VALUE" lines (v1 blkio files) to s->blkio[kind]. */
void cgroup_stats_parse_blkio_v1 (struct cgroup_stats_data *s, int kind, const char *text);

/* Backends. */
struct cgroup_devrule;
/* Write @r; @rules NULL leaves the device rules alone (update). */
int cgroup_v1_apply (struct cgroup_manager *cg, const struct spec_resources *r,
                     const struct cgroup_devrule *rules, size_t n_rules, cryo_error_t *err);
int cgroup_v1_freeze (const char *dir, bool frozen, cryo_error_t *err);
int cgroup_v1_is_frozen (const char *dir, bool *frozen, cryo_error_t *err);
int cgroup_v1_stats (struct cgroup_manager *cg, json_gen_t *gen, cryo_error_t *err);
/* Initialize cpuset.cpus/mems of a new v1 cpuset cgroup from its parent. */
int cgroup_v1_cpuset_init (const char *dir, cryo_error_t *err);

int cgroup_v2_apply (struct cgroup_manager *cg, const struct spec_resources *r,
                     const struct cgroup_devrule *rules, size_t n_rules, cryo_error_t *err);
int cgroup_v2_unified (struct cgroup_hier *h, json_value_t *unified, cryo_error_t *err);
int cgroup_v2_freeze (const char *dir, bool frozen, cryo_error_t *err);
int cgroup_v2_is_frozen (const char *dir, bool *frozen, cryo_error_t *err);
int cgroup_v2_stats (struct cgroup_manager *cg, json_gen_t *gen, cryo_error_t *err);
/* Enable the controllers cryo manages from the mount down to @dir's parent. */
int cgroup_v2_enable_controllers (const char *mount, const char *dir, cryo_error_t *err);
uint64_t cgroup_v2_cpu_weight (uint64_t shares);
int cgroup_v2_swap_value (int64_t swap, int64_t memory, int64_t *out, cryo_error_t *err);

/* Device rules: the spec's, then runc's defaults. */
struct cgroup_devrule
{
  bool allow;
  char type;            /* 'a', 'c', 'b' */
  int64_t major, minor; /* -1: any */
  char access[4];
};
/* The rule list cgroup_apply() enforces; *n set, caller frees. */
struct cgroup_devrule *cgroup_device_rules (const struct spec_device_rule *rules, size_t n_rules, size_t *n);
/* Load a BPF_PROG_TYPE_CGROUP_DEVICE program enforcing @rules (last match
 * wins, nothing matched: deny) and attach it to the cgroup2 directory @dir,
 * replacing programs cryo attached before. */
int cgroup_bpf_devices (const char *dir, const struct cgroup_devrule *rules, size_t n, cryo_error_t *err);

#endif
