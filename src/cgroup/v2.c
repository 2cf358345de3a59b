/* cgroup v2: one tree, controllers enabled from the root down through
 * cgroup.subtree_control, limits in memory.max, cpu.max, cpu.weight, ...,
 * the freezer in cgroup.freeze, devices through an eBPF program
 * (cgroup-bpf.c).  On the hybrid layout only the freezer-free parts
 * (unified keys, cgroup.kill) reach this tree. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PREFIX "cgroup: "
#include "cgroup/internal.h"
#include "lib/log.h"
#include "lib/util.h"

/* Controllers cryo enables for its cgroups; the others stay as they are. */
static const char *const managed[] = { "cpu", "cpuset", "io", "memory", "pids" };

/* Whether the space-separated @list (cgroup.controllers) holds @word. */
static bool
word_in (const char *list, const char *word)
{
  size_t len = strlen (word);

  for (const char *p = list; p && *p; p = strchr (p, ' '), p = p ? p + 1 : NULL)
    if (strncmp (p, word, len) == 0 && (p[len] == ' ' || p[len] == '\0' || p[len] == '\n'))
      return true;
  return false;
}

static void
enable_in (const char *dir)
{
  cleanup_free char *avail = NULL;

  if (cg_read (dir, "cgroup.controllers", &avail, NULL) < 0)
    return;
  for (size_t i = 0; i < ARRAY_SIZE (managed); i++)
    {
      cleanup_error cryo_error_t e = NULL;
      char buf[32];
      if (!word_in (avail, managed[i]))
        continue;
      snprintf (buf, sizeof (buf), "+%s", managed[i]);
      /* As runc: a controller that cannot be enabled here (a parent with
       * processes, a delegated tree) shows up later as a missing file,
       * named in the error of the limit that needs it. */
      if (cg_write (dir, "cgroup.subtree_control", buf, &e) < 0)
        log_debug ("%s", e->msg);
    }
}

int
cgroup_v2_enable_controllers (const char *mount, const char *dir, cryo_error_t *err)
{
  size_t len = strlen (mount), i = 0;
  const char *rel = dir + len, *next;

  if (strncmp (dir, mount, len) != 0 || rel[0] != '/')
    return cryo_error (err, 0, "cgroup `%s` is not below `%s`", dir, mount);
  /* Every ancestor of the leaf, from the mount down; never the leaf itself,
   * which could then hold no process. */
  for (;;)
    {
      cleanup_free char *cur = xasprintf ("%s%.*s", mount, (int)i, rel);
      enable_in (cur);
      if ((next = strchr (rel + i + 1, '/')) == NULL)
        return 0;
      i = next - rel;
    }
}

/* runc 1.1: shares [2, 262144] map linearly onto weight [1, 10000]. */
uint64_t
cgroup_v2_cpu_weight (uint64_t shares)
{
  if (shares == 0)
    return 0;
  if (shares < 2)
    shares = 2;
  return 1 + ((shares - 2) * 9999) / 262142;
}

/* runc's ConvertMemorySwapToCgroupV2Value: OCI's swap is memory+swap, v2's
 * memory.swap.max is swap alone.  Returns 1 with *out set to write it, 0
 * when nothing is to be written. */
int
cgroup_v2_swap_value (int64_t swap, int64_t memory, int64_t *out, cryo_error_t *err)
{
  if (memory == -1 && swap == 0)
    return *out = -1, 1;
  if (swap == 0)
    return 0;
  if (swap == -1)
    return *out = -1, 1;
  if (memory == 0 || memory == -1)
    return cryo_error (err, 0, "memory swap limit %" PRId64 " needs a memory limit", swap);
  if (memory < 0)
    return cryo_error (err, 0, "invalid memory limit %" PRId64, memory);
  if (swap < memory)
    return cryo_error (err, 0, "memory+swap limit %" PRId64 " must be >= the memory limit %" PRId64, swap,
                       memory);
  *out = swap - memory;
  return 1;
}

static int
write_max (const char *dir, const char *file, int64_t v, cryo_error_t *err)
{
  return v == -1 ? cg_write (dir, file, "max", err) : cg_write_i64 (dir, file, v, err);
}

