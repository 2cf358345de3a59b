/* File locks across a checkpoint (--file-locks): flock, a POSIX record
 * lock and an OFD lock stay held; another process still cannot take them. */
#include "crt.h" /* first: it defines _GNU_SOURCE */
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>

static int
opened (const char *path)
{
  int fd = open (path, O_RDWR | O_CREAT, 0644);
  CRT_CHECK (fd >= 0 && ftruncate (fd, 4096) == 0, "open %s", path);
  return fd;
}

/* In a child (POSIX locks are per process): can it take each lock? */
static int
child_blocked (void)
{
  pid_t p = fork ();
  int status;

  if (p == 0)
    {
      int a = open ("/tmp/lock-flock", O_RDWR), b = open ("/tmp/lock-posix", O_RDWR),
          c = open ("/tmp/lock-ofd", O_RDWR);
      struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 10 };
      struct flock ofd = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
      int blocked = (flock (a, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK)
                    + (fcntl (b, F_SETLK, &fl) < 0 && (errno == EAGAIN || errno == EACCES))
                    + (fcntl (c, F_OFD_SETLK, &ofd) < 0 && errno == EAGAIN);
      _exit (blocked);
    }
  CRT_CHECK (p > 0 && waitpid (p, &status, 0) == p && WIFEXITED (status), "child");
  return WEXITSTATUS (status);
}

int
main (void)
{
  int a = opened ("/tmp/lock-flock"), b = opened ("/tmp/lock-posix"), c = opened ("/tmp/lock-ofd");
  struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 10 };
  struct flock ofd = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };

  CRT_CHECK (flock (a, LOCK_EX) == 0, "flock");
  CRT_CHECK (fcntl (b, F_SETLK, &fl) == 0, "POSIX lock");
  CRT_CHECK (fcntl (c, F_OFD_SETLK, &ofd) == 0, "OFD lock");
  CRT_CHECK (child_blocked () == 3, "locks not held before");
  crt_ready ();
  crt_wait ();

  CRT_CHECK (child_blocked () == 3, "a lock was lost (%d of 3 still held)", child_blocked ());
  fl.l_type = F_UNLCK;
  CRT_CHECK (fcntl (b, F_SETLK, &fl) == 0 && flock (a, LOCK_UN) == 0, "unlock");
  CRT_CHECK (child_blocked () == 1, "unlocking does not work");
  crt_pass ();
}
