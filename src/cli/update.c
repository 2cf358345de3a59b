/* cryo update [options] <id>: change the limits of a container, from
 * runc's flags or a linux.resources JSON (-r FILE, "-" for stdin). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container/cgroup.h"
#include "cli/commands.h"
#include "lib/json.h"
#include "spec/spec.h"
#include "lib/util.h"

struct update_options
{
  const char *resources;
  const char *memory, *memory_swap, *memory_reservation;
  const char *cpu_shares, *cpu_share, *cpu_period, *cpu_quota, *cpu_rt_period, *cpu_rt_runtime;
  const char *cpuset_cpus, *cpuset_mems;
  const char *pids_limit, *blkio_weight;
};

#define O(field) offsetof (struct update_options, field)
static const struct opt_def update_defs[] = {
  { "resources", 'r', OPT_STRING, O (resources), "FILE",
    "linux.resources JSON to apply, or `-` to read it from stdin" },
  { "memory", 0, OPT_STRING, O (memory), "BYTES", "memory limit (k, m, g suffixes; -1: unlimited)" },
  { "memory-swap", 0, OPT_STRING, O (memory_swap), "BYTES", "memory+swap limit (-1: unlimited swap)" },
  { "memory-reservation", 0, OPT_STRING, O (memory_reservation), "BYTES", "memory soft limit" },
  { "cpu-shares", 0, OPT_STRING, O (cpu_shares), "N", "CPU shares (relative weight)" },
  { "cpu-share", 0, OPT_STRING, O (cpu_share), "N", "the same as --cpu-shares (runc's spelling)" },
  { "cpu-period", 0, OPT_STRING, O (cpu_period), "USECS", "CPU CFS period" },
  { "cpu-quota", 0, OPT_STRING, O (cpu_quota), "USECS", "CPU CFS quota per period (-1: unlimited)" },
  { "cpu-rt-period", 0, OPT_STRING, O (cpu_rt_period), "USECS", "CPU realtime period (cgroup v1)" },
  { "cpu-rt-runtime", 0, OPT_STRING, O (cpu_rt_runtime), "USECS", "CPU realtime runtime (cgroup v1)" },
  { "cpuset-cpus", 0, OPT_STRING, O (cpuset_cpus), "LIST", "CPUs to use (0-3,5)" },
  { "cpuset-mems", 0, OPT_STRING, O (cpuset_mems), "LIST", "memory nodes to use" },
  { "pids-limit", 0, OPT_STRING, O (pids_limit), "N", "maximum number of processes (0 or -1: unlimited)" },
  { "blkio-weight", 0, OPT_STRING, O (blkio_weight), "N", "block IO weight, 10 to 1000" },
  OPT_END,
};
#undef O

/* "512m", "1.5g", "1024", "-1": docker's RAMInBytes, binary units. */
static int
parse_bytes (const char *flag, const char *text, int64_t *out, cryo_error_t *err)
{
  static const char units[] = "bkmgtp";
  char *end;
  double v;
  const char *u;

  if (strcmp (text, "-1") == 0)
    return *out = -1, 0;
  errno = 0;
  v = strtod (text, &end);
  if (end == text || errno || v < 0)
    return cryo_error (err, 0, "--%s `%s`: not a size in bytes (examples: 1048576, 512m, 2g, -1)", flag,
                       text);
  if (*end && (u = strchr (units, tolower ((unsigned char)*end))) != NULL)
    {
      for (long i = u - units; i > 0; i--)
        v *= 1024;
      end++;
      if (*end == 'b' || *end == 'B')
        end++;
    }
  if (*end || v > 9.2e18)
    return cryo_error (err, 0, "--%s `%s`: not a size in bytes (examples: 1048576, 512m, 2g, -1)", flag,
                       text);
  *out = (int64_t)v;
  return 0;
}

static int
parse_i64 (const char *flag, const char *text, struct spec_opt_i64 *o, cryo_error_t *err)
{
  if (parse_int64 (text, &o->value) < 0)
    return cryo_error (err, 0, "--%s `%s`: not an integer", flag, text);
  o->set = true;
  return 0;
}

static int
parse_u64 (const char *flag, const char *text, struct spec_opt_u64 *o, cryo_error_t *err)
{
  if (parse_uint64 (text, &o->value) < 0)
    return cryo_error (err, 0, "--%s `%s`: not a non-negative integer", flag, text);
  o->set = true;
  return 0;
}

