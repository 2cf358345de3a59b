/* cryo kill <id> [signal]: signal the container's init (or every process). */
#include "config.h"

#include <signal.h>
#include <stdlib.h>

#include "cli/commands.h"
#include "container/container.h"
#include "lib/util.h"

struct kill_options
{
  bool all;
};

CRYO_COMMAND (kill)
{
  static const struct opt_def defs[] = {
    { "all", 'a', OPT_FLAG, offsetof (struct kill_options, all), NULL,
      "send the signal to every process of the container" },
    OPT_END,
  };
  struct kill_options o = { false };
  cleanup_free char **args = NULL;
  int ret, sig = SIGTERM;

  ret = cli_parse (cli_find_command ("kill"), argc, argv, defs, &o, &args, 1, 2, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  if (args[1] && signal_parse (args[1], &sig, err) < 0)
    return -1;
  return container_kill (g->root, args[0], sig, o.all, err);
}
