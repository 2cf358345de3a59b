/* Sockets, as sock_diag reports them in every network namespace of the
 * host: a unix socket whose peer (or pending connection, or connected
 * datagram sender) is held by an outside process, and TCP/UDP sockets
 * connected outside the container's network namespace, or established TCP
 * connections when the checkpoint will not dump them (--tcp-established).
 *
 * A peer is found by inode (UNIX_DIAG_PEER, UNIX_DIAG_ICONS), and who holds
 * it by the fd index; an inet peer by the reverse 4-tuple in the same
 * network namespace, then in the others (a veth pair on this host). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leak/internal.h"
#include "ns/sockdiag.h"
#include "lib/util.h"

void
lk_socks_clear (struct lk_socks *s)
{
  for (size_t i = 0; i < s->n_unix; i++)
    {
      free (s->unix_[i].name);
      free (s->unix_[i].icons);
    }
  free (s->unix_);
  free (s->inet);
  memset (s, 0, sizeof (*s));
}

/* The first container fd on socket @ino, LK_NONE when the container does
 * not hold it; *outside gets whether an outside process holds it. */
static uint32_t
socket_holders (const struct lk_ctx *c, uint64_t ino, uint32_t *outside)
{
  const struct lk_index *idx = c->idx;
  uint32_t in = LK_NONE;

  *outside = LK_NONE;
  for (uint32_t i = lk_hash_first (&idx->fd_by_obj, lk_key (idx->sockfs_dev, ino)); i != LK_NONE;
       i = lk_hash_next (&idx->fd_by_obj, i))
    {
      const struct lk_fd *f = &idx->fds[i];
      if (f->dev != idx->sockfs_dev || f->ino != ino)
        continue;
      if (lk_covered (c, f->proc))
        in = in == LK_NONE || f->fd < idx->fds[in].fd ? i : in;
      else if (*outside == LK_NONE)
        *outside = i;
    }
  return in;
}

void
lk_socks_container (struct lk_ctx *c)
{
  const struct lk_index *idx = c->idx;
  size_t n = idx->in ? idx->n_in : idx->n_fds;

  c->socks = xmalloc ((n + 1) * sizeof (*c->socks));
  c->n_socks = 0;
  for (size_t i = 0; i < n; i++)
    {
      bool sock = idx->in ? S_ISSOCK (idx->in[i].mode) : S_ISSOCK (idx->fds[i].mode) && lk_covered (c, idx->fds[i].proc);
      if (sock)
        c->socks[c->n_socks++] = idx->in ? idx->in[i].ino : idx->fds[i].ino;
    }
  lk_hash_init (&c->sock_by_ino, c->n_socks);
  for (size_t i = 0; i < c->n_socks; i++)
    lk_hash_add (&c->sock_by_ino, c->socks[i], (uint32_t) i);
}

/* Whether a container process holds socket @ino. */
static bool
container_socket (const struct lk_ctx *c, uint64_t ino)
{
  for (uint32_t i = lk_hash_first (&c->sock_by_ino, ino); i != LK_NONE; i = lk_hash_next (&c->sock_by_ino, i))
    if (c->socks[i] == ino)
      return true;
  return false;
}

static struct leak *
sock_leak (struct lk_ctx *c, enum leak_kind kind, uint32_t fd_index, uint32_t holder, const char *holder_path,
           const char *object, const char *detail)
{
  const struct lk_fd *f = &c->idx->fds[fd_index];
  struct leak *l = lk_add (c, kind, f->proc, f->fd, holder, holder_path, object, detail);

  l->obj_dev = f->dev;
  l->obj_ino = f->ino;
  return l;
}

struct unix_tables
{
  struct lk_hash by_ino, by_peer;
  struct lk_hash by_icon;   /* a pending client's inode -> its listener */
  size_t n_icons;
  uint32_t *icon_owner;
  uint64_t *icon_ino;
};

