/* cryo spec: write a default config.json into a bundle, as `runc spec` does,
 * and never over an existing one. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "spec/spec.h"
#include "lib/util.h"

struct spec_options
{
  const char *bundle;
  bool rootless;
};

static int
write_new_config (const char *bundle, const char *text, cryo_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/config.json", bundle);
  cleanup_close int fd = -1;
  struct stat st;

  if (stat (bundle, &st) < 0)
    {
      if (errno == ENOENT)
        return cryo_error (err, 0, "bundle `%s`: no such directory", bundle);
      return cryo_error (err, errno, "bundle `%s`", bundle);
    }
  if (!S_ISDIR (st.st_mode))
    return cryo_error (err, 0, "bundle `%s`: not a directory", bundle);
  /* O_EXCL: an existing config.json is never touched, even in a race. */
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd < 0 && errno == EEXIST)
    return cryo_error (err, 0, "file `%s` exists. Remove it first", path);
  if (fd < 0)
    return cryo_error (err, errno, "create `%s`", path);
  if (write_all (fd, text, strlen (text)) < 0 || write_all (fd, "\n", 1) < 0)
    {
      int saved = errno;
      unlink (path);
      return cryo_error (err, saved, "write `%s`", path);
    }
  return 0;
}

CRYO_COMMAND (spec)
{
  const struct cli_command *self = cli_find_command ("spec");
  static const struct opt_def defs[] = {
    { "bundle", 'b', OPT_STRING, offsetof (struct spec_options, bundle), "DIR",
      "path to the bundle directory (default: the current directory)" },
    { "rootless", 0, OPT_FLAG, offsetof (struct spec_options, rootless), NULL,
      "generate a configuration for a rootless container" },
    OPT_END,
  };
  struct spec_options opts = { .bundle = "." };
  cleanup_free char **args = NULL;
  cleanup_free char *text = NULL;
  int ret;

  ret = cli_parse (self, argc, argv, defs, &opts, &args, 0, 0, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  text = spec_default_json (opts.rootless);
  return write_new_config (*opts.bundle ? opts.bundle : ".", text, err);
}