static int
v2_memory (const char *dir, const struct spec_resources *r, cryo_error_t *err)
{
  int64_t limit = r->memory.limit.set ? r->memory.limit.value : 0;
  int64_t swap = r->memory.swap.set ? r->memory.swap.value : 0, swap_v2;
  uint64_t cur;
  int set;

  if (r->memory.swappiness.set || r->memory.disable_oom_killer || r->memory.kernel.set
      || r->memory.kernel_tcp.set)
    log_warning (
        "memory swappiness, disableOOMKiller, kernel and kernelTCP do not exist on cgroup v2: ignored");
  /* `update --memory-swap` alone: the memory limit in place counts. */
  if (swap > 0 && limit == 0 && cg_read_u64 (dir, "memory.max", &cur, NULL) == 0)
    limit = cur == UINT64_MAX ? -1 : (int64_t)cur;
  if ((set = cgroup_v2_swap_value (swap, limit, &swap_v2, err)) < 0)
    return -1;
  if (set && !cg_exists (dir, "memory.swap.max"))
    {
      if (swap_v2 != -1)
        return cryo_error (err, 0, "memory swap limit needs swap accounting (no memory.swap.max in `%s`)",
                           dir);
    }
  else if (set && write_max (dir, "memory.swap.max", swap_v2, err) < 0)
    return -1;
  if (limit != 0 && write_max (dir, "memory.max", limit, err) < 0)
    return -1;
  if (r->memory.reservation.set && r->memory.reservation.value != 0
      && write_max (dir, "memory.low", r->memory.reservation.value, err) < 0)
    return -1;
  return 0;
}

/* cpu.max is "QUOTA PERIOD": a new period alone keeps the quota in place. */
static int
v2_cpu_max (const char *dir, const struct spec_resources *r, cryo_error_t *err)
{
  cleanup_free char *cur = NULL, *value = NULL;
  char quota[32] = "max";

  if (!(r->cpu.quota.set && r->cpu.quota.value != 0) && !(r->cpu.period.set && r->cpu.period.value != 0))
    return 0;
  if (r->cpu.quota.set && r->cpu.quota.value > 0)
    snprintf (quota, sizeof (quota), "%" PRId64, r->cpu.quota.value);
  else if (!(r->cpu.quota.set && r->cpu.quota.value < 0) && cg_read (dir, "cpu.max", &cur, NULL) == 0)
    snprintf (quota, sizeof (quota), "%.*s", (int)strcspn (cur, " "), cur);
  if (r->cpu.period.set && r->cpu.period.value != 0)
    value = xasprintf ("%s %" PRIu64, quota, r->cpu.period.value);
  else
    value = xstrdup (quota);
  return cg_write (dir, "cpu.max", value, err);
}

static int
v2_cpu (const char *dir, const struct spec_resources *r, cryo_error_t *err)
{
  if ((r->cpu.realtime_period.set && r->cpu.realtime_period.value)
      || (r->cpu.realtime_runtime.set && r->cpu.realtime_runtime.value))
    return cryo_error (err, 0,
                       "linux.resources.cpu.realtimePeriod/realtimeRuntime need cgroup v1: "
                       "cgroup v2 has no realtime limits");
  if (r->cpu.shares.set && r->cpu.shares.value != 0
      && cg_write_u64 (dir, "cpu.weight", cgroup_v2_cpu_weight (r->cpu.shares.value), err) < 0)
    return -1;
  if (v2_cpu_max (dir, r, err) < 0)
    return -1;
  if (r->cpu.idle.set && cg_write_i64 (dir, "cpu.idle", r->cpu.idle.value, err) < 0)
    return -1;
  if (r->cpu.cpus && *r->cpu.cpus && cg_write (dir, "cpuset.cpus", r->cpu.cpus, err) < 0)
    return -1;
  if (r->cpu.mems && *r->cpu.mems && cg_write (dir, "cpuset.mems", r->cpu.mems, err) < 0)
    return -1;
  return 0;
}

