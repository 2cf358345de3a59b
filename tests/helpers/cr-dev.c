/* Device files across a checkpoint: /dev/null, zero, full, random,
 * urandom, open with their flags, and a private mapping of /dev/zero. */
#include "crt.h" /* first: it defines _GNU_SOURCE */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static int
dev (const char *path, int flags, unsigned maj, unsigned min)
{
  struct stat st;
  int fd = open (path, flags);

  CRT_CHECK (fd >= 0 && fstat (fd, &st) == 0 && S_ISCHR (st.st_mode) && major (st.st_rdev) == maj
                 && minor (st.st_rdev) == min,
             "%s", path);
  return fd;
}

int
main (void)
{
  int null = dev ("/dev/null", O_RDWR, 1, 3), zero = dev ("/dev/zero", O_RDONLY, 1, 5);
  int full = dev ("/dev/full", O_WRONLY | O_APPEND, 1, 7),
      rnd = dev ("/dev/random", O_RDONLY | O_NONBLOCK, 1, 8);
  int urnd = dev ("/dev/urandom", O_RDONLY, 1, 9);
  unsigned char buf[256], other[256];
  char *z = mmap (NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, zero, 0);

  CRT_CHECK (z != MAP_FAILED, "map /dev/zero");
  strcpy (z, "written in a private /dev/zero map");
  crt_ready ();
  crt_wait ();

  CRT_CHECK (write (null, "x", 1) == 1 && read (null, buf, 1) == 0, "/dev/null");
  memset (buf, 1, sizeof buf);
  CRT_CHECK (read (zero, buf, sizeof buf) == sizeof buf && buf[0] == 0 && buf[255] == 0, "/dev/zero");
  CRT_CHECK (write (full, "x", 1) < 0 && errno == ENOSPC, "/dev/full");
  CRT_CHECK ((fcntl (full, F_GETFL) & O_APPEND) && (fcntl (rnd, F_GETFL) & O_NONBLOCK), "flags");
  CRT_CHECK (read (rnd, buf, 16) == 16 && read (urnd, buf, sizeof buf) == sizeof buf
                 && read (urnd, other, sizeof other) == sizeof other && memcmp (buf, other, sizeof buf) != 0,
             "random devices");
  CRT_CHECK (strcmp (z, "written in a private /dev/zero map") == 0 && z[4096] == 0, "the /dev/zero map");
  crt_pass ();
}
