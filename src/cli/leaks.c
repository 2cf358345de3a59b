/* cryo leaks <id>: leak detection alone, without checkpointing.  Prints the
 * report (text or JSON) and exits 0 when the container is self-contained,
 * non-zero when the report lists anything. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "leak/leak.h"
#include "lib/util.h"

struct leaks_options
{
  const char *format;
  bool subtree;
  bool tcp_established;
  char **external_fds;
};

static int
parse_fds (char **v, int **fds, size_t *n, cryo_error_t *err)
{
  *n = strv_len (v);
  *fds = xzalloc ((*n + 1) * sizeof (int));
  for (size_t i = 0; i < *n; i++)
    {
      int64_t fd;
      if (parse_int64 (v[i], &fd) < 0 || fd < 0 || fd > 1 << 20)
        return cryo_error (err, 0, "--external-fd: `%s` is not a file descriptor number", v[i]);
      (*fds)[i] = (int) fd;
    }
  return 0;
}

static int
print_report (const struct leak_report *r, bool json, cryo_error_t *err)
{
  cleanup_free char *out = NULL;

  if (json)
    {
      if (leak_report_json_string (r, true, &out, err) < 0)
        return -1;
      printf ("%s\n", out);
    }
  else
    {
      out = leak_report_to_text (r);
      fputs (out, stdout);
    }
  fflush (stdout);
  return 0;
}

CRYO_COMMAND (leaks)
{
  static const struct opt_def defs[] = {
    { "format", 'f', OPT_STRING, offsetof (struct leaks_options, format), "FORMAT", "text (default) or json" },
    { "subtree", 0, OPT_FLAG, offsetof (struct leaks_options, subtree), NULL,
      "subtree checkpoint rules: leaks are warnings (a traced process stays an error)" },
    { "tcp-established", 0, OPT_FLAG, offsetof (struct leaks_options, tcp_established), NULL,
      "established TCP connections inside the container will be dumped" },
    { "external-fd", 0, OPT_STRV, offsetof (struct leaks_options, external_fds), "FD",
      "an fd of init passed with --preserve-fds that is a declared external (repeatable)" },
    OPT_END,
  };
  const struct cli_command *self = cli_find_command ("leaks");
  struct leaks_options o = { .format = "text" };
  cleanup_leak_report struct leak_report *r = NULL;
  cleanup_free char **args = NULL;
  cleanup_free int *fds = NULL;
  struct leak_options lo = { 0 };
  int ret;

  ret = cli_parse (self, argc, argv, defs, &o, &args, 1, 1, err);
  if (ret != 0)
    {
      strv_free (o.external_fds);
      return ret < 0 ? ret : 0;
    }
  ret = parse_fds (o.external_fds, &fds, &lo.n_external_fds, err);
  strv_free (o.external_fds);
  if (ret < 0)
    return -1;
  if (strcmp (o.format, "text") != 0 && strcmp (o.format, "json") != 0)
    return cryo_error (err, 0, "invalid format `%s` for --format: use text or json", o.format);
  lo.mode = o.subtree ? LEAK_MODE_SUBTREE : LEAK_MODE_CONTAINER;
  lo.tcp_established = o.tcp_established;
  lo.external_fds = fds;
  if (container_leaks (g->root, args[0], &lo, &r, err) < 0)
    return -1;
  if (print_report (r, strcmp (o.format, "json") == 0, err) < 0)
    return -1;
  if (r->n_leaks > 0)
    return cryo_error (err, 0, "container `%s` is not self-contained: %zu leaks (%zu errors, %zu warnings)",
                       args[0], r->n_leaks, r->n_errors, r->n_warnings);
  return 0;
}
