/* cgroup v1: one hierarchy per controller (or co-mounted group), limits in
 * the classic files (memory.limit_in_bytes, cpu.shares, ...), freezer.state,
 * devices.allow/deny.  Used on v1 and on the hybrid layout. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_PREFIX "cgroup: "
#include "cgroup/internal.h"
#include "lib/log.h"
#include "lib/util.h"

static const char *
need (struct cgroup_manager *cg, const char *controller, const char *what, cryo_error_t *err)
{
  struct cgroup_hier *h = cgroup_hier_find (cg, controller);

  if (h == NULL)
    cryo_error (err, 0, "%s needs the `%s` cgroup controller, which is not mounted", what, controller);
  return h ? h->dir : NULL;
}

int
cgroup_v1_cpuset_init (const char *dir, cryo_error_t *err)
{
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
  cleanup_free char *parent = xstrdup (dir);

  *strrchr (parent, '/') = '\0';
  /* A new cpuset cgroup starts with no cpus and no mems, and refuses
   * processes until it has some: inherit the parent's. */
  for (size_t i = 0; i < ARRAY_SIZE (files); i++)
    {
      cleanup_free char *cur = NULL, *from = NULL;
      if (cg_read (dir, files[i], &cur, err) < 0)
        return -1;
      if (*cur)
        continue;
      if (cg_read (parent, files[i], &from, err) < 0 || cg_write (dir, files[i], from, err) < 0)
        return -1;
    }
  return 0;
}

/* memory.limit_in_bytes refuses a limit below the current usage with EBUSY:
 * say that instead of "Device or resource busy". */
static int
set_limit (const char *dir, int64_t v, cryo_error_t *err)
{
  uint64_t usage = 0;

  if (cg_write_i64 (dir, "memory.limit_in_bytes", v, err) == 0)
    return 0;
  if (cryo_error_status (*err) == EBUSY && cg_read_u64 (dir, "memory.usage_in_bytes", &usage, NULL) == 0)
    return cryo_error (err, EBUSY, "memory limit %" PRId64 " is below the current usage %" PRIu64 " of `%s`",
                       v, usage, dir);
  return -1;
}

static int
set_swap (const char *dir, int64_t v, cryo_error_t *err)
{
  if (!cg_exists (dir, "memory.memsw.limit_in_bytes"))
    return cryo_error (err, 0,
                       "memory swap limit needs swap accounting (no memory.memsw.limit_in_bytes in `%s`): "
                       "boot with swapaccount=1 or remove linux.resources.memory.swap",
                       dir);
  return cg_write_i64 (dir, "memory.memsw.limit_in_bytes", v, err);
}

/* memsw must stay >= limit at every step, so the order of the two writes
 * depends on whether the limits grow or shrink (as runc does). */
static int
set_memory_and_swap (const char *dir, int64_t limit, int64_t swap, cryo_error_t *err)
{
  uint64_t cur = 0;

  if (limit == -1 && swap == 0 && cg_exists (dir, "memory.memsw.limit_in_bytes"))
    swap = -1;
  if (limit != 0 && swap != 0 && cg_read_u64 (dir, "memory.limit_in_bytes", &cur, err) < 0)
    return -1;
  if (limit != 0 && swap != 0 && (swap == -1 || cur < (uint64_t)swap))
    return set_swap (dir, swap, err) < 0 ? -1 : set_limit (dir, limit, err);
  if (limit != 0 && set_limit (dir, limit, err) < 0)
    return -1;
  return swap != 0 ? set_swap (dir, swap, err) : 0;
}

