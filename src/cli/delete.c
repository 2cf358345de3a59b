/* cryo delete <id>: remove a stopped container and everything it holds. */
#include "config.h"

#include <stdlib.h>

#include "cli/commands.h"
#include "container/container.h"
#include "lib/util.h"

struct delete_options
{
  bool force;
};

CRYO_COMMAND (delete)
{
  static const struct opt_def defs[] = {
    { "force", 'f', OPT_FLAG, offsetof (struct delete_options, force), NULL,
      "kill the container first if it is running or paused" },
    OPT_END,
  };
  struct delete_options o = { false };
  cleanup_free char **args = NULL;
  int ret;

  ret = cli_parse (cli_find_command ("delete"), argc, argv, defs, &o, &args, 1, 1, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  return container_delete (g->root, args[0], o.force, err);
}
