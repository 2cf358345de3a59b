/* sock_diag dumps: one SOCK_DIAG_BY_FAMILY request per family (and per
 * protocol for inet), over the shared netlink helpers. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "ns/netlink.h"
#include "ns/sockdiag.h"
#include "lib/util.h"

/* Every state (TCP numbering has 12; NEW_SYN_RECV and BOUND_INACTIVE come after). */
#define ALL_STATES 0xffffffffU

const char *
sockdiag_state_name (uint8_t state)
{
  static const char *const names[] = {
    [TCP_ESTABLISHED] = "ESTAB",   [TCP_SYN_SENT] = "SYN-SENT",     [TCP_SYN_RECV] = "SYN-RECV",
    [TCP_FIN_WAIT1] = "FIN-WAIT-1", [TCP_FIN_WAIT2] = "FIN-WAIT-2", [TCP_TIME_WAIT] = "TIME-WAIT",
    [TCP_CLOSE] = "UNCONN",        [TCP_CLOSE_WAIT] = "CLOSE-WAIT", [TCP_LAST_ACK] = "LAST-ACK",
    [TCP_LISTEN] = "LISTEN",       [TCP_CLOSING] = "CLOSING",
  };

  return state < ARRAY_SIZE (names) && names[state] ? names[state] : "UNKNOWN";
}

void
sockdiag_free (struct sockdiag *d)
{
  if (d == NULL)
    return;
  for (size_t i = 0; i < d->n_unix; i++)
    {
      free (d->unix_socks[i].name);
      free (d->unix_socks[i].icons);
    }
  free (d->unix_socks);
  free (d->inet);
  free (d);
}

void
cleanup_sockdiagp (struct sockdiag **d)
{
  sockdiag_free (*d);
  *d = NULL;
}

const struct sockdiag_unix *
sockdiag_find_unix (const struct sockdiag *d, uint64_t inode)
{
  for (size_t i = 0; i < d->n_unix; i++)
    if (d->unix_socks[i].inode == inode)
      return &d->unix_socks[i];
  return NULL;
}

const struct sockdiag_inet *
sockdiag_find_inet (const struct sockdiag *d, uint64_t inode)
{
  for (size_t i = 0; i < d->n_inet; i++)
    if (d->inet[i].inode == inode)
      return &d->inet[i];
  return NULL;
}

/* An abstract name starts with a NUL and may hold more: shown as '@',
 * the way ss(8) does. */
static char *
unix_name (const struct nlattr *a)
{
  size_t len = mnl_attr_get_payload_len (a);
  const char *p = mnl_attr_get_payload (a);
  char *name;

  if (len == 0)
    return NULL;
  if (p[0] != '\0')
    return xstrndup (p, len);
  name = xmalloc (len + 1);
  for (size_t i = 0; i < len; i++)
    name[i] = p[i] ? p[i] : '@';
  name[len] = '\0';
  return name;
}

static void
unix_attrs (struct sockdiag_unix *u, const struct nlattr **tb)
{
  uint32_t peer;

  if (tb[UNIX_DIAG_NAME])
    u->name = unix_name (tb[UNIX_DIAG_NAME]);
  if (tb[UNIX_DIAG_VFS] && mnl_attr_get_payload_len (tb[UNIX_DIAG_VFS]) >= sizeof (struct unix_diag_vfs))
    {
      const struct unix_diag_vfs *vfs = mnl_attr_get_payload (tb[UNIX_DIAG_VFS]);
      u->has_vfs = true;
      u->vfs_dev = vfs->udiag_vfs_dev;
      u->vfs_ino = vfs->udiag_vfs_ino;
    }
  if (nl_attr_u32 (tb[UNIX_DIAG_PEER], &peer))
    u->peer = peer;
  if (tb[UNIX_DIAG_ICONS])
    {
      const uint32_t *icons = mnl_attr_get_payload (tb[UNIX_DIAG_ICONS]);
      u->n_icons = mnl_attr_get_payload_len (tb[UNIX_DIAG_ICONS]) / sizeof (uint32_t);
      u->icons = xreallocarray (NULL, u->n_icons + 1, sizeof (*u->icons));
      for (size_t i = 0; i < u->n_icons; i++)
        u->icons[i] = icons[i];
    }
  if (tb[UNIX_DIAG_RQLEN] && mnl_attr_get_payload_len (tb[UNIX_DIAG_RQLEN]) >= sizeof (struct unix_diag_rqlen))
    {
      const struct unix_diag_rqlen *rq = mnl_attr_get_payload (tb[UNIX_DIAG_RQLEN]);
      u->rqlen = rq->udiag_rqueue;
      u->wqlen = rq->udiag_wqueue;
    }
}

static int
unix_cb (const struct nlmsghdr *nlh, void *data, cryo_error_t *err)
{
  const struct unix_diag_msg *m = mnl_nlmsg_get_payload (nlh);
  const struct nlattr *tb[UNIX_DIAG_MAX + 1];
  struct sockdiag *d = data;
  struct sockdiag_unix *u;

  if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
    return 0;
  if (nl_parse_attrs (nlh, sizeof (*m), tb, UNIX_DIAG_MAX) < 0)
    return cryo_error (err, EBADMSG, "malformed unix socket message");
  d->unix_socks = xreallocarray (d->unix_socks, d->n_unix + 1, sizeof (*d->unix_socks));
  u = &d->unix_socks[d->n_unix++];
  memset (u, 0, sizeof (*u));
  u->inode = m->udiag_ino;
  u->type = m->udiag_type;
  u->state = m->udiag_state;
  unix_attrs (u, tb);
  return 0;
}

