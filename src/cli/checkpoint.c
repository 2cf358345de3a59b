/* cryo checkpoint: runc's flags, same names and defaults. */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>

#include "cr/checkpoint.h"
#include "cli/commands.h"
#include "lib/util.h"

#define C(field) offsetof (struct checkpoint_options, c.field)
#define O(field) offsetof (struct checkpoint_options, field)

CRYO_COMMAND (checkpoint)
{
  static const struct opt_def defs[] = {
    { "image-path", 0, OPT_STRING, C (image_path), "DIR",
      "path for saving the image (default ./checkpoint)" },
    { "work-path", 0, OPT_STRING, C (work_path), "DIR", "path for CRIU's work files and logs" },
    { "parent-path", 0, OPT_STRING, O (parent_path), "DIR", "previous pre-dump, relative to the image path" },
    { "leave-running", 0, OPT_FLAG, O (leave_running), NULL,
      "leave the container running after the checkpoint" },
    { "subtree", 0, OPT_FLAG, O (subtree), NULL,
      "checkpoint despite leaks: they are recorded in the image as what restore cannot guarantee" },
    { "tcp-established", 0, OPT_FLAG, C (tcp_established), NULL, "allow open TCP connections" },
    { "ext-unix-sk", 0, OPT_FLAG, C (ext_unix_sk), NULL, "allow external unix sockets" },
    { "shell-job", 0, OPT_FLAG, C (shell_job), NULL, "allow shell jobs (a terminal of the host)" },
    { "lazy-pages", 0, OPT_FLAG, C (lazy_pages), NULL, "leave memory pages to be fetched lazily" },
    { "status-fd", 0, OPT_INT, O (status_fd), "FD", "write \\0 to FD once lazy pages are ready" },
    { "page-server", 0, OPT_STRING, O (page_server), "ADDRESS:PORT",
      "send memory pages to this page server" },
    { "file-locks", 0, OPT_FLAG, C (file_locks), NULL, "checkpoint file locks" },
    { "stats", 0, OPT_STRING, O (stats_path), "FILE",
      "write the checkpoint's stats (freeze, dump, write-back times, pages) to FILE as JSON" },
    { "pre-dump", 0, OPT_FLAG, O (pre_dump), NULL, "dump memory only and leave the container running" },
    { "manage-cgroups-mode", 0, OPT_STRING, C (manage_cgroups_mode), "MODE",
      "cgroups mode: soft (default), full, strict or ignore" },
    { "empty-ns", 0, OPT_STRV, C (empty_ns), "NAMESPACE",
      "create the namespace at restore, but leave its properties to hooks (network)" },
    OPT_END,
  };
  struct checkpoint_options o = { .c = { .root = g->root, .criu = g->criu }, .status_fd = -1 };
  cleanup_free char **args = NULL;
  int ret;

  ret = cli_parse (cli_find_command ("checkpoint"), argc, argv, defs, &o, &args, 1, 1, err);
  if (ret != 0)
    {
      strv_free (o.c.empty_ns);
      return ret < 0 ? ret : 0;
    }
  o.c.id = args[0];
  ret = container_checkpoint (&o, err);
  strv_free (o.c.empty_ns);
  return ret;
}
