/* Memory across a checkpoint: anonymous private pages, a private file
 * mapping with copied-on-write pages, a shared file mapping, and shared
 * anonymous memory between two processes. */
#include "crt.h" /* first: it defines _GNU_SOURCE */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define PAGES 1024
#define PG 4096

static unsigned char
pattern (size_t i, int salt)
{
  return (unsigned char)((i * 31 + salt) & 0xff);
}

static void
fill (unsigned char *p, size_t pages, int salt)
{
  for (size_t i = 0; i < pages; i++)
    memset (p + i * PG, pattern (i, salt), PG);
}

/* Pages [from, to) of @p hold their pattern. */
static int
same_range (const unsigned char *p, size_t from, size_t to, int salt)
{
  for (size_t i = from; i < to; i++)
    for (size_t j = 0; j < PG; j += 512)
      if (p[i * PG + j] != pattern (i, salt))
        return 0;
  return 1;
}

static int
same (const unsigned char *p, size_t pages, int salt)
{
  return same_range (p, 0, pages, salt);
}

static unsigned char *
map_file (const char *path, int flags, int salt)
{
  int fd = open (path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  unsigned char *p;

  CRT_CHECK (fd >= 0 && ftruncate (fd, 64 * PG) == 0, "create %s", path);
  p = mmap (NULL, 64 * PG, PROT_READ | PROT_WRITE, flags, fd, 0);
  CRT_CHECK (p != MAP_FAILED, "mmap %s", path);
  close (fd);
  fill (p, 64, salt);
  return p;
}

int
main (void)
{
  unsigned char *anon, *priv, *shfile, *shanon;
  volatile int *flag;
  unsigned char buf[PG];
  pid_t child;
  int status, fd;

  anon = mmap (NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CRT_CHECK (anon != MAP_FAILED, "anonymous");
  fill (anon, PAGES, 1);
  /* a hole: untouched pages must come back as zeros */
  madvise (anon + 100 * PG, 10 * PG, MADV_DONTNEED);
  priv = map_file ("/tmp/mem-private", MAP_PRIVATE, 2);
  shfile = map_file ("/tmp/mem-shared", MAP_SHARED, 3);
  shanon = mmap (NULL, 16 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CRT_CHECK (shanon != MAP_FAILED, "shared anonymous");
  fill (shanon, 16, 4);
  flag = (volatile int *)(shanon + 15 * PG);
  *flag = 0;
  child = fork ();
  CRT_CHECK (child >= 0, "fork");
  if (child == 0)
    {
      /* wait for the parent's word after the restore, answer through the same page */
      while (*flag != 1)
        crt_sleep_ms (10);
      *flag = same (shanon, 15, 4) ? 2 : 3;
      _exit (0);
    }
  crt_ready ();
  crt_wait ();

  CRT_CHECK (same_range (anon, 0, 100, 1) && same_range (anon, 110, PAGES, 1), "anonymous pages changed");
  for (size_t i = 100; i < 110; i++)
    CRT_CHECK (anon[i * PG] == 0, "the dropped page %zu is not zero", i);
  CRT_CHECK (same (priv, 64, 2), "private file mapping changed");
  fd = open ("/tmp/mem-private", O_RDONLY);
  CRT_CHECK (fd >= 0 && read (fd, buf, PG) == PG, "read the private file");
  CRT_CHECK (buf[0] == 0, "private writes reached the file");
  close (fd);
  CRT_CHECK (same (shfile, 64, 3), "shared file mapping changed");
  fd = open ("/tmp/mem-shared", O_RDONLY);
  CRT_CHECK (fd >= 0 && pread (fd, buf, PG, 5 * PG) == PG && buf[7] == pattern (5, 3),
             "shared writes are not in the file");
  close (fd);
  /* the memory is still shared with the child */
  *flag = 1;
  for (int i = 0; i < 500 && *flag == 1; i++)
    crt_sleep_ms (10);
  CRT_CHECK (*flag == 2, "the child did not see the shared memory (flag %d)", *flag);
  CRT_CHECK (waitpid (child, &status, 0) == child && WIFEXITED (status), "child");
  crt_pass ();
}