static int
bytes_flag (const char *flag, const char *text, struct spec_opt_i64 *o, cryo_error_t *err)
{
  if (text == NULL)
    return 0;
  o->set = true;
  return parse_bytes (flag, text, &o->value, err);
}

static int
memory_flags (const struct update_options *o, struct spec_resources *r, cryo_error_t *err)
{
  if (bytes_flag ("memory", o->memory, &r->memory.limit, err) < 0
      || bytes_flag ("memory-swap", o->memory_swap, &r->memory.swap, err) < 0
      || bytes_flag ("memory-reservation", o->memory_reservation, &r->memory.reservation, err) < 0)
    return -1;
  return 0;
}

static int
cpu_flags (const struct update_options *o, struct spec_resources *r, cryo_error_t *err)
{
  const char *shares = o->cpu_shares ? o->cpu_shares : o->cpu_share;

  if ((shares && parse_u64 ("cpu-shares", shares, &r->cpu.shares, err) < 0)
      || (o->cpu_period && parse_u64 ("cpu-period", o->cpu_period, &r->cpu.period, err) < 0)
      || (o->cpu_quota && parse_i64 ("cpu-quota", o->cpu_quota, &r->cpu.quota, err) < 0)
      || (o->cpu_rt_period && parse_u64 ("cpu-rt-period", o->cpu_rt_period, &r->cpu.realtime_period, err) < 0)
      || (o->cpu_rt_runtime
          && parse_i64 ("cpu-rt-runtime", o->cpu_rt_runtime, &r->cpu.realtime_runtime, err) < 0))
    return -1;
  if (o->cpuset_cpus)
    {
      free (r->cpu.cpus);
      r->cpu.cpus = xstrdup (o->cpuset_cpus);
    }
  if (o->cpuset_mems)
    {
      free (r->cpu.mems);
      r->cpu.mems = xstrdup (o->cpuset_mems);
    }
  return 0;
}

static int
other_flags (const struct update_options *o, struct spec_resources *r, cryo_error_t *err)
{
  if (o->pids_limit && parse_i64 ("pids-limit", o->pids_limit, &r->pids.limit, err) < 0)
    return -1;
  if (o->blkio_weight)
    {
      if (parse_u64 ("blkio-weight", o->blkio_weight, &r->block_io.weight, err) < 0)
        return -1;
      if (r->block_io.weight.value < 10 || r->block_io.weight.value > 1000)
        return cryo_error (err, 0, "--blkio-weight %s: out of range 10-1000", o->blkio_weight);
    }
  return 0;
}

/* -r FILE or -r -: a linux.resources object; @tree keeps it alive (the
 * unified map points into it). */
static int
read_resources (const char *path, json_value_t **tree, struct spec_resources *r, cryo_error_t *err)
{
  cleanup_free char *text = NULL;
  const char *what = strcmp (path, "-") == 0 ? "stdin" : path;
  int ret;

  ret = strcmp (path, "-") == 0 ? read_all_fd (STDIN_FILENO, "stdin", &text, NULL, err)
                                : read_all_file (path, &text, NULL, err);
  if (ret < 0)
    return cryo_error_wrap (err, "--resources");
  if (json_parse (text, tree, err) < 0)
    return cryo_error_wrap (err, "--resources `%s`", what);
  if (spec_parse_resources (*tree, "resources", r, err) < 0)
    return cryo_error_wrap (err, "--resources `%s`", what);
  return 0;
}

static bool
any_flag (const struct update_options *o)
{
  const char *const *p = (const char *const *)o;
  for (size_t i = 0; i < sizeof (*o) / sizeof (char *); i++)
    if (p[i])
      return true;
  return false;
}

CRYO_COMMAND (update)
{
  struct update_options o = { 0 };
  cleanup_free char **args = NULL;
  cleanup_json json_value_t *tree = NULL;
  struct spec_resources r = { 0 };
  int ret;

  ret = cli_parse (cli_find_command ("update"), argc, argv, update_defs, &o, &args, 1, 1, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  if (!any_flag (&o))
    return cryo_error (err, 0, "nothing to update: give -r FILE or a limit such as --memory (see --help)");
  ret = -1;
  /* Flags win over the same fields of the JSON. */
  if ((o.resources == NULL || read_resources (o.resources, &tree, &r, err) == 0)
      && memory_flags (&o, &r, err) == 0 && cpu_flags (&o, &r, err) == 0 && other_flags (&o, &r, err) == 0)
    ret = container_update (g->root, args[0], &r, err);
  spec_resources_clear (&r);
  return ret;
}
