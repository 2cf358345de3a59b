/* A network configuration as JSON, for the checkpoint image.  Names are
 * used wherever `ip` has one (scopes, tables, protocols, flags), numbers
 * otherwise; devices are referred to by name.  Reading is strict: a field
 * cryo does not know could be something restore would silently drop. */
#include "config.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>

#include "ns/netconf-internal.h"
#include "lib/util.h"

/* --- writing --- */

static void
gen_name (json_gen_t *g, const char *key, const struct netconf_name *t, uint32_t v)
{
  const char *name = netconf_name_of (t, v);

  jg_key (g, key);
  if (name)
    jg_str (g, name);
  else
    jg_uint (g, v);
}

static void
gen_flags (json_gen_t *g, const char *key, const struct netconf_name *t, uint32_t flags)
{
  jg_key (g, key);
  jg_open_array (g);
  for (; t->name; t++)
    if (flags & t->value)
      jg_str (g, t->name);
  jg_close_array (g);
}

static void
gen_ip (json_gen_t *g, const char *key, int family, const uint8_t *addr)
{
  char s[INET6_ADDRSTRLEN];

  jg_kv_str (g, key, inet_ntop (family, addr, s, sizeof (s)));
}

static void
gen_dev (json_gen_t *g, const char *key, const struct netconf *c, int ifindex)
{
  char buf[16];

  jg_kv_str (g, key, netconf_ifname (c, ifindex, buf, sizeof (buf)));
}

static void
gen_link (json_gen_t *g, const struct netconf *c, const struct netconf_link *l)
{
  char mac[NETCONF_MAC_MAX * 3 + 1] = "";

  for (size_t i = 0, o = 0; i < l->mac_len; i++)
    o += sprintf (mac + o, i ? ":%02x" : "%02x", l->mac[i]);

  jg_open_map (g);
  jg_kv_int (g, "ifindex", l->ifindex);
  jg_kv_str (g, "name", l->name);
  jg_kv_str (g, "kind", l->kind);
  jg_kv_uint (g, "mtu", l->mtu);
  jg_kv_uint (g, "txqlen", l->txqlen);
  gen_flags (g, "flags", netconf_link_flag_names, l->flags);
  jg_kv_str (g, "mac", mac);
  if (l->alias)
    jg_kv_str (g, "alias", l->alias);
  if (l->master)
    gen_dev (g, "master", c, l->master);
  if (l->link)
    {
      jg_key (g, "link");
      jg_open_map (g);
      if (l->link_netnsid == -1)
        gen_dev (g, "name", c, l->link);
      else
        {
          jg_kv_int (g, "ifindex", l->link);
          jg_kv_int (g, "netnsid", l->link_netnsid);
        }
      jg_close_map (g);
    }
  jg_close_map (g);
}

static void
gen_addr (json_gen_t *g, const struct netconf *c, const struct netconf_addr *a)
{
  jg_open_map (g);
  gen_dev (g, "dev", c, a->ifindex);
  jg_kv_str (g, "family", a->family == AF_INET ? "inet" : "inet6");
  gen_ip (g, "address", a->family, a->local);
  jg_kv_uint (g, "prefixlen", a->prefixlen);
  if (a->has_peer)
    gen_ip (g, "peer", a->family, a->peer);
  if (a->has_broadcast)
    gen_ip (g, "broadcast", AF_INET, a->broadcast);
  if (a->label[0])
    jg_kv_str (g, "label", a->label);
  gen_name (g, "scope", netconf_scope_names, a->scope);
  if (a->proto)
    jg_kv_uint (g, "proto", a->proto);
  gen_flags (g, "flags", netconf_addr_flag_names, a->flags);
  jg_kv_uint (g, "valid_lft", a->valid_lft);
  jg_kv_uint (g, "preferred_lft", a->preferred_lft);
  if (a->metric)
    jg_kv_uint (g, "metric", a->metric);
  jg_close_map (g);
}

static void
gen_prefix (json_gen_t *g, const char *key, int family, const uint8_t *addr, unsigned len)
{
  char s[INET6_ADDRSTRLEN + 8], a[INET6_ADDRSTRLEN];

  if (len == 0)
    snprintf (s, sizeof (s), "default");
  else
    snprintf (s, sizeof (s), "%s/%u", inet_ntop (family, addr, a, sizeof (a)), len);
  jg_kv_str (g, key, s);
}