static void
unix_tables_build (struct unix_tables *t, const struct lk_socks *s)
{
  size_t k = 0;

  memset (t, 0, sizeof (*t));
  for (size_t i = 0; i < s->n_unix; i++)
    t->n_icons += s->unix_[i].n_icons;
  lk_hash_init (&t->by_ino, s->n_unix);
  lk_hash_init (&t->by_peer, s->n_unix);
  lk_hash_init (&t->by_icon, t->n_icons);
  t->icon_owner = xmalloc ((t->n_icons + 1) * sizeof (uint32_t));
  t->icon_ino = xmalloc ((t->n_icons + 1) * sizeof (uint64_t));
  for (size_t i = 0; i < s->n_unix; i++)
    {
      lk_hash_add (&t->by_ino, s->unix_[i].ino, i);
      if (s->unix_[i].peer)
        lk_hash_add (&t->by_peer, s->unix_[i].peer, i);
      for (size_t j = 0; j < s->unix_[i].n_icons; j++, k++)
        {
          t->icon_owner[k] = i;
          t->icon_ino[k] = s->unix_[i].icons[j];
          lk_hash_add (&t->by_icon, s->unix_[i].icons[j], k);
        }
    }
}

static void
unix_tables_free (struct unix_tables *t)
{
  lk_hash_free (&t->by_ino);
  lk_hash_free (&t->by_peer);
  lk_hash_free (&t->by_icon);
  free (t->icon_owner);
  free (t->icon_ino);
}

static const struct lk_unix *
unix_find (const struct unix_tables *t, const struct lk_socks *s, uint64_t ino)
{
  for (uint32_t i = lk_hash_first (&t->by_ino, ino); i != LK_NONE; i = lk_hash_next (&t->by_ino, i))
    if (s->unix_[i].ino == ino)
      return &s->unix_[i];
  return NULL;
}

static char *
unix_name (uint64_t ino, const char *name)
{
  return name ? xasprintf ("socket:[%" PRIu64 "] `%s`", ino, name) : xasprintf ("socket:[%" PRIu64 "]", ino);
}

/* Report partner socket @q_ino (@q when the dump has it) of container
 * socket @u if an outside process holds it. */
static void
unix_partner (struct lk_ctx *c, const struct lk_unix *u, uint32_t fd_index, uint64_t q_ino,
              const struct lk_unix *q, const char *how)
{
  uint32_t outside;
  cleanup_free char *object = NULL, *detail = NULL, *a = NULL, *b = NULL;

  if (q_ino == 0 || q_ino == u->ino)
    return;
  if (socket_holders (c, q_ino, &outside) != LK_NONE && outside == LK_NONE)
    return; /* inside */
  if (outside == LK_NONE)
    return; /* nobody holds it: a socket in flight or being closed */
  a = unix_name (u->ino, u->name);
  b = unix_name (q_ino, q ? q->name : NULL);
  object = xasprintf ("unix %s -> %s", a, b);
  detail = xasprintf ("%s held by an outside process", how);
  sock_leak (c, LEAK_UNIX, fd_index, c->idx->fds[outside].proc, NULL, object, detail);
}

/* Each partner of container socket @u: its peer, the listener it waits
 * on, the sockets connected to it, the clients waiting on it.  A pending
 * connection has no socket on the server side yet: the client's peer is 0
 * and the listener names the client in its icons. */
typedef void (*unix_partner_fn) (void *data, const struct lk_unix *u, uint64_t q_ino, const struct lk_unix *q,
                                 const char *how);