static int
v1_memory (struct cgroup_manager *cg, const struct spec_resources *r, cryo_error_t *err)
{
  const char *dir;
  int64_t limit = r->memory.limit.set ? r->memory.limit.value : 0;
  int64_t swap = r->memory.swap.set ? r->memory.swap.value : 0;
  bool any = limit || swap || r->memory.reservation.set || r->memory.swappiness.set
             || r->memory.disable_oom_killer || r->memory.kernel_tcp.set;

  if (r->memory.kernel.set)
    log_warning ("linux.resources.memory.kernel is ignored: kernel memory limits are gone from Linux");
  if (!any)
    return 0;
  if ((dir = need (cg, "memory", "linux.resources.memory", err)) == NULL)
    return -1;
  if (set_memory_and_swap (dir, limit, swap, err) < 0)
    return -1;
  if (r->memory.reservation.set && r->memory.reservation.value != 0
      && cg_write_i64 (dir, "memory.soft_limit_in_bytes", r->memory.reservation.value, err) < 0)
    return -1;
  if (r->memory.kernel_tcp.set && r->memory.kernel_tcp.value != 0
      && cg_write_i64 (dir, "memory.kmem.tcp.limit_in_bytes", r->memory.kernel_tcp.value, err) < 0)
    return -1;
  if (r->memory.swappiness.set && r->memory.swappiness.value > 100)
    return cryo_error (err, 0, "linux.resources.memory.swappiness %" PRIu64 " is out of range 0-100",
                       r->memory.swappiness.value);
  if (r->memory.swappiness.set
      && cg_write_u64 (dir, "memory.swappiness", r->memory.swappiness.value, err) < 0)
    return -1;
  if (r->memory.disable_oom_killer && cg_write (dir, "memory.oom_control", "1", err) < 0)
    return -1;
  return 0;
}

static int
v1_shares (const char *dir, uint64_t shares, cryo_error_t *err)
{
  uint64_t got;

  if (cg_write_u64 (dir, "cpu.shares", shares, err) < 0 || cg_read_u64 (dir, "cpu.shares", &got, err) < 0)
    return -1;
  /* The kernel clamps instead of refusing. */
  if (got != shares)
    return cryo_error (err, 0,
                       "cpu.shares %" PRIu64 " is out of range: the kernel set %" PRIu64 " (range 2-262144)",
                       shares, got);
  return 0;
}

/* A period below the current one may be refused (EINVAL) because the old
 * quota over the new period would exceed the parent's: set the quota first
 * then, and the period again after it (runc does the same). */
static int
v1_quota_period (const char *dir, const struct spec_resources *r, cryo_error_t *err)
{
  bool period_pending = false;
  bool quota = r->cpu.quota.set && r->cpu.quota.value != 0;

  if (r->cpu.period.set && r->cpu.period.value != 0
      && cg_write_u64 (dir, "cpu.cfs_period_us", r->cpu.period.value, err) < 0)
    {
      if (cryo_error_status (*err) != EINVAL || !quota)
        return -1;
      cryo_error_release (err);
      period_pending = true;
    }
  if (quota && cg_write_i64 (dir, "cpu.cfs_quota_us", r->cpu.quota.value, err) < 0)
    return -1;
  if (period_pending && cg_write_u64 (dir, "cpu.cfs_period_us", r->cpu.period.value, err) < 0)
    return -1;
  return 0;
}

static int
v1_cpu (struct cgroup_manager *cg, const struct spec_resources *r, cryo_error_t *err)
{
  const char *dir;
  bool any = r->cpu.shares.set || r->cpu.quota.set || r->cpu.period.set || r->cpu.realtime_period.set
             || r->cpu.realtime_runtime.set || r->cpu.idle.set;

  if (!any)
    return 0;
  if ((dir = need (cg, "cpu", "linux.resources.cpu", err)) == NULL)
    return -1;
  if (r->cpu.shares.set && r->cpu.shares.value != 0 && v1_shares (dir, r->cpu.shares.value, err) < 0)
    return -1;
  if (v1_quota_period (dir, r, err) < 0)
    return -1;
  if (r->cpu.realtime_period.set && r->cpu.realtime_period.value != 0
      && cg_write_u64 (dir, "cpu.rt_period_us", r->cpu.realtime_period.value, err) < 0)
    return -1;
  if (r->cpu.realtime_runtime.set && r->cpu.realtime_runtime.value != 0
      && cg_write_i64 (dir, "cpu.rt_runtime_us", r->cpu.realtime_runtime.value, err) < 0)
    return -1;
  if (r->cpu.idle.set && cg_write_i64 (dir, "cpu.idle", r->cpu.idle.value, err) < 0)
    return -1;
  return 0;
}

