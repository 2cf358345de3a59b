/* cryo image: inspect, verify, pack, unpack and convert checkpoint images
 * (src/image/, layout in src/image/FORMAT.md). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "image/image.h"
#include "image/inspect.h"
#include "lib/util.h"

struct image_cmd_options
{
  const char *format;   /* inspect */
  const char *compress; /* pack */
  int to;               /* convert */
};

static int
image_inspect_cmd (const struct cli_command *self, int argc, char **argv, cryo_error_t *err)
{
  static const struct opt_def defs[] = {
    { "format", 'f', OPT_STRING, offsetof (struct image_cmd_options, format), "text|json",
      "output format (default text)" },
    OPT_END,
  };
  struct image_cmd_options o = { .format = "text" };
  cleanup_free char **args = NULL;
  cleanup_image struct image *img = NULL;
  int ret = cli_parse (self, argc, argv, defs, &o, &args, 1, 1, err);

  if (ret != 0)
    return ret < 0 ? ret : 0;
  if (strcmp (o.format, "text") != 0 && strcmp (o.format, "json") != 0)
    return cryo_error (err, 0, "invalid --format `%s`: use text or json", o.format);
  if (image_open (args[0], &img, err) < 0)
    return -1;
  if (strcmp (o.format, "text") == 0)
    return image_inspect_text (img, stdout, err);
  {
    cleanup_json_gen json_gen_t *g = json_gen_new (true);
    cleanup_free char *text = NULL;
    if (image_inspect_json (img, g, err) < 0 || json_gen_finish (g, &text, NULL, err) < 0)
      return -1;
    printf ("%s\n", text);
  }
  return 0;
}

static int
image_verify_cmd (const struct cli_command *self, int argc, char **argv, cryo_error_t *err)
{
  static const struct opt_def defs[] = { OPT_END };
  cleanup_free char **args = NULL;
  cleanup_image struct image *img = NULL;
  int ret = cli_parse (self, argc, argv, defs, NULL, &args, 1, 1, err);
  size_t n;

  if (ret != 0)
    return ret < 0 ? ret : 0;
  if (image_open (args[0], &img, err) < 0 || image_verify (img, err) < 0)
    return -1;
  image_files (img, &n);
  printf ("image `%s`: ok (%zu files, %llu bytes)\n", args[0], n,
          (unsigned long long) image_total_size (img));
  return 0;
}

static int
image_pack_cmd (const struct cli_command *self, int argc, char **argv, cryo_error_t *err)
{
  static const struct opt_def defs[] = {
    { "compress", 'c', OPT_STRING, offsetof (struct image_cmd_options, compress), "zstd|gzip|none",
      "compression of the archive (default zstd)" },
    OPT_END,
  };
  struct image_cmd_options o = { .compress = "zstd" };
  cleanup_free char **args = NULL;
  enum image_compression c;
  int ret = cli_parse (self, argc, argv, defs, &o, &args, 2, 2, err);

  if (ret != 0)
    return ret < 0 ? ret : 0;
  if (image_compression_from_name (o.compress, &c, err) < 0)
    return -1;
  return image_pack (args[0], args[1], c, err);
}

static int
image_unpack_cmd (const struct cli_command *self, int argc, char **argv, cryo_error_t *err)
{
  static const struct opt_def defs[] = { OPT_END };
  cleanup_free char **args = NULL;
  int ret = cli_parse (self, argc, argv, defs, NULL, &args, 2, 2, err);

  if (ret != 0)
    return ret < 0 ? ret : 0;
  return image_unpack (args[0], args[1], err);
}

static int
image_convert_cmd (const struct cli_command *self, int argc, char **argv, cryo_error_t *err)
{
  static const struct opt_def defs[] = {
    { "to", 0, OPT_INT, offsetof (struct image_cmd_options, to), "VERSION",
      "format version to convert to (default: the current one)" },
    OPT_END,
  };
  struct image_cmd_options o = { .to = IMAGE_FORMAT_VERSION };
  cleanup_free char **args = NULL;
  int from = 0, ret = cli_parse (self, argc, argv, defs, &o, &args, 1, 1, err);

  if (ret != 0)
    return ret < 0 ? ret : 0;
  if (image_convert (args[0], o.to, &from, err) < 0)
    return -1;
  if (from == o.to)
    printf ("image `%s`: already format version %d\n", args[0], o.to);
  else
    printf ("image `%s`: converted from format version %d to %d\n", args[0], from, o.to);
  return 0;
}

static const struct
{
  struct cli_command cmd;
  int (*run) (const struct cli_command *self, int argc, char **argv, cryo_error_t *err);
} verbs[] = {
  { { "image inspect", NULL, "[--format text|json] <path>", "Show what a checkpoint image holds" },
    image_inspect_cmd },
  { { "image verify", NULL, "<path>", "Check the size and checksum of every file of an image" },
    image_verify_cmd },
  { { "image pack", NULL, "[--compress zstd|gzip|none] <path> <file>", "Pack an image into one archive" },
    image_pack_cmd },
  { { "image unpack", NULL, "<file> <path>", "Unpack and verify an archive made by `cryo image pack`" },
    image_unpack_cmd },
  { { "image convert", NULL, "[--to VERSION] <path>",
      "Upgrade an image from an older format version in place" },
    image_convert_cmd },
};

static void
print_image_usage (void)
{
  printf (
      "Usage: cryo image COMMAND [options] [arguments...]\n\nWork with checkpoint images.\n\nCommands:\n");
  for (size_t i = 0; i < ARRAY_SIZE (verbs); i++)
    printf ("  %-8s %s\n", verbs[i].cmd.name + strlen ("image "), verbs[i].cmd.summary);
}

CRYO_COMMAND (image)
{
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      if (argc < 2)
        return cryo_error (err, 0, "`image` needs a command: inspect, verify, pack, unpack or convert");
      print_image_usage ();
      return 0;
    }
  for (size_t i = 0; i < ARRAY_SIZE (verbs); i++)
    if (strcmp (verbs[i].cmd.name + strlen ("image "), argv[1]) == 0)
      return verbs[i].run (&verbs[i].cmd, argc - 1, argv + 1, err);
  return cryo_error (err, 0, "unknown image command `%s` (see `cryo image --help`)", argv[1]);
}
