/* cryo ps <id> [ps options]: the container's processes, through ps(1)
 * filtered to the container's pids (runc's behaviour), or as JSON. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/commands.h"
#include "container/container.h"
#include "lib/json.h"
#include "lib/util.h"

struct ps_options
{
  const char *format;
};

/* Run ps with @args (argv[0] excluded) and capture its output. */
static int
run_ps (char **args, int nargs, char **out, cryo_error_t *err)
{
  cleanup_free char **argv = xzalloc ((nargs + 3) * sizeof (char *));
  cleanup_close int rfd = -1;
  int fds[2], status, n = 0;
  pid_t pid;

  argv[n++] = (char *) "ps";
  if (nargs == 0)
    argv[n++] = (char *) "-ef";
  for (int i = 0; i < nargs; i++)
    argv[n++] = args[i];
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return cryo_error (err, errno, "pipe");
  pid = fork ();
  if (pid < 0)
    return cryo_error (err, errno, "fork");
  if (pid == 0)
    {
      dup2 (fds[1], STDOUT_FILENO);
      dup2 (fds[1], STDERR_FILENO);
      execvp ("ps", argv);
      _exit (127);
    }
  close (fds[1]);
  rfd = fds[0];
  if (read_all_fd (rfd, "ps output", out, NULL, err) < 0)
    return -1;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return cryo_error (err, 0, "ps failed (status %d): %.*s", WIFEXITED (status) ? WEXITSTATUS (status) : -1,
                       (int) strcspn (*out, "\n"), *out);
  return 0;
}

/* Index of the "PID" column in ps's header line. */
static int
pid_column (const char *header, cryo_error_t *err)
{
  cleanup_free char *copy = xstrdup (header);
  char *save = NULL;
  int i = 0;

  for (char *f = strtok_r (copy, " \t", &save); f; f = strtok_r (NULL, " \t", &save), i++)
    if (strcmp (f, "PID") == 0)
      return i;
  return cryo_error (err, 0, "couldn't find the PID field in ps output (use -o with pid)");
}

static bool
line_has_pid (const char *line, int column, const pid_t *pids, size_t n)
{
  cleanup_free char *copy = xstrdup (line);
  char *save = NULL, *f = strtok_r (copy, " \t", &save);
  int64_t pid;

  for (int i = 0; f && i < column; i++)
    f = strtok_r (NULL, " \t", &save);
  if (f == NULL || parse_int64 (f, &pid) < 0)
    return false;
  for (size_t i = 0; i < n; i++)
    if (pids[i] == pid)
      return true;
  return false;
}

static int
print_table (char **ps_args, int nargs, const pid_t *pids, size_t n, cryo_error_t *err)
{
  cleanup_free char *out = NULL;
  char *save = NULL, *line;
  int column;

  if (run_ps (ps_args, nargs, &out, err) < 0)
    return -1;
  line = strtok_r (out, "\n", &save);
  if (line == NULL || (column = pid_column (line, err)) < 0)
    return line ? -1 : cryo_error (err, 0, "ps printed nothing");
  printf ("%s\n", line);
  while ((line = strtok_r (NULL, "\n", &save)) != NULL)
    if (line_has_pid (line, column, pids, n))
      printf ("%s\n", line);
  return 0;
}

static void
print_json (const pid_t *pids, size_t n)
{
  cleanup_json_gen json_gen_t *gen = json_gen_new (false);
  cleanup_free char *out = NULL;

  jg_open_array (gen);
  for (size_t i = 0; i < n; i++)
    jg_int (gen, pids[i]);
  jg_close_array (gen);
  if (json_gen_finish (gen, &out, NULL, NULL) == 0)
    printf ("%s\n", out);
}

CRYO_COMMAND (ps)
{
  static const struct opt_def defs[] = {
    { "format", 'f', OPT_STRING, offsetof (struct ps_options, format), "FORMAT",
      "table (default: ps's output) or json (the pids)" },
    OPT_END,
  };
  const struct cli_command *self = cli_find_command ("ps");
  struct ps_options o = { .format = "table" };
  cleanup_container_state struct container_state *s = NULL;
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  int first, ret;

  ret = cli_parse_until_positional (self, argc, argv, defs, &o, &first, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  if (first >= argc)
    return cryo_error (err, 0, "`ps` requires a container id: cryo ps %s", self->usage);
  if (strcmp (o.format, "table") != 0 && strcmp (o.format, "json") != 0)
    return cryo_error (err, 0, "invalid format `%s` for --format: use table or json", o.format);
  if (container_load (g->root, argv[first], &s, err) < 0)
    return -1;
  if (container_pids (s, &pids, &n, err) < 0)
    return -1;
  if (strcmp (o.format, "json") == 0)
    {
      print_json (pids, n);
      return 0;
    }
  return print_table (argv + first + 1, argc - first - 1, pids, n, err);
}
