/* cryo create: create a container from a bundle, its init waiting for start. */
#include "config.h"

#include <stdlib.h>

#include "cli/create.h"
#include "cli/commands.h"
#include "container/container.h"
#include "lib/util.h"

CRYO_COMMAND (create)
{
  static const struct opt_def defs[] = { CREATE_OPTION_DEFS, OPT_END };
  struct container_create_options o = { .root = g->root, .systemd_cgroup = g->systemd_cgroup };
  cleanup_free char **args = NULL;
  int ret;

  ret = cli_parse (cli_find_command ("create"), argc, argv, defs, &o, &args, 1, 1, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  o.id = args[0];
  return container_create (&o, err);
}