static void
unix_partners (const struct unix_tables *t, const struct lk_socks *s, const struct lk_unix *u, unix_partner_fn fn,
               void *data)
{
  if (u->peer)
    fn (data, u, u->peer, unix_find (t, s, u->peer), "its peer is");
  for (uint32_t k = lk_hash_first (&t->by_icon, u->ino); k != LK_NONE; k = lk_hash_next (&t->by_icon, k))
    if (t->icon_ino[k] == u->ino)
      {
        const struct lk_unix *l = &s->unix_[t->icon_owner[k]];
        fn (data, u, l->ino, l, "it waits to be accepted by a listener");
      }
  /* Sockets connected to this one without being its peer (datagram senders). */
  for (uint32_t i = lk_hash_first (&t->by_peer, u->ino); i != LK_NONE; i = lk_hash_next (&t->by_peer, i))
    if (s->unix_[i].peer == u->ino && s->unix_[i].ino != u->peer)
      fn (data, u, s->unix_[i].ino, &s->unix_[i], "a socket connected to it is");
  for (size_t j = 0; j < u->n_icons; j++)
    fn (data, u, u->icons[j], unix_find (t, s, u->icons[j]), "a client waiting to be accepted is");
}

struct unix_check
{
  struct lk_ctx *c;
  uint32_t fd_index;
};

static void
unix_check_partner (void *data, const struct lk_unix *u, uint64_t q_ino, const struct lk_unix *q, const char *how)
{
  struct unix_check *k = data;

  unix_partner (k->c, u, k->fd_index, q_ino, q, how);
}

void
lk_check_unix (struct lk_ctx *c, const struct lk_socks *s)
{
  struct unix_tables t;

  if (c->idx->sockfs_dev == 0)
    return;
  unix_tables_build (&t, s);
  for (size_t i = 0; i < s->n_unix; i++)
    {
      uint32_t outside;
      struct unix_check k = { c, socket_holders (c, s->unix_[i].ino, &outside) };
      if (k.fd_index != LK_NONE)
        unix_partners (&t, s, &s->unix_[i], unix_check_partner, &k);
    }
  unix_tables_free (&t);
}

static bool
inet_connected (const struct lk_inet *k)
{
  if (k->protocol == IPPROTO_UDP)
    return k->dport != 0;
  switch (k->state)
    {
    case TCP_ESTABLISHED:
    case TCP_SYN_SENT:
    case TCP_SYN_RECV:
    case TCP_FIN_WAIT1:
    case TCP_FIN_WAIT2:
    case TCP_CLOSE_WAIT:
    case TCP_LAST_ACK:
    case TCP_CLOSING:
      return true;
    default:
      return false;
    }
}

static uint64_t
tuple_key (uint8_t proto, const uint8_t *src, uint16_t sport, const uint8_t *dst, uint16_t dport)
{
  uint64_t h = proto;

  for (int i = 0; i < 16; i += 8)
    {
      uint64_t a, b;
      memcpy (&a, src + i, 8);
      memcpy (&b, dst + i, 8);
      h = lk_key (h ^ a, b);
    }
  return lk_key (h, (uint64_t) sport << 16 | dport);
}

/* The socket at the other end of @k: its reverse 4-tuple, in @k's network
 * namespace (@same_netns) or in any other one. */
static const struct lk_inet *
inet_reverse (const struct lk_hash *h, const struct lk_socks *s, const struct lk_inet *k, bool same_netns)
{
  for (uint32_t i = lk_hash_first (h, tuple_key (k->protocol, k->dst, k->dport, k->src, k->sport));
       i != LK_NONE; i = lk_hash_next (h, i))
    {
      const struct lk_inet *r = &s->inet[i];
      if (r->protocol != k->protocol || r->sport != k->dport || r->dport != k->sport || memcmp (r->src, k->dst, 16)
          || memcmp (r->dst, k->src, 16) || r == k)
        continue;
      if ((r->netns == k->netns) == same_netns)
        return r;
    }
  return NULL;
}

static char *
endpoint (const struct lk_inet *k, const uint8_t *addr, uint16_t port)
{
  char buf[INET6_ADDRSTRLEN];

  inet_ntop (k->family, addr, buf, sizeof (buf));
  return k->family == AF_INET6 ? xasprintf ("[%s]:%u", buf, port) : xasprintf ("%s:%u", buf, port);
}

