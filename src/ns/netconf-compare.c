/* Comparing two network configurations: used after a restore to prove it is
 * exact, and by the tests.  Devices are compared by name, so two namespaces
 * can be compared even where ifindexes would differ. */
#include "config.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <string.h>
#include <linux/if_addr.h>

#include "ns/netconf-internal.h"
#include "lib/util.h"

static bool
same_ifname (const struct netconf *ca, int a, const struct netconf *cb, int b)
{
  char x[16], y[16];

  if (a == 0 || b == 0)
    return a == b;
  return strcmp (netconf_ifname (ca, a, x, sizeof (x)), netconf_ifname (cb, b, y, sizeof (y))) == 0;
}

static bool
str_equal (const char *a, const char *b)
{
  return (a == NULL && b == NULL) || (a && b && strcmp (a, b) == 0);
}

#define DIFF(what, x, y)                                                              \
  do                                                                                  \
    {                                                                                 \
      if ((x) != (y))                                                                 \
        return cryo_error (err, 0, "link `%s`: %s is %lld, expected %lld", la->name, \
                           what, (long long) (y), (long long) (x));                   \
    }                                                                                 \
  while (0)

static int
compare_link (const struct netconf *a, const struct netconf_link *la, const struct netconf *b,
              const struct netconf_link *lb, cryo_error_t *err)
{
  if (strcmp (la->kind, lb->kind) != 0)
    return cryo_error (err, 0, "link `%s`: kind is `%s`, expected `%s`", la->name, lb->kind,
                       la->kind);
  DIFF ("ifindex", la->ifindex, lb->ifindex);
  DIFF ("mtu", la->mtu, lb->mtu);
  DIFF ("txqlen", la->txqlen, lb->txqlen);
  DIFF ("flags", la->flags, lb->flags);
  if (la->mac_len != lb->mac_len || memcmp (la->mac, lb->mac, la->mac_len) != 0)
    return cryo_error (err, 0, "link `%s`: the MAC address differs", la->name);
  if (!str_equal (la->alias, lb->alias))
    return cryo_error (err, 0, "link `%s`: the alias differs", la->name);
  if (!same_ifname (a, la->master, b, lb->master))
    return cryo_error (err, 0, "link `%s`: the master device differs", la->name);
  /* A peer inside the namespace is part of the configuration; one outside
   * is wherever the restore put it. */
  if ((la->link_netnsid == -1) != (lb->link_netnsid == -1))
    return cryo_error (err, 0, "link `%s`: its peer moved in or out of the namespace", la->name);
  if (la->link_netnsid == -1 && !same_ifname (a, la->link, b, lb->link))
    return cryo_error (err, 0, "link `%s`: the peer or lower device differs", la->name);
  return 0;
}

static bool
addr_equal (const struct netconf *ca, const struct netconf_addr *a, const struct netconf *cb,
            const struct netconf_addr *b)
{
  size_t alen = netconf_addr_len (a->family);

  return a->family == b->family && same_ifname (ca, a->ifindex, cb, b->ifindex)
         && a->prefixlen == b->prefixlen && a->scope == b->scope && a->proto == b->proto
         && (a->flags & NETCONF_ADDR_FLAGS_CONFIG) == (b->flags & NETCONF_ADDR_FLAGS_CONFIG)
         && memcmp (a->local, b->local, alen) == 0 && a->has_peer == b->has_peer
         && (!a->has_peer || memcmp (a->peer, b->peer, alen) == 0)
         && a->has_broadcast == b->has_broadcast
         && (!a->has_broadcast || memcmp (a->broadcast, b->broadcast, 4) == 0)
         && strcmp (a->label, b->label) == 0 && a->metric == b->metric
         && (a->valid_lft == NETCONF_LIFETIME_FOREVER) == (b->valid_lft == NETCONF_LIFETIME_FOREVER)
         && (a->preferred_lft == NETCONF_LIFETIME_FOREVER)
                == (b->preferred_lft == NETCONF_LIFETIME_FOREVER);
}

