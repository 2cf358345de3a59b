/* One handler per subcommand, each in its own src/cmd-*.c file.  A handler
 * parses its options with cli_parse() and calls one library function. */
#ifndef CRYO_COMMANDS_H
#define CRYO_COMMANDS_H

#include "cli/cli.h"

#define CRYO_COMMAND(name) \
  int cmd_##name (struct cryo_globals *g, int argc, char **argv, cryo_error_t *err)

CRYO_COMMAND (features);
CRYO_COMMAND (image);
CRYO_COMMAND (spec);
CRYO_COMMAND (state);
CRYO_COMMAND (list);
CRYO_COMMAND (check);
CRYO_COMMAND (create);
CRYO_COMMAND (exec);
CRYO_COMMAND (start);
CRYO_COMMAND (run);
CRYO_COMMAND (kill);
CRYO_COMMAND (delete);
CRYO_COMMAND (ps);
CRYO_COMMAND (pause);
CRYO_COMMAND (resume);
CRYO_COMMAND (update);
CRYO_COMMAND (events);
CRYO_COMMAND (checkpoint);
CRYO_COMMAND (restore);
CRYO_COMMAND (leaks);

/* Where the handler for `cmd` finds its own table entry (for usage). */
const struct cli_command *cli_find_command (const char *name);

#endif
