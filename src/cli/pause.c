/* cryo pause <id>: freeze every process of a running container. */
#include "config.h"

#include <stdlib.h>

#include "container/cgroup.h"
#include "cli/commands.h"
#include "lib/util.h"

CRYO_COMMAND (pause)
{
  static const struct opt_def defs[] = { OPT_END };
  cleanup_free char **args = NULL;
  int ret;

  ret = cli_parse (cli_find_command ("pause"), argc, argv, defs, NULL, &args, 1, 1, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  return container_pause (g->root, args[0], err);
}
