/* Unix sockets across a checkpoint, all inside the container: stream,
 * datagram and seqpacket pairs with queued data (boundaries kept), a
 * listening socket with a connection waiting to be accepted (without data:
 * CRIU refuses an in-flight connection with a non-empty write queue), an
 * abstract datagram socket. */
#include "crt.h" /* first: it defines _GNU_SOURCE */
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

static struct sockaddr_un
addr (const char *path, socklen_t *len)
{
  struct sockaddr_un a = { .sun_family = AF_UNIX };

  strcpy (a.sun_path, path);
  if (path[0] == '@')
    a.sun_path[0] = '\0';
  *len = offsetof (struct sockaddr_un, sun_path) + strlen (path);
  return a;
}

static void
expect (int fd, const char *want)
{
  char buf[64] = "";
  ssize_t n = recv (fd, buf, sizeof buf - 1, MSG_DONTWAIT);

  CRT_CHECK (n == (ssize_t)strlen (want) && strcmp (buf, want) == 0, "wanted `%s`, got `%s` (%zd)", want, buf,
             n);
}

int
main (void)
{
  int st[2], dg[2], sp[2], lst, cl, ab, snd, acc;
  struct sockaddr_un a;
  socklen_t len;

  CRT_CHECK (socketpair (AF_UNIX, SOCK_STREAM, 0, st) == 0 && socketpair (AF_UNIX, SOCK_DGRAM, 0, dg) == 0
                 && socketpair (AF_UNIX, SOCK_SEQPACKET, 0, sp) == 0,
             "socketpair");
  CRT_CHECK (send (st[0], "stream-a", 8, 0) == 8 && send (st[1], "stream-b", 8, 0) == 8, "stream");
  CRT_CHECK (send (dg[0], "dgram-1", 7, 0) == 7 && send (dg[0], "dgram-22", 8, 0) == 8, "dgram");
  CRT_CHECK (send (sp[1], "seq-1", 5, 0) == 5 && send (sp[1], "seq-22", 6, 0) == 6, "seqpacket");
  unlink ("/tmp/unix-listen");
  lst = socket (AF_UNIX, SOCK_STREAM, 0);
  a = addr ("/tmp/unix-listen", &len);
  CRT_CHECK (bind (lst, (struct sockaddr *)&a, len) == 0 && listen (lst, 8) == 0, "listen");
  cl = socket (AF_UNIX, SOCK_STREAM, 0);
  CRT_CHECK (connect (cl, (struct sockaddr *)&a, len) == 0, "connect");
  ab = socket (AF_UNIX, SOCK_DGRAM, 0);
  a = addr ("@crt-abstract", &len);
  CRT_CHECK (bind (ab, (struct sockaddr *)&a, len) == 0, "abstract");
  snd = socket (AF_UNIX, SOCK_DGRAM, 0);
  CRT_CHECK (sendto (snd, "to-abstract", 11, 0, (struct sockaddr *)&a, len) == 11, "sendto abstract");
  crt_ready ();
  crt_wait ();

  expect (st[1], "stream-a");
  expect (st[0], "stream-b");
  expect (dg[1], "dgram-1");
  expect (dg[1], "dgram-22");
  expect (sp[0], "seq-1");
  expect (sp[0], "seq-22");
  expect (ab, "to-abstract");
  acc = accept (lst, NULL, NULL);
  CRT_CHECK (acc >= 0, "accept the waiting connection");
  CRT_CHECK (send (cl, "hello", 5, 0) == 5, "send on it");
  expect (acc, "hello");
  CRT_CHECK (send (acc, "back", 4, 0) == 4, "answer");
  expect (cl, "back");
  /* the listener still takes new connections */
  close (cl);
  cl = socket (AF_UNIX, SOCK_STREAM, 0);
  a = addr ("/tmp/unix-listen", &len);
  CRT_CHECK (connect (cl, (struct sockaddr *)&a, len) == 0, "a new connection");
  CRT_CHECK (send (st[0], "again", 5, 0) == 5, "the pair still works");
  expect (st[1], "again");
  crt_pass ();
}