static void
check_inet_socket (struct lk_ctx *c, const struct lk_hash *h, const struct lk_socks *s, const struct lk_inet *k,
                   uint32_t fd_index)
{
  enum leak_kind kind = k->protocol == IPPROTO_TCP ? LEAK_TCP : LEAK_UDP;
  cleanup_free char *src = endpoint (k, k->src, k->sport), *dst = endpoint (k, k->dst, k->dport);
  cleanup_free char *object = xasprintf ("%s %s -> %s", kind == LEAK_TCP ? "tcp" : "udp", src, dst);
  const struct lk_inet *r = inet_reverse (h, s, k, true);
  uint32_t outside = LK_NONE;

  if (r && (r->ino == 0 || socket_holders (c, r->ino, &outside) != LK_NONE || outside == LK_NONE))
    {
      /* Both ends inside the container's network namespace. */
      if (kind == LEAK_TCP && !c->tcp_established)
        sock_leak (c, kind, fd_index, LK_NONE, NULL, object,
                   "an established TCP connection: checkpoint with --tcp-established to dump it");
      return;
    }
  if (r)
    {
      sock_leak (c, kind, fd_index, c->idx->fds[outside].proc, NULL, object,
                 "connected to a socket held by an outside process");
      return;
    }
  r = inet_reverse (h, s, k, false);
  if (r && r->ino)
    socket_holders (c, r->ino, &outside);
  sock_leak (c, kind, fd_index, outside == LK_NONE ? LK_NONE : c->idx->fds[outside].proc,
             outside == LK_NONE ? dst : NULL, object, "connected outside the container's network namespace");
}

static void
inet_hash (struct lk_hash *h, const struct lk_socks *s)
{
  lk_hash_init (h, s->n_inet);
  for (size_t i = 0; i < s->n_inet; i++)
    {
      const struct lk_inet *k = &s->inet[i];
      lk_hash_add (h, tuple_key (k->protocol, k->src, k->sport, k->dst, k->dport), i);
    }
}

void
lk_check_inet (struct lk_ctx *c, const struct lk_socks *s)
{
  struct lk_hash h;

  if (c->idx->sockfs_dev == 0)
    return;
  inet_hash (&h, s);
  for (size_t i = 0; i < s->n_inet; i++)
    {
      uint32_t outside, fd_index;
      if (!inet_connected (&s->inet[i]) || s->inet[i].ino == 0)
        continue;
      fd_index = socket_holders (c, s->inet[i].ino, &outside);
      if (fd_index != LK_NONE)
        check_inet_socket (c, &h, s, &s->inet[i], fd_index);
    }
  lk_hash_free (&h);
}

static void
append_dump (struct lk_socks *s, const struct sockdiag *d, uint64_t netns)
{
  s->unix_ = xreallocarray (s->unix_, s->n_unix + d->n_unix + 1, sizeof (*s->unix_));
  for (size_t i = 0; i < d->n_unix; i++)
    {
      const struct sockdiag_unix *u = &d->unix_socks[i];
      struct lk_unix *o = &s->unix_[s->n_unix++];
      *o = (struct lk_unix) { .ino = u->inode, .peer = u->peer, .netns = netns, .type = u->type,
                              .state = u->state, .name = xstrdup (u->name), .n_icons = u->n_icons };
      if (u->n_icons)
        {
          o->icons = xmalloc (u->n_icons * sizeof (uint64_t));
          memcpy (o->icons, u->icons, u->n_icons * sizeof (uint64_t));
        }
    }
  s->inet = xreallocarray (s->inet, s->n_inet + d->n_inet + 1, sizeof (*s->inet));
  for (size_t i = 0; i < d->n_inet; i++)
    {
      const struct sockdiag_inet *k = &d->inet[i];
      struct lk_inet *o = &s->inet[s->n_inet++];
      *o = (struct lk_inet) { .ino = k->inode, .netns = netns, .family = k->family, .protocol = k->protocol,
                              .state = k->state, .sport = k->sport, .dport = k->dport };
      memcpy (o->src, k->src, 16);
      memcpy (o->dst, k->dst, 16);
    }
}

/* Enter the network namespace of @pid, dump it, come back to @home.
 * Returns 1 when the process is gone (another one may stand in). */
