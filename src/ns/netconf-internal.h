/* Shared between netconf.c (dump, compare), netconf-json.c and
 * netconf-restore.c; not for other callers. */
#ifndef CRYO_NETCONF_INTERNAL_H
#define CRYO_NETCONF_INTERNAL_H

#include <stdint.h>

#include "ns/netconf.h"

/* Address flags that are configuration, and compared; the others are state
 * (tentative, deprecated...) or only matter while adding (nodad). */
#define NETCONF_ADDR_FLAGS_CONFIG                                                   \
  (IFA_F_SECONDARY | IFA_F_HOMEADDRESS | IFA_F_PERMANENT | IFA_F_MANAGETEMPADDR   \
   | IFA_F_NOPREFIXROUTE | IFA_F_MCAUTOJOIN)

#define NETCONF_LIFETIME_FOREVER 0xffffffffU

/* A value and its name, as `ip` spells it. */
struct netconf_name
{
  uint32_t value;
  const char *name;
};

extern const struct netconf_name netconf_link_flag_names[];
extern const struct netconf_name netconf_addr_flag_names[];
extern const struct netconf_name netconf_route_type_names[];
extern const struct netconf_name netconf_route_proto_names[];
extern const struct netconf_name netconf_scope_names[];
extern const struct netconf_name netconf_table_names[];
extern const struct netconf_name netconf_rtax_names[];
extern const struct netconf_name netconf_pref_names[];

/* NULL when @value has no name. */
const char *netconf_name_of (const struct netconf_name *t, uint32_t value);
/* false when @name is not in the table. */
bool netconf_value_of (const struct netconf_name *t, const char *name, uint32_t *value);

/* Address length of a family (4 or 16; 0 for others). */
size_t netconf_addr_len (int family);

/* Name of the link with @ifindex in @c, or "#<ifindex>" in @buf. */
const char *netconf_ifname (const struct netconf *c, int ifindex, char *buf, size_t len);

/* One-line descriptions for error messages:
 * "10.1.0.0/16 via 10.0.0.254 dev d0 table 100"  and  "10.0.0.1/24 on d0". */
void netconf_describe_route (const struct netconf *c, const struct netconf_route *r, char *buf,
                             size_t len);
void netconf_describe_addr (const struct netconf *c, const struct netconf_addr *a, char *buf,
                            size_t len);

/* Append a zeroed entry and return it. */
struct netconf_link *netconf_add_link (struct netconf *c);
struct netconf_addr *netconf_add_addr (struct netconf *c);
struct netconf_route *netconf_add_route (struct netconf *c);

/* Kernel-made entries that a dump leaves out (the kernel makes them again). */
bool netconf_addr_is_kernel (const struct netconf *c, const struct netconf_addr *a);
bool netconf_route_is_kernel_local (const struct netconf_route *r);

/* Equality as netconf_compare() defines it; devices are compared by name. */
bool netconf_route_equal (const struct netconf *ca, const struct netconf_route *a,
                          const struct netconf *cb, const struct netconf_route *b);

#endif
