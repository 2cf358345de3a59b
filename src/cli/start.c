/* cryo start: start the process of a created container. */
#include "config.h"

#include <stdlib.h>

#include "cli/commands.h"
#include "container/container.h"
#include "lib/util.h"

CRYO_COMMAND (start)
{
  static const struct opt_def defs[] = { OPT_END };
  cleanup_free char **args = NULL;
  int ret;

  ret = cli_parse (cli_find_command ("start"), argc, argv, defs, NULL, &args, 1, 1, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  return container_start (g->root, args[0], err);
}