static void
gen_route (json_gen_t *g, const struct netconf *c, const struct netconf_route *r)
{
  jg_open_map (g);
  jg_kv_str (g, "family", r->family == AF_INET ? "inet" : "inet6");
  gen_name (g, "table", netconf_table_names, r->table);
  gen_name (g, "type", netconf_route_type_names, r->type);
  gen_name (g, "protocol", netconf_route_proto_names, r->protocol);
  gen_name (g, "scope", netconf_scope_names, r->scope);
  gen_prefix (g, "dst", r->family, r->dst, r->dst_len);
  if (r->src_len)
    gen_prefix (g, "src", r->family, r->src, r->src_len);
  if (r->tos)
    jg_kv_uint (g, "tos", r->tos);
  if (r->has_gateway)
    gen_ip (g, "gateway", r->family, r->gateway);
  if (r->has_prefsrc)
    gen_ip (g, "prefsrc", r->family, r->prefsrc);
  if (r->oif)
    gen_dev (g, "dev", c, r->oif);
  if (r->has_priority)
    jg_kv_uint (g, "metric", r->priority);
  if (r->has_pref)
    gen_name (g, "pref", netconf_pref_names, r->pref);
  if (r->flags & RTNH_F_ONLINK)
    {
      jg_key (g, "flags");
      jg_open_array (g);
      jg_str (g, "onlink");
      jg_close_array (g);
    }
  if (r->metrics_set)
    {
      jg_key (g, "metrics");
      jg_open_map (g);
      for (int i = 0; i < NETCONF_RTAX_MAX; i++)
        if (r->metrics_set & (1U << i))
          {
            const char *name = netconf_name_of (netconf_rtax_names, i);
            char num[16];

            snprintf (num, sizeof (num), "%d", i);
            jg_kv_uint (g, name ? name : num, r->metrics[i]);
          }
      jg_close_map (g);
    }
  if (r->unsupported)
    jg_kv_str (g, "unsupported", r->unsupported);
  jg_close_map (g);
}

int
netconf_to_json (const struct netconf *c, json_gen_t *g, cryo_error_t *err)
{
  jg_open_map (g);
  jg_kv_int (g, "version", NETCONF_VERSION);
  jg_key (g, "links");
  jg_open_array (g);
  for (size_t i = 0; i < c->n_links; i++)
    gen_link (g, c, &c->links[i]);
  jg_close_array (g);
  jg_key (g, "addresses");
  jg_open_array (g);
  for (size_t i = 0; i < c->n_addrs; i++)
    gen_addr (g, c, &c->addrs[i]);
  jg_close_array (g);
  jg_key (g, "routes");
  jg_open_array (g);
  for (size_t i = 0; i < c->n_routes; i++)
    gen_route (g, c, &c->routes[i]);
  jg_close_array (g);
  jg_close_map (g);
  return 0;
}

/* --- reading --- */

/* Where an entry is, for messages: "links[2]". */
struct jw
{
  char at[32];
};

static int
j_keys (json_value_t *obj, const char *const *allowed, const struct jw *w, cryo_error_t *err)
{
  if (!json_is_object (obj))
    return cryo_error (err, 0, "netconf: %s: expected an object, got %s", w->at,
                       json_type_name (obj));
  for (size_t i = 0; i < json_len (obj); i++)
    if (!strv_contains ((char *const *) allowed, json_key_at (obj, i)))
      return cryo_error (err, 0, "netconf: %s: unknown field `%s`", w->at, json_key_at (obj, i));
  return 0;
}

static int
j_uint (json_value_t *obj, const char *key, bool required, uint64_t max, uint64_t *out,
        const struct jw *w, cryo_error_t *err)
{
  json_value_t *v = json_get (obj, key);

  if (v == NULL)
    return required ? cryo_error (err, 0, "netconf: %s: `%s` is missing", w->at, key) : 0;
  if (!json_is_integer (v) || json_integer (v) < 0 || (uint64_t) json_integer (v) > max)
    return cryo_error (err, 0, "netconf: %s.%s: expected an integer from 0 to %" PRIu64, w->at,
                       key, max);
  *out = json_integer (v);
  return 1;
}

static int
j_str (json_value_t *obj, const char *key, bool required, const char **out, const struct jw *w,
       cryo_error_t *err)
{
  json_value_t *v = json_get (obj, key);

  if (v == NULL)
    return required ? cryo_error (err, 0, "netconf: %s: `%s` is missing", w->at, key) : 0;
  if (!json_is_string (v))
    return cryo_error (err, 0, "netconf: %s.%s: expected a string", w->at, key);
  *out = json_string (v);
  return 1;
}

