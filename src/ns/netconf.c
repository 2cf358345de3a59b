/* Reading a network namespace's configuration with rtnetlink, and
 * comparing two configurations.  JSON is in netconf-json.c, restore in
 * netconf-restore.c. */
#include "config.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "ns/netconf-internal.h"
#include "ns/netlink.h"
#include "lib/util.h"

#ifndef IFA_PROTO
#define IFA_PROTO 11
#endif
#ifndef IFAPROT_KERNEL_LO
#define IFAPROT_KERNEL_LO 1
#define IFAPROT_KERNEL_RA 2
#define IFAPROT_KERNEL_LL 3
#endif

const struct netconf_name netconf_link_flag_names[] = {
  { IFF_UP, "up" },
  { IFF_NOARP, "noarp" },
  { IFF_MULTICAST, "multicast" },
  { IFF_ALLMULTI, "allmulti" },
  { IFF_PROMISC, "promisc" },
  { 0, NULL },
};

const struct netconf_name netconf_addr_flag_names[] = {
  { IFA_F_SECONDARY, "secondary" },
  { IFA_F_NODAD, "nodad" },
  { IFA_F_OPTIMISTIC, "optimistic" },
  { IFA_F_DADFAILED, "dadfailed" },
  { IFA_F_HOMEADDRESS, "home" },
  { IFA_F_DEPRECATED, "deprecated" },
  { IFA_F_TENTATIVE, "tentative" },
  { IFA_F_PERMANENT, "permanent" },
  { IFA_F_MANAGETEMPADDR, "mngtmpaddr" },
  { IFA_F_NOPREFIXROUTE, "noprefixroute" },
  { IFA_F_MCAUTOJOIN, "autojoin" },
  { IFA_F_STABLE_PRIVACY, "stable-privacy" },
  { 0, NULL },
};

const struct netconf_name netconf_route_type_names[] = {
  { RTN_UNSPEC, "none" },          { RTN_UNICAST, "unicast" },
  { RTN_LOCAL, "local" },          { RTN_BROADCAST, "broadcast" },
  { RTN_ANYCAST, "anycast" },      { RTN_MULTICAST, "multicast" },
  { RTN_BLACKHOLE, "blackhole" },  { RTN_UNREACHABLE, "unreachable" },
  { RTN_PROHIBIT, "prohibit" },    { RTN_THROW, "throw" },
  { RTN_NAT, "nat" },              { RTN_XRESOLVE, "xresolve" },
  { 0, NULL },
};

const struct netconf_name netconf_route_proto_names[] = {
  { RTPROT_UNSPEC, "unspec" }, { RTPROT_REDIRECT, "redirect" }, { RTPROT_KERNEL, "kernel" },
  { RTPROT_BOOT, "boot" },     { RTPROT_STATIC, "static" },     { RTPROT_RA, "ra" },
  { RTPROT_DHCP, "dhcp" },     { RTPROT_KEEPALIVED, "keepalived" }, { RTPROT_BABEL, "babel" },
  { RTPROT_BGP, "bgp" },       { RTPROT_ISIS, "isis" },         { RTPROT_OSPF, "ospf" },
  { RTPROT_RIP, "rip" },       { RTPROT_BIRD, "bird" },         { RTPROT_ZEBRA, "zebra" },
  { 0, NULL },
};

const struct netconf_name netconf_scope_names[] = {
  { RT_SCOPE_UNIVERSE, "global" }, { RT_SCOPE_SITE, "site" }, { RT_SCOPE_LINK, "link" },
  { RT_SCOPE_HOST, "host" },       { RT_SCOPE_NOWHERE, "nowhere" },
  { 0, NULL },
};

const struct netconf_name netconf_table_names[] = {
  { RT_TABLE_DEFAULT, "default" }, { RT_TABLE_MAIN, "main" }, { RT_TABLE_LOCAL, "local" },
  { 0, NULL },
};

