/* Socket leaks on hosts built by hand: unix peers, pending connections on
 * either side of a listener, datagram senders; TCP connections inside the
 * network namespace, to a peer namespace on this host, to a remote address. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "leak-fixture.h"
#include "tap.h"
#include "lib/util.h"

static int
test_unix (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  struct lk_unix u[6] = {
    { .ino = 6001, .peer = 6002, .type = 1 },                 /* the container's socketpair */
    { .ino = 6002, .peer = 6001, .type = 1 },
    { .ino = 6003, .peer = 7001, .type = 1, .name = (char *) "/ext/sock" }, /* client of a host listener */
    { .ino = 7001, .peer = 6003, .type = 1, .name = (char *) "/srv/sock" },
    { .ino = 6004, .peer = 0, .type = 2 },                    /* datagram receiver */
    { .ino = 7002, .peer = 6004, .type = 2 },                 /* host sender */
  };
  struct lk_socks s = { .unix_ = u, .n_unix = 6 };

  w_proc (w, 104, 100, "client", NS_C);
  w_cgroup (w, 104);
  w_fd (w, 3, DEV_SOCK, 6003, S_IFSOCK | 0777, "socket:[6003]", 9700);
  w_fd (w, 4, DEV_SOCK, 6004, S_IFSOCK | 0777, "socket:[6004]", 9701);
  w_proc (w, 95, 1, "server", NS_H);
  w_fd (w, 5, DEV_SOCK, 7001, S_IFSOCK | 0777, "socket:[7001]", 9702);
  w_fd (w, 6, DEV_SOCK, 7002, S_IFSOCK | 0777, "socket:[7002]", 9703);
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  lk_check_unix (&w->c, &s);
  r = w_report (w);
  dump (r);
  CHECK (count (r, LEAK_UNIX) == 2);
  CHECK (find (r, LEAK_UNIX, 104, 3, 95) != NULL);
  CHECK (strstr (r->leaks[0].object, "/srv/sock") != NULL);
  CHECK (find (r, LEAK_UNIX, 104, 4, 95) != NULL);
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_unix_pending (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  uint64_t host_icons[] = { 6101 }, cont_icons[] = { 7200 }, inner_icons[] = { 6301 };
  /* 6101 connected to host listener 7100, not accepted yet: its peer is 0
   * and the listener names it; host client 7200 waits in the queue of
   * container listener 6100; 6301 waits for 6300, both inside */
  struct lk_unix u[6] = {
    { .ino = 6101, .peer = 0, .type = 1, .state = 1 },
    { .ino = 7100, .type = 1, .icons = host_icons, .n_icons = 1, .name = (char *) "/run/host.sock" },
    { .ino = 6100, .type = 1, .icons = cont_icons, .n_icons = 1 },
    { .ino = 7200, .peer = 0, .type = 1, .state = 1 },
    { .ino = 6300, .type = 1, .icons = inner_icons, .n_icons = 1 },
    { .ino = 6301, .peer = 0, .type = 1 },
  };
  struct lk_socks s = { .unix_ = u, .n_unix = 6 };

  w_proc (w, 104, 100, "client", NS_C);
  w_cgroup (w, 104);
  w_fd (w, 3, DEV_SOCK, 6101, S_IFSOCK | 0777, "socket:[6101]", 9800);
  w_fd (w, 4, DEV_SOCK, 6100, S_IFSOCK | 0777, "socket:[6100]", 9801);
  w_fd (w, 5, DEV_SOCK, 6300, S_IFSOCK | 0777, "socket:[6300]", 9804);
  w_fd (w, 6, DEV_SOCK, 6301, S_IFSOCK | 0777, "socket:[6301]", 9805);
  w_proc (w, 96, 1, "listener", NS_H);
  w_fd (w, 3, DEV_SOCK, 7100, S_IFSOCK | 0777, "socket:[7100]", 9802);
  w_proc (w, 97, 1, "connector", NS_H);
  w_fd (w, 3, DEV_SOCK, 7200, S_IFSOCK | 0777, "socket:[7200]", 9803);
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  lk_check_unix (&w->c, &s);
  r = w_report (w);
  dump (r);
  CHECK (count (r, LEAK_UNIX) == 2);
  CHECK (find (r, LEAK_UNIX, 104, 3, 96) != NULL);
  CHECK (find (r, LEAK_UNIX, 104, 4, 97) != NULL);
  leak_report_free (r);
  w_free (w);
  return 0;
}

