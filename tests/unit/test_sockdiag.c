/* sock_diag: the sockets a test makes (socketpairs, a listener with a
 * pending connection, abstract and datagram sockets, TCP and UDP over IPv4
 * and IPv6) are found by their inode with the right peers, names, queues,
 * states and addresses.  Each test runs in a forked child in a network
 * namespace of its own, so that the listing holds only its sockets. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ns/netlink.h"
#include "ns/sockdiag.h"
#include "netns-fixture.h"
#include "tap.h"
#include "lib/util.h"

static uint64_t
inode_of (int fd)
{
  struct stat st;

  return fstat (fd, &st) == 0 ? st.st_ino : 0;
}

static struct sockdiag *
dump (void)
{
  cleanup_error cryo_error_t err = NULL;
  struct sockdiag *d = NULL;

  if (sockdiag_dump (&d, &err) < 0)
    printf ("# sockdiag_dump: %s\n", err->msg);
  return d;
}

static int
socketpair_body (void)
{
  cleanup_sockdiag struct sockdiag *d = NULL;
  const struct sockdiag_unix *a, *b;
  int sv[2];

  CHECK (socketpair (AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  CHECK (write (sv[0], "hello", 5) == 5);
  CHECK ((d = dump ()) != NULL);
  a = sockdiag_find_unix (d, inode_of (sv[0]));
  b = sockdiag_find_unix (d, inode_of (sv[1]));
  CHECK (a && b);
  CHECK (a->peer == b->inode && b->peer == a->inode);
  CHECK (a->state == TCP_ESTABLISHED && a->type == SOCK_STREAM && a->name == NULL);
  CHECK (b->rqlen == 5 && a->rqlen == 0);
  CHECK (d->n_unix == 2 && d->n_inet == 0); /* only this namespace's sockets */
  return 0;
}

static int
test_unix_socketpair (void)
{
  return in_netns (socketpair_body);
}

/* Before accept() the server end of a connection has no inode: the client
 * is in the listener's icons and has no peer; after, the two ends are
 * each other's peers. */
static int
listener_checks (const char *path)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  cleanup_close int srv = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cleanup_close int cli = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cleanup_close int acc = -1;
  cleanup_sockdiag struct sockdiag *d = NULL;
  const struct sockdiag_unix *l, *c, *a;
  struct stat st;

  snprintf (sa.sun_path, sizeof (sa.sun_path), "%s", path);
  CHECK (srv >= 0 && cli >= 0 && bind (srv, (struct sockaddr *) &sa, sizeof (sa)) == 0);
  CHECK (listen (srv, 7) == 0 && connect (cli, (struct sockaddr *) &sa, sizeof (sa)) == 0);
  CHECK (stat (path, &st) == 0 && (d = dump ()) != NULL);
  l = sockdiag_find_unix (d, inode_of (srv));
  c = sockdiag_find_unix (d, inode_of (cli));
  CHECK (l && c && l->state == TCP_LISTEN && c->state == TCP_ESTABLISHED);
  CHECK_STR (l->name, path);
  CHECK (l->has_vfs && l->vfs_ino == st.st_ino);
  CHECK (l->n_icons == 1 && l->icons[0] == c->inode && c->peer == 0);
  CHECK (l->rqlen == 1 && l->wqlen == 7); /* one waiting, backlog 7 */

  sockdiag_free (steal_pointer (&d));
  CHECK ((acc = accept (srv, NULL, NULL)) >= 0 && (d = dump ()) != NULL);
  l = sockdiag_find_unix (d, inode_of (srv));
  c = sockdiag_find_unix (d, inode_of (cli));
  a = sockdiag_find_unix (d, inode_of (acc));
  CHECK (l && c && a && l->n_icons == 0 && l->rqlen == 0);
  CHECK (c->peer == a->inode && a->peer == c->inode && a->state == TCP_ESTABLISHED);
  return 0;
}

static int
listener_body (void)
{
  char dir[] = "/tmp/cryo-sockdiag-XXXXXX", path[64];
  int ret;

  CHECK (mkdtemp (dir) != NULL);
  snprintf (path, sizeof (path), "%s/sock", dir);
  ret = listener_checks (path);
  unlink (path);
  rmdir (dir);
  return ret;
}

static int
test_unix_listener_pending (void)
{
  return in_netns (listener_body);
}

static int
abstract_dgram_body (void)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  cleanup_close int s = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  cleanup_close int lone = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  cleanup_sockdiag struct sockdiag *d = NULL;
  const struct sockdiag_unix *u;
  socklen_t len;

  memcpy (sa.sun_path, "\0cryo-test", 10);
  len = offsetof (struct sockaddr_un, sun_path) + 10;
  CHECK (s >= 0 && lone >= 0 && bind (s, (struct sockaddr *) &sa, len) == 0);
  CHECK ((d = dump ()) != NULL);
  CHECK ((u = sockdiag_find_unix (d, inode_of (s))) != NULL);
  CHECK_STR (u->name, "@cryo-test");
  CHECK (!u->has_vfs && u->type == SOCK_DGRAM && u->state == TCP_CLOSE && u->peer == 0);
  CHECK ((u = sockdiag_find_unix (d, inode_of (lone))) != NULL && u->name == NULL);
  return 0;
}

static int
test_unix_abstract_dgram (void)
{
  return in_netns (abstract_dgram_body);
}

