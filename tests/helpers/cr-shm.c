/* Shared memory across a checkpoint: a POSIX segment (/dev/shm) and a
 * SysV one, both mapped by a parent and a child that keep talking through
 * them afterwards. */
#include "crt.h" /* first: it defines _GNU_SOURCE */
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define SZ (64 * 4096)

static int
filled (const unsigned char *p, int salt)
{
  for (int i = 0; i < SZ; i += 4096)
    if (p[i] != (unsigned char)(i / 4096 + salt))
      return 0;
  return 1;
}

static void
fill (unsigned char *p, int salt)
{
  for (int i = 0; i < SZ; i += 4096)
    p[i] = (unsigned char)(i / 4096 + salt);
}

int
main (void)
{
  int fd = shm_open ("/crt-posix", O_RDWR | O_CREAT, 0600), id, status;
  unsigned char *posix, *sysv;
  struct shmid_ds ds;
  pid_t child;

  CRT_CHECK (fd >= 0 && ftruncate (fd, SZ) == 0, "shm_open");
  posix = mmap (NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CRT_CHECK (posix != MAP_FAILED, "map the POSIX segment");
  id = shmget (0x0c570001, SZ, IPC_CREAT | 0640);
  CRT_CHECK (id >= 0, "shmget");
  sysv = shmat (id, NULL, 0);
  CRT_CHECK (sysv != (void *)-1, "shmat");
  fill (posix, 1);
  fill (sysv, 2);
  posix[1] = sysv[1] = 0;
  child = fork ();
  if (child == 0)
    {
      /* both flags set by the parent after the restore: answer in both */
      while (posix[1] != 1 || sysv[1] != 1)
        crt_sleep_ms (10);
      posix[1] = filled (posix, 1) ? 2 : 3;
      sysv[1] = filled (sysv, 2) ? 2 : 3;
      _exit (0);
    }
  crt_ready ();
  crt_wait ();

  CRT_CHECK (filled (posix, 1) && filled (sysv, 2), "the contents changed");
  CRT_CHECK (shmctl (id, IPC_STAT, &ds) == 0 && ds.shm_segsz == SZ && (ds.shm_perm.mode & 0777) == 0640
                 && ds.shm_nattch == 2,
             "the SysV segment: size %zu mode %o attached %lu", (size_t)ds.shm_segsz, ds.shm_perm.mode & 0777,
             (unsigned long)ds.shm_nattch);
  CRT_CHECK (shmget (0x0c570001, 0, 0) == id, "the key finds the same segment");
  CRT_CHECK (access ("/dev/shm/crt-posix", F_OK) == 0, "the POSIX segment's file");
  posix[1] = sysv[1] = 1;
  for (int i = 0; i < 500 && (posix[1] == 1 || sysv[1] == 1); i++)
    crt_sleep_ms (10);
  CRT_CHECK (posix[1] == 2 && sysv[1] == 2, "the child's answers %d %d", posix[1], sysv[1]);
  CRT_CHECK (waitpid (child, &status, 0) == child, "child");
  shmctl (id, IPC_RMID, NULL);
  crt_pass ();
}