/* A name from @t or a number up to @max. */
static int
j_named (json_value_t *obj, const char *key, const struct netconf_name *t, uint32_t max,
         uint32_t *out, const struct jw *w, cryo_error_t *err)
{
  json_value_t *v = json_get (obj, key);
  uint64_t n;

  if (v == NULL)
    return 0;
  if (json_is_string (v))
    {
      if (!netconf_value_of (t, json_string (v), out))
        return cryo_error (err, 0, "netconf: %s.%s: unknown name `%s`", w->at, key,
                           json_string (v));
      return 1;
    }
  if (j_uint (obj, key, true, max, &n, w, err) < 0)
    return -1;
  *out = n;
  return 1;
}

static int
j_flags (json_value_t *obj, const char *key, const struct netconf_name *t, uint32_t *out,
         const struct jw *w, cryo_error_t *err)
{
  json_value_t *v = json_get (obj, key);

  *out = 0;
  if (v == NULL)
    return 0;
  if (!json_is_array (v))
    return cryo_error (err, 0, "netconf: %s.%s: expected an array of flag names", w->at, key);
  for (size_t i = 0; i < json_len (v); i++)
    {
      const char *name = json_string (json_at (v, i));
      uint32_t bit;

      if (name == NULL || !netconf_value_of (t, name, &bit))
        return cryo_error (err, 0, "netconf: %s.%s: unknown flag `%s`", w->at, key,
                           name ? name : json_type_name (json_at (v, i)));
      *out |= bit;
    }
  return 1;
}

static int
j_ip (json_value_t *obj, const char *key, bool required, int family, uint8_t *out,
      const struct jw *w, cryo_error_t *err)
{
  const char *s;
  int ret = j_str (obj, key, required, &s, w, err);

  if (ret <= 0)
    return ret;
  if (inet_pton (family, s, out) != 1)
    return cryo_error (err, 0, "netconf: %s.%s: `%s` is not an %s address", w->at, key, s,
                       family == AF_INET ? "IPv4" : "IPv6");
  return 1;
}

/* "default" or "ADDR/LEN". */
static int
j_prefix (json_value_t *obj, const char *key, bool required, int family, uint8_t *addr,
          uint8_t *len, const struct jw *w, cryo_error_t *err)
{
  cleanup_free char *copy = NULL;
  const char *s;
  char *slash;
  uint64_t n;
  int ret = j_str (obj, key, required, &s, w, err);

  if (ret <= 0)
    return ret;
  if (strcmp (s, "default") == 0)
    {
      *len = 0;
      return 1;
    }
  copy = xstrdup (s);
  slash = strchr (copy, '/');
  if (slash)
    *slash++ = '\0';
  if (slash == NULL || parse_uint64 (slash, &n) < 0 || n > netconf_addr_len (family) * 8
      || inet_pton (family, copy, addr) != 1)
    return cryo_error (err, 0, "netconf: %s.%s: `%s` is not `default` or ADDRESS/LENGTH", w->at,
                       key, s);
  *len = n;
  return 1;
}

static int
j_family (json_value_t *obj, uint8_t *family, const struct jw *w, cryo_error_t *err)
{
  const char *s;

  if (j_str (obj, "family", true, &s, w, err) < 0)
    return -1;
  if (strcmp (s, "inet") == 0)
    *family = AF_INET;
  else if (strcmp (s, "inet6") == 0)
    *family = AF_INET6;
  else
    return cryo_error (err, 0, "netconf: %s.family: `%s` is not `inet` or `inet6`", w->at, s);
  return 0;
}

/* A device named in an address or route must be one of the links. */
static int
j_dev (const struct netconf *c, json_value_t *obj, const char *key, bool required, int *ifindex,
       const struct jw *w, cryo_error_t *err)
{
  const struct netconf_link *l;
  const char *name;
  int ret = j_str (obj, key, required, &name, w, err);

  if (ret <= 0)
    return ret;
  l = netconf_link_by_name (c, name);
  if (l == NULL)
    return cryo_error (err, 0, "netconf: %s.%s: device `%s` is not among the links", w->at, key,
                       name);
  *ifindex = l->ifindex;
  return 1;
}