/* A TCP listener, a client and the accepted end, over @family on lo. */
static int
tcp_triplet (int family)
{
  struct sockaddr_storage ss = { 0 };
  socklen_t len = family == AF_INET ? sizeof (struct sockaddr_in) : sizeof (struct sockaddr_in6);
  cleanup_close int l = socket (family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cleanup_close int c = socket (family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cleanup_close int a = -1;
  cleanup_sockdiag struct sockdiag *d = NULL;
  const struct sockdiag_inet *sl, *sc, *sa;
  uint8_t loop[16];
  uint16_t port;

  ss.ss_family = family;
  if (family == AF_INET)
    ((struct sockaddr_in *) &ss)->sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  else
    ((struct sockaddr_in6 *) &ss)->sin6_addr = in6addr_loopback;
  CHECK (l >= 0 && c >= 0 && bind (l, (struct sockaddr *) &ss, len) == 0 && listen (l, 4) == 0);
  CHECK (getsockname (l, (struct sockaddr *) &ss, &len) == 0);
  CHECK (connect (c, (struct sockaddr *) &ss, len) == 0 && (a = accept (l, NULL, NULL)) >= 0);
  port = ntohs (family == AF_INET ? ((struct sockaddr_in *) &ss)->sin_port
                                  : ((struct sockaddr_in6 *) &ss)->sin6_port);
  memcpy (loop, family == AF_INET ? (void *) &((struct sockaddr_in *) &ss)->sin_addr
                                  : (void *) &((struct sockaddr_in6 *) &ss)->sin6_addr,
          family == AF_INET ? 4 : 16);
  CHECK ((d = dump ()) != NULL);
  sl = sockdiag_find_inet (d, inode_of (l));
  sc = sockdiag_find_inet (d, inode_of (c));
  sa = sockdiag_find_inet (d, inode_of (a));
  CHECK (sl && sc && sa);
  CHECK (sl->family == family && sl->protocol == IPPROTO_TCP && sl->state == TCP_LISTEN);
  CHECK (sl->sport == port && memcmp (sl->src, loop, family == AF_INET ? 4 : 16) == 0);
  CHECK (sc->state == TCP_ESTABLISHED && sc->dport == port && sa->state == TCP_ESTABLISHED);
  CHECK (sa->sport == port && sa->dport == sc->sport && sc->dport == sa->sport);
  CHECK (memcmp (sc->dst, loop, family == AF_INET ? 4 : 16) == 0);
  return 0;
}

static int
tcp_body (void)
{
  cleanup_error cryo_error_t err = NULL;

  CHECK (netlink_loopback_up (&err) == 0);
  CHECK (tcp_triplet (AF_INET) == 0);
  CHECK (tcp_triplet (AF_INET6) == 0);
  return 0;
}

static int
test_tcp_v4_v6 (void)
{
  return in_netns (tcp_body);
}

static int
udp_body (void)
{
  cleanup_error cryo_error_t err = NULL;
  struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
  struct sockaddr_in sa4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK),
                             .sin_port = htons (9) };
  cleanup_close int u4 = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  cleanup_close int u6 = socket (AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  cleanup_sockdiag struct sockdiag *d = NULL;
  const struct sockdiag_inet *s4, *s6;
  int one = 1;

  CHECK (netlink_loopback_up (&err) == 0);
  CHECK (setsockopt (u6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof (one)) == 0);
  CHECK (bind (u6, (struct sockaddr *) &sa6, sizeof (sa6)) == 0);
  CHECK (connect (u4, (struct sockaddr *) &sa4, sizeof (sa4)) == 0);
  CHECK ((d = dump ()) != NULL);
  s4 = sockdiag_find_inet (d, inode_of (u4));
  s6 = sockdiag_find_inet (d, inode_of (u6));
  CHECK (s4 && s6 && s4->protocol == IPPROTO_UDP && s6->protocol == IPPROTO_UDP);
  CHECK (s4->state == TCP_ESTABLISHED && s4->dport == 9 && s4->family == AF_INET);
  CHECK (s6->state == TCP_CLOSE && s6->family == AF_INET6 && s6->v6only && s6->sport != 0);
  CHECK (memcmp (s6->src, &in6addr_loopback, 16) == 0);
  CHECK_STR (sockdiag_state_name (s6->state), "UNCONN");
  return 0;
}

static int
test_udp_v4_v6 (void)
{
  return in_netns (udp_body);
}

/* Sockets of another namespace are not listed: a socketpair made in the
 * host's namespace is seen there, and not from a child's new namespace,
 * even though the child holds its fds. */
static int host_pair[2];

static int
not_listed_body (void)
{
  cleanup_sockdiag struct sockdiag *d = dump ();

  CHECK (d != NULL);
  CHECK (sockdiag_find_unix (d, inode_of (host_pair[0])) == NULL);
  CHECK (sockdiag_find_unix (d, inode_of (host_pair[1])) == NULL);
  return 0;
}

static int
test_other_netns_not_listed (void)
{
  cleanup_close int a = -1, b = -1;
  cleanup_sockdiag struct sockdiag *d = NULL;

  CHECK (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, host_pair) == 0);
  a = host_pair[0];
  b = host_pair[1];
  CHECK ((d = dump ()) != NULL);
  CHECK (sockdiag_find_unix (d, inode_of (a)) != NULL);
  return in_netns (not_listed_body);
}

int
main (void)
{
  if (!netns_can_run ())
    return 0;
  TAP_PLAN (6);
  RUN_TEST (test_unix_socketpair);
  RUN_TEST (test_unix_listener_pending);
  RUN_TEST (test_unix_abstract_dgram);
  RUN_TEST (test_tcp_v4_v6);
  RUN_TEST (test_udp_v4_v6);
  RUN_TEST (test_other_netns_not_listed);
  return tap_exit ();
}
