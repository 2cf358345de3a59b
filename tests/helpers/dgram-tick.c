/* dgram-tick: a unix datagram socket connected to a peer outside the
 * container, for tests/bats/checkpoint-flags.bats (--ext-unix-sk).  Built
 * static, so it runs in a busybox container.
 *
 *   dgram-tick PATH READY
 *
 * Connects one SOCK_DGRAM socket to PATH (waiting for the peer to bind it),
 * creates READY, then sends "tick N" on that same socket every 100 ms until
 * killed.  A send that fails (the peer gone) is skipped: the test reads the
 * ticks that arrive to see whether the restored socket is connected again. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void
die (const char *what)
{
  fprintf (stderr, "dgram-tick: %s: %s\n", what, strerror (errno));
  exit (1);
}

int
main (int argc, char **argv)
{
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  char msg[32];
  int fd;

  if (argc != 3 || strlen (argv[1]) >= sizeof a.sun_path)
    {
      fprintf (stderr, "usage: dgram-tick PATH READY\n");
      return 2;
    }
  strcpy (a.sun_path, argv[1]);
  fd = socket (AF_UNIX, SOCK_DGRAM, 0);
  if (fd < 0)
    die ("socket");
  for (int i = 0; connect (fd, (struct sockaddr *) &a, sizeof a) < 0; i++)
    {
      if (i > 300)
        die ("connect");
      usleep (100000);
    }
  if (close (open (argv[2], O_WRONLY | O_CREAT, 0644)) < 0)
    die ("create the ready file");
  for (unsigned long n = 1;; n++)
    {
      int len = snprintf (msg, sizeof msg, "tick %lu\n", n);
      (void) !send (fd, msg, len, 0);
      usleep (100000);
    }
}