static int
dump_netns (pid_t pid, uint64_t netns, unsigned int what, int home, struct lk_socks *s, cryo_error_t *err)
{
  cleanup_free char *path = xasprintf ("/proc/%d/ns/net", pid);
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  cleanup_sockdiag struct sockdiag *d = NULL;
  int ret;

  if (fd < 0)
    return errno == ENOENT || errno == ESRCH ? 1 : cryo_error (err, errno, "open `%s`", path);
  if (setns (fd, CLONE_NEWNET) < 0)
    return cryo_error (err, errno, "enter the network namespace of pid %d", pid);
  ret = sockdiag_dump_some (&d, what, err);
  /* Back home before anything else: the runtime must not stay inside. */
  if (setns (home, CLONE_NEWNET) < 0)
    return cryo_error (err, errno, "return to the runtime's network namespace");
  if (ret < 0)
    return cryo_error_wrap (err, "sockets of the network namespace of pid %d", pid);
  append_dump (s, d, netns);
  return 0;
}

struct netns_set
{
  struct lk_hash seen;
  uint64_t *done;
  size_t n;
};

static void
netns_set_init (struct netns_set *set, size_t n_procs)
{
  set->done = xzalloc ((n_procs + 1) * sizeof (uint64_t));
  set->n = 0;
  lk_hash_init (&set->seen, n_procs);
}

static void
netns_set_free (struct netns_set *set)
{
  free (set->done);
  lk_hash_free (&set->seen);
}

/* Dump @what of the network namespaces of the container's processes
 * (@covered_only) or of every process, each namespace once per @set. */
static int
dump_namespaces (struct lk_ctx *c, struct lk_socks *s, struct netns_set *set, bool covered_only, unsigned int what,
                 int home, cryo_error_t *err)
{
  struct lk_index *idx = c->idx;

  for (uint32_t i = 0; i < idx->n_procs; i++)
    {
      uint64_t netns = idx->procs[i].ns[NS_NET];
      bool known = false;
      int ret;
      if (netns == 0 || (covered_only && !lk_covered (c, i)))
        continue;
      for (uint32_t k = lk_hash_first (&set->seen, netns); k != LK_NONE && !known; k = lk_hash_next (&set->seen, k))
        known = set->done[k] == netns;
      if (known)
        continue;
      ret = dump_netns (idx->procs[i].pid, netns, what, home, s, err);
      if (ret < 0)
        return -1;
      if (ret == 0)
        {
          set->done[set->n] = netns;
          lk_hash_add (&set->seen, netns, set->n++);
        }
    }
  return 0;
}

/* Whether the container's sockets have partners that only the other
 * network namespaces can name: a pending connection (the listener lists
 * the client, the client does not list the listener), a datagram socket
 * (its senders list it), a connection that leaves the namespace. */
static bool
needs_other_namespaces (const struct lk_ctx *c, const struct lk_socks *s)
{
  struct lk_hash h;
  bool more = false;

  for (size_t i = 0; i < s->n_unix; i++)
    {
      const struct lk_unix *u = &s->unix_[i];
      if ((u->type == SOCK_DGRAM || (u->peer == 0 && u->state == TCP_ESTABLISHED)) && container_socket (c, u->ino))
        return true;
    }
  inet_hash (&h, s);
  for (size_t i = 0; i < s->n_inet && !more; i++)
    more = inet_connected (&s->inet[i]) && s->inet[i].ino && container_socket (c, s->inet[i].ino)
           && inet_reverse (&h, s, &s->inet[i], true) == NULL;
  lk_hash_free (&h);
  return more;
}

/* Whether the container holds a socket that is not among the unix sockets
 * dumped so far: a TCP or UDP one maybe (or a netlink, packet... one, or a
 * unix socket of another namespace).  Without any, no inet socket can be
 * the container's and the TCP dumps, the costliest part, are not needed. */