static int
j_mac (json_value_t *obj, struct netconf_link *l, const struct jw *w, cryo_error_t *err)
{
  const char *s, *p;
  int ret = j_str (obj, "mac", false, &s, w, err);

  if (ret <= 0 || *s == '\0')
    return ret;
  for (p = s; l->mac_len < NETCONF_MAC_MAX; p += 3)
    {
      unsigned int byte;
      if (sscanf (p, "%2x", &byte) != 1 || !((p[2] == ':' && p[3]) || p[2] == '\0')
          || strspn (p, "0123456789abcdefABCDEF") < 2)
        break;
      l->mac[l->mac_len++] = byte;
      if (p[2] == '\0')
        return 1;
    }
  return cryo_error (err, 0, "netconf: %s.mac: `%s` is not a MAC address", w->at, s);
}

static int
j_link (json_value_t *obj, struct netconf_link *l, const struct jw *w, cryo_error_t *err)
{
  static const char *const keys[] = { "ifindex", "name", "kind", "mtu", "txqlen", "flags",
                                      "mac", "alias", "master", "link", NULL };
  const char *name, *kind = "", *alias = NULL;
  uint64_t n;

  if (j_keys (obj, keys, w, err) < 0 || j_uint (obj, "ifindex", true, INT32_MAX, &n, w, err) < 0)
    return -1;
  l->ifindex = n;
  if (l->ifindex == 0)
    return cryo_error (err, 0, "netconf: %s.ifindex: must not be 0", w->at);
  if (j_str (obj, "name", true, &name, w, err) < 0 || j_str (obj, "kind", false, &kind, w, err) < 0
      || j_str (obj, "alias", false, &alias, w, err) < 0)
    return -1;
  if (*name == '\0' || strlen (name) >= IFNAMSIZ || strlen (kind) >= sizeof (l->kind))
    return cryo_error (err, 0, "netconf: %s: invalid link name `%s` or kind `%s`", w->at, name,
                       kind);
  snprintf (l->name, sizeof (l->name), "%s", name);
  snprintf (l->kind, sizeof (l->kind), "%s", kind);
  l->alias = xstrdup (alias);
  if (j_uint (obj, "mtu", true, UINT32_MAX, &n, w, err) < 0)
    return -1;
  l->mtu = n;
  n = 0;
  if (j_uint (obj, "txqlen", false, UINT32_MAX, &n, w, err) < 0)
    return -1;
  l->txqlen = n;
  if (j_flags (obj, "flags", netconf_link_flag_names, &l->flags, w, err) < 0)
    return -1;
  return j_mac (obj, l, w, err);
}

/* Second pass: master and peer names refer to other links. */
static int
j_link_refs (const struct netconf *c, json_value_t *obj, struct netconf_link *l,
             const struct jw *w, cryo_error_t *err)
{
  static const char *const link_keys[] = { "name", "ifindex", "netnsid", NULL };
  json_value_t *link = json_get (obj, "link");
  struct jw lw;
  uint64_t n;

  if (j_dev (c, obj, "master", false, &l->master, w, err) < 0)
    return -1;
  if (link == NULL)
    return 0;
  snprintf (lw.at, sizeof (lw.at), "%s.link", w->at);
  if (j_keys (link, link_keys, &lw, err) < 0)
    return -1;
  if (json_get (link, "name"))
    return j_dev (c, link, "name", true, &l->link, &lw, err);
  if (j_uint (link, "ifindex", true, INT32_MAX, &n, &lw, err) < 0)
    return -1;
  l->link = n;
  if (j_uint (link, "netnsid", true, INT32_MAX, &n, &lw, err) < 0)
    return -1;
  l->link_netnsid = n;
  return 0;
}

