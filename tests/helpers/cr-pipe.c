/* Pipes and fifos across a checkpoint: unread data in a pipe, its size
 * and flags, a pipe between parent and child that keeps working, a fifo
 * with data in it. */
#include "crt.h" /* first: it defines _GNU_SOURCE */
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

int
main (void)
{
  int p[2], to_child[2], from_child[2], fifo, fifo_w, status, size;
  char buf[64] = "";
  pid_t child;

  CRT_CHECK (pipe2 (p, O_NONBLOCK) == 0, "pipe");
  /* a bigger pipe; refused (EPERM) when the user's pipe quota is used up
   * (pipe-user-pages-soft): then its size stays what it is */
  fcntl (p[0], F_SETPIPE_SZ, 128 * 1024);
  size = fcntl (p[0], F_GETPIPE_SZ);
  CRT_CHECK (write (p[1], "buffered data", 13) == 13, "write");
  CRT_CHECK (pipe (to_child) == 0 && pipe (from_child) == 0, "pipes");
  child = fork ();
  if (child == 0)
    {
      char c[16] = "";
      ssize_t n = read (to_child[0], c, sizeof c - 1);
      if (n > 0)
        c[0] = 'P';
      (void)!write (from_child[1], c, n > 0 ? n : 0);
      _exit (0);
    }
  CRT_CHECK (mkfifo ("/tmp/pipe-fifo", 0600) == 0 || errno == EEXIST, "mkfifo");
  fifo = open ("/tmp/pipe-fifo", O_RDONLY | O_NONBLOCK);
  fifo_w = open ("/tmp/pipe-fifo", O_WRONLY);
  CRT_CHECK (fifo >= 0 && fifo_w >= 0 && write (fifo_w, "in the fifo", 11) == 11, "fifo");
  crt_ready ();
  crt_wait ();

  CRT_CHECK (fcntl (p[0], F_GETPIPE_SZ) == size, "pipe size %d, was %d", fcntl (p[0], F_GETPIPE_SZ), size);
  CRT_CHECK ((fcntl (p[0], F_GETFL) & O_NONBLOCK) && (fcntl (p[1], F_GETFL) & O_NONBLOCK), "pipe flags");
  CRT_CHECK (read (p[0], buf, sizeof buf) == 13 && memcmp (buf, "buffered data", 13) == 0, "buffered data");
  CRT_CHECK (read (p[0], buf, sizeof buf) < 0 && errno == EAGAIN, "more data than written");
  memset (buf, 0, sizeof buf);
  CRT_CHECK (read (fifo, buf, sizeof buf) == 11 && strcmp (buf, "in the fifo") == 0, "the fifo's data");
  CRT_CHECK (write (to_child[1], "ping", 4) == 4, "write to the child");
  memset (buf, 0, sizeof buf);
  CRT_CHECK (read (from_child[0], buf, sizeof buf) == 4 && strcmp (buf, "Ping") == 0,
             "the child's answer: %s", buf);
  CRT_CHECK (waitpid (child, &status, 0) == child, "child");
  crt_pass ();
}