/* CFQ had blkio.weight; with BFQ the file is blkio.bfq.weight; other
 * schedulers (mq-deadline, none) have no weight at all. */
static int
v1_blkio_weight (const char *dir, const struct spec_resources *r, cryo_error_t *err)
{
  const char *file = cg_exists (dir, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";

  if (!cg_exists (dir, file))
    return cryo_error (err, 0,
                       "linux.resources.blockIO.weight: `%s/blkio.bfq.weight` does not exist (nor "
                       "blkio.weight): the disk scheduler has no weights (mq-deadline?); remove the weight",
                       dir);
  return cg_write_u64 (dir, file, r->block_io.weight.value, err);
}

static int
v1_cpuset_pids_blkio (struct cgroup_manager *cg, const struct spec_resources *r, cryo_error_t *err)
{
  const char *dir;

  if ((r->cpu.cpus && *r->cpu.cpus) || (r->cpu.mems && *r->cpu.mems))
    {
      if ((dir = need (cg, "cpuset", "linux.resources.cpu.cpus/mems", err)) == NULL)
        return -1;
      if (r->cpu.cpus && *r->cpu.cpus && cg_write (dir, "cpuset.cpus", r->cpu.cpus, err) < 0)
        return -1;
      if (r->cpu.mems && *r->cpu.mems && cg_write (dir, "cpuset.mems", r->cpu.mems, err) < 0)
        return -1;
    }
  if (r->pids.limit.set)
    {
      if ((dir = need (cg, "pids", "linux.resources.pids", err)) == NULL)
        return -1;
      if (r->pids.limit.value > 0 ? cg_write_i64 (dir, "pids.max", r->pids.limit.value, err) < 0
                                  : cg_write (dir, "pids.max", "max", err) < 0)
        return -1;
    }
  if ((r->block_io.weight.set && r->block_io.weight.value)
      || (r->block_io.leaf_weight.set && r->block_io.leaf_weight.value))
    {
      if ((dir = need (cg, "blkio", "linux.resources.blockIO", err)) == NULL)
        return -1;
      if (r->block_io.weight.set && r->block_io.weight.value && v1_blkio_weight (dir, r, err) < 0)
        return -1;
      if (r->block_io.leaf_weight.set && r->block_io.leaf_weight.value
          && cg_write_u64 (dir, "blkio.leaf_weight", r->block_io.leaf_weight.value, err) < 0)
        return -1;
    }
  return 0;
}

static void
format_rule (const struct cgroup_devrule *d, char *buf, size_t size)
{
  char maj[24] = "*", min[24] = "*";

  if (d->type == 'a')
    {
      snprintf (buf, size, "a");
      return;
    }
  if (d->major >= 0)
    snprintf (maj, sizeof (maj), "%" PRId64, d->major);
  if (d->minor >= 0)
    snprintf (min, sizeof (min), "%" PRId64, d->minor);
  snprintf (buf, size, "%c %s:%s %s", d->type, maj, min, d->access);
}

static int
v1_devices (struct cgroup_manager *cg, const struct cgroup_devrule *rules, size_t n, cryo_error_t *err)
{
  const char *dir = need (cg, "devices", "linux.resources.devices", err);

  if (dir == NULL)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      char buf[80];
      format_rule (&rules[i], buf, sizeof (buf));
      if (cg_write (dir, rules[i].allow ? "devices.allow" : "devices.deny", buf, err) < 0)
        return -1;
    }
  return 0;
}

int
cgroup_v1_apply (struct cgroup_manager *cg, const struct spec_resources *r,
                 const struct cgroup_devrule *rules, size_t n_rules, cryo_error_t *err)
{
  if (v1_memory (cg, r, err) < 0 || v1_cpu (cg, r, err) < 0 || v1_cpuset_pids_blkio (cg, r, err) < 0)
    return -1;
  if (rules && v1_devices (cg, rules, n_rules, err) < 0)
    return -1;
  return 0;
}

int
cgroup_v1_is_frozen (const char *dir, bool *frozen, cryo_error_t *err)
{
  cleanup_free char *state = NULL;

  if (cg_read (dir, "freezer.state", &state, err) < 0)
    return -1;
  *frozen = strcmp (state, "FROZEN") == 0;
  return 0;
}

