/* cryo restore: runc's flags, same names and defaults. */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>

#include "cr/checkpoint.h"
#include "cli/commands.h"
#include "lib/util.h"

#define C(field) offsetof (struct restore_options, c.field)
#define O(field) offsetof (struct restore_options, field)

CRYO_COMMAND (restore)
{
  static const struct opt_def defs[] = {
    { "image-path", 0, OPT_STRING, C (image_path), "DIR", "path of the image (default ./checkpoint)" },
    { "work-path", 0, OPT_STRING, C (work_path), "DIR", "path for CRIU's work files and logs" },
    { "bundle", 'b', OPT_STRING, O (bundle), "DIR", "path to the bundle (default: the current directory)" },
    { "detach", 'd', OPT_FLAG, O (detach), NULL, "return once the container is restored" },
    { "pid-file", 0, OPT_STRING, O (pid_file), "FILE", "write the pid of the restored init to FILE" },
    { "console-socket", 0, OPT_STRING, O (console_socket), "PATH",
      "AF_UNIX socket that receives the pty master (process.terminal)" },
    { "tcp-established", 0, OPT_FLAG, C (tcp_established), NULL, "restore open TCP connections" },
    { "ext-unix-sk", 0, OPT_FLAG, C (ext_unix_sk), NULL, "allow external unix sockets" },
    { "shell-job", 0, OPT_FLAG, C (shell_job), NULL, "allow shell jobs (a terminal of the host)" },
    { "file-locks", 0, OPT_FLAG, C (file_locks), NULL, "restore file locks" },
    { "manage-cgroups-mode", 0, OPT_STRING, C (manage_cgroups_mode), "MODE",
      "cgroups mode: soft (default), full, strict or ignore" },
    { "empty-ns", 0, OPT_STRV, C (empty_ns), "NAMESPACE",
      "create the namespace, but leave its properties to hooks (network)" },
    { "no-pivot", 0, OPT_FLAG, O (no_pivot), NULL, "accepted for runc compatibility (CRIU does the mounts)" },
    { "lazy-pages", 0, OPT_FLAG, C (lazy_pages), NULL, "fetch memory pages lazily from a page server" },
    { "no-new-keyring", 0, OPT_FLAG, O (no_new_keyring), NULL,
      "the restored container keeps the caller's session keyring (conmon passes it)" },
    /* runc restore makes itself a subreaper, in the foreground, to reap
     * what gets reparented to it.  cryo needs none: CRIU restores init as
     * cryo's own child (restore-sibling), in a new pid namespace (required),
     * whose orphans go to that init and never to cryo.  Accepted because
     * containerd's go-runc passes it. */
    { "no-subreaper", 0, OPT_FLAG, O (no_subreaper), NULL,
      "accepted for runc compatibility (cryo never acts as a subreaper)" },
    OPT_END,
  };
  struct restore_options o
      = { .c = { .root = g->root, .criu = g->criu }, .systemd_cgroup = g->systemd_cgroup };
  cleanup_free char **args = NULL;
  int ret, status = 0;

  ret = cli_parse (cli_find_command ("restore"), argc, argv, defs, &o, &args, 1, 1, err);
  if (ret != 0)
    {
      strv_free (o.c.empty_ns);
      return ret < 0 ? ret : 0;
    }
  o.c.id = args[0];
  ret = container_restore (&o, &status, err);
  strv_free (o.c.empty_ns);
  return ret < 0 ? ret : status;
}
