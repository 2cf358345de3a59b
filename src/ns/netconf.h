/* A network namespace's configuration as data: its links, addresses and
 * routes, read with rtnetlink, written to and read from JSON (it goes into
 * the checkpoint image), and applied again to a fresh namespace before CRIU
 * restores the processes that live in it.
 *
 * What the kernel makes by itself is left out of the dump, because it comes
 * back by itself: 127.0.0.1 and ::1 on lo, IPv6 link-local and autoconf
 * addresses, local/broadcast/multicast routes.  The exception is the main
 * table's prefix routes (proto kernel): they are recorded, because users
 * (CNI plugins, for one) delete or replace them, and restore makes the set
 * of kernel routes match the recorded one.
 *
 * Restore supports the kinds a container normally has: loopback, dummy,
 * ifb, veth (the peer goes to a namespace the caller names) and links that
 * the new namespace already has under the same name and kind.  Anything
 * else fails validation with the link and its kind named. */
#ifndef CRYO_NETCONF_H
#define CRYO_NETCONF_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"
#include "lib/json.h"

#define NETCONF_VERSION 1
#define NETCONF_MAC_MAX 32 /* MAX_ADDR_LEN */

/* The interface flags that are configuration (the rest is state). */
#define NETCONF_LINK_FLAGS (IFF_UP | IFF_NOARP | IFF_MULTICAST | IFF_ALLMULTI | IFF_PROMISC)

struct netconf_link
{
  int ifindex;
  char name[IFNAMSIZ];
  char kind[32];      /* rtnetlink kind ("veth"), "loopback" for lo, "" for a driver's device */
  uint32_t mtu;
  uint32_t txqlen;
  uint32_t flags;     /* IFF_* within NETCONF_LINK_FLAGS */
  uint8_t mac[NETCONF_MAC_MAX];
  size_t mac_len;
  char *alias;        /* IFLA_IFALIAS or NULL */
  int master;         /* ifindex of the bridge/bond it is enslaved to, 0 none */
  int link;           /* IFLA_LINK: veth peer or lower device, 0 none */
  int link_netnsid;   /* namespace id of `link` as seen from here, -1: this namespace */
};

struct netconf_addr
{
  int ifindex;
  uint8_t family;     /* AF_INET, AF_INET6 */
  uint8_t prefixlen;
  uint8_t scope;      /* RT_SCOPE_* */
  uint8_t proto;      /* IFA_PROTO, 0 when unset */
  uint32_t flags;     /* IFA_F_* */
  uint8_t local[16];  /* the address itself */
  uint8_t peer[16];   /* point-to-point peer, when has_peer */
  bool has_peer;
  uint8_t broadcast[4];
  bool has_broadcast;
  char label[IFNAMSIZ]; /* IPv4 label, "" when none */
  uint32_t valid_lft;   /* seconds left; 0xffffffff: forever */
  uint32_t preferred_lft;
  uint32_t metric;      /* IFA_RT_PRIORITY of its prefix route, 0: default */
};

#define NETCONF_RTAX_MAX 32

struct netconf_route
{
  uint8_t family;
  uint8_t dst_len;
  uint8_t src_len;
  uint8_t tos;
  uint8_t protocol;   /* RTPROT_* */
  uint8_t scope;      /* RT_SCOPE_* */
  uint8_t type;       /* RTN_* */
  uint32_t table;
  uint32_t flags;     /* RTNH_F_ONLINK; status flags are dropped */
  uint8_t dst[16];
  uint8_t src[16];
  uint8_t prefsrc[16];
  bool has_prefsrc;
  uint8_t gateway[16];
  bool has_gateway;
  int oif;            /* output device, 0 none */
  uint32_t priority;  /* metric */
  bool has_priority;
  uint8_t pref;       /* IPv6 router preference */
  bool has_pref;
  uint32_t metrics[NETCONF_RTAX_MAX]; /* RTA_METRICS values by RTAX_*, when set */
  uint32_t metrics_set;               /* bit n: metrics[n] is set */
  char *unsupported;  /* what restore cannot reproduce (multipath, ...), or NULL */
};

struct netconf
{
  struct netconf_link *links;
  size_t n_links;
  struct netconf_addr *addrs;
  size_t n_addrs;
  struct netconf_route *routes;
  size_t n_routes;
};

/**
 * netconf_dump - read the configuration of the current network namespace
 *
 * Links are sorted by ifindex, addresses by link (IPv4 primaries before
 * their secondaries, as the kernel lists them), routes as the kernel dumps
 * them.  A dump interrupted by a concurrent change is retried.
 */
int netconf_dump (struct netconf **out, cryo_error_t *err);
void netconf_free (struct netconf *c);
void cleanup_netconfp (struct netconf **c);
#define cleanup_netconf __attribute__ ((cleanup (cleanup_netconfp)))

/* The link with this ifindex or name, or NULL. */
const struct netconf_link *netconf_link_by_index (const struct netconf *c, int ifindex);
const struct netconf_link *netconf_link_by_name (const struct netconf *c, const char *name);

/**
 * netconf_to_json - write @c as one JSON object {"version", "links",
 * "addresses", "routes"}; devices are named, not numbered, in addresses and
 * routes.
 */
int netconf_to_json (const struct netconf *c, json_gen_t *gen, cryo_error_t *err);

/**
 * netconf_from_json - the inverse of netconf_to_json; strict: unknown
 * fields, bad addresses and unknown device names are errors naming the entry.
 */
int netconf_from_json (json_value_t *v, struct netconf **out, cryo_error_t *err);

/**
 * netconf_compare - 0 when @a and @b describe the same configuration,
 * otherwise an error (status 0) describing the first difference found.
 *
 * Lifetimes (other than "forever" or not), address state flags (tentative,
 * nodad...) and the identity of veth peers outside the namespace are not
 * compared: they legitimately change across a restore.
 */
int netconf_compare (const struct netconf *a, const struct netconf *b, cryo_error_t *err);

/* Where the peer of a veth link goes at restore. */
struct netconf_veth_peer
{
  const char *link;      /* the veth inside the namespace being restored */
  const char *peer_name; /* name of the peer to create */
  int netns_fd;          /* namespace of the peer */
};

struct netconf_restore_opts
{
  const struct netconf_veth_peer *veth_peers;
  size_t n_veth_peers;
  /* Leave out veths whose peer is outside the namespace and have no entry
   * in veth_peers (and their addresses and routes), instead of failing. */
  bool skip_veths;
};

/**
 * netconf_validate - check, without touching anything, that @c can be
 * restored with @opts (NULL: no veth peers): every link kind is supported,
 * every outside veth has a peer, no route uses an unsupported feature.
 * Checkpoint uses it to refuse early what restore could not rebuild.
 */
int netconf_validate (const struct netconf *c, const struct netconf_restore_opts *opts,
                      cryo_error_t *err);

/**
 * netconf_restore - apply @c to the current network namespace, which must
 * be fresh (only what the kernel creates in a new namespace)
 *
 * Order: links (created with their recorded ifindex, then mtu, mac, txqlen,
 * alias, flags, up), addresses (IPv6 ones without duplicate address
 * detection: the restored processes must be able to bind them at once),
 * then routes, by scope so that gateways are reachable first; kernel-made
 * prefix routes that were deleted before the dump are deleted again.  The
 * result is dumped and compared with @c.  On failure, veth pairs created
 * so far are deleted again so that no peer is left outside.
 */
int netconf_restore (const struct netconf *c, const struct netconf_restore_opts *opts,
                     cryo_error_t *err);

#endif