/* The kernel may stay in FREEZING (a task in vfork, in uninterruptible
 * sleep): ask again now and then, and give up after CGROUP_WAIT_MS. */
int
cgroup_v1_freeze (const char *dir, bool frozen, cryo_error_t *err)
{
  const char *target = frozen ? "FROZEN" : "THAWED";
  uint64_t deadline = now_ns () + CGROUP_WAIT_MS * 1000000ULL;

  for (unsigned i = 0;; i++)
    {
      cleanup_free char *state = NULL;
      if (i % 100 == 0 && cg_write (dir, "freezer.state", target, err) < 0)
        return -1;
      if (cg_read (dir, "freezer.state", &state, err) < 0)
        return -1;
      if (strcmp (state, target) == 0)
        return 0;
      if (now_ns () > deadline)
        {
          if (frozen)
            cg_write (dir, "freezer.state", "THAWED", NULL);
          return cryo_error (err, 0, "%s cgroup `%s`: still %s after %d ms", frozen ? "freeze" : "thaw", dir,
                             state, CGROUP_WAIT_MS);
        }
      cg_sleep_ms (i < 10 ? 1 : 10);
    }
}

/* Statistics: a file that is missing (a kernel without swap accounting, a
 * controller not mounted) leaves its numbers at zero, as runc does. */
static uint64_t
read_u64_or_0 (const char *dir, const char *file)
{
  uint64_t v = 0;
  if (dir == NULL || cg_read_u64 (dir, file, &v, NULL) < 0)
    return 0;
  return v;
}

static char *
read_or_null (const char *dir, const char *file)
{
  char *text = NULL;
  if (dir == NULL || cg_read (dir, file, &text, NULL) < 0)
    return NULL;
  return text;
}

/* cpuacct.usage_all: "cpu user system" then one line per cpu. */
static void
v1_percpu (struct cgroup_stats_data *s, const char *dir)
{
  cleanup_free char *all = read_or_null (dir, "cpuacct.usage_all");
  const char *p = all ? strchr (all, '\n') : NULL;
  unsigned long long cpu, user, sys;

  for (; p && sscanf (p + 1, "%llu %llu %llu", &cpu, &user, &sys) == 3; p = strchr (p + 1, '\n'))
    {
      size_t n = s->cpu.n_percpu + 1;
      s->cpu.percpu = xreallocarray (s->cpu.percpu, n, sizeof (uint64_t));
      s->cpu.percpu_kernel = xreallocarray (s->cpu.percpu_kernel, n, sizeof (uint64_t));
      s->cpu.percpu_user = xreallocarray (s->cpu.percpu_user, n, sizeof (uint64_t));
      s->cpu.percpu[n - 1] = user + sys;
      s->cpu.percpu_kernel[n - 1] = sys;
      s->cpu.percpu_user[n - 1] = user;
      s->cpu.n_percpu = n;
    }
}

static void
v1_cpu_stats (struct cgroup_manager *cg, struct cgroup_stats_data *s)
{
  const char *acct = cgroup_dir (cg, "cpuacct"), *cpu = cgroup_dir (cg, "cpu");
  cleanup_free char *stat = read_or_null (acct, "cpuacct.stat");
  cleanup_free char *cstat = read_or_null (cpu, "cpu.stat");
  uint64_t ticks = 0, hz = sysconf (_SC_CLK_TCK);

  s->cpu.total = read_u64_or_0 (acct, "cpuacct.usage");
  v1_percpu (s, acct);
  /* cpuacct.stat counts USER_HZ ticks; runc reports nanoseconds. */
  if (stat && cg_keyed_u64 (stat, "user", &ticks) == 0)
    s->cpu.user = ticks * (1000000000ULL / hz);
  if (stat && cg_keyed_u64 (stat, "system", &ticks) == 0)
    s->cpu.kernel = ticks * (1000000000ULL / hz);
  if (cstat)
    {
      cg_keyed_u64 (cstat, "nr_periods", &s->cpu.periods);
      cg_keyed_u64 (cstat, "nr_throttled", &s->cpu.throttled_periods);
      cg_keyed_u64 (cstat, "throttled_time", &s->cpu.throttled_time);
    }
}

