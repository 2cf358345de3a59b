/* rtnetlink through libmnl: loopback up, dumping a namespace's links,
 * addresses and routes (checked against what `ip -j` says), JSON round
 * trip, restoring into fresh namespaces (with veth peers inside and
 * outside), and the errors.
 *
 * Every test runs in a forked child that unshares its own network
 * namespaces: whatever a failing test leaves behind dies with the child. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/json.h"
#include "ns/netconf.h"
#include "ns/netlink.h"
#include "netns-fixture.h"
#include "tap.h"
#include "lib/util.h"

/* dummy is not built into every kernel (this project's CI VM lacks it);
 * ifb is created the same way, with no options. */
static const char *plain_kind = "dummy";

static int
run (const char *fmt, ...)
{
  cleanup_free char *cmd = NULL;
  va_list ap;
  int status;

  va_start (ap, fmt);
  if (vasprintf (&cmd, fmt, ap) < 0)
    oom ();
  va_end (ap);
  fflush (stdout);
  status = system (cmd);
  if (status != 0)
    printf ("# `%s` failed (status %d)\n", cmd, status);
  return status;
}

#define SH(...) CHECK (run (__VA_ARGS__) == 0)

static json_value_t *
run_json (const char *cmd)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_free char *text = NULL;
  json_value_t *v = NULL;
  size_t len;
  FILE *f;

  fflush (stdout);
  f = popen (cmd, "r");
  if (f == NULL)
    return NULL;
  if (read_all_fd (fileno (f), cmd, &text, &len, &err) < 0 || pclose (f) != 0
      || json_parse (text, &v, &err) < 0)
    {
      printf ("# `%s`: %s\n", cmd, err ? err->msg : "failed");
      return NULL;
    }
  return v;
}

static int
fresh_netns (void)
{
  if (unshare (CLONE_NEWNET) < 0)
    {
      printf ("# unshare: %s\n", strerror (errno));
      return -1;
    }
  return 0;
}

static int
dump (struct netconf **c)
{
  cleanup_error cryo_error_t err = NULL;

  if (netconf_dump (c, &err) < 0)
    {
      printf ("# netconf_dump: %s\n", err->msg);
      return -1;
    }
  return 0;
}

static int
compare (const struct netconf *a, const struct netconf *b)
{
  cleanup_error cryo_error_t err = NULL;

  if (netconf_compare (a, b, &err) < 0)
    {
      printf ("# netconf_compare: %s\n", err->msg);
      return -1;
    }
  return 0;
}

static char *
to_json (const struct netconf *c)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_json_gen json_gen_t *g = json_gen_new (false);
  char *out = NULL;
  size_t len;

  if (netconf_to_json (c, g, &err) < 0 || json_gen_finish (g, &out, &len, &err) < 0)
    printf ("# netconf_to_json: %s\n", err->msg);
  return out;
}

static struct netconf *
from_text (const char *text, cryo_error_t *err)
{
  cleanup_json json_value_t *v = NULL;
  struct netconf *c = NULL;

  if (json_parse (text, &v, err) < 0 || netconf_from_json (v, &c, err) < 0)
    return NULL;
  return c;
}

static int
restore (const struct netconf *c, const struct netconf_restore_opts *opts)
{
  cleanup_error cryo_error_t err = NULL;

  if (netconf_restore (c, opts, &err) < 0)
    {
      printf ("# netconf_restore: %s\n", err->msg);
      return -1;
    }
  return 0;
}

/* Wait (bounded) until IPv6 has set up fe80::/64 on @dev: it does so when
 * the link gets its carrier, asynchronously, and a dump taken before would
 * differ from one taken after for reasons that are not ours. */
static int
wait_link_local_route (const char *dev)
{
  char cmd[128];

  snprintf (cmd, sizeof (cmd), "ip -6 route show dev %s fe80::/64 | grep -q fe80", dev);
  for (int i = 0; i < 500; i++)
    {
      if (system (cmd) == 0)
        return 0;
      usleep (10000);
    }
  printf ("# no fe80::/64 route on %s\n", dev);
  return -1;
}

/* --- what `ip -j` says, as sorted "key" strings --- */