const struct netconf_name netconf_rtax_names[] = {
  { RTAX_LOCK, "lock" },         { RTAX_MTU, "mtu" },           { RTAX_WINDOW, "window" },
  { RTAX_RTT, "rtt" },           { RTAX_RTTVAR, "rttvar" },     { RTAX_SSTHRESH, "ssthresh" },
  { RTAX_CWND, "cwnd" },         { RTAX_ADVMSS, "advmss" },     { RTAX_REORDERING, "reordering" },
  { RTAX_HOPLIMIT, "hoplimit" }, { RTAX_INITCWND, "initcwnd" }, { RTAX_FEATURES, "features" },
  { RTAX_RTO_MIN, "rto_min" },   { RTAX_INITRWND, "initrwnd" }, { RTAX_QUICKACK, "quickack" },
  { RTAX_FASTOPEN_NO_COOKIE, "fastopen_no_cookie" },
  { 0, NULL },
};

/* ICMPV6_ROUTER_PREF_* */
const struct netconf_name netconf_pref_names[] = {
  { 0, "medium" }, { 1, "high" }, { 3, "low" },
  { 0, NULL },
};

const char *
netconf_name_of (const struct netconf_name *t, uint32_t value)
{
  for (; t->name; t++)
    if (t->value == value)
      return t->name;
  return NULL;
}

bool
netconf_value_of (const struct netconf_name *t, const char *name, uint32_t *value)
{
  for (; t->name; t++)
    if (strcmp (t->name, name) == 0)
      {
        *value = t->value;
        return true;
      }
  return false;
}

