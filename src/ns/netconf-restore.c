/* Applying a recorded network configuration to a fresh namespace: links,
 * then addresses, then routes, then a dump to prove the result is what was
 * recorded. */
#include "config.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#define LOG_PREFIX "netconf: "
#include "lib/log.h"
#include "ns/netconf-internal.h"
#include "ns/netlink.h"
#include "lib/util.h"

#ifndef IFA_PROTO
#define IFA_PROTO 11
#endif

/* Kinds created with no options at all. */
static const char *const plain_kinds[] = { "dummy", "ifb", NULL };

/* Every new namespace gets these from the kernel (when the tunnel module is
 * loaded): they are configured, never created. */
static const struct
{
  const char *kind, *name;
} per_netns_links[] = {
  { "loopback", "lo" },   { "ipip", "tunl0" },      { "sit", "sit0" },
  { "ip6tnl", "ip6tnl0" }, { "gre", "gre0" },        { "gretap", "gretap0" },
  { "erspan", "erspan0" }, { "ip6gre", "ip6gre0" },  { "vti", "ip_vti0" },
  { "vti6", "ip6_vti0" },
};

static bool
is_per_netns (const struct netconf_link *l)
{
  for (size_t i = 0; i < ARRAY_SIZE (per_netns_links); i++)
    if (strcmp (l->kind, per_netns_links[i].kind) == 0
        && strcmp (l->name, per_netns_links[i].name) == 0)
      return true;
  return false;
}

static const struct netconf_veth_peer *
find_peer (const struct netconf_restore_opts *opts, const char *link)
{
  for (size_t i = 0; opts && i < opts->n_veth_peers; i++)
    if (strcmp (opts->veth_peers[i].link, link) == 0)
      return &opts->veth_peers[i];
  return NULL;
}

/* A veth whose peer is in the same namespace and in the configuration. */
static const struct netconf_link *
inside_peer (const struct netconf *c, const struct netconf_link *l)
{
  const struct netconf_link *p;

  if (l->link_netnsid != -1 || l->link == 0)
    return NULL;
  p = netconf_link_by_index (c, l->link);
  if (p == NULL || strcmp (p->kind, "veth") != 0 || p->link != l->ifindex)
    return NULL;
  return p;
}

static bool
veth_skipped (const struct netconf *c, const struct netconf_link *l,
              const struct netconf_restore_opts *opts)
{
  return strcmp (l->kind, "veth") == 0 && inside_peer (c, l) == NULL
         && find_peer (opts, l->name) == NULL && opts && opts->skip_veths;
}

static int
validate_link (const struct netconf *c, const struct netconf_link *l,
               const struct netconf_restore_opts *opts, cryo_error_t *err)
{
  char buf[16];

  if (l->master && netconf_link_by_index (c, l->master) == NULL)
    return cryo_error (err, 0, "link `%s`: its master device #%d is not in the configuration",
                       l->name, l->master);
  if (is_per_netns (l) || strv_contains ((char *const *) plain_kinds, l->kind))
    return 0;
  if (strcmp (l->kind, "veth") != 0)
    return cryo_error (err, 0,
                       "link `%s` of kind `%s` cannot be restored (cryo restores loopback, "
                       "dummy, ifb and veth links)",
                       l->name, l->kind[0] ? l->kind : "none: a driver's device");
  if (l->link_netnsid == -1 && l->link && inside_peer (c, l) == NULL)
    return cryo_error (err, 0, "link `%s` (veth): its peer %s is not in the configuration",
                       l->name, netconf_ifname (c, l->link, buf, sizeof (buf)));
  if (inside_peer (c, l) == NULL && find_peer (opts, l->name) == NULL
      && !(opts && opts->skip_veths))
    return cryo_error (err, 0,
                       "link `%s` (veth) cannot be restored: its peer is outside the namespace "
                       "and no peer name and namespace were given for it",
                       l->name);
  return 0;
}

