/* cryo list: the containers under the state root, as runc prints them. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "container/container.h"
#include "lib/json.h"
#include "lib/util.h"

struct list_options
{
  const char *format;
  bool quiet;
};

static void
print_json (struct container_state **states, size_t n)
{
  cleanup_json_gen json_gen_t *gen = json_gen_new (false);
  cleanup_free char *out = NULL;

  if (n == 0)
    {
      /* runc prints a nil slice */
      printf ("null\n");
      return;
    }
  jg_open_array (gen);
  for (size_t i = 0; i < n; i++)
    state_to_oci_json (states[i], gen);
  jg_close_array (gen);
  if (json_gen_finish (gen, &out, NULL, NULL) == 0)
    printf ("%s\n", out);
}

static void
row_cells (const struct container_state *s, char pid[24], const char *cells[6])
{
  snprintf (pid, 24, "%d", s->status == CONTAINER_STOPPED ? 0 : s->pid);
  cells[0] = s->id;
  cells[1] = pid;
  cells[2] = container_status_name (s->status);
  cells[3] = s->bundle ? s->bundle : "";
  cells[4] = s->created ? s->created : "";
  cells[5] = s->owner ? s->owner : "";
}

/* Columns as runc's tabwriter pads them: at least 12 wide, 3 spaces after
 * the longest cell; the last column is not padded. */
static void
print_table (struct container_state **states, size_t n)
{
  static const char *const heads[6] = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
  size_t width[6];
  const char *cells[6];
  char pid[24];

  for (size_t c = 0; c < 6; c++)
    width[c] = strlen (heads[c]);
  for (size_t i = 0; i < n; i++)
    {
      row_cells (states[i], pid, cells);
      for (size_t c = 0; c < 6; c++)
        if (strlen (cells[c]) > width[c])
          width[c] = strlen (cells[c]);
    }
  for (size_t c = 0; c < 6; c++)
    width[c] = width[c] + 3 < 12 ? 12 : width[c] + 3;
  for (size_t i = 0; i <= n; i++)
    {
      if (i == 0)
        memcpy (cells, heads, sizeof (cells));
      else
        row_cells (states[i - 1], pid, cells);
      for (size_t c = 0; c < 5; c++)
        printf ("%-*s", (int) width[c], cells[c]);
      printf ("%s\n", cells[5]);
    }
}

CRYO_COMMAND (list)
{
  static const struct opt_def defs[] = {
    { "format", 'f', OPT_STRING, offsetof (struct list_options, format), "FORMAT",
      "table (default) or json" },
    { "quiet", 'q', OPT_FLAG, offsetof (struct list_options, quiet), NULL, "print only the ids" },
    OPT_END,
  };
  struct list_options o = { .format = "table" };
  cleanup_free char **args = NULL;
  cleanup_strv char **ids = NULL;
  cleanup_free struct container_state **states = NULL;
  size_t n = 0;
  int ret;

  ret = cli_parse (cli_find_command ("list"), argc, argv, defs, &o, &args, 0, 0, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  if (strcmp (o.format, "table") != 0 && strcmp (o.format, "json") != 0)
    return cryo_error (err, 0, "invalid format `%s` for --format: use table or json", o.format);
  if (state_list (g->root, &ids, err) < 0)
    return -1;
  states = xzalloc ((strv_len (ids) + 1) * sizeof (*states));
  for (size_t i = 0; ids[i]; i++)
    {
      /* A container deleted while we list is simply not listed. */
      if (container_load (g->root, ids[i], &states[n], NULL) == 0)
        n++;
    }
  if (o.quiet)
    for (size_t i = 0; i < n; i++)
      printf ("%s\n", states[i]->id);
  else if (strcmp (o.format, "json") == 0)
    print_json (states, n);
  else
    print_table (states, n);
  for (size_t i = 0; i < n; i++)
    container_state_free (states[i]);
  return 0;
}