static int
dump_unix (struct nl_sock *s, struct sockdiag *d, cryo_error_t *err)
{
  char buf[NL_REQ_SIZE];
  struct nlmsghdr *nlh = nl_msg_start (s, buf, SOCK_DIAG_BY_FAMILY, 0);
  struct unix_diag_req *req = mnl_nlmsg_put_extra_header (nlh, sizeof (*req));

  req->sdiag_family = AF_UNIX;
  req->udiag_states = ALL_STATES;
  req->udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER | UDIAG_SHOW_ICONS
                    | UDIAG_SHOW_RQLEN;
  if (nl_dump (s, nlh, unix_cb, d, err) < 0)
    return cryo_error_wrap (err, "list unix sockets");
  return 0;
}

struct inet_ctx
{
  struct sockdiag *d;
  uint8_t protocol;
};

static int
inet_cb (const struct nlmsghdr *nlh, void *data, cryo_error_t *err)
{
  const struct inet_diag_msg *m = mnl_nlmsg_get_payload (nlh);
  const struct nlattr *tb[INET_DIAG_MAX + 1];
  struct inet_ctx *ctx = data;
  struct sockdiag_inet *s;
  uint8_t v6only = 0;

  if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
    return 0;
  if (nl_parse_attrs (nlh, sizeof (*m), tb, INET_DIAG_MAX) < 0)
    return cryo_error (err, EBADMSG, "malformed inet socket message");
  if (m->idiag_inode == 0) /* TIME_WAIT or a request: no socket behind it */
    return 0;
  ctx->d->inet = xreallocarray (ctx->d->inet, ctx->d->n_inet + 1, sizeof (*ctx->d->inet));
  s = &ctx->d->inet[ctx->d->n_inet++];
  memset (s, 0, sizeof (*s));
  s->inode = m->idiag_inode;
  s->family = m->idiag_family;
  s->protocol = ctx->protocol;
  s->state = m->idiag_state;
  memcpy (s->src, m->id.idiag_src, m->idiag_family == AF_INET ? 4 : 16);
  memcpy (s->dst, m->id.idiag_dst, m->idiag_family == AF_INET ? 4 : 16);
  s->sport = ntohs (m->id.idiag_sport);
  s->dport = ntohs (m->id.idiag_dport);
  s->ifindex = m->id.idiag_if;
  s->uid = m->idiag_uid;
  if (nl_attr_u8 (tb[INET_DIAG_SKV6ONLY], &v6only))
    s->v6only = v6only;
  return 0;
}

static int
dump_inet (struct nl_sock *s, struct sockdiag *d, uint8_t family, uint8_t protocol,
           cryo_error_t *err)
{
  char buf[NL_REQ_SIZE];
  struct nlmsghdr *nlh = nl_msg_start (s, buf, SOCK_DIAG_BY_FAMILY, 0);
  struct inet_diag_req_v2 *req = mnl_nlmsg_put_extra_header (nlh, sizeof (*req));
  struct inet_ctx ctx = { d, protocol };

  req->sdiag_family = family;
  req->sdiag_protocol = protocol;
  req->idiag_states = ALL_STATES;
  if (nl_dump (s, nlh, inet_cb, &ctx, err) < 0)
    return cryo_error_wrap (err, "list %s%s sockets", protocol == IPPROTO_TCP ? "TCP" : "UDP",
                            family == AF_INET ? "v4" : "v6");
  return 0;
}

int
sockdiag_dump (struct sockdiag **out, cryo_error_t *err)
{
  return sockdiag_dump_some (out, SOCKDIAG_UNIX | SOCKDIAG_INET, err);
}

int
sockdiag_dump_some (struct sockdiag **out, unsigned int what, cryo_error_t *err)
{
  static const struct
  {
    uint8_t family, protocol;
  } inet[] = {
    { AF_INET, IPPROTO_TCP }, { AF_INET6, IPPROTO_TCP },
    { AF_INET, IPPROTO_UDP }, { AF_INET6, IPPROTO_UDP },
  };
  cleanup_nl_sock struct nl_sock *s = NULL;
  cleanup_sockdiag struct sockdiag *d = xzalloc (sizeof (*d));

  if (nl_open (NETLINK_SOCK_DIAG, &s, err) < 0 || ((what & SOCKDIAG_UNIX) && dump_unix (s, d, err) < 0))
    return cryo_error_wrap (err, "sock_diag");
  for (size_t i = 0; i < ARRAY_SIZE (inet) && (what & SOCKDIAG_INET); i++)
    if (dump_inet (s, d, inet[i].family, inet[i].protocol, err) < 0)
      return cryo_error_wrap (err, "sock_diag");
  *out = steal_pointer (&d);
  return 0;
}