int
netconf_validate (const struct netconf *c, const struct netconf_restore_opts *opts,
                  cryo_error_t *err)
{
  char desc[256];

  for (size_t i = 0; i < c->n_links; i++)
    if (validate_link (c, &c->links[i], opts, err) < 0)
      return -1;
  for (size_t i = 0; i < c->n_addrs; i++)
    if (netconf_link_by_index (c, c->addrs[i].ifindex) == NULL)
      {
        netconf_describe_addr (c, &c->addrs[i], desc, sizeof (desc));
        return cryo_error (err, 0, "address %s: the device is not in the configuration", desc);
      }
  for (size_t i = 0; i < c->n_routes; i++)
    {
      const struct netconf_route *r = &c->routes[i];
      netconf_describe_route (c, r, desc, sizeof (desc));
      if (r->unsupported)
        return cryo_error (err, 0, "route `%s`: %s cannot be restored", desc, r->unsupported);
      if (r->oif && netconf_link_by_index (c, r->oif) == NULL)
        return cryo_error (err, 0, "route `%s`: the device is not in the configuration", desc);
    }
  return 0;
}

/* The configuration without the veths the caller chose to skip, and
 * without their addresses and routes. */
static struct netconf *
without_skipped (const struct netconf *c, const struct netconf_restore_opts *opts)
{
  struct netconf *f = xzalloc (sizeof (*f));

  for (size_t i = 0; i < c->n_links; i++)
    {
      if (veth_skipped (c, &c->links[i], opts))
        {
          log_warning ("link `%s` (veth) not restored: no peer was given for it",
                       c->links[i].name);
          continue;
        }
      *netconf_add_link (f) = c->links[i];
      f->links[f->n_links - 1].alias = xstrdup (c->links[i].alias);
    }
  for (size_t i = 0; i < c->n_addrs; i++)
    if (netconf_link_by_index (f, c->addrs[i].ifindex))
      *netconf_add_addr (f) = c->addrs[i];
  for (size_t i = 0; i < c->n_routes; i++)
    if (c->routes[i].oif == 0 || netconf_link_by_index (f, c->routes[i].oif))
      {
        *netconf_add_route (f) = c->routes[i];
        f->routes[f->n_routes - 1].unsupported = xstrdup (c->routes[i].unsupported);
      }
  return f;
}

struct restore
{
  struct nl_sock *s;
  const struct netconf *c;
  const struct netconf_restore_opts *opts;
  struct netconf *have; /* the namespace as it was found */
  int *veths;           /* veths created here: deleted again on failure */
  size_t n_veths;
};

static struct nlmsghdr *
link_msg (struct restore *r, char *buf, uint16_t flags, int ifindex)
{
  struct nlmsghdr *nlh = nl_msg_start (r->s, buf, RTM_NEWLINK, flags);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header (nlh, sizeof (*ifi));

  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  return nlh;
}

static void
put_link_basics (struct nlmsghdr *nlh, const struct netconf_link *l)
{
  mnl_attr_put_strz (nlh, IFLA_IFNAME, l->name);
  mnl_attr_put_u32 (nlh, IFLA_MTU, l->mtu);
  mnl_attr_put_u32 (nlh, IFLA_TXQLEN, l->txqlen);
  if (l->mac_len)
    mnl_attr_put (nlh, IFLA_ADDRESS, l->mac_len, l->mac);
}

/* VETH_INFO_PEER holds a whole ifinfomsg followed by the peer's attributes:
 * all of them for a peer inside the namespace, a name and a namespace for
 * one outside. */
static void
put_veth_peer (struct nlmsghdr *nlh, const struct netconf_link *inside,
               const struct netconf_veth_peer *outside)
{
  struct nlattr *data = mnl_attr_nest_start (nlh, IFLA_INFO_DATA);
  struct nlattr *peer = mnl_attr_nest_start (nlh, VETH_INFO_PEER);
  struct ifinfomsg *ifi = mnl_nlmsg_get_payload_tail (nlh);

  memset (ifi, 0, sizeof (*ifi));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = inside ? inside->ifindex : 0;
  nlh->nlmsg_len += MNL_ALIGN (sizeof (*ifi));
  if (inside)
    put_link_basics (nlh, inside);
  else
    {
      mnl_attr_put_strz (nlh, IFLA_IFNAME, outside->peer_name);
      mnl_attr_put_u32 (nlh, IFLA_NET_NS_FD, outside->netns_fd);
    }
  mnl_attr_nest_end (nlh, peer);
  mnl_attr_nest_end (nlh, data);
}