static int
j_addr (const struct netconf *c, json_value_t *obj, struct netconf_addr *a, const struct jw *w,
        cryo_error_t *err)
{
  static const char *const keys[] = { "dev", "family", "address", "prefixlen", "peer",
                                      "broadcast", "label", "scope", "proto", "flags",
                                      "valid_lft", "preferred_lft", "metric", NULL };
  const char *label = "";
  uint32_t scope = 0;
  uint64_t n;
  int ret;

  if (j_keys (obj, keys, w, err) < 0 || j_dev (c, obj, "dev", true, &a->ifindex, w, err) < 0
      || j_family (obj, &a->family, w, err) < 0
      || j_ip (obj, "address", true, a->family, a->local, w, err) < 0
      || j_uint (obj, "prefixlen", true, netconf_addr_len (a->family) * 8, &n, w, err) < 0)
    return -1;
  a->prefixlen = n;
  if ((ret = j_ip (obj, "peer", false, a->family, a->peer, w, err)) < 0)
    return -1;
  a->has_peer = ret;
  if (json_get (obj, "broadcast") && a->family != AF_INET)
    return cryo_error (err, 0, "netconf: %s.broadcast: only IPv4 addresses have one", w->at);
  if ((ret = j_ip (obj, "broadcast", false, AF_INET, a->broadcast, w, err)) < 0)
    return -1;
  a->has_broadcast = ret;
  if (j_str (obj, "label", false, &label, w, err) < 0 || strlen (label) >= IFNAMSIZ)
    return cryo_error (err, 0, "netconf: %s.label: invalid", w->at);
  snprintf (a->label, sizeof (a->label), "%s", label);
  if (j_named (obj, "scope", netconf_scope_names, 255, &scope, w, err) < 0
      || j_flags (obj, "flags", netconf_addr_flag_names, &a->flags, w, err) < 0)
    return -1;
  a->scope = scope;
  n = 0;
  if (j_uint (obj, "proto", false, 255, &n, w, err) < 0)
    return -1;
  a->proto = n;
  a->valid_lft = a->preferred_lft = NETCONF_LIFETIME_FOREVER;
  if ((ret = j_uint (obj, "valid_lft", false, UINT32_MAX, &n, w, err)) < 0)
    return -1;
  if (ret)
    a->valid_lft = n;
  if ((ret = j_uint (obj, "preferred_lft", false, UINT32_MAX, &n, w, err)) < 0)
    return -1;
  if (ret)
    a->preferred_lft = n;
  n = 0;
  if (j_uint (obj, "metric", false, UINT32_MAX, &n, w, err) < 0)
    return -1;
  a->metric = n;
  return 0;
}

static int
j_route_metrics (json_value_t *obj, struct netconf_route *r, const struct jw *w,
                 cryo_error_t *err)
{
  json_value_t *m = json_get (obj, "metrics");
  uint32_t idx;
  uint64_t n;

  if (m == NULL)
    return 0;
  if (!json_is_object (m))
    return cryo_error (err, 0, "netconf: %s.metrics: expected an object", w->at);
  for (size_t i = 0; i < json_len (m); i++)
    {
      const char *key = json_key_at (m, i);

      /* Metrics without a name are written as their number. */
      if (!netconf_value_of (netconf_rtax_names, key, &idx))
        {
          if (parse_uint64 (key, &n) < 0 || n == 0 || n >= NETCONF_RTAX_MAX)
            return cryo_error (err, 0, "netconf: %s.metrics: unknown metric `%s`", w->at, key);
          idx = n;
        }
      if (j_uint (m, key, true, UINT32_MAX, &n, w, err) < 0)
        return -1;
      r->metrics[idx] = n;
      r->metrics_set |= 1U << idx;
    }
  return 0;
}

static int
j_route_names (json_value_t *obj, struct netconf_route *r, const struct jw *w, cryo_error_t *err)
{
  uint32_t type = RTN_UNICAST, proto = RTPROT_BOOT, scope = RT_SCOPE_UNIVERSE, pref, flags = 0;
  int ret;

  r->table = RT_TABLE_MAIN;
  if (j_named (obj, "table", netconf_table_names, UINT32_MAX, &r->table, w, err) < 0
      || j_named (obj, "type", netconf_route_type_names, 255, &type, w, err) < 0
      || j_named (obj, "protocol", netconf_route_proto_names, 255, &proto, w, err) < 0
      || j_named (obj, "scope", netconf_scope_names, 255, &scope, w, err) < 0
      || (ret = j_named (obj, "pref", netconf_pref_names, 255, &pref, w, err)) < 0)
    return -1;
  r->type = type;
  r->protocol = proto;
  r->scope = scope;
  r->has_pref = ret;
  r->pref = ret ? pref : 0;
  if (json_get (obj, "flags"))
    {
      static const struct netconf_name route_flags[] = { { RTNH_F_ONLINK, "onlink" }, { 0, NULL } };
      if (j_flags (obj, "flags", route_flags, &flags, w, err) < 0)
        return -1;
    }
  r->flags = flags;
  return 0;
}

