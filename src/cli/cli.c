#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lib/util.h"

static const struct opt_def *
find_long (const struct opt_def *defs, const char *name, size_t len)
{
  for (const struct opt_def *d = defs; d->name; d++)
    if (strlen (d->name) == len && strncmp (d->name, name, len) == 0)
      return d;
  return NULL;
}

static const struct opt_def *
find_short (const struct opt_def *defs, char c)
{
  for (const struct opt_def *d = defs; d->name; d++)
    if (d->short_name && d->short_name == c)
      return d;
  return NULL;
}

static int
store_value (const struct opt_def *d, void *opts, const char *value, cryo_error_t *err)
{
  char *field = (char *) opts + d->offset;
  int64_t n;

  switch (d->kind)
    {
    case OPT_FLAG:
      if (value == NULL || strcmp (value, "true") == 0 || strcmp (value, "1") == 0)
        *(bool *) field = true;
      else if (strcmp (value, "false") == 0 || strcmp (value, "0") == 0)
        *(bool *) field = false;
      else
        return cryo_error (err, 0, "invalid value `%s` for flag --%s: use true or false", value, d->name);
      return 0;
    case OPT_STRING:
      *(const char **) field = value;
      return 0;
    case OPT_INT:
      if (parse_int64 (value, &n) < 0 || n < -2147483648LL || n > 2147483647LL)
        return cryo_error (err, 0, "invalid value `%s` for --%s: not an integer", value, d->name);
      *(int *) field = (int) n;
      return 0;
    case OPT_STRV:
      strv_append ((char ***) field, value);
      return 0;
    }
  return cryo_error (err, 0, "internal: bad option kind for --%s", d->name);
}

int
cli_parse_option (const struct cli_command *cmd, int argc, char **argv, int *i,
           const struct opt_def *defs, void *opts, cryo_error_t *err)
{
  const char *arg = argv[*i];
  const char *name = arg + 1, *value = NULL, *eq;
  const struct opt_def *d;
  size_t len;

  if (*name == '-')
    name++;
  eq = strchr (name, '=');
  len = eq ? (size_t) (eq - name) : strlen (name);
  d = find_long (defs, name, len);
  if (d == NULL && len == 1)
    d = find_short (defs, *name);
  if (d == NULL)
    return cryo_error (err, 0, "unknown option `%s` for `%s` (see `cryo %s --help`)", arg,
                       cmd->name, cmd->name);
  if (eq)
    value = eq + 1;
  else if (d->kind != OPT_FLAG)
    {
      if (*i + 1 >= argc)
        return cryo_error (err, 0, "option `%s` needs a value", arg);
      value = argv[++*i];
    }
  return store_value (d, opts, value, err);
}

static bool
is_help (const char *a)
{
  return strcmp (a, "--help") == 0 || strcmp (a, "-h") == 0 || strcmp (a, "-help") == 0;
}

static int
check_arg_count (const struct cli_command *cmd, char **args, size_t n, int min_args, int max_args,
                 cryo_error_t *err)
{
  if ((int) n < min_args)
    return cryo_error (err, 0, "`%s` requires %s%d argument%s: cryo %s %s", cmd->name,
                       min_args == max_args ? "exactly " : "at least ", min_args,
                       min_args == 1 ? "" : "s", cmd->name, cmd->usage);
  if (max_args == 0 && n > 0)
    return cryo_error (err, 0, "`%s` takes no arguments, got `%s`", cmd->name, args[0]);
  if (max_args >= 0 && (int) n > max_args)
    return cryo_error (err, 0, "`%s` takes at most %d argument%s: cryo %s %s", cmd->name, max_args,
                       max_args == 1 ? "" : "s", cmd->name, cmd->usage);
  return 0;
}

int
cli_parse (const struct cli_command *cmd, int argc, char **argv, const struct opt_def *defs,
           void *opts, char ***args, int min_args, int max_args, cryo_error_t *err)
{
  cleanup_free char **positional = xzalloc ((argc + 1) * sizeof (char *));
  size_t n = 0;
  bool only_args = false;

  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i];
      if (!only_args && strcmp (a, "--") == 0)
        only_args = true;
      else if (!only_args && is_help (a))
        {
          cli_print_usage (cmd, defs);
          return 1;
        }
      else if (!only_args && a[0] == '-' && a[1] != '\0')
        {
          if (cli_parse_option (cmd, argc, argv, &i, defs, opts, err) < 0)
            return -1;
        }
      else
        positional[n++] = argv[i];
    }
  if (check_arg_count (cmd, positional, n, min_args, max_args, err) < 0)
    return -1;
  *args = steal_pointer (&positional);
  return 0;
}

int
cli_parse_until_positional (const struct cli_command *cmd, int argc, char **argv,
                            const struct opt_def *defs, void *opts, int *first_arg,
                            cryo_error_t *err)
{
  int i;

  for (i = 1; i < argc; i++)
    {
      const char *a = argv[i];
      if (strcmp (a, "--") == 0)
        {
          i++;
          break;
        }
      if (is_help (a))
        {
          cli_print_usage (cmd, defs);
          return 1;
        }
      if (a[0] != '-' || a[1] == '\0')
        break;
      if (cli_parse_option (cmd, argc, argv, &i, defs, opts, err) < 0)
        return -1;
    }
  *first_arg = i;
  return 0;
}

void
cli_print_usage (const struct cli_command *cmd, const struct opt_def *defs)
{
  printf ("Usage: cryo %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->summary);
  if (defs == NULL || defs->name == NULL)
    return;
  printf ("\nOptions:\n");
  for (const struct opt_def *d = defs; d->name; d++)
    {
      char shortopt[8] = "    ", left[96];
      if (d->short_name)
        snprintf (shortopt, sizeof (shortopt), "-%c, ", d->short_name);
      snprintf (left, sizeof (left), "%s--%s%s%s", shortopt, d->name, d->metavar ? " " : "",
                d->metavar ? d->metavar : "");
      printf ("  %-34s %s\n", left, d->help);
    }
}
