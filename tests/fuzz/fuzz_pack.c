/* libFuzzer target for `cryo image unpack`: a packed image (a tar archive,
 * plain, gzip or zstd) from anywhere.  Whatever it holds (names with "..",
 * absolute names, links, devices, sizes that lie, a manifest that does not
 * match) must give an image whose every checksum was verified, or a
 * one-line error and nothing left behind.
 *
 *   make fuzz-pack && ./fuzz-pack -max_total_time=60 tests/fuzz/corpus/pack */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include "fuzz.h"
#include "image/image.h"
#include "lib/util.h"

#define IN "in.tar"
#define OUT "out"

/* Only the input is left in the scratch directory (and @out on success). */
static void
check_nothing_left (bool ok)
{
  int dirfd;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  fuzz_dir (&dirfd);
  d = fdopendir (dup (dirfd));
  if (d == NULL)
    abort ();
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") && strcmp (de->d_name, "..") && strcmp (de->d_name, IN)
        && !(ok && strcmp (de->d_name, OUT) == 0))
      abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_free char *in = xasprintf ("%s/%s", fuzz_dir (NULL), IN);
  cleanup_free char *out = xasprintf ("%s/%s", fuzz_dir (NULL), OUT);
  cleanup_error cryo_error_t err = NULL;
  int r;

  fuzz_write (IN, data, size);
  r = image_unpack (in, out, &err);
  if (r < 0)
    fuzz_check_error (err);
  check_nothing_left (r == 0);
  fuzz_remove (OUT);
  return 0;
}
