/* Options shared by `cryo create` and `cryo run`. */
#ifndef CRYO_CMD_CREATE_H
#define CRYO_CMD_CREATE_H

#include <stddef.h>

#include "cli/cli.h"
#include "container/container.h"

/* The options create and run share (run adds --detach and --keep). */
#define CREATE_OPTION_DEFS                                                                     \
  { "bundle", 'b', OPT_STRING, offsetof (struct container_create_options, bundle), "DIR",      \
    "path to the bundle (default: the current directory)" },                                  \
  { "pid-file", 0, OPT_STRING, offsetof (struct container_create_options, pid_file), "FILE",   \
    "write the pid of the container's init to FILE" },                                       \
  { "console-socket", 0, OPT_STRING, offsetof (struct container_create_options, console_socket), \
    "PATH", "AF_UNIX socket that receives the pty master (process.terminal)" },              \
  { "no-pivot", 0, OPT_FLAG, offsetof (struct container_create_options, no_pivot), NULL,       \
    "do not use pivot_root (for a rootfs on a ramdisk)" },                                    \
  { "no-new-keyring", 0, OPT_FLAG, offsetof (struct container_create_options, no_new_keyring), \
    NULL, "do not create a new session keyring for the container" },                         \
  { "preserve-fds", 0, OPT_INT, offsetof (struct container_create_options, preserve_fds), "N", \
    "pass N more fds (3, 4, ...) to the container's process" }

#endif