bool
netconf_route_equal (const struct netconf *ca, const struct netconf_route *a,
                     const struct netconf *cb, const struct netconf_route *b)
{
  size_t alen = netconf_addr_len (a->family);

  if (a->family != b->family || a->dst_len != b->dst_len || a->src_len != b->src_len
      || a->tos != b->tos || a->protocol != b->protocol || a->scope != b->scope
      || a->type != b->type || a->table != b->table || a->flags != b->flags)
    return false;
  if (memcmp (a->dst, b->dst, alen) || memcmp (a->src, b->src, alen)
      || a->has_prefsrc != b->has_prefsrc || memcmp (a->prefsrc, b->prefsrc, alen)
      || a->has_gateway != b->has_gateway || memcmp (a->gateway, b->gateway, alen))
    return false;
  if (!same_ifname (ca, a->oif, cb, b->oif) || a->has_priority != b->has_priority
      || (a->has_priority && a->priority != b->priority) || a->has_pref != b->has_pref
      || (a->has_pref && a->pref != b->pref))
    return false;
  if (a->metrics_set != b->metrics_set)
    return false;
  for (int i = 0; i < NETCONF_RTAX_MAX; i++)
    if ((a->metrics_set & (1U << i)) && a->metrics[i] != b->metrics[i])
      return false;
  return str_equal (a->unsupported, b->unsupported);
}

static int
compare_links (const struct netconf *a, const struct netconf *b, cryo_error_t *err)
{
  for (size_t i = 0; i < a->n_links; i++)
    {
      const struct netconf_link *lb = netconf_link_by_name (b, a->links[i].name);
      if (lb == NULL)
        return cryo_error (err, 0, "link `%s` is missing", a->links[i].name);
      if (compare_link (a, &a->links[i], b, lb, err) < 0)
        return -1;
    }
  for (size_t i = 0; i < b->n_links; i++)
    if (netconf_link_by_name (a, b->links[i].name) == NULL)
      return cryo_error (err, 0, "link `%s` is unexpected", b->links[i].name);
  return 0;
}

/* Both lists are small (a container has a handful of entries): match each
 * entry of one list with an unused equal entry of the other. */
static int
compare_addrs (const struct netconf *a, const struct netconf *b, cryo_error_t *err)
{
  cleanup_free bool *used = xzalloc (b->n_addrs + 1);
  char desc[128];

  for (size_t i = 0; i < a->n_addrs; i++)
    {
      size_t j;
      for (j = 0; j < b->n_addrs; j++)
        if (!used[j] && addr_equal (a, &a->addrs[i], b, &b->addrs[j]))
          break;
      if (j == b->n_addrs)
        {
          netconf_describe_addr (a, &a->addrs[i], desc, sizeof (desc));
          return cryo_error (err, 0, "address %s is missing or differs", desc);
        }
      used[j] = true;
    }
  for (size_t j = 0; j < b->n_addrs; j++)
    if (!used[j])
      {
        netconf_describe_addr (b, &b->addrs[j], desc, sizeof (desc));
        return cryo_error (err, 0, "address %s is unexpected", desc);
      }
  return 0;
}

static int
compare_routes (const struct netconf *a, const struct netconf *b, cryo_error_t *err)
{
  cleanup_free bool *used = xzalloc (b->n_routes + 1);
  char desc[256];

  for (size_t i = 0; i < a->n_routes; i++)
    {
      size_t j;
      for (j = 0; j < b->n_routes; j++)
        if (!used[j] && netconf_route_equal (a, &a->routes[i], b, &b->routes[j]))
          break;
      if (j == b->n_routes)
        {
          netconf_describe_route (a, &a->routes[i], desc, sizeof (desc));
          return cryo_error (err, 0, "route `%s` is missing or differs", desc);
        }
      used[j] = true;
    }
  for (size_t j = 0; j < b->n_routes; j++)
    if (!used[j])
      {
        netconf_describe_route (b, &b->routes[j], desc, sizeof (desc));
        return cryo_error (err, 0, "route `%s` is unexpected", desc);
      }
  return 0;
}

int
netconf_compare (const struct netconf *a, const struct netconf *b, cryo_error_t *err)
{
  if (compare_links (a, b, err) < 0 || compare_addrs (a, b, err) < 0
      || compare_routes (a, b, err) < 0)
    return -1;
  return 0;
}