static int
create_link (struct restore *r, const struct netconf_link *l, cryo_error_t *err)
{
  const struct netconf_link *inside = inside_peer (r->c, l);
  const struct netconf_veth_peer *peer = find_peer (r->opts, l->name);
  bool veth = strcmp (l->kind, "veth") == 0;
  char buf[NL_REQ_SIZE];
  struct nlmsghdr *nlh;
  struct nlattr *info;

  /* Both ends of an inside pair are made by the first one. */
  if (inside && inside->ifindex < l->ifindex)
    return 0;
  nlh = link_msg (r, buf, NLM_F_CREATE | NLM_F_EXCL, l->ifindex);
  put_link_basics (nlh, l);
  info = mnl_attr_nest_start (nlh, IFLA_LINKINFO);
  mnl_attr_put_strz (nlh, IFLA_INFO_KIND, l->kind);
  if (veth)
    put_veth_peer (nlh, inside, peer);
  mnl_attr_nest_end (nlh, info);
  if (nl_request (r->s, nlh, NULL, NULL, err) < 0)
    {
      if (veth && !inside)
        return cryo_error_wrap (err, "create link `%s` (veth, peer `%s`)", l->name,
                                peer->peer_name);
      return cryo_error_wrap (err, "create link `%s` (%s)", l->name, l->kind);
    }
  if (veth)
    {
      r->veths = xreallocarray (r->veths, r->n_veths + 1, sizeof (*r->veths));
      r->veths[r->n_veths++] = l->ifindex;
    }
  return 0;
}

/* One attribute per request, so that a refusal names what was refused. */
static int
set_link_attr (struct restore *r, const struct netconf_link *l, int ifindex, uint16_t type,
               uint32_t value, const char *str, const char *what, cryo_error_t *err)
{
  char buf[NL_REQ_SIZE];
  struct nlmsghdr *nlh = link_msg (r, buf, 0, ifindex);

  if (str)
    mnl_attr_put_strz (nlh, type, str);
  else
    mnl_attr_put_u32 (nlh, type, value);
  if (nl_request (r->s, nlh, NULL, NULL, err) < 0)
    return cryo_error_wrap (err, "set %s of link `%s`", what, l->name);
  return 0;
}

/* A link made here got its mtu, mac and txqlen at creation (some drivers,
 * ifb for one, cannot change their MAC afterwards); one that the kernel
 * made gets what can be changed.  Up comes last, once every link exists. */
static int
configure_link (struct restore *r, const struct netconf_link *l, int ifindex, bool created,
                cryo_error_t *err)
{
  if (!created && (set_link_attr (r, l, ifindex, IFLA_MTU, l->mtu, NULL, "mtu", err) < 0
                   || set_link_attr (r, l, ifindex, IFLA_TXQLEN, l->txqlen, NULL, "txqlen", err) < 0))
    return -1;
  if (l->alias && set_link_attr (r, l, ifindex, IFLA_IFALIAS, 0, l->alias, "alias", err) < 0)
    return -1;
  if (l->master && set_link_attr (r, l, ifindex, IFLA_MASTER, l->master, NULL, "master", err) < 0)
    return -1;
  if (nl_link_set_flags (r->s, ifindex, l->flags & ~IFF_UP, NETCONF_LINK_FLAGS & ~IFF_UP, err) < 0)
    return cryo_error_wrap (err, "set flags of link `%s`", l->name);
  return 0;
}

/* Links the new namespace already had keep the index the kernel gave them. */
static int
link_ifindex (struct restore *r, const struct netconf_link *l)
{
  const struct netconf_link *found = netconf_link_by_name (r->have, l->name);

  return found ? found->ifindex : l->ifindex;
}

static int
restore_links (struct restore *r, cryo_error_t *err)
{
  for (size_t i = 0; i < r->c->n_links; i++)
    {
      const struct netconf_link *l = &r->c->links[i];
      const struct netconf_link *found = netconf_link_by_name (r->have, l->name);

      if (found && (strcmp (found->kind, l->kind) != 0 || !is_per_netns (l)))
        return cryo_error (err, 0,
                           "link `%s` already exists in the namespace being restored (kind `%s`): "
                           "restore needs a fresh network namespace",
                           l->name, found->kind);
      if (found == NULL && is_per_netns (l))
        return cryo_error (err, 0,
                           "link `%s` (%s) is made by the kernel in every namespace, but not "
                           "here: load the kernel module for `%s`",
                           l->name, l->kind, l->kind);
      if (found == NULL && create_link (r, l, err) < 0)
        return -1;
    }
  for (size_t i = 0; i < r->c->n_links; i++)
    {
      const struct netconf_link *l = &r->c->links[i];
      bool created = netconf_link_by_name (r->have, l->name) == NULL;

      if (configure_link (r, l, link_ifindex (r, l), created, err) < 0)
        return -1;
    }
  for (size_t i = 0; i < r->c->n_links; i++)
    {
      const struct netconf_link *l = &r->c->links[i];
      if ((l->flags & IFF_UP)
          && nl_link_set_flags (r->s, link_ifindex (r, l), IFF_UP, IFF_UP, err) < 0)
        return cryo_error_wrap (err, "bring up link `%s`", l->name);
    }
  return 0;
}