static int
v2_pids_io (const char *dir, const struct spec_resources *r, cryo_error_t *err)
{
  uint64_t w = r->block_io.weight.set ? r->block_io.weight.value : 0;

  if (r->pids.limit.set)
    {
      int ret = r->pids.limit.value > 0 ? cg_write_i64 (dir, "pids.max", r->pids.limit.value, err)
                                        : cg_write (dir, "pids.max", "max", err);
      if (ret < 0)
        return -1;
    }
  if (r->block_io.leaf_weight.set)
    log_warning ("linux.resources.blockIO.leafWeight does not exist on cgroup v2: ignored");
  if (w == 0)
    return 0;
  /* BFQ takes the v1 range 10-1000 as it is; io.weight is 1-10000. */
  if (cg_exists (dir, "io.bfq.weight"))
    return cg_write_u64 (dir, "io.bfq.weight", w, err);
  return cg_write_u64 (dir, "io.weight", 1 + (w - 10) * 9999 / 990, err);
}

int
cgroup_v2_unified (struct cgroup_hier *h, json_value_t *unified, cryo_error_t *err)
{
  cleanup_free char *avail = NULL;

  if (h == NULL)
    return cryo_error (err, 0, "linux.resources.unified needs a cgroup v2 hierarchy, and none is mounted");
  if (cg_read (h->dir, "cgroup.controllers", &avail, err) < 0)
    return -1;
  for (size_t i = 0; i < json_len (unified); i++)
    {
      const char *key = json_key_at (unified, i), *value = json_string (json_at (unified, i));
      cleanup_free char *ctrl = xstrndup (key, strcspn (key, "."));
      if (value == NULL)
        return cryo_error (err, 0, "linux.resources.unified.%s: the value must be a string", key);
      if (strchr (key, '/') || key[0] == '.' || strchr (key, '.') == NULL)
        return cryo_error (err, 0, "linux.resources.unified: `%s` is not a cgroup file name", key);
      if (strcmp (ctrl, "cgroup") != 0 && !word_in (avail, ctrl))
        return cryo_error (err, 0, "linux.resources.unified.%s: the `%s` controller is not available in `%s`",
                           key, ctrl, h->dir);
      if (cg_write (h->dir, key, value, err) < 0)
        return cryo_error_wrap (err, "linux.resources.unified.%s", key);
    }
  return 0;
}

int
cgroup_v2_apply (struct cgroup_manager *cg, const struct spec_resources *r,
                 const struct cgroup_devrule *rules, size_t n_rules, cryo_error_t *err)
{
  struct cgroup_hier *h = cgroup_hier_find (cg, CGROUP2_NAME);

  if (h == NULL)
    return cryo_error (err, 0, "cgroup `%s` has no cgroup v2 directory", cg->path);
  if (v2_memory (h->dir, r, err) < 0 || v2_cpu (h->dir, r, err) < 0 || v2_pids_io (h->dir, r, err) < 0)
    return -1;
  if (rules && cgroup_bpf_devices (h->dir, rules, n_rules, err) < 0)
    return -1;
  /* Last, so that unified keys override what the fields above wrote. */
  if (r->unified && json_len (r->unified) > 0)
    return cgroup_v2_unified (h, r->unified, err);
  return 0;
}

int
cgroup_v2_is_frozen (const char *dir, bool *frozen, cryo_error_t *err)
{
  cleanup_free char *events = NULL;
  uint64_t v = 0;

  if (cg_read (dir, "cgroup.events", &events, err) < 0)
    return -1;
  if (cg_keyed_u64 (events, "frozen", &v) < 0)
    return cryo_error (err, 0, "no `frozen` line in `%s/cgroup.events`", dir);
  *frozen = v == 1;
  return 0;
}

