/* The scratch directory of the fuzz targets (fuzz.h). */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "fuzz.h"
#include "image/image-internal.h"
#include "lib/util.h"

/* Under CRYO_FUZZ_TMPDIR when set (tests/run.sh removes it afterwards: a
 * crash skips atexit), else /dev/shm. */
static char *dir;
static int dir_fd = -1;

static void
remove_dir (void)
{
  image_remove_tree_at (AT_FDCWD, dir, NULL);
}

const char *
fuzz_dir (int *dirfd)
{
  if (dir_fd < 0)
    {
      const char *parent = getenv ("CRYO_FUZZ_TMPDIR");
      dir = xasprintf ("%s/cryo-fuzz-XXXXXX", parent && *parent ? parent : "/dev/shm");
      if (mkdtemp (dir) == NULL || (dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        abort ();
      atexit (remove_dir);
    }
  if (dirfd)
    *dirfd = dir_fd;
  return dir;
}

void
fuzz_write (const char *name, const uint8_t *data, size_t size)
{
  int dirfd;
  fuzz_dir (&dirfd);
  if (write_file_at (dirfd, name, (const char *)data, size, NULL) < 0)
    abort ();
}

void
fuzz_remove (const char *name)
{
  int dirfd;
  fuzz_dir (&dirfd);
  if (image_remove_tree_at (dirfd, name, NULL) < 0)
    abort ();
}