static void
v1_cpuset_stats (struct cgroup_manager *cg, struct cgroup_stats_data *s)
{
  static const char *const flags[] = {
    "cpu_exclusive",   "mem_hardwall",       "mem_exclusive",
    "memory_migrate",  "memory_spread_page", "memory_spread_slab",
    "memory_pressure", "sched_load_balance", "sched_relax_domain_level",
  };
  const char *dir = cgroup_dir (cg, "cpuset");
  char *text = xstrdup ("");

  s->cpuset.cpus = read_or_null (dir, "cpuset.cpus");
  s->cpuset.mems = read_or_null (dir, "cpuset.mems");
  for (size_t i = 0; dir && i < ARRAY_SIZE (flags); i++)
    {
      cleanup_free char *file = xasprintf ("cpuset.%s", flags[i]);
      cleanup_free char *v = read_or_null (dir, file);
      char *next;
      if (v == NULL)
        continue;
      next = xasprintf ("%s%s %s\n", text, flags[i], v);
      free (text);
      text = next;
    }
  s->cpuset.flags = text;
}

static void
mem_entry (const char *dir, const char *prefix, struct cgroup_mem_entry *e)
{
  cleanup_free char *usage = xasprintf ("%susage_in_bytes", prefix);
  cleanup_free char *max = xasprintf ("%smax_usage_in_bytes", prefix);
  cleanup_free char *limit = xasprintf ("%slimit_in_bytes", prefix);
  cleanup_free char *failcnt = xasprintf ("%sfailcnt", prefix);

  e->usage = read_u64_or_0 (dir, usage);
  e->max = read_u64_or_0 (dir, max);
  e->limit = read_u64_or_0 (dir, limit);
  e->failcnt = read_u64_or_0 (dir, failcnt);
}

static void
v1_memory_stats (struct cgroup_manager *cg, struct cgroup_stats_data *s)
{
  const char *dir = cgroup_dir (cg, "memory");

  if (dir == NULL)
    return;
  mem_entry (dir, "memory.", &s->memory.usage);
  mem_entry (dir, "memory.memsw.", &s->memory.swap);
  mem_entry (dir, "memory.kmem.", &s->memory.kernel);
  mem_entry (dir, "memory.kmem.tcp.", &s->memory.kernel_tcp);
  s->memory.raw = read_or_null (dir, "memory.stat");
  if (s->memory.raw)
    cg_keyed_u64 (s->memory.raw, "cache", &s->memory.cache);
}

static void
v1_blkio_stats (struct cgroup_manager *cg, struct cgroup_stats_data *s)
{
  const char *dir = cgroup_dir (cg, "blkio");
  bool bfq = dir && cg_exists (dir, "blkio.bfq.io_service_bytes_recursive");
  cleanup_free char *bytes = NULL, *ios = NULL;

  bytes = read_or_null (dir, bfq ? "blkio.bfq.io_service_bytes_recursive"
                                 : "blkio.throttle.io_service_bytes_recursive");
  ios = read_or_null (dir, bfq ? "blkio.bfq.io_serviced_recursive" : "blkio.throttle.io_serviced_recursive");
  cgroup_stats_parse_blkio_v1 (s, BLKIO_SERVICE_BYTES, bytes);
  cgroup_stats_parse_blkio_v1 (s, BLKIO_SERVICED, ios);
}

int
cgroup_v1_stats (struct cgroup_manager *cg, json_gen_t *gen, cryo_error_t *err)
{
  struct cgroup_stats_data s = { 0 };
  const char *pids = cgroup_dir (cg, "pids");

  v1_cpu_stats (cg, &s);
  v1_cpuset_stats (cg, &s);
  v1_memory_stats (cg, &s);
  v1_blkio_stats (cg, &s);
  s.pids.current = read_u64_or_0 (pids, "pids.current");
  s.pids.limit = read_u64_or_0 (pids, "pids.max");
  if (s.pids.limit == UINT64_MAX)
    s.pids.limit = 0;
  cgroup_stats_write (&s, gen);
  cgroup_stats_data_clear (&s);
  return 0;
}
