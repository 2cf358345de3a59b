/* cryo events [--stats] [--interval D] <id>: runc's container events, one
 * JSON object per line: stats every interval, oom when it happens; with
 * --stats one stats event and exit. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container/cgroup.h"
#include "cli/commands.h"
#include "lib/util.h"

struct events_options
{
  bool stats;
  const char *interval;
};

/* A Go duration, as runc takes it: "5s", "100ms", "1m30s", "1.5h". */
static int
parse_duration (const char *text, uint64_t *ns, cryo_error_t *err)
{
  static const struct
  {
    const char *unit;
    double ns;
  } units[] = { { "ns", 1 },  { "us", 1e3 }, { "µs", 1e3 },  { "ms", 1e6 },
                { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 } };
  double total = 0;
  const char *p = text;

  if (*p == '\0')
    return cryo_error (err, 0, "--interval: empty duration");
  while (*p)
    {
      char *end;
      double v = strtod (p, &end);
      size_t best = 0, best_len = 0;
      if (end == p || *end == '\0' || v < 0)
        return cryo_error (err, 0, "--interval `%s`: not a duration (examples: 5s, 500ms, 1m30s)", text);
      for (size_t i = 0; i < ARRAY_SIZE (units); i++)
        {
          size_t len = strlen (units[i].unit);
          if (strncmp (end, units[i].unit, len) == 0 && len > best_len)
            best = i, best_len = len;
        }
      if (best_len == 0)
        return cryo_error (err, 0, "--interval `%s`: unknown unit in `%s` (use ns, us, ms, s, m, h)", text,
                           end);
      total += v * units[best].ns;
      p = end + best_len;
    }
  if (total < 1 || total > 1e18)
    return cryo_error (err, 0, "--interval `%s`: the duration must be greater than 0", text);
  *ns = (uint64_t)(total + 0.5);
  return 0;
}

CRYO_COMMAND (events)
{
  static const struct opt_def defs[] = {
    { "interval", 0, OPT_STRING, offsetof (struct events_options, interval), "DURATION",
      "time between two stats events (default 5s)" },
    { "stats", 0, OPT_FLAG, offsetof (struct events_options, stats), NULL,
      "print the container's statistics once and exit" },
    OPT_END,
  };
  struct events_options o = { false, "5s" };
  cleanup_free char **args = NULL;
  cleanup_free char *line = NULL;
  uint64_t interval = 0;
  int ret;

  ret = cli_parse (cli_find_command ("events"), argc, argv, defs, &o, &args, 1, 1, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  if (parse_duration (o.interval, &interval, err) < 0)
    return -1;
  if (!o.stats)
    return container_events (g->root, args[0], interval, stdout, err);
  if (container_stats_event (g->root, args[0], &line, err) < 0)
    return -1;
  printf ("%s\n", line);
  return 0;
}