/* Flags that can be asked for when adding an address. */
#define ADDR_FLAGS_SETTABLE \
  (IFA_F_HOMEADDRESS | IFA_F_MANAGETEMPADDR | IFA_F_NOPREFIXROUTE | IFA_F_MCAUTOJOIN)

static int
add_addr (struct restore *r, const struct netconf_addr *a, cryo_error_t *err)
{
  size_t alen = netconf_addr_len (a->family);
  uint32_t flags = a->flags & ADDR_FLAGS_SETTABLE;
  char buf[NL_REQ_SIZE], desc[128];
  struct nlmsghdr *nlh = nl_msg_start (r->s, buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header (nlh, sizeof (*ifa));

  /* The address was unique when it was configured; duplicate address
   * detection would keep it tentative for a second or more, during which
   * the restored processes could not bind it. */
  if (a->family == AF_INET6)
    flags |= IFA_F_NODAD;
  ifa->ifa_family = a->family;
  ifa->ifa_prefixlen = a->prefixlen;
  ifa->ifa_scope = a->scope;
  ifa->ifa_index = link_ifindex (r, netconf_link_by_index (r->c, a->ifindex));
  ifa->ifa_flags = flags & 0xff;
  mnl_attr_put_u32 (nlh, IFA_FLAGS, flags);
  if (a->family == AF_INET || a->has_peer)
    mnl_attr_put (nlh, IFA_LOCAL, alen, a->local);
  mnl_attr_put (nlh, IFA_ADDRESS, alen, a->has_peer ? a->peer : a->local);
  if (a->has_broadcast)
    mnl_attr_put (nlh, IFA_BROADCAST, 4, a->broadcast);
  if (a->family == AF_INET && a->label[0])
    mnl_attr_put_strz (nlh, IFA_LABEL, a->label);
  if (a->valid_lft != NETCONF_LIFETIME_FOREVER || a->preferred_lft != NETCONF_LIFETIME_FOREVER)
    {
      struct ifa_cacheinfo ci = { .ifa_prefered = a->preferred_lft, .ifa_valid = a->valid_lft };
      mnl_attr_put (nlh, IFA_CACHEINFO, sizeof (ci), &ci);
    }
  if (a->metric)
    mnl_attr_put_u32 (nlh, IFA_RT_PRIORITY, a->metric);
  if (a->proto)
    mnl_attr_put_u8 (nlh, IFA_PROTO, a->proto);
  if (nl_request (r->s, nlh, NULL, NULL, err) < 0)
    {
      netconf_describe_addr (r->c, a, desc, sizeof (desc));
      return cryo_error_wrap (err, "add address %s", desc);
    }
  return 0;
}

/* IPv4 secondaries are whatever comes after the primary of their subnet:
 * primaries go first. */
static int
restore_addrs (struct restore *r, cryo_error_t *err)
{
  for (int secondary = 0; secondary < 2; secondary++)
    for (size_t i = 0; i < r->c->n_addrs; i++)
      {
        const struct netconf_addr *a = &r->c->addrs[i];
        bool is_secondary = a->family == AF_INET && (a->flags & IFA_F_SECONDARY);

        if (is_secondary == (secondary == 1) && add_addr (r, a, err) < 0)
          return -1;
      }
  return 0;
}

static struct nlmsghdr *
route_msg (struct restore *r, char *buf, uint16_t type, uint16_t flags,
           const struct netconf *c, const struct netconf_route *rt)
{
  size_t alen = netconf_addr_len (rt->family);
  struct nlmsghdr *nlh = nl_msg_start (r->s, buf, type, flags);
  struct rtmsg *rtm = mnl_nlmsg_put_extra_header (nlh, sizeof (*rtm));

  rtm->rtm_family = rt->family;
  rtm->rtm_dst_len = rt->dst_len;
  rtm->rtm_src_len = rt->src_len;
  rtm->rtm_tos = rt->tos;
  rtm->rtm_table = rt->table < 256 ? rt->table : RT_TABLE_UNSPEC;
  rtm->rtm_protocol = rt->protocol;
  rtm->rtm_scope = rt->scope;
  rtm->rtm_type = rt->type;
  rtm->rtm_flags = rt->flags;
  mnl_attr_put_u32 (nlh, RTA_TABLE, rt->table);
  if (rt->dst_len)
    mnl_attr_put (nlh, RTA_DST, alen, rt->dst);
  if (rt->src_len)
    mnl_attr_put (nlh, RTA_SRC, alen, rt->src);
  if (rt->has_prefsrc)
    mnl_attr_put (nlh, RTA_PREFSRC, alen, rt->prefsrc);
  if (rt->has_gateway)
    mnl_attr_put (nlh, RTA_GATEWAY, alen, rt->gateway);
  if (rt->oif)
    {
      const struct netconf_link *l = netconf_link_by_index (c, rt->oif);
      mnl_attr_put_u32 (nlh, RTA_OIF, l ? link_ifindex (r, l) : rt->oif);
    }
  if (rt->has_priority)
    mnl_attr_put_u32 (nlh, RTA_PRIORITY, rt->priority);
  if (rt->has_pref)
    mnl_attr_put_u8 (nlh, RTA_PREF, rt->pref);
  if (rt->metrics_set)
    {
      struct nlattr *mx = mnl_attr_nest_start (nlh, RTA_METRICS);
      for (int i = 0; i < NETCONF_RTAX_MAX; i++)
        if (rt->metrics_set & (1U << i))
          mnl_attr_put_u32 (nlh, i, rt->metrics[i]);
      mnl_attr_nest_end (nlh, mx);
    }
  return nlh;
}

static bool
route_in (const struct netconf *c, const struct netconf_route *rt, const struct netconf *in)
{
  for (size_t i = 0; i < in->n_routes; i++)
    if (netconf_route_equal (c, rt, in, &in->routes[i]))
      return true;
  return false;
}

/* A gateway must be reachable when its route is added: host and link
 * scope routes first, then routes without a gateway, then the rest. */
static int
route_order (const struct netconf_route *a, const struct netconf_route *b)
{
  if (a->scope != b->scope)
    return a->scope > b->scope ? -1 : 1;
  return (int) a->has_gateway - (int) b->has_gateway;
}

/* Kernel routes present now but not recorded: the prefix routes of
 * addresses whose route had been deleted or replaced before the dump. */
struct stale
{
  struct netconf *now;
  bool *gone;
};

static bool
same_key (const struct netconf_route *a, const struct netconf_route *b)
{
  return a->family == b->family && a->table == b->table && a->dst_len == b->dst_len
         && memcmp (a->dst, b->dst, netconf_addr_len (a->family)) == 0 && a->tos == b->tos
         && a->priority == b->priority;
}

static int
delete_stale (struct restore *r, struct stale *st, size_t i, cryo_error_t *err)
{
  const struct netconf_route *rt = &st->now->routes[i];
  char buf[NL_REQ_SIZE], desc[256];

  st->gone[i] = true;
  if (nl_request (r->s, route_msg (r, buf, RTM_DELROUTE, 0, st->now, rt), NULL, NULL, err) < 0)
    {
      netconf_describe_route (st->now, rt, desc, sizeof (desc));
      return cryo_error_wrap (err, "delete kernel route `%s`", desc);
    }
  return 0;
}

static bool
is_stale (struct restore *r, struct stale *st, size_t i)
{
  const struct netconf_route *rt = &st->now->routes[i];
  return !st->gone[i] && rt->protocol == RTPROT_KERNEL && !route_in (st->now, rt, r->c);
}

static int
add_route (struct restore *r, struct stale *st, const struct netconf_route *rt, cryo_error_t *err)
{
  char buf[NL_REQ_SIZE], desc[256];
  /* Not NLM_F_EXCL: it refuses a second route to the same prefix with the
   * same metric even through another device (fe80::/64 on two links), and
   * appending keeps the recorded order among such routes.  An exact
   * duplicate is still refused. */
  uint16_t flags = NLM_F_CREATE | NLM_F_APPEND;

  if (nl_request (r->s, route_msg (r, buf, RTM_NEWROUTE, flags, r->c, rt), NULL, NULL, err) == 0)
    return 0;
  if (cryo_error_status (*err) == EEXIST)
    {
      /* IPv6 adds fe80::/64 once the link has a carrier, which can happen
       * at any moment after it is up: the kernel was first. */
      if (rt->protocol == RTPROT_KERNEL)
        {
          cryo_error_release (err);
          return 0;
        }
      /* The recorded route replaced a kernel route with the same key. */
      for (size_t i = 0; i < st->now->n_routes; i++)
        if (is_stale (r, st, i) && same_key (rt, &st->now->routes[i]))
          {
            cryo_error_release (err);
            if (delete_stale (r, st, i, err) < 0)
              return -1;
            if (nl_request (r->s, route_msg (r, buf, RTM_NEWROUTE, flags, r->c, rt), NULL, NULL, err) == 0)
              return 0;
            break;
          }
    }
  netconf_describe_route (r->c, rt, desc, sizeof (desc));
  return cryo_error_wrap (err, "add route `%s`", desc);
}

/* Recorded routes are added while the kernel's own routes are all still
 * there (a gateway may have been reachable only through one of them when
 * the route was first added), and the stale kernel routes go last. */
static int
restore_routes (struct restore *r, cryo_error_t *err)
{
  cleanup_netconf struct netconf *now = NULL;
  cleanup_free bool *done = xzalloc (r->c->n_routes + 1);
  cleanup_free bool *gone = NULL;
  struct stale st;

  if (netconf_dump (&now, err) < 0)
    return -1;
  gone = xzalloc (now->n_routes + 1);
  st = (struct stale){ now, gone };
  for (size_t n = 0; n < r->c->n_routes; n++)
    {
      const struct netconf_route *next = NULL;
      size_t at = 0;

      for (size_t i = 0; i < r->c->n_routes; i++)
        if (!done[i] && (next == NULL || route_order (&r->c->routes[i], next) < 0))
          next = &r->c->routes[at = i];
      done[at] = true;
      if (!route_in (r->c, next, now) && add_route (r, &st, next, err) < 0)
        return -1;
    }
  for (size_t i = 0; i < now->n_routes; i++)
    if (is_stale (r, &st, i) && delete_stale (r, &st, i, err) < 0)
      return -1;
  return 0;
}

static int
verify (struct restore *r, cryo_error_t *err)
{
  cleanup_netconf struct netconf *now = NULL;

  if (netconf_dump (&now, err) < 0)
    return -1;
  if (netconf_compare (r->c, now, err) < 0)
    return cryo_error_wrap (err, "the restored network configuration differs from the recorded one");
  return 0;
}

/* Deleting our end of a veth deletes its peer too, wherever it is. */
static void
undo_veths (struct restore *r)
{
  char buf[NL_REQ_SIZE];

  for (size_t i = 0; i < r->n_veths; i++)
    {
      struct nlmsghdr *nlh = nl_msg_start (r->s, buf, RTM_DELLINK, 0);
      struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header (nlh, sizeof (*ifi));

      ifi->ifi_family = AF_UNSPEC;
      ifi->ifi_index = r->veths[i];
      (void) nl_request (r->s, nlh, NULL, NULL, NULL);
    }
}

int
netconf_restore (const struct netconf *c, const struct netconf_restore_opts *opts,
                 cryo_error_t *err)
{
  cleanup_netconf struct netconf *filtered = NULL;
  cleanup_netconf struct netconf *have = NULL;
  cleanup_nl_sock struct nl_sock *s = NULL;
  struct restore r = { .opts = opts };
  int ret;

  if (netconf_validate (c, opts, err) < 0)
    return cryo_error_wrap (err, "restore network configuration");
  filtered = without_skipped (c, opts);
  if (nl_open (NETLINK_ROUTE, &s, err) < 0 || netconf_dump (&have, err) < 0)
    return cryo_error_wrap (err, "restore network configuration");
  r.s = s;
  r.c = filtered;
  r.have = have;
  ret = restore_links (&r, err);
  if (ret == 0)
    ret = restore_addrs (&r, err);
  if (ret == 0)
    ret = restore_routes (&r, err);
  if (ret == 0)
    ret = verify (&r, err);
  if (ret < 0)
    undo_veths (&r);
  free (r.veths);
  if (ret < 0)
    return cryo_error_wrap (err, "restore network configuration");
  return 0;
}