static int
j_route (const struct netconf *c, json_value_t *obj, struct netconf_route *r,
         const struct jw *w, cryo_error_t *err)
{
  static const char *const keys[] = { "family", "table", "type", "protocol", "scope", "dst",
                                      "src", "tos", "gateway", "prefsrc", "dev", "metric",
                                      "pref", "flags", "metrics", "unsupported", NULL };
  const char *unsupported = NULL;
  uint64_t n = 0;
  int ret;

  if (j_keys (obj, keys, w, err) < 0 || j_family (obj, &r->family, w, err) < 0
      || j_route_names (obj, r, w, err) < 0
      || j_prefix (obj, "dst", true, r->family, r->dst, &r->dst_len, w, err) < 0
      || j_prefix (obj, "src", false, r->family, r->src, &r->src_len, w, err) < 0
      || j_uint (obj, "tos", false, 255, &n, w, err) < 0)
    return -1;
  r->tos = n;
  if ((ret = j_ip (obj, "gateway", false, r->family, r->gateway, w, err)) < 0)
    return -1;
  r->has_gateway = ret;
  if ((ret = j_ip (obj, "prefsrc", false, r->family, r->prefsrc, w, err)) < 0)
    return -1;
  r->has_prefsrc = ret;
  if (j_dev (c, obj, "dev", false, &r->oif, w, err) < 0
      || (ret = j_uint (obj, "metric", false, UINT32_MAX, &n, w, err)) < 0)
    return -1;
  r->has_priority = ret;
  r->priority = ret ? n : 0;
  if (j_route_metrics (obj, r, w, err) < 0
      || j_str (obj, "unsupported", false, &unsupported, w, err) < 0)
    return -1;
  r->unsupported = xstrdup (unsupported);
  return 0;
}

static json_value_t *
j_array (json_value_t *root, const char *key, cryo_error_t *err)
{
  json_value_t *v = json_get (root, key);

  if (!json_is_array (v))
    cryo_error (err, 0, "netconf: `%s` must be an array", key);
  return json_is_array (v) ? v : NULL;
}

int
netconf_from_json (json_value_t *v, struct netconf **out, cryo_error_t *err)
{
  static const char *const keys[] = { "version", "links", "addresses", "routes", NULL };
  cleanup_netconf struct netconf *c = xzalloc (sizeof (*c));
  json_value_t *links, *addrs, *routes;
  struct jw w = { "netconf" };
  uint64_t version;

  if (j_keys (v, keys, &w, err) < 0 || j_uint (v, "version", true, UINT32_MAX, &version, &w, err) < 0)
    return -1;
  if (version != NETCONF_VERSION)
    return cryo_error (err, 0, "netconf: version %" PRIu64 " is not supported (this cryo reads %d)",
                       version, NETCONF_VERSION);
  if ((links = j_array (v, "links", err)) == NULL || (addrs = j_array (v, "addresses", err)) == NULL
      || (routes = j_array (v, "routes", err)) == NULL)
    return -1;
  for (size_t i = 0; i < json_len (links); i++)
    {
      snprintf (w.at, sizeof (w.at), "links[%zu]", i);
      if (j_link (json_at (links, i), netconf_add_link (c), &w, err) < 0)
        return -1;
      if (netconf_link_by_name (c, c->links[i].name) != &c->links[i]
          || netconf_link_by_index (c, c->links[i].ifindex) != &c->links[i])
        return cryo_error (err, 0, "netconf: %s: name `%s` or ifindex %d is used twice", w.at,
                           c->links[i].name, c->links[i].ifindex);
    }
  for (size_t i = 0; i < json_len (links); i++)
    {
      snprintf (w.at, sizeof (w.at), "links[%zu]", i);
      if (j_link_refs (c, json_at (links, i), &c->links[i], &w, err) < 0)
        return -1;
    }
  for (size_t i = 0; i < json_len (addrs); i++)
    {
      snprintf (w.at, sizeof (w.at), "addresses[%zu]", i);
      if (j_addr (c, json_at (addrs, i), netconf_add_addr (c), &w, err) < 0)
        return -1;
    }
  for (size_t i = 0; i < json_len (routes); i++)
    {
      snprintf (w.at, sizeof (w.at), "routes[%zu]", i);
      if (j_route (c, json_at (routes, i), netconf_add_route (c), &w, err) < 0)
        return -1;
    }
  *out = steal_pointer (&c);
  return 0;
}
