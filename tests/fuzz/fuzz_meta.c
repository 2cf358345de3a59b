/* libFuzzer target for cryo's own files in an image, as `cryo restore`,
 * `cryo image inspect` and `cryo image verify` read them: the manifest
 * through image_open_fd (a directory holding it), externals.json,
 * network.json and mounts.json, and the metadata of older formats as
 * `cryo image convert` reads it (version 1's cryo.json, version 2's
 * manifest).  An image may come from another host, so each must give its
 * data or a one-line error.
 *
 *   make fuzz-meta && ./fuzz-meta -max_total_time=60 tests/fuzz/corpus/meta
 *
 * The first byte picks the file (its value modulo 6), the rest is its text. */
#include "config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cr/internal.h"
#include "fuzz.h"
#include "image/image-internal.h"
#include "ns/mount-plan.h"
#include "ns/netconf.h"
#include "lib/util.h"

static void
fuzz_manifest (const uint8_t *data, size_t size)
{
  cleanup_image struct image *img = NULL;
  cleanup_error cryo_error_t err = NULL;
  int dirfd;
  const char *dir = fuzz_dir (&dirfd);

  fuzz_write (IMAGE_MANIFEST, data, size);
  if (image_open_fd (dirfd, dir, &img, &err) < 0)
    fuzz_check_error (err);
  else if (image_check_files (img, &err) < 0)
    fuzz_check_error (err);
}

/* An old image: @name holds @data in an otherwise empty directory. */
static void
fuzz_convert (const char *name, const uint8_t *data, size_t size)
{
  cleanup_free char *path = xasprintf ("%s/old", fuzz_dir (NULL)), *file = xasprintf ("old/%s", name);
  cleanup_error cryo_error_t err = NULL;
  int dirfd, from;

  fuzz_dir (&dirfd);
  if (mkdirat (dirfd, "old", 0700) < 0)
    abort ();
  fuzz_write (file, data, size);
  if (image_convert (path, IMAGE_FORMAT_VERSION, &from, &err) < 0)
    fuzz_check_error (err);
  fuzz_remove ("old");
}

static void
fuzz_json (int which, const char *text)
{
  cleanup_json json_value_t *root = NULL;
  cleanup_error cryo_error_t err = NULL;
  struct cr_externals x;
  struct netconf *net = NULL;
  struct mount_plan *plan = NULL;
  int r;

  if (json_parse (text, &root, &err) < 0)
    {
      fuzz_check_error (err);
      return;
    }
  if (which == 1)
    {
      r = cr_externals_from_json (root, &x, &err);
      cr_externals_clear (&x);
    }
  else if (which == 2)
    {
      r = netconf_from_json (root, &net, &err);
      netconf_free (net);
    }
  else
    {
      r = mount_plan_from_json (root, &plan, &err);
      mount_plan_free (plan);
    }
  if (r < 0)
    fuzz_check_error (err);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_free char *text = NULL;

  if (size == 0)
    return 0;
  switch (data[0] % 6)
    {
    case 0:
      fuzz_manifest (data + 1, size - 1);
      return 0;
    case 4:
      fuzz_convert ("cryo.json", data + 1, size - 1);
      return 0;
    case 5:
      fuzz_convert (IMAGE_MANIFEST, data + 1, size - 1);
      return 0;
    }
  text = xstrndup ((const char *)data + 1, size - 1);
  fuzz_json (data[0] % 6, text);
  return 0;
}