int
cgroup_v2_freeze (const char *dir, bool frozen, cryo_error_t *err)
{
  uint64_t deadline = now_ns () + CGROUP_WAIT_MS * 1000000ULL;

  if (cg_write (dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
    return -1;
  /* cgroup.freeze is the request; cgroup.events says when every task has
   * actually stopped (or resumed). */
  for (unsigned i = 0;; i++)
    {
      bool now;
      if (cgroup_v2_is_frozen (dir, &now, err) < 0)
        return -1;
      if (now == frozen)
        return 0;
      if (now_ns () > deadline)
        {
          if (frozen)
            cg_write (dir, "cgroup.freeze", "0", NULL);
          return cryo_error (err, 0, "%s cgroup `%s`: not %s after %d ms", frozen ? "freeze" : "thaw", dir,
                             frozen ? "frozen" : "thawed", CGROUP_WAIT_MS);
        }
      cg_sleep_ms (i < 10 ? 1 : 10);
    }
}

static uint64_t
keyed_or_0 (const char *text, const char *key)
{
  uint64_t v = 0;
  if (text == NULL || cg_keyed_u64 (text, key, &v) < 0)
    return 0;
  return v;
}

static uint64_t
u64_or_0 (const char *dir, const char *file)
{
  uint64_t v = 0;
  if (cg_read_u64 (dir, file, &v, NULL) < 0)
    return 0;
  return v;
}

/* io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" */
static void
v2_io_stats (struct cgroup_stats_data *s, const char *text)
{
  static const struct
  {
    const char *key, *op;
    int kind;
  } fields[] = {
    { "rbytes=", "Read", BLKIO_SERVICE_BYTES },
    { "wbytes=", "Write", BLKIO_SERVICE_BYTES },
    { "rios=", "Read", BLKIO_SERVICED },
    { "wios=", "Write", BLKIO_SERVICED },
  };

  for (const char *p = text; p && *p; p = strchr (p, '\n'), p = p ? p + 1 : NULL)
    {
      size_t line_len = strcspn (p, "\n");
      unsigned long long maj, min;
      if (sscanf (p, "%llu:%llu", &maj, &min) != 2)
        continue;
      for (size_t i = 0; i < ARRAY_SIZE (fields); i++)
        {
          const char *f = strstr (p, fields[i].key);
          struct cgroup_blkio_entry e = { maj, min, 0, "" };
          int k = fields[i].kind;
          if (f == NULL || f > p + line_len)
            continue;
          e.value = strtoull (f + strlen (fields[i].key), NULL, 10);
          snprintf (e.op, sizeof (e.op), "%s", fields[i].op);
          s->blkio[k] = xreallocarray (s->blkio[k], s->n_blkio[k] + 1, sizeof (e));
          s->blkio[k][s->n_blkio[k]++] = e;
        }
    }
}

int
cgroup_v2_stats (struct cgroup_manager *cg, json_gen_t *gen, cryo_error_t *err)
{
  struct cgroup_hier *h = cgroup_hier_find (cg, CGROUP2_NAME);
  struct cgroup_stats_data s = { 0 };
  cleanup_free char *cpu = NULL, *io = NULL;

  if (h == NULL)
    return cryo_error (err, 0, "cgroup `%s` has no cgroup v2 directory", cg->path);
  cg_read (h->dir, "cpu.stat", &cpu, NULL);
  /* cpu.stat counts microseconds; runc reports nanoseconds. */
  s.cpu.total = keyed_or_0 (cpu, "usage_usec") * 1000;
  s.cpu.user = keyed_or_0 (cpu, "user_usec") * 1000;
  s.cpu.kernel = keyed_or_0 (cpu, "system_usec") * 1000;
  s.cpu.periods = keyed_or_0 (cpu, "nr_periods");
  s.cpu.throttled_periods = keyed_or_0 (cpu, "nr_throttled");
  s.cpu.throttled_time = keyed_or_0 (cpu, "throttled_usec") * 1000;
  cg_read (h->dir, "memory.stat", &s.memory.raw, NULL);
  s.memory.cache = keyed_or_0 (s.memory.raw, "file");
  s.memory.usage.usage = u64_or_0 (h->dir, "memory.current");
  s.memory.usage.limit = u64_or_0 (h->dir, "memory.max");
  s.memory.usage.max = u64_or_0 (h->dir, "memory.peak");
  /* v1 reported memory+swap; runc keeps that meaning on v2. */
  s.memory.swap.usage = u64_or_0 (h->dir, "memory.swap.current") + s.memory.usage.usage;
  s.memory.swap.limit = u64_or_0 (h->dir, "memory.swap.max");
  if (s.memory.swap.limit != UINT64_MAX && s.memory.usage.limit != UINT64_MAX)
    s.memory.swap.limit += s.memory.usage.limit;
  s.pids.current = u64_or_0 (h->dir, "pids.current");
  s.pids.limit = u64_or_0 (h->dir, "pids.max");
  if (s.pids.limit == UINT64_MAX)
    s.pids.limit = 0;
  cg_read (h->dir, "io.stat", &io, NULL);
  v2_io_stats (&s, io);
  cgroup_stats_write (&s, gen);
  cgroup_stats_data_clear (&s);
  return 0;
}
