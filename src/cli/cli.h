/* Command-line parsing shared by every subcommand.
 *
 * runc's parser (urfave/cli) accepts "-flag" as well as "--flag", and values
 * as "--flag value" or "--flag=value"; engines rely on all of these, so cryo
 * does too.  Each subcommand declares its options as a table of opt_def
 * pointing into its own options struct. */
#ifndef CRYO_CLI_H
#define CRYO_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"

enum opt_kind
{
  OPT_FLAG,   /* bool; "--flag=false" also accepted */
  OPT_STRING, /* const char * (points into argv) */
  OPT_INT,    /* int, decimal */
  OPT_STRV,   /* char **, NULL-terminated, repeatable; caller frees with strv_free */
};

struct opt_def
{
  const char *name;    /* long name without dashes */
  char short_name;     /* 0 if none */
  enum opt_kind kind;
  size_t offset;       /* offsetof the field in the options struct */
  const char *metavar; /* for --help, NULL for flags */
  const char *help;
};

#define OPT_END { NULL, 0, OPT_FLAG, 0, NULL, NULL }

/* Options every command sees, from before the subcommand name. */
struct cryo_globals
{
  const char *root;       /* state directory, default /run/cryo */
  const char *log;        /* --log file */
  const char *log_format; /* text | json */
  const char *criu;       /* path of the criu binary */
  bool debug;
  bool systemd_cgroup;
  const char *rootless;   /* --rootless true|false|auto: accepted, cryo runs as root */
  int error_status;       /* exit status of a failed command when not 1 (set by the handler) */
};

struct cli_command
{
  const char *name;
  int (*handler) (struct cryo_globals *g, int argc, char **argv, cryo_error_t *err);
  const char *usage;   /* "[command options] <container-id>" */
  const char *summary;
  bool hidden;
};

/**
 * cli_parse - parse a subcommand's argv into @opts and positional arguments
 * @argv: argv[0] is the subcommand name
 * @defs: option table, terminated by OPT_END
 * @opts: the struct the offsets point into
 * @args: receives the positional arguments (pointers into argv), NULL-terminated
 * @min_args, @max_args: bounds on positional arguments (max -1: unlimited)
 *
 * "--" ends option parsing.  Options may come after positionals, as in runc.
 * Returns 1 when --help was given (usage printed), 0 to go on, <0 on error.
 */
int cli_parse (const struct cli_command *cmd, int argc, char **argv, const struct opt_def *defs,
               void *opts, char ***args, int min_args, int max_args, cryo_error_t *err);

/* Like cli_parse, but stops at the first positional argument and leaves the
 * rest untouched (for `exec ID CMD ARGS...` where ARGS may look like flags). */
int cli_parse_until_positional (const struct cli_command *cmd, int argc, char **argv,
                                const struct opt_def *defs, void *opts, int *first_arg,
                                cryo_error_t *err);

/* Parse the one option at argv[*i] (advancing *i past a separate value). */
int cli_parse_option (const struct cli_command *cmd, int argc, char **argv, int *i,
                      const struct opt_def *defs, void *opts, cryo_error_t *err);

void cli_print_usage (const struct cli_command *cmd, const struct opt_def *defs);

#endif