static bool
has_other_sockets (const struct lk_ctx *c, const struct lk_socks *s)
{
  struct lk_hash h;
  bool other = false;

  lk_hash_init (&h, s->n_unix);
  for (size_t i = 0; i < s->n_unix; i++)
    lk_hash_add (&h, s->unix_[i].ino, i);
  for (size_t i = 0; i < c->n_socks && !other; i++)
    {
      bool unix_ = false;
      for (uint32_t k = lk_hash_first (&h, c->socks[i]); k != LK_NONE && !unix_; k = lk_hash_next (&h, k))
        unix_ = s->unix_[k].ino == c->socks[i];
      other = !unix_;
    }
  lk_hash_free (&h);
  return other;
}

/* The sockets of the container's network namespaces (unix first, TCP and
 * UDP only when the container may hold one), and of every other one on the
 * host when a partner may be there; each namespace is dumped once, through
 * whichever process is in it. */
int
lk_socks_collect (struct lk_ctx *c, struct lk_socks *s, cryo_error_t *err)
{
  cleanup_close int home = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  struct netns_set unix_set, inet_set;
  unsigned int what = SOCKDIAG_UNIX;
  int ret;

  if (home < 0)
    return cryo_error (err, errno, "open `/proc/self/ns/net`");
  netns_set_init (&unix_set, c->idx->n_procs);
  netns_set_init (&inet_set, c->idx->n_procs);
  ret = dump_namespaces (c, s, &unix_set, true, SOCKDIAG_UNIX, home, err);
  if (ret == 0 && has_other_sockets (c, s))
    {
      what |= SOCKDIAG_INET;
      ret = dump_namespaces (c, s, &inet_set, true, SOCKDIAG_INET, home, err);
    }
  if (ret == 0 && needs_other_namespaces (c, s))
    ret = dump_namespaces (c, s, &unix_set, false, what, home, err);
  netns_set_free (&unix_set);
  netns_set_free (&inet_set);
  return ret;
}

struct inode_list
{
  const struct lk_ctx *c;
  uint64_t *inodes;
  size_t n, cap;
};

static void
inode_list_add (const struct lk_ctx *c, struct inode_list *l, uint64_t ino)
{
  /* A socket has one description: the container's are in the filter as
   * such, and their reference counts tell whether the outside holds one. */
  if (ino == 0 || container_socket (c, ino))
    return;
  if (l->n == l->cap)
    {
      l->cap = l->cap ? 2 * l->cap : 16;
      l->inodes = xreallocarray (l->inodes, l->cap, sizeof (*l->inodes));
    }
  l->inodes[l->n++] = ino;
}

static void
unix_list_partner (void *data, const struct lk_unix *u UNUSED, uint64_t q_ino, const struct lk_unix *q UNUSED,
                   const char *how UNUSED)
{
  struct inode_list *l = data;

  inode_list_add (l->c, l, q_ino);
}

/* The same partners lk_check_unix() and lk_check_inet() ask socket_holders()
 * about, so that the filtered walk lets those through; but for the
 * container's own (see inode_list_add). */
size_t
lk_socks_partners (const struct lk_ctx *c, const struct lk_socks *s, uint64_t **inodes)
{
  struct inode_list l = { .c = c };
  struct unix_tables t;
  struct lk_hash h;

  unix_tables_build (&t, s);
  for (size_t i = 0; i < s->n_unix; i++)
    if (container_socket (c, s->unix_[i].ino))
      unix_partners (&t, s, &s->unix_[i], unix_list_partner, &l);
  unix_tables_free (&t);
  inet_hash (&h, s);
  for (size_t i = 0; i < s->n_inet; i++)
    {
      const struct lk_inet *k = &s->inet[i], *r;
      if (!inet_connected (k) || k->ino == 0 || !container_socket (c, k->ino))
        continue;
      if ((r = inet_reverse (&h, s, k, true)) != NULL)
        inode_list_add (c, &l, r->ino);
      if ((r = inet_reverse (&h, s, k, false)) != NULL)
        inode_list_add (c, &l, r->ino);
    }
  lk_hash_free (&h);
  *inodes = l.inodes;
  return l.n;
}