size_t
netconf_addr_len (int family)
{
  return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

const struct netconf_link *
netconf_link_by_index (const struct netconf *c, int ifindex)
{
  for (size_t i = 0; i < c->n_links; i++)
    if (c->links[i].ifindex == ifindex)
      return &c->links[i];
  return NULL;
}

const struct netconf_link *
netconf_link_by_name (const struct netconf *c, const char *name)
{
  for (size_t i = 0; i < c->n_links; i++)
    if (strcmp (c->links[i].name, name) == 0)
      return &c->links[i];
  return NULL;
}

const char *
netconf_ifname (const struct netconf *c, int ifindex, char *buf, size_t len)
{
  const struct netconf_link *l = netconf_link_by_index (c, ifindex);

  if (l)
    return l->name;
  snprintf (buf, len, "#%d", ifindex);
  return buf;
}

void
netconf_describe_route (const struct netconf *c, const struct netconf_route *r, char *buf,
                        size_t len)
{
  char a[INET6_ADDRSTRLEN], ifbuf[16];
  const char *type = netconf_name_of (netconf_route_type_names, r->type);
  size_t n = 0;

#define PUT(...) n += snprintf (buf + n, n < len ? len - n : 0, __VA_ARGS__)
  if (r->type != RTN_UNICAST)
    PUT ("%s ", type ? type : "?");
  if (r->dst_len == 0)
    PUT ("default");
  else
    PUT ("%s/%u", inet_ntop (r->family, r->dst, a, sizeof (a)), r->dst_len);
  if (r->src_len)
    PUT (" from %s/%u", inet_ntop (r->family, r->src, a, sizeof (a)), r->src_len);
  if (r->has_gateway)
    PUT (" via %s", inet_ntop (r->family, r->gateway, a, sizeof (a)));
  if (r->oif)
    PUT (" dev %s", netconf_ifname (c, r->oif, ifbuf, sizeof (ifbuf)));
  if (r->table != RT_TABLE_MAIN)
    PUT (" table %u", r->table);
  if (r->has_priority)
    PUT (" metric %u", r->priority);
#undef PUT
}

void
netconf_describe_addr (const struct netconf *c, const struct netconf_addr *a, char *buf,
                       size_t len)
{
  char s[INET6_ADDRSTRLEN], ifbuf[16];

  snprintf (buf, len, "%s/%u on %s", inet_ntop (a->family, a->local, s, sizeof (s)),
            a->prefixlen, netconf_ifname (c, a->ifindex, ifbuf, sizeof (ifbuf)));
}

#define NETCONF_ADD(arr, n)                                  \
  do                                                         \
    {                                                        \
      arr = xreallocarray (arr, n + 1, sizeof (*arr));       \
      memset (&arr[n], 0, sizeof (*arr));                    \
    }                                                        \
  while (0)

struct netconf_link *
netconf_add_link (struct netconf *c)
{
  NETCONF_ADD (c->links, c->n_links);
  c->links[c->n_links].link_netnsid = -1;
  return &c->links[c->n_links++];
}

struct netconf_addr *
netconf_add_addr (struct netconf *c)
{
  NETCONF_ADD (c->addrs, c->n_addrs);
  return &c->addrs[c->n_addrs++];
}

struct netconf_route *
netconf_add_route (struct netconf *c)
{
  NETCONF_ADD (c->routes, c->n_routes);
  return &c->routes[c->n_routes++];
}

void
netconf_free (struct netconf *c)
{
  if (c == NULL)
    return;
  for (size_t i = 0; i < c->n_links; i++)
    free (c->links[i].alias);
  for (size_t i = 0; i < c->n_routes; i++)
    free (c->routes[i].unsupported);
  free (c->links);
  free (c->addrs);
  free (c->routes);
  free (c);
}

void
cleanup_netconfp (struct netconf **c)
{
  netconf_free (*c);
  *c = NULL;
}

/* The kernel's fe80:: address is derived from the MAC (EUI-64) unless
 * addr_gen_mode says otherwise: the fallback test where IFA_PROTO is
 * missing (kernels before 6.3). */
static bool
addr_is_eui64_link_local (const struct netconf_link *l, const struct netconf_addr *a)
{
  static const uint8_t ll[8] = { 0xfe, 0x80 };
  uint8_t id[8];

  if (a->prefixlen != 64 || memcmp (a->local, ll, 8) != 0 || l == NULL || l->mac_len != 6)
    return false;
  memcpy (id, l->mac, 3);
  id[0] ^= 0x02;
  id[3] = 0xff;
  id[4] = 0xfe;
  memcpy (id + 5, l->mac + 3, 3);
  return memcmp (a->local + 8, id, 8) == 0;
}

bool
netconf_addr_is_kernel (const struct netconf *c, const struct netconf_addr *a)
{
  static const uint8_t v6_loopback[16] = { [15] = 1 };
  static const uint8_t v4_loopback[4] = { 127, 0, 0, 1 };
  const struct netconf_link *l = netconf_link_by_index (c, a->ifindex);

  if (a->proto == IFAPROT_KERNEL_LO || a->proto == IFAPROT_KERNEL_RA
      || a->proto == IFAPROT_KERNEL_LL)
    return true;
  /* Bringing lo up adds these two, whoever asked for them first. */
  if (l && strcmp (l->kind, "loopback") == 0)
    {
      if (a->family == AF_INET && a->prefixlen == 8 && memcmp (a->local, v4_loopback, 4) == 0)
        return true;
      if (a->family == AF_INET6 && a->prefixlen == 128 && memcmp (a->local, v6_loopback, 16) == 0)
        return true;
    }
  if (a->family != AF_INET6)
    return false;
  if (a->flags & IFA_F_TEMPORARY) /* privacy addresses come from autoconf */
    return true;
  return a->proto == 0 && a->scope == RT_SCOPE_LINK && addr_is_eui64_link_local (l, a);
}

bool
netconf_route_is_kernel_local (const struct netconf_route *r)
{
  if (r->protocol == RTPROT_RA || r->protocol == RTPROT_REDIRECT)
    return true;
  if (r->protocol != RTPROT_KERNEL)
    return false;
  return r->table == RT_TABLE_LOCAL || r->type == RTN_LOCAL || r->type == RTN_BROADCAST
         || r->type == RTN_ANYCAST || r->type == RTN_MULTICAST;
}

static void
link_kind (struct netconf_link *l, const struct ifinfomsg *ifi, const struct nlattr *linkinfo)
{
  const struct nlattr *li[IFLA_INFO_MAX + 1];
  const char *kind;

  if (ifi->ifi_type == ARPHRD_LOOPBACK)
    {
      snprintf (l->kind, sizeof (l->kind), "loopback");
      return;
    }
  if (linkinfo == NULL || nl_parse_nested (linkinfo, li, IFLA_INFO_MAX) < 0)
    return;
  kind = nl_attr_str (li[IFLA_INFO_KIND]);
  if (kind)
    snprintf (l->kind, sizeof (l->kind), "%s", kind);
}

static int
dump_link_cb (const struct nlmsghdr *nlh, void *data, cryo_error_t *err)
{
  const struct ifinfomsg *ifi = mnl_nlmsg_get_payload (nlh);
  const struct nlattr *tb[IFLA_MAX + 1];
  struct netconf *c = data;
  struct netconf_link *l;
  const char *name, *alias;
  uint32_t u;

  if (nlh->nlmsg_type != RTM_NEWLINK)
    return 0;
  if (nl_parse_attrs (nlh, sizeof (*ifi), tb, IFLA_MAX) < 0)
    return cryo_error (err, EBADMSG, "malformed link message");
  name = nl_attr_str (tb[IFLA_IFNAME]);
  if (name == NULL || strlen (name) >= IFNAMSIZ)
    return cryo_error (err, EBADMSG, "link %d has no valid name", ifi->ifi_index);

  l = netconf_add_link (c);
  l->ifindex = ifi->ifi_index;
  snprintf (l->name, sizeof (l->name), "%s", name);
  l->flags = ifi->ifi_flags & NETCONF_LINK_FLAGS;
  nl_attr_u32 (tb[IFLA_MTU], &l->mtu);
  nl_attr_u32 (tb[IFLA_TXQLEN], &l->txqlen);
  l->mac_len = nl_attr_bytes (tb[IFLA_ADDRESS], l->mac, sizeof (l->mac));
  alias = nl_attr_str (tb[IFLA_IFALIAS]);
  if (alias && *alias)
    l->alias = xstrdup (alias);
  if (nl_attr_u32 (tb[IFLA_MASTER], &u))
    l->master = (int) u;
  if (nl_attr_u32 (tb[IFLA_LINK], &u))
    l->link = (int) u;
  if (nl_attr_u32 (tb[IFLA_LINK_NETNSID], &u))
    l->link_netnsid = (int32_t) u;
  link_kind (l, ifi, tb[IFLA_LINKINFO]);
  return 0;
}

/* IPv4 reports the address in IFA_LOCAL and the peer in IFA_ADDRESS (the
 * same value without a peer); IPv6 only has IFA_ADDRESS unless it has a
 * peer. */
static void
addr_local_peer (struct netconf_addr *a, const struct nlattr **tb)
{
  size_t alen = netconf_addr_len (a->family);
  uint8_t other[16];

  if (tb[IFA_LOCAL] && nl_attr_bytes (tb[IFA_LOCAL], a->local, alen) == alen)
    {
      if (nl_attr_bytes (tb[IFA_ADDRESS], other, alen) == alen && memcmp (other, a->local, alen))
        {
          memcpy (a->peer, other, alen);
          a->has_peer = true;
        }
      return;
    }
  nl_attr_bytes (tb[IFA_ADDRESS], a->local, alen);
}

static int
dump_addr_cb (const struct nlmsghdr *nlh, void *data, cryo_error_t *err)
{
  const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload (nlh);
  const struct nlattr *tb[IFA_MAX + 1];
  struct netconf *c = data;
  struct netconf_addr a = { 0 };
  const char *label;

  if (nlh->nlmsg_type != RTM_NEWADDR)
    return 0;
  if (nl_parse_attrs (nlh, sizeof (*ifa), tb, IFA_MAX) < 0)
    return cryo_error (err, EBADMSG, "malformed address message");
  if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
    return 0;
  a.family = ifa->ifa_family;
  a.ifindex = ifa->ifa_index;
  a.prefixlen = ifa->ifa_prefixlen;
  a.scope = ifa->ifa_scope;
  if (!nl_attr_u32 (tb[IFA_FLAGS], &a.flags))
    a.flags = ifa->ifa_flags;
  nl_attr_u8 (tb[IFA_PROTO], &a.proto);
  nl_attr_u32 (tb[IFA_RT_PRIORITY], &a.metric);
  addr_local_peer (&a, tb);
  a.has_broadcast = nl_attr_bytes (tb[IFA_BROADCAST], a.broadcast, 4) == 4;
  label = nl_attr_str (tb[IFA_LABEL]);
  if (label)
    snprintf (a.label, sizeof (a.label), "%s", label);
  a.valid_lft = a.preferred_lft = NETCONF_LIFETIME_FOREVER;
  if (tb[IFA_CACHEINFO] && mnl_attr_get_payload_len (tb[IFA_CACHEINFO]) >= sizeof (struct ifa_cacheinfo))
    {
      const struct ifa_cacheinfo *ci = mnl_attr_get_payload (tb[IFA_CACHEINFO]);
      a.valid_lft = ci->ifa_valid;
      a.preferred_lft = ci->ifa_prefered;
    }
  if (netconf_addr_is_kernel (c, &a))
    return 0;
  *netconf_add_addr (c) = a;
  return 0;
}

static void
route_unsupported (struct netconf_route *r, const char *what)
{
  if (r->unsupported == NULL)
    r->unsupported = xstrdup (what);
}

static void
route_metrics (struct netconf_route *r, const struct nlattr *nest)
{
  const struct nlattr *mx[NETCONF_RTAX_MAX];

  if (nl_parse_nested (nest, mx, NETCONF_RTAX_MAX - 1) < 0)
    {
      route_unsupported (r, "malformed metrics");
      return;
    }
  for (int i = 1; i < NETCONF_RTAX_MAX; i++)
    {
      if (mx[i] == NULL)
        continue;
      if (i == RTAX_CC_ALGO || !nl_attr_u32 (mx[i], &r->metrics[i]))
        route_unsupported (r, i == RTAX_CC_ALGO ? "congctl metric" : "unknown metric");
      else
        r->metrics_set |= 1U << i;
    }
}

/* Everything a route can carry that restore does not rebuild is recorded
 * as unsupported, so validation refuses it by name instead of dropping it. */
static void
route_attrs (struct netconf_route *r, const struct nlattr **tb)
{
  static const struct { int type; const char *what; } unsupported[] = {
    { RTA_MULTIPATH, "multipath" }, { RTA_ENCAP, "encapsulation" }, { RTA_VIA, "via" },
    { RTA_NH_ID, "nexthop object" }, { RTA_IIF, "input interface" }, { RTA_FLOW, "realms" },
    { RTA_EXPIRES, "expiry" },
  };
  size_t alen = netconf_addr_len (r->family);
  uint32_t u;

  nl_attr_bytes (tb[RTA_DST], r->dst, alen);
  nl_attr_bytes (tb[RTA_SRC], r->src, alen);
  r->has_prefsrc = nl_attr_bytes (tb[RTA_PREFSRC], r->prefsrc, alen) == alen;
  r->has_gateway = nl_attr_bytes (tb[RTA_GATEWAY], r->gateway, alen) == alen;
  if (nl_attr_u32 (tb[RTA_OIF], &u))
    r->oif = (int) u;
  r->has_priority = nl_attr_u32 (tb[RTA_PRIORITY], &r->priority);
  r->has_pref = nl_attr_u8 (tb[RTA_PREF], &r->pref);
  if (tb[RTA_METRICS])
    route_metrics (r, tb[RTA_METRICS]);
  for (size_t i = 0; i < ARRAY_SIZE (unsupported); i++)
    if (tb[unsupported[i].type])
      route_unsupported (r, unsupported[i].what);
}

static int
dump_route_cb (const struct nlmsghdr *nlh, void *data, cryo_error_t *err)
{
  const struct rtmsg *rtm = mnl_nlmsg_get_payload (nlh);
  const struct nlattr *tb[RTA_MAX + 1];
  struct netconf *c = data;
  struct netconf_route r = { 0 };

  if (nlh->nlmsg_type != RTM_NEWROUTE)
    return 0;
  if (nl_parse_attrs (nlh, sizeof (*rtm), tb, RTA_MAX) < 0)
    return cryo_error (err, EBADMSG, "malformed route message");
  if ((rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
      || (rtm->rtm_flags & RTM_F_CLONED))
    return 0;
  r.family = rtm->rtm_family;
  r.dst_len = rtm->rtm_dst_len;
  r.src_len = rtm->rtm_src_len;
  r.tos = rtm->rtm_tos;
  r.protocol = rtm->rtm_protocol;
  r.scope = rtm->rtm_scope;
  r.type = rtm->rtm_type;
  r.flags = rtm->rtm_flags & RTNH_F_ONLINK;
  if (!nl_attr_u32 (tb[RTA_TABLE], &r.table))
    r.table = rtm->rtm_table;
  if (netconf_route_is_kernel_local (&r))
    return 0;
  route_attrs (&r, tb);
  *netconf_add_route (c) = r;
  return 0;
}

static int
dump_one (struct nl_sock *s, uint16_t type, uint8_t family, nl_msg_cb cb, struct netconf *c,
          cryo_error_t *err)
{
  char buf[NL_REQ_SIZE];
  struct nlmsghdr *nlh = nl_msg_start (s, buf, type, 0);

  /* rtgenmsg is a prefix of ifinfomsg, ifaddrmsg and rtmsg; the full
   * header keeps strict-checking kernels happy. */
  struct rtmsg *rtm = mnl_nlmsg_put_extra_header (nlh, type == RTM_GETLINK
                                                         ? sizeof (struct ifinfomsg)
                                                         : type == RTM_GETADDR
                                                               ? sizeof (struct ifaddrmsg)
                                                               : sizeof (struct rtmsg));
  rtm->rtm_family = family;
  if (type == RTM_GETLINK)
    mnl_attr_put_u32 (nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  return nl_dump (s, nlh, cb, c, err);
}

static int
link_index_cmp (const void *a, const void *b)
{
  const struct netconf_link *x = a, *y = b;
  return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

static int
dump_all (struct nl_sock *s, struct netconf *c, cryo_error_t *err)
{
  if (dump_one (s, RTM_GETLINK, AF_UNSPEC, dump_link_cb, c, err) < 0)
    return cryo_error_wrap (err, "dump links");
  qsort (c->links, c->n_links, sizeof (*c->links), link_index_cmp);
  /* Addresses need the links (to recognise kernel-made ones). */
  if (dump_one (s, RTM_GETADDR, AF_UNSPEC, dump_addr_cb, c, err) < 0)
    return cryo_error_wrap (err, "dump addresses");
  if (dump_one (s, RTM_GETROUTE, AF_INET, dump_route_cb, c, err) < 0
      || dump_one (s, RTM_GETROUTE, AF_INET6, dump_route_cb, c, err) < 0)
    return cryo_error_wrap (err, "dump routes");
  return 0;
}

int
netconf_dump (struct netconf **out, cryo_error_t *err)
{
  cleanup_nl_sock struct nl_sock *s = NULL;

  if (nl_open (NETLINK_ROUTE, &s, err) < 0)
    return cryo_error_wrap (err, "dump network configuration");
  /* Interrupted dumps are retried: nothing in a quiescent container changes
   * its network, so a few attempts are plenty. */
  for (int attempt = 0;; attempt++)
    {
      cleanup_netconf struct netconf *c = xzalloc (sizeof (*c));
      cleanup_error cryo_error_t local = NULL;

      if (dump_all (s, c, &local) == 0)
        {
          *out = steal_pointer (&c);
          return 0;
        }
      if (cryo_error_status (local) != EAGAIN || attempt == 4)
        {
          if (err)
            {
              cryo_error_release (err);
              *err = cryo_error_steal (&local);
            }
          return cryo_error_wrap (err, "dump network configuration");
        }
    }
}
