/* libFuzzer target for the tmpfs tree archive (src/image/tree.h) as
 * `cryo restore` extracts it into a fresh tmpfs: whatever the archive
 * says, nothing is created outside the target (no "..", no absolute name,
 * no path through a symlink it made), and a malformed archive gives a
 * one-line error, never a crash or a hang.
 *
 *   make fuzz-tree && ./fuzz-tree -max_total_time=60 tests/fuzz/corpus/tree */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "image/tree.h"
#include "lib/util.h"

#define IN "in.tree"
#define TARGET "target"

/* The scratch directory holds the input and the target, nothing else. */
static void
check_contained (int dirfd)
{
  cleanup_dir DIR *d = fdopendir (dup (dirfd));
  struct dirent *de;

  if (d == NULL)
    abort ();
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") && strcmp (de->d_name, "..") && strcmp (de->d_name, IN)
        && strcmp (de->d_name, TARGET))
      abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_close int in = -1, target = -1;
  int dirfd;

  fuzz_dir (&dirfd);
  fuzz_write (IN, data, size);
  if (mkdirat (dirfd, TARGET, 0700) < 0)
    abort ();
  in = openat (dirfd, IN, O_RDONLY | O_CLOEXEC);
  target = openat (dirfd, TARGET, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (in < 0 || target < 0)
    abort ();
  if (tree_extract (in, IN, target, &err) < 0)
    fuzz_check_error (err);
  check_contained (dirfd);
  /* The archive may have made the target read-only or immutable to others:
   * root removes it anyway. */
  fchmod (target, 0700);
  fuzz_remove (TARGET);
  return 0;
}