static void
v4 (uint8_t *a, uint8_t x, uint8_t y, uint8_t z, uint8_t t)
{
  memset (a, 0, 16);
  a[0] = x, a[1] = y, a[2] = z, a[3] = t;
}

static int
inet_case (bool tcp_established, size_t expect_tcp, const char *expect_path, pid_t expect_holder)
{
  struct world *w = w_container ();
  struct leak_report *r;
  struct lk_inet k[6] = { 0 };
  struct lk_socks s = { .inet = k, .n_inet = 6 };
  const uint64_t cnet = NS_C + NS_NET, other = 4026539999ULL;

  /* loopback pair inside; 10.0.0.2 -> 10.0.0.1 whose peer is in another
   * netns of this host; 10.0.0.2 -> 192.0.2.1 (remote); a listener */
  for (int i = 0; i < 6; i++)
    k[i] = (struct lk_inet) { .ino = 6200 + i, .netns = cnet, .family = 2, .protocol = 6, .state = 1 };
  v4 (k[0].src, 127, 0, 0, 1), v4 (k[0].dst, 127, 0, 0, 1), k[0].sport = 40000, k[0].dport = 80;
  v4 (k[1].src, 127, 0, 0, 1), v4 (k[1].dst, 127, 0, 0, 1), k[1].sport = 80, k[1].dport = 40000;
  v4 (k[2].src, 10, 0, 0, 2), v4 (k[2].dst, 10, 0, 0, 1), k[2].sport = 40001, k[2].dport = 5000;
  v4 (k[3].src, 10, 0, 0, 1), v4 (k[3].dst, 10, 0, 0, 2), k[3].sport = 5000, k[3].dport = 40001;
  k[3].netns = other, k[3].ino = 7300;
  v4 (k[4].src, 10, 0, 0, 2), v4 (k[4].dst, 192, 0, 2, 1), k[4].sport = 40002, k[4].dport = 443;
  k[5].state = 10; /* listen */
  w_proc (w, 104, 100, "net", NS_C);
  w_cgroup (w, 104);
  for (int i = 0; i < 6; i++)
    if (i != 3)
      w_fd (w, 3 + i, DEV_SOCK, k[i].ino, S_IFSOCK | 0777, NULL, 9900 + i);
  w_proc (w, 98, 1, "peer", 4026539000ULL);
  w_fd (w, 3, DEV_SOCK, 7300, S_IFSOCK | 0777, "socket:[7300]", 9910);
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  w->c.tcp_established = tcp_established;
  lk_check_inet (&w->c, &s);
  r = w_report (w);
  dump (r);
  CHECK (count (r, LEAK_TCP) == expect_tcp);
  CHECK (find (r, LEAK_TCP, 104, 5, expect_holder) != NULL);
  CHECK (find (r, LEAK_TCP, 104, 7, 0) != NULL);
  CHECK_STR (find (r, LEAK_TCP, 104, 7, 0)->holder_path, expect_path);
  CHECK_STR (find (r, LEAK_TCP, 104, 5, expect_holder)->object, "tcp 10.0.0.2:40001 -> 10.0.0.1:5000");
  CHECK (find (r, LEAK_TCP, 104, 8, 0) == NULL);
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_inet (void)
{
  CHECK (inet_case (true, 2, "192.0.2.1:443", 98) == 0);
  CHECK (inet_case (false, 4, "192.0.2.1:443", 98) == 0); /* + the loopback pair */
  return 0;
}

int
main (void)
{
  TAP_PLAN (3);
  RUN_TEST (test_unix);
  RUN_TEST (test_unix_pending);
  RUN_TEST (test_inet);
  return tap_exit ();
}