static int
strcmp_p (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static const char *
scope_name (unsigned scope)
{
  switch (scope)
    {
    case 0: return "global";
    case 200: return "site";
    case 253: return "link";
    case 254: return "host";
    default: return "?";
    }
}

static const char *
str_or (json_value_t *v, const char *dflt)
{
  return json_is_string (v) ? json_string (v) : dflt;
}

/* Compare two key lists; print the first difference. */
static int
same_keys (char **ours, char **theirs, const char *what)
{
  size_t n = strv_len (ours), m = strv_len (theirs);

  qsort (ours, n, sizeof (char *), strcmp_p);
  qsort (theirs, m, sizeof (char *), strcmp_p);
  for (size_t i = 0; i < n || i < m; i++)
    if (i >= n || i >= m || strcmp (ours[i], theirs[i]) != 0)
      {
        printf ("# %s: the dump has `%s`, ip has `%s`\n", what, i < n ? ours[i] : "(nothing)",
                i < m ? theirs[i] : "(nothing)");
        return -1;
      }
  return 0;
}

static char **
our_addr_keys (const struct netconf *c)
{
  char **keys = NULL;

  for (size_t i = 0; i < c->n_addrs; i++)
    {
      const struct netconf_addr *a = &c->addrs[i];
      char s[INET6_ADDRSTRLEN];
      cleanup_free char *k = xasprintf (
          "%s %s %s/%u %s%s", netconf_link_by_index (c, a->ifindex)->name,
          a->family == AF_INET ? "inet" : "inet6", inet_ntop (a->family, a->local, s, sizeof (s)),
          a->prefixlen, scope_name (a->scope),
          a->family == AF_INET && (a->flags & 0x01) ? " secondary" : "");
      strv_append (&keys, k);
    }
  return keys;
}

/* ip shows what the kernel made as well: those are the only ones the dump
 * may leave out. */
static bool
kernel_made (const char *dev, const char *family, const char *local, int64_t len,
             const char *scope)
{
  if (strcmp (dev, "lo") == 0
      && ((strcmp (local, "127.0.0.1") == 0 && len == 8) || (strcmp (local, "::1") == 0 && len == 128)))
    return true;
  return strcmp (family, "inet6") == 0 && strcmp (scope, "link") == 0
         && strncmp (local, "fe80::", 6) == 0 && strcmp (local, "fe80::5") != 0;
}

static int
check_addrs_against_ip (const struct netconf *c)
{
  cleanup_json json_value_t *ip = run_json ("ip -j addr show");
  cleanup_strv char **ours = our_addr_keys (c);
  cleanup_strv char **theirs = NULL;

  CHECK (json_is_array (ip) && json_len (ip) == c->n_links);
  for (size_t i = 0; i < json_len (ip); i++)
    {
      json_value_t *link = json_at (ip, i), *info = json_get (link, "addr_info");
      const char *dev = json_string (json_get (link, "ifname"));
      const struct netconf_link *l = netconf_link_by_name (c, dev);
      char mac[3 * 32] = "";

      CHECK (l != NULL && l->ifindex == json_integer (json_get (link, "ifindex")));
      CHECK (l->mtu == json_integer (json_get (link, "mtu")));
      for (size_t k = 0, o = 0; k < l->mac_len; k++)
        o += sprintf (mac + o, k ? ":%02x" : "%02x", l->mac[k]);
      CHECK_STR (mac, str_or (json_get (link, "address"), ""));
      for (size_t j = 0; j < json_len (info); j++)
        {
          json_value_t *a = json_at (info, j);
          const char *family = str_or (json_get (a, "family"), "?");
          const char *local = str_or (json_get (a, "local"), "?");
          const char *scope = str_or (json_get (a, "scope"), "?");
          int64_t len = json_integer (json_get (a, "prefixlen"));
          cleanup_free char *k = NULL;

          if (kernel_made (dev, family, local, len, scope))
            continue;
          k = xasprintf ("%s %s %s/%lld %s%s", dev, family, local, (long long) len, scope,
                         json_bool (json_get (a, "secondary")) ? " secondary" : "");
          strv_append (&theirs, k);
        }
    }
  return same_keys (ours, theirs, "addresses");
}

static char *
our_route_key (const struct netconf *c, const struct netconf_route *r)
{
  static const char *const types[] = { "none", "unicast", "local", "broadcast", "anycast",
                                       "multicast", "blackhole", "unreachable", "prohibit",
                                       "throw" };
  char dst[INET6_ADDRSTRLEN + 8], gw[INET6_ADDRSTRLEN] = "", s[INET6_ADDRSTRLEN];
  char table[16], metric[16] = "";

  if (r->dst_len == 0)
    snprintf (dst, sizeof (dst), "default");
  else if (r->dst_len == (r->family == AF_INET ? 32 : 128))
    snprintf (dst, sizeof (dst), "%s", inet_ntop (r->family, r->dst, s, sizeof (s)));
  else
    snprintf (dst, sizeof (dst), "%s/%u", inet_ntop (r->family, r->dst, s, sizeof (s)), r->dst_len);
  if (r->has_gateway)
    inet_ntop (r->family, r->gateway, gw, sizeof (gw));
  snprintf (table, sizeof (table), "%u", r->table);
  if (r->has_priority)
    snprintf (metric, sizeof (metric), "%u", r->priority);
  return xasprintf ("%s %s %s dev=%s via=%s metric=%s",
                    r->table == 254 ? "main" : r->table == 255 ? "local" : table,
                    r->type < ARRAY_SIZE (types) ? types[r->type] : "?", dst,
                    r->oif ? netconf_link_by_index (c, r->oif)->name : "", gw, metric);
}

static int
add_ip_routes (const char *cmd, char ***theirs)
{
  cleanup_json json_value_t *ip = run_json (cmd);

  CHECK (json_is_array (ip));
  for (size_t i = 0; i < json_len (ip); i++)
    {
      json_value_t *r = json_at (ip, i), *metric = json_get (r, "metric");
      const char *table = str_or (json_get (r, "table"), "main");
      const char *type = str_or (json_get (r, "type"), "unicast");
      const char *proto = str_or (json_get (r, "protocol"), "boot");
      cleanup_free char *k = NULL;
      char m[16] = "";

      if (strcmp (proto, "kernel") == 0
          && (strcmp (table, "local") == 0 || strcmp (type, "multicast") == 0))
        continue;
      if (metric)
        snprintf (m, sizeof (m), "%lld", (long long) json_integer (metric));
      k = xasprintf ("%s %s %s dev=%s via=%s metric=%s", table, type,
                     str_or (json_get (r, "dst"), "?"), str_or (json_get (r, "dev"), ""),
                     str_or (json_get (r, "gateway"), ""), m);
      strv_append (theirs, k);
    }
  return 0;
}

static int
check_routes_against_ip (const struct netconf *c)
{
  cleanup_strv char **ours = NULL;
  cleanup_strv char **theirs = NULL;

  for (size_t i = 0; i < c->n_routes; i++)
    {
      cleanup_free char *k = our_route_key (c, &c->routes[i]);
      strv_append (&ours, k);
    }
  CHECK (add_ip_routes ("ip -4 -j route show table all", &theirs) == 0);
  CHECK (add_ip_routes ("ip -6 -j route show table all", &theirs) == 0);
  return same_keys (ours, theirs, "routes");
}

static int
check_against_ip (const struct netconf *c)
{
  CHECK (check_addrs_against_ip (c) == 0);
  CHECK (check_routes_against_ip (c) == 0);
  return 0;
}

/* --- the configuration the tests dump and restore --- */

static int
setup_config (void)
{
  SH ("ip link set lo up && ip addr add 127.0.0.2/8 dev lo");
  SH ("ip link add d0 type %s", plain_kind);
  SH ("ip link set d0 mtu 1400 up && ip link set d0 alias 'restored link'");
  SH ("ip addr add 10.0.0.1/24 dev d0 && ip addr add 10.0.0.2/24 dev d0");
  SH ("ip addr add 10.0.1.1/24 brd + dev d0 label d0:one");
  SH ("ip addr add 2001:db8::1/64 dev d0 && ip addr add fe80::5/64 dev d0");
  SH ("ip route add 10.5.0.0/16 via 10.0.0.254 metric 5");
  SH ("ip route add 10.6.0.0/16 via 10.0.0.254 table 100");
  SH ("ip route add blackhole 10.9.0.0/16");
  SH ("ip -6 route add 2001:db8:1::/48 via 2001:db8::fe mtu 1400");
  SH ("ip -6 route add default via fe80::1 dev d0 metric 2048");
  /* What CNI plugins do: replace the kernel's prefix route. */
  SH ("ip route del 10.0.1.0/24 dev d0");
  SH ("ip route add 10.0.1.0/25 dev d0 proto static scope link src 10.0.1.1");
  /* A veth pair with both ends inside. */
  SH ("ip link add v0 type veth peer name v1 && ip link set v0 up && ip link set v1 up");
  SH ("ip addr add 192.168.7.1/30 dev v0 && ip addr add 192.168.7.2/30 dev v1");
  CHECK (wait_link_local_route ("d0") == 0);
  CHECK (wait_link_local_route ("v0") == 0);
  CHECK (wait_link_local_route ("v1") == 0);
  return 0;
}

static const struct netconf_addr *
find_addr (const struct netconf *c, const char *text)
{
  uint8_t a[16];
  int family = strchr (text, ':') ? AF_INET6 : AF_INET;

  if (inet_pton (family, text, a) != 1)
    return NULL;
  for (size_t i = 0; i < c->n_addrs; i++)
    if (c->addrs[i].family == family && memcmp (c->addrs[i].local, a, family == AF_INET ? 4 : 16) == 0)
      return &c->addrs[i];
  return NULL;
}

/* --- tests --- */

static int
loopback_body (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_json json_value_t *ip = NULL;
  json_value_t *flags;
  bool up = false;

  CHECK (netlink_loopback_up (&err) == 0);
  CHECK (netlink_loopback_up (&err) == 0); /* again: nothing changes */
  ip = run_json ("ip -j link show lo");
  flags = json_get (json_at (ip, 0), "flags");
  for (size_t i = 0; i < json_len (flags); i++)
    up |= strcmp (str_or (json_at (flags, i), ""), "UP") == 0;
  CHECK (up);
  SH ("ip -j addr show lo | grep -q '\"127.0.0.1\"'");
  return 0;
}

static int
test_loopback_up (void)
{
  return in_netns (loopback_body);
}

static int
dump_body (void)
{
  cleanup_netconf struct netconf *c = NULL;
  const struct netconf_link *d0, *v0, *v1;
  const struct netconf_addr *a;

  CHECK (setup_config () == 0);
  CHECK (dump (&c) == 0);
  CHECK (check_against_ip (c) == 0);
  d0 = netconf_link_by_name (c, "d0");
  CHECK (d0 && strcmp (d0->kind, plain_kind) == 0 && d0->mtu == 1400 && (d0->flags & IFF_UP));
  CHECK (d0->mac_len == 6 && d0->alias && strcmp (d0->alias, "restored link") == 0);
  CHECK_STR (netconf_link_by_name (c, "lo")->kind, "loopback");
  v0 = netconf_link_by_name (c, "v0");
  v1 = netconf_link_by_name (c, "v1");
  CHECK (v0 && v1 && v0->link == v1->ifindex && v1->link == v0->ifindex && v0->link_netnsid == -1);
  CHECK ((a = find_addr (c, "10.0.0.2")) && (a->flags & 0x01)); /* secondary */
  CHECK ((a = find_addr (c, "10.0.1.1")) && strcmp (a->label, "d0:one") == 0 && a->has_broadcast);
  CHECK ((a = find_addr (c, "fe80::5")) && a->prefixlen == 64); /* set by hand: kept */
  CHECK (find_addr (c, "127.0.0.2") && !find_addr (c, "127.0.0.1") && !find_addr (c, "::1"));
  return 0;
}

static int
test_dump_matches_ip (void)
{
  return in_netns (dump_body);
}

static int
json_body (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_netconf struct netconf *c = NULL, *back = NULL;
  cleanup_free char *text = NULL, *again = NULL;

  CHECK (setup_config () == 0);
  CHECK (dump (&c) == 0);
  CHECK ((text = to_json (c)) != NULL);
  back = from_text (text, &err);
  if (back == NULL)
    printf ("# %s\n", err->msg);
  CHECK (back != NULL);
  CHECK (compare (c, back) == 0);
  CHECK ((again = to_json (back)) != NULL);
  CHECK_STR (again, text);
  return 0;
}

static int
test_json_round_trip (void)
{
  return in_netns (json_body);
}

static int
restore_body (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_netconf struct netconf *saved = NULL, *loaded = NULL, *restored = NULL;
  cleanup_free char *text = NULL;

  CHECK (setup_config () == 0);
  CHECK (dump (&saved) == 0);
  CHECK ((text = to_json (saved)) != NULL);
  CHECK (fresh_netns () == 0);
  CHECK ((loaded = from_text (text, &err)) != NULL);
  CHECK (restore (loaded, NULL) == 0);
  CHECK (dump (&restored) == 0);
  CHECK (compare (saved, restored) == 0);
  /* Not only equal to itself: what ip sees in the new namespace agrees. */
  CHECK (check_against_ip (restored) == 0);
  SH ("test -z \"$(ip route show 10.0.1.0/24)\"");
  return 0;
}

static int
test_restore_fresh_netns (void)
{
  return in_netns (restore_body);
}

/* A namespace C whose eth0 is a veth with its peer host0 in namespace A:
 * leaves the caller in C, with @ns_a open on A and @ns_c on C (C, and with
 * it host0, lives as long as that fd). */
static int
make_outside_veth (int *ns_a, int *ns_c, struct netconf **saved)
{
  *ns_a = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  CHECK (*ns_a >= 0);
  SH ("ip link add eth0 type veth peer name host0 && ip link set host0 up");
  CHECK (fresh_netns () == 0);
  *ns_c = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  CHECK (*ns_c >= 0 && setns (*ns_a, CLONE_NEWNET) == 0);
  SH ("ip link set eth0 netns /proc/%d/fd/%d", getpid (), *ns_c);
  CHECK (setns (*ns_c, CLONE_NEWNET) == 0);
  SH ("ip link set lo up && ip link set eth0 mtu 1450 up");
  SH ("ip addr add 172.16.0.2/24 dev eth0 && ip route add default via 172.16.0.1");
  CHECK (wait_link_local_route ("eth0") == 0);
  CHECK (dump (saved) == 0);
  return 0;
}

static int
veth_outside_body (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_close int ns_a = -1, ns_c = -1;
  cleanup_netconf struct netconf *saved = NULL, *restored = NULL, *host = NULL;
  const struct netconf_link *l, *peer;
  struct netconf_veth_peer p = { "eth0", "host1", -1 };
  struct netconf_restore_opts opts = { &p, 1, false };

  CHECK (make_outside_veth (&ns_a, &ns_c, &saved) == 0);
  l = netconf_link_by_name (saved, "eth0");
  CHECK (l && strcmp (l->kind, "veth") == 0 && l->link > 0 && l->link_netnsid >= 0);
  CHECK (netconf_validate (saved, NULL, &err) < 0);
  CHECK_ERR_CONTAINS (err, "link `eth0` (veth) cannot be restored");

  p.netns_fd = ns_a;
  CHECK (fresh_netns () == 0);
  CHECK (restore (saved, &opts) == 0);
  CHECK (dump (&restored) == 0);
  CHECK (compare (saved, restored) == 0);
  CHECK (check_against_ip (restored) == 0);
  l = netconf_link_by_name (restored, "eth0");
  CHECK (l && l->link_netnsid >= 0);

  /* The peer is in A, under the name given, paired with the new eth0. */
  CHECK (setns (ns_a, CLONE_NEWNET) == 0);
  CHECK (dump (&host) == 0);
  peer = netconf_link_by_name (host, "host1");
  CHECK (peer && strcmp (peer->kind, "veth") == 0 && peer->link == l->ifindex);
  CHECK (netconf_link_by_name (host, "host0") != NULL);
  return 0;
}

static int
test_restore_veth_peer_outside (void)
{
  return in_netns (veth_outside_body);
}

static int
veth_skip_body (void)
{
  cleanup_close int ns_a = -1, ns_c = -1;
  cleanup_netconf struct netconf *saved = NULL, *restored = NULL;
  struct netconf_restore_opts opts = { NULL, 0, true };

  CHECK (make_outside_veth (&ns_a, &ns_c, &saved) == 0);
  CHECK (fresh_netns () == 0);
  CHECK (restore (saved, &opts) == 0);
  CHECK (dump (&restored) == 0);
  CHECK (netconf_link_by_name (restored, "eth0") == NULL);
  CHECK (restored->n_links == 1 && restored->n_addrs == 0 && restored->n_routes == 0);
  CHECK (netconf_link_by_name (restored, "lo")->flags & IFF_UP);
  return 0;
}

static int
test_restore_skip_veth (void)
{
  return in_netns (veth_skip_body);
}

/* A failed restore removes the veth pairs it made: no peer is left in the
 * caller's namespace. */
static int
duplicate_body (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_close int ns_a = -1, ns_c = -1;
  cleanup_netconf struct netconf *saved = NULL, *host = NULL;
  struct netconf_veth_peer p = { "eth0", "host2", -1 };
  struct netconf_restore_opts opts = { &p, 1, false };
  const struct netconf_addr *a;
  struct netconf_addr dup;

  CHECK (make_outside_veth (&ns_a, &ns_c, &saved) == 0);
  p.netns_fd = ns_a;
  CHECK ((a = find_addr (saved, "172.16.0.2")) != NULL);
  dup = *a;
  saved->addrs = xreallocarray (saved->addrs, saved->n_addrs + 1, sizeof (*saved->addrs));
  saved->addrs[saved->n_addrs++] = dup;
  CHECK (fresh_netns () == 0);
  CHECK (netconf_restore (saved, &opts, &err) < 0);
  CHECK_ERR_CONTAINS (err, "add address 172.16.0.2/24 on eth0: ");
  CHECK_ERR_CONTAINS (err, ": File exists");
  CHECK (setns (ns_a, CLONE_NEWNET) == 0);
  CHECK (dump (&host) == 0);
  CHECK (netconf_link_by_name (host, "host2") == NULL);
  return 0;
}

static int
test_error_duplicate_address (void)
{
  return in_netns (duplicate_body);
}

/* A bridge is not restorable: validation says so before anything is made. */
static int
unknown_kind_body (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_netconf struct netconf *saved = NULL, *after = NULL;

  SH ("ip link add br0 type bridge && ip link set br0 up");
  CHECK (dump (&saved) == 0);
  CHECK_STR (netconf_link_by_name (saved, "br0")->kind, "bridge");
  CHECK (fresh_netns () == 0);
  CHECK (netconf_restore (saved, NULL, &err) < 0);
  CHECK_ERR_CONTAINS (err, "link `br0` of kind `bridge` cannot be restored");
  CHECK (dump (&after) == 0);
  CHECK (after->n_links == 1 && !(after->links[0].flags & IFF_UP));
  return 0;
}

static int
test_error_unknown_kind (void)
{
  return in_netns (unknown_kind_body);
}

#define MINIMAL_LINKS                                                                    \
  "{\"version\":1,\"links\":[{\"ifindex\":1,\"name\":\"lo\",\"kind\":\"loopback\","     \
  "\"mtu\":65536,\"flags\":[\"up\"]}],\"addresses\":[],"

static int
test_error_route_device_missing (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_netconf struct netconf *c = NULL;

  c = from_text (MINIMAL_LINKS "\"routes\":[{\"family\":\"inet\",\"dst\":\"10.0.0.0/8\","
                               "\"dev\":\"eth9\"}]}",
                 &err);
  CHECK (c == NULL);
  CHECK_ERR_CONTAINS (err, "routes[0].dev: device `eth9` is not among the links");

  c = from_text (MINIMAL_LINKS "\"routes\":[{\"family\":\"inet\",\"dst\":\"10.0.0.0/8\","
                               "\"dev\":\"lo\"}]}",
                 &err);
  CHECK (c != NULL);
  c->routes[0].oif = 42; /* as a dump of a half-gone link could say */
  CHECK (netconf_validate (c, NULL, &err) < 0);
  CHECK_ERR_CONTAINS (err, "route `10.0.0.0/8 dev #42`: the device is not in the configuration");
  return 0;
}

static int
test_error_json (void)
{
  static const struct
  {
    const char *json, *error;
  } cases[] = {
    { "{\"version\":2,\"links\":[],\"addresses\":[],\"routes\":[]}", "version 2 is not supported" },
    { "{\"version\":1,\"links\":[{\"ifindex\":1,\"name\":\"lo\",\"mtu\":1,\"color\":1}],"
      "\"addresses\":[],\"routes\":[]}",
      "links[0]: unknown field `color`" },
    { "{\"version\":1,\"links\":[{\"ifindex\":1,\"name\":\"lo\",\"mtu\":1,\"mac\":\"zz\"}],"
      "\"addresses\":[],\"routes\":[]}",
      "links[0].mac: `zz` is not a MAC address" },
    { "{\"version\":1,\"links\":[{\"ifindex\":1,\"name\":\"lo\",\"mtu\":1},"
      "{\"ifindex\":1,\"name\":\"lo2\",\"mtu\":1}],\"addresses\":[],\"routes\":[]}",
      "links[1]: name `lo2` or ifindex 1 is used twice" },
    { "{\"version\":1,\"links\":[{\"ifindex\":1,\"name\":\"lo\",\"mtu\":1}],\"addresses\":"
      "[{\"dev\":\"lo\",\"family\":\"inet\",\"address\":\"10.0.0.300\",\"prefixlen\":8}],"
      "\"routes\":[]}",
      "addresses[0].address: `10.0.0.300` is not an IPv4 address" },
    { MINIMAL_LINKS "\"routes\":[{\"family\":\"inet6\",\"dst\":\"2001:db8::/129\"}]}",
      "routes[0].dst: `2001:db8::/129` is not `default` or ADDRESS/LENGTH" },
    { MINIMAL_LINKS "\"routes\":[{\"family\":\"inet\",\"dst\":\"default\",\"scope\":\"moon\"}]}",
      "routes[0].scope: unknown name `moon`" },
    { MINIMAL_LINKS "\"routes\":{}}", "`routes` must be an array" },
  };

  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      cleanup_error cryo_error_t err = NULL;
      cleanup_netconf struct netconf *c = from_text (cases[i].json, &err);

      if (c != NULL)
        printf ("# case %zu was accepted\n", i);
      CHECK (c == NULL);
      CHECK_ERR_CONTAINS (err, cases[i].error);
    }
  return 0;
}

