/* TCP across a checkpoint (--tcp-established): a listening socket, an
 * established connection inside the container with data in flight both
 * ways, and both keep working. */
#include "crt.h" /* first: it defines _GNU_SOURCE */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static void
expect (int fd, const char *want)
{
  char buf[64] = "";
  size_t got = 0, n = strlen (want);

  for (int i = 0; i < 200 && got < n; i++)
    {
      ssize_t r = recv (fd, buf + got, n - got, MSG_DONTWAIT);
      if (r > 0)
        got += r;
      else
        crt_sleep_ms (10);
    }
  CRT_CHECK (got == n && memcmp (buf, want, n) == 0, "wanted `%s`, got `%s`", want, buf);
}

int
main (void)
{
  struct sockaddr_in a
      = { .sin_family = AF_INET, .sin_port = htons (7777), .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int lst = socket (AF_INET, SOCK_STREAM, 0), cl = socket (AF_INET, SOCK_STREAM, 0), srv, one = 1, v;
  socklen_t len = sizeof v;

  CRT_CHECK (setsockopt (lst, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0, "SO_REUSEADDR");
  CRT_CHECK (bind (lst, (struct sockaddr *)&a, sizeof a) == 0 && listen (lst, 16) == 0, "listen");
  CRT_CHECK (connect (cl, (struct sockaddr *)&a, sizeof a) == 0, "connect");
  srv = accept (lst, NULL, NULL);
  CRT_CHECK (srv >= 0, "accept");
  CRT_CHECK (setsockopt (cl, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0, "TCP_NODELAY");
  CRT_CHECK (send (cl, "to-server", 9, 0) == 9 && send (srv, "to-client", 9, 0) == 9, "data in flight");
  crt_ready ();
  crt_wait ();

  expect (srv, "to-server");
  expect (cl, "to-client");
  CRT_CHECK (getsockopt (cl, IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0 && v == 1, "TCP_NODELAY is lost");
  CRT_CHECK (send (cl, "more", 4, 0) == 4, "send after");
  expect (srv, "more");
  close (cl);
  cl = socket (AF_INET, SOCK_STREAM, 0);
  CRT_CHECK (connect (cl, (struct sockaddr *)&a, sizeof a) == 0, "a new connection to the listener");
  CRT_CHECK ((v = accept (lst, NULL, NULL)) >= 0, "accept after");
  crt_pass ();
}
