/* Re-execute from a sealed memfd copy of our binary (see sealed-exe.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/sealed-exe.h"
#include "lib/util.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

extern char **environ;

static bool
fd_is_sealed (int fd)
{
  int seals = fcntl (fd, F_GET_SEALS);
  return seals >= 0 && (seals & SEALED_EXE_SEALS) == SEALED_EXE_SEALS;
}

bool
sealed_exe_is_sealed (void)
{
  cleanup_close int fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  return fd >= 0 && fd_is_sealed (fd);
}

/* Kernels >= 6.3 want the executability of a memfd said explicitly (and
 * log a warning otherwise); older ones refuse the flag they do not know. */
static int
make_memfd (cryo_error_t *err)
{
  int fd = memfd_create ("cryo", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);

  if (fd < 0 && errno == EINVAL)
    fd = memfd_create ("cryo", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return cryo_error (err, errno, "memfd_create for the sealed copy of the runtime (CVE-2019-5736)");
  return fd;
}

static int
copy_exe (int from, int to, cryo_error_t *err)
{
  struct stat st;
  off_t done = 0;

  if (fstat (from, &st) < 0)
    return cryo_error (err, errno, "stat `/proc/self/exe`");
  while (done < st.st_size)
    {
      ssize_t n = sendfile (to, from, NULL, st.st_size - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return cryo_error (err, n < 0 ? errno : EIO, "copy `/proc/self/exe` into a memfd");
      done += n;
    }
  return 0;
}

int
sealed_exe_reexec (char **argv, cryo_error_t *err)
{
  cleanup_close int exe = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  cleanup_close int copy = -1;
  cleanup_free char *name = xstrdup (argv[0]);

  if (exe < 0)
    return cryo_error (err, errno, "open `/proc/self/exe`");
  if (fd_is_sealed (exe))
    {
      /* fexecve named the process after the fd: give it its name back. */
      prctl (PR_SET_NAME, basename (name), 0, 0, 0);
      return 0;
    }
  copy = make_memfd (err);
  if (copy < 0 || copy_exe (exe, copy, err) < 0)
    return -1;
  if (fcntl (copy, F_ADD_SEALS, SEALED_EXE_SEALS) < 0)
    return cryo_error (err, errno, "seal the runtime's memfd copy");
  fexecve (copy, argv, environ);
  return cryo_error (err, errno, "re-execute the runtime from its sealed copy (CVE-2019-5736)");
}
