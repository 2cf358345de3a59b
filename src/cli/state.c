/* cryo state <id>: the runtime-spec state of a container, as JSON. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "container/container.h"
#include "lib/util.h"

CRYO_COMMAND (state)
{
  static const struct opt_def defs[] = { OPT_END };
  cleanup_container_state struct container_state *s = NULL;
  cleanup_free char **args = NULL;
  cleanup_free char *json = NULL;
  int ret;

  ret = cli_parse (cli_find_command ("state"), argc, argv, defs, NULL, &args, 1, 1, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  if (container_load (g->root, args[0], &s, err) < 0)
    return -1;
  json = state_oci_json_string (s, true);
  /* the pretty generator already ends the document with a newline */
  fputs (json, stdout);
  if (*json == '\0' || json[strlen (json) - 1] != '\n')
    putchar ('\n');
  return 0;
}
