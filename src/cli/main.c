/* cryo: an OCI runtime built for checkpoint/restore.
 *
 * main() parses the global flags, dispatches to a subcommand through the
 * commands[] table, and prints a failure once, on one line. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "lib/log.h"
#include "container/sealed-exe.h"
#include "lib/util.h"

static const struct cli_command commands[] = {
  { "features", cmd_features, "", "Show the enabled features of this runtime (JSON)" },
  { "image", cmd_image, "<command> [command options] <arguments>",
    "Inspect, verify, pack, unpack or convert checkpoint images" },
  { "spec", cmd_spec, "[command options]", "Create a new specification file (config.json)" },
  { "state", cmd_state, "<container-id>", "Output the state of a container" },
  { "list", cmd_list, "[command options]", "List containers started by cryo with the given root" },
  { "check", cmd_check, "[command options]", "Check that this host can checkpoint and restore (CRIU, kernel)" },
  { "create", cmd_create, "[command options] <container-id>", "Create a container" },
  { "exec", cmd_exec, "[command options] <container-id> <command> [args...] | --process FILE <container-id>",
    "Execute a new process inside a running container" },
  { "start", cmd_start, "<container-id>", "Execute the user-defined process in a created container" },
  { "run", cmd_run, "[command options] <container-id>", "Create and run a container" },
  { "kill", cmd_kill, "[command options] <container-id> [signal]",
    "Send a signal (default SIGTERM) to the container's init process" },
  { "delete", cmd_delete, "[command options] <container-id>",
    "Delete a container and every resource it holds" },
  { "ps", cmd_ps, "[command options] <container-id> [ps options]",
    "ps output of the processes running inside a container" },
  { "pause", cmd_pause, "<container-id>", "Suspend every process of the container (cgroup freezer)" },
  { "resume", cmd_resume, "<container-id>", "Resume every process of a paused container" },
  { "update", cmd_update, "[command options] <container-id>", "Update the resource limits of a container" },
  { "events", cmd_events, "[command options] <container-id>",
    "Stream container events: resource usage statistics and OOM kills" },
  { "checkpoint", cmd_checkpoint, "[command options] <container-id>", "Checkpoint a running container" },
  { "restore", cmd_restore, "[command options] <container-id>", "Restore a container from a checkpoint" },
  { "leaks", cmd_leaks, "[command options] <container-id>",
    "Find what a container shares with the outside (the checkpoint's leak detection)" },
};

const struct cli_command *
cli_find_command (const char *name)
{
  for (size_t i = 0; i < ARRAY_SIZE (commands); i++)
    if (strcmp (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

/* Commands whose processes enter a container: they run from a sealed copy
 * of the binary (CVE-2019-5736, see sealed-exe.h). */
static bool
enters_container (const char *name)
{
  static const char *const names[] = { "create", "run", "exec", "restore" };

  for (size_t i = 0; i < ARRAY_SIZE (names); i++)
    if (strcmp (names[i], name) == 0)
      return true;
  return false;
}

static const struct opt_def global_defs[] = {
  { "root", 0, OPT_STRING, offsetof (struct cryo_globals, root), "DIR",
    "directory for container state (default /run/cryo)" },
  { "log", 0, OPT_STRING, offsetof (struct cryo_globals, log), "FILE", "log to FILE instead of stderr" },
  { "log-format", 0, OPT_STRING, offsetof (struct cryo_globals, log_format), "FORMAT",
    "log format: text (default) or json" },
  { "debug", 0, OPT_FLAG, offsetof (struct cryo_globals, debug), NULL, "log debug messages" },
  { "systemd-cgroup", 0, OPT_FLAG, offsetof (struct cryo_globals, systemd_cgroup), NULL,
    "manage cgroups through systemd (cgroupsPath slice:prefix:name)" },
  { "criu", 0, OPT_STRING, offsetof (struct cryo_globals, criu), "PATH",
    "path of the criu binary (default " CRIU_BINARY ")" },
  { "rootless", 0, OPT_STRING, offsetof (struct cryo_globals, rootless), "true|false|auto",
    "accepted for runc compatibility; cryo runs as root" },
  OPT_END,
};

static void
print_help (void)
{
  static const struct cli_command global = { "", NULL, "[global options] command [command options] [arguments...]",
                                             "cryo: an OCI container runtime built for checkpoint/restore" };
  cli_print_usage (&global, global_defs);
  printf ("\nCommands:\n");
  for (size_t i = 0; i < ARRAY_SIZE (commands); i++)
    if (!commands[i].hidden)
      printf ("  %-12s %s\n", commands[i].name, commands[i].summary);
  printf ("\n  --version, -v  print the version\n  --help, -h     show this help\n");
}

static void
print_version (void)
{
  printf ("cryo version %s\nspec: 1.2.0\n", PACKAGE_VERSION);
}

/* Global flags come before the subcommand; returns the index of the
 * subcommand name in argv, 0 when --help/--version was handled. */
static int
parse_globals (int argc, char **argv, struct cryo_globals *g, cryo_error_t *err)
{
  static const struct cli_command global_cmd = { "cryo", NULL, "", "" };
  int i;

  for (i = 1; i < argc && argv[i][0] == '-'; i++)
    {
      const char *a = argv[i];
      if (strcmp (a, "--help") == 0 || strcmp (a, "-h") == 0)
        return print_help (), 0;
      if (strcmp (a, "--version") == 0 || strcmp (a, "-v") == 0)
        return print_version (), 0;
      if (cli_parse_option (&global_cmd, argc, argv, &i, global_defs, g, err) < 0)
        return -1;
    }
  if (i >= argc)
    return print_help (), 0;
  return i;
}

int
main (int argc, char **argv)
{
  struct cryo_globals g = { .root = "/run/cryo", .log_format = "text", .criu = CRIU_BINARY };
  cleanup_error cryo_error_t err = NULL;
  const struct cli_command *cmd;
  int first, ret;

  first = parse_globals (argc, argv, &g, &err);
  if (first <= 0)
    {
      if (first < 0)
        log_report_error (err);
      return first < 0 ? 1 : 0;
    }
  if (log_init (g.log, g.log_format, g.debug, &err) < 0)
    {
      log_report_error (err);
      return 1;
    }
  cmd = cli_find_command (argv[first]);
  if (cmd == NULL)
    {
      cryo_error (&err, 0, "unknown command `%s` (see `cryo --help`)", argv[first]);
      log_report_error (err);
      return 1;
    }
  if (enters_container (cmd->name) && sealed_exe_reexec (argv, &err) < 0)
    {
      log_report_error (err);
      return 1;
    }
  ret = cmd->handler (&g, argc - first, argv + first, &err);
  if (ret < 0)
    {
      log_report_error (err);
      return g.error_status ? g.error_status : 1;
    }
  return ret;
}