/* Routes the dump records but restore cannot rebuild fail validation by
 * name (here: a multipath route). */
static int
unsupported_route_body (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_netconf struct netconf *c = NULL;

  SH ("ip link add d0 type %s && ip link set d0 up && ip addr add 10.0.0.1/24 dev d0", plain_kind);
  SH ("ip route add 10.7.0.0/16 nexthop via 10.0.0.2 nexthop via 10.0.0.3");
  CHECK (dump (&c) == 0);
  CHECK (netconf_validate (c, NULL, &err) < 0);
  CHECK_ERR_CONTAINS (err, "route `10.7.0.0/16`: multipath cannot be restored");
  return 0;
}

static int
test_error_unsupported_route (void)
{
  return in_netns (unsupported_route_body);
}

static int
probe_plain_kind (void)
{
  return system ("ip link add cryoprobe0 type dummy 2>/dev/null") == 0 ? 0 : 1;
}

int
main (void)
{
  if (!netns_can_run ())
    return 0;
  if (in_netns (probe_plain_kind) != 0)
    {
      printf ("# dummy links are not available in this kernel: testing with ifb instead\n");
      plain_kind = "ifb";
    }
  TAP_PLAN (11);
  RUN_TEST (test_loopback_up);
  RUN_TEST (test_dump_matches_ip);
  RUN_TEST (test_json_round_trip);
  RUN_TEST (test_restore_fresh_netns);
  RUN_TEST (test_restore_veth_peer_outside);
  RUN_TEST (test_restore_skip_veth);
  RUN_TEST (test_error_duplicate_address);
  RUN_TEST (test_error_unknown_kind);
  RUN_TEST (test_error_route_device_missing);
  RUN_TEST (test_error_json);
  RUN_TEST (test_error_unsupported_route);
  return tap_exit ();
}
