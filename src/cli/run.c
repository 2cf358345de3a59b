/* cryo run: create and start a container; in the foreground, exit with
 * its exit status. */
#include "config.h"

#include <stdlib.h>

#include "cli/create.h"
#include "cli/commands.h"
#include "container/container.h"
#include "lib/util.h"

CRYO_COMMAND (run)
{
  static const struct opt_def defs[] = {
    CREATE_OPTION_DEFS,
    { "detach", 'd', OPT_FLAG, offsetof (struct container_create_options, detach), NULL,
      "return once the container is started" },
    { "keep", 0, OPT_FLAG, offsetof (struct container_create_options, keep), NULL,
      "do not delete the container after it exits" },
    OPT_END,
  };
  struct container_create_options o = { .root = g->root, .systemd_cgroup = g->systemd_cgroup };
  cleanup_free char **args = NULL;
  int ret, status = 0;

  ret = cli_parse (cli_find_command ("run"), argc, argv, defs, &o, &args, 1, 1, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  if (o.detach && o.keep)
    return cryo_error (err, 0, "--keep cannot be used with --detach");
  o.id = args[0];
  if (container_run (&o, &status, err) < 0)
    return -1;
  return status;
}
