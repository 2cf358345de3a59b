/* The statistics document: the "data" object of runc's `events --stats`
 * (runc's types/events.go), whose field names and omitted zero fields
 * monitoring tools already parse. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"
#include "lib/util.h"

void
cgroup_stats_data_clear (struct cgroup_stats_data *s)
{
  free (s->cpu.percpu);
  free (s->cpu.percpu_kernel);
  free (s->cpu.percpu_user);
  free (s->cpuset.cpus);
  free (s->cpuset.mems);
  free (s->cpuset.flags);
  free (s->memory.raw);
  for (int i = 0; i < BLKIO_MAX; i++)
    free (s->blkio[i]);
  memset (s, 0, sizeof (*s));
}

void
cgroup_stats_parse_blkio_v1 (struct cgroup_stats_data *s, int kind, const char *text)
{
  for (const char *p = text; p && *p; p = strchr (p, '\n'), p = p ? p + 1 : NULL)
    {
      struct cgroup_blkio_entry e = { 0 };
      unsigned long long maj, min, val;
      char op[16];
      /* "Total N" lines without a device are a sum runc leaves out too. */
      if (sscanf (p, "%llu:%llu %15s %llu", &maj, &min, op, &val) != 4)
        continue;
      e.major = maj;
      e.minor = min;
      e.value = val;
      snprintf (e.op, sizeof (e.op), "%s", op);
      s->blkio[kind] = xreallocarray (s->blkio[kind], s->n_blkio[kind] + 1, sizeof (e));
      s->blkio[kind][s->n_blkio[kind]++] = e;
    }
}

static void
kv_nonzero (json_gen_t *g, const char *key, uint64_t v)
{
  if (v)
    jg_kv_uint (g, key, v);
}

static void
u64_array (json_gen_t *g, const char *key, const uint64_t *v, size_t n)
{
  if (v == NULL || n == 0)
    return;
  jg_key (g, key);
  jg_open_array (g);
  for (size_t i = 0; i < n; i++)
    jg_uint (g, v[i]);
  jg_close_array (g);
}

static void
write_cpu (const struct cgroup_stats_data *s, json_gen_t *g)
{
  jg_key (g, "cpu");
  jg_open_map (g);
  jg_key (g, "usage");
  jg_open_map (g);
  kv_nonzero (g, "total", s->cpu.total);
  u64_array (g, "percpu", s->cpu.percpu, s->cpu.n_percpu);
  u64_array (g, "percpu_kernel", s->cpu.percpu_kernel, s->cpu.n_percpu);
  u64_array (g, "percpu_user", s->cpu.percpu_user, s->cpu.n_percpu);
  jg_kv_uint (g, "kernel", s->cpu.kernel);
  jg_kv_uint (g, "user", s->cpu.user);
  jg_close_map (g);
  jg_key (g, "throttling");
  jg_open_map (g);
  kv_nonzero (g, "periods", s->cpu.periods);
  kv_nonzero (g, "throttledPeriods", s->cpu.throttled_periods);
  kv_nonzero (g, "throttledTime", s->cpu.throttled_time);
  jg_close_map (g);
  jg_close_map (g);
}

/* "0-2,5" -> [0,1,2,5] */
static void
cpu_list (json_gen_t *g, const char *key, const char *list)
{
  if (list == NULL || *list == '\0')
    return;
  jg_key (g, key);
  jg_open_array (g);
  for (const char *p = list; *p;)
    {
      char *end;
      unsigned long a = strtoul (p, &end, 10), b = a;
      if (end == p)
        break;
      if (*end == '-')
        b = strtoul (end + 1, &end, 10);
      for (unsigned long i = a; i <= b && i - a < 65536; i++)
        jg_uint (g, i);
      p = *end == ',' ? end + 1 : end + strlen (end);
    }
  jg_close_array (g);
}

static void
write_keyed (json_gen_t *g, const char *text, bool sign)
{
  for (const char *p = text; p && *p; p = strchr (p, '\n'), p = p ? p + 1 : NULL)
    {
      char key[128];
      long long v;
      if (sscanf (p, "%127s %lld", key, &v) != 2)
        continue;
      if (sign)
        jg_kv_int (g, key, v);
      else
        jg_kv_uint (g, key, strtoull (strchr (p, ' ') + 1, NULL, 10));
    }
}

static void
write_cpuset (const struct cgroup_stats_data *s, json_gen_t *g)
{
  jg_key (g, "cpuset");
  jg_open_map (g);
  cpu_list (g, "cpus", s->cpuset.cpus);
  cpu_list (g, "mems", s->cpuset.mems);
  write_keyed (g, s->cpuset.flags, true);
  jg_close_map (g);
}

static void
mem_entry (json_gen_t *g, const char *key, const struct cgroup_mem_entry *e)
{
  jg_key (g, key);
  jg_open_map (g);
  jg_kv_uint (g, "limit", e->limit);
  kv_nonzero (g, "usage", e->usage);
  kv_nonzero (g, "max", e->max);
  jg_kv_uint (g, "failcnt", e->failcnt);
  jg_close_map (g);
}

static void
write_memory (const struct cgroup_stats_data *s, json_gen_t *g)
{
  jg_key (g, "memory");
  jg_open_map (g);
  kv_nonzero (g, "cache", s->memory.cache);
  mem_entry (g, "usage", &s->memory.usage);
  mem_entry (g, "swap", &s->memory.swap);
  mem_entry (g, "kernel", &s->memory.kernel);
  mem_entry (g, "kernelTCP", &s->memory.kernel_tcp);
  if (s->memory.raw && *s->memory.raw)
    {
      jg_key (g, "raw");
      jg_open_map (g);
      write_keyed (g, s->memory.raw, false);
      jg_close_map (g);
    }
  jg_close_map (g);
}

static void
write_blkio (const struct cgroup_stats_data *s, json_gen_t *g)
{
  static const char *const names[BLKIO_MAX] = {
    [BLKIO_SERVICE_BYTES] = "ioServiceBytesRecursive",
    [BLKIO_SERVICED] = "ioServicedRecursive",
  };

  jg_key (g, "blkio");
  jg_open_map (g);
  for (int k = 0; k < BLKIO_MAX; k++)
    {
      if (s->n_blkio[k] == 0)
        continue;
      jg_key (g, names[k]);
      jg_open_array (g);
      for (size_t i = 0; i < s->n_blkio[k]; i++)
        {
          const struct cgroup_blkio_entry *e = &s->blkio[k][i];
          jg_open_map (g);
          kv_nonzero (g, "major", e->major);
          kv_nonzero (g, "minor", e->minor);
          jg_kv_str (g, "op", e->op);
          kv_nonzero (g, "value", e->value);
          jg_close_map (g);
        }
      jg_close_array (g);
    }
  jg_close_map (g);
}

void
cgroup_stats_write (const struct cgroup_stats_data *s, json_gen_t *g)
{
  jg_open_map (g);
  write_cpu (s, g);
  write_cpuset (s, g);
  write_memory (s, g);
  jg_key (g, "pids");
  jg_open_map (g);
  kv_nonzero (g, "current", s->pids.current);
  kv_nonzero (g, "limit", s->pids.limit);
  jg_close_map (g);
  write_blkio (s, g);
  jg_key (g, "hugetlb");
  jg_open_map (g);
  jg_close_map (g);
  jg_key (g, "intel_rdt");
  jg_open_map (g);
  jg_close_map (g);
  jg_key (g, "network_interfaces");
  jg_null (g);
  jg_close_map (g);
}
