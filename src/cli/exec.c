/* cryo exec: run a new process inside a container; in the foreground, exit
 * with its exit status.  Options come before the container id: what follows
 * the id is the command and its arguments (runc). */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "container/container.h"
#include "lib/util.h"

#define EXEC_OPT(name, s, kind, field, metavar, help) \
  { name, s, kind, offsetof (struct container_exec_options, field), metavar, help }

static const struct opt_def exec_defs[] = {
  EXEC_OPT ("console-socket", 0, OPT_STRING, console_socket, "PATH",
            "AF_UNIX socket that receives the pty master (with --tty --detach)"),
  EXEC_OPT ("cwd", 0, OPT_STRING, cwd, "DIR", "working directory of the process in the container"),
  EXEC_OPT ("env", 'e', OPT_STRV, env, "KEY=VALUE", "set an environment variable (repeatable)"),
  EXEC_OPT ("tty", 't', OPT_FLAG, tty, NULL, "allocate a pseudo-terminal"),
  EXEC_OPT ("user", 'u', OPT_STRING, user, "UID[:GID]", "user (and group) ids of the process"),
  EXEC_OPT ("additional-gids", 'g', OPT_STRV, additional_gids, "GID",
            "add a supplementary group (repeatable)"),
  EXEC_OPT ("process", 'p', OPT_STRING, process_file, "FILE",
            "the process as a runtime-spec process object (JSON)"),
  EXEC_OPT ("detach", 'd', OPT_FLAG, detach, NULL, "return once the process runs"),
  EXEC_OPT ("pid-file", 0, OPT_STRING, pid_file, "FILE", "write the process's pid to FILE"),
  EXEC_OPT ("process-label", 0, OPT_STRING, process_label, "LABEL", "SELinux label of the process"),
  EXEC_OPT ("apparmor", 0, OPT_STRING, apparmor, "PROFILE", "AppArmor profile of the process"),
  EXEC_OPT ("no-new-privs", 0, OPT_FLAG, no_new_privs, NULL, "set no_new_privs for the process"),
  EXEC_OPT ("cap", 'c', OPT_STRV, caps, "CAP_NAME",
            "add a capability to the bounding, effective and permitted sets (repeatable)"),
  EXEC_OPT ("preserve-fds", 0, OPT_INT, preserve_fds, "N",
            "pass N more fds (3, 4, ...) to the process"),
  EXEC_OPT ("ignore-paused", 0, OPT_FLAG, ignore_paused, NULL,
            "allow exec in a paused container (the process runs once it is resumed)"),
  EXEC_OPT ("cgroup", 0, OPT_STRV, cgroups, "[CTRL[,CTRL]:]PATH",
            "join this sub-cgroup of the container's cgroup (for CTRL only; repeatable)"),
  OPT_END,
};

static void
options_clear (struct container_exec_options *o)
{
  strv_free (o->env);
  strv_free (o->additional_gids);
  strv_free (o->caps);
  strv_free (o->cgroups);
}

CRYO_COMMAND (exec)
{
  const struct cli_command *cmd = cli_find_command ("exec");
  struct container_exec_options o = { .root = g->root };
  int first, ret, status = 0;

  ret = cli_parse_until_positional (cmd, argc, argv, exec_defs, &o, &first, err);
  if (ret == 0 && first >= argc)
    ret = cryo_error (err, 0, "`exec` requires at least 1 argument: cryo exec %s", cmd->usage);
  if (ret != 0)
    {
      options_clear (&o);
      return ret < 0 ? ret : 0;
    }
  o.id = argv[first];
  o.args = argv + first + 1;
  ret = container_exec (&o, &status, err);
  options_clear (&o);
  /* runc: a bad command line exits 1, an exec that fails 255 (so callers
   * tell it from the process's own exit status). */
  if (ret < 0)
    g->error_status = 255;
  return ret < 0 ? -1 : status;
}
