#include "config.h"

#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>

#include "ns/netlink.h"
#include "lib/util.h"

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

int
nl_open (int bus, struct nl_sock **out, cryo_error_t *err)
{
  cleanup_nl_sock struct nl_sock *s = xzalloc (sizeof (*s));
  int one = 1;

  s->bus = bus;
  s->mnl = mnl_socket_open2 (bus, SOCK_CLOEXEC);
  if (s->mnl == NULL)
    return cryo_error (err, errno, "open netlink socket (bus %d)", bus);
  /* Extended acks carry the kernel's reason for a refusal; capped acks keep
   * the request out of the reply.  Old kernels lack them: not fatal. */
  (void) mnl_socket_setsockopt (s->mnl, NETLINK_EXT_ACK, &one, sizeof (one));
  (void) mnl_socket_setsockopt (s->mnl, NETLINK_CAP_ACK, &one, sizeof (one));
  if (mnl_socket_bind (s->mnl, 0, MNL_SOCKET_AUTOPID) < 0)
    return cryo_error (err, errno, "bind netlink socket (bus %d)", bus);
  s->portid = mnl_socket_get_portid (s->mnl);
  s->buf = xmalloc (NL_RECV_SIZE);
  *out = steal_pointer (&s);
  return 0;
}

void
nl_close (struct nl_sock *s)
{
  if (s == NULL)
    return;
  if (s->mnl)
    mnl_socket_close (s->mnl);
  free (s->buf);
  free (s);
}

void
cleanup_nl_sockp (struct nl_sock **s)
{
  nl_close (*s);
  *s = NULL;
}

struct nlmsghdr *
nl_msg_start (struct nl_sock *s, void *buf, uint16_t type, uint16_t flags)
{
  struct nlmsghdr *nlh;

  memset (buf, 0, NL_REQ_SIZE);
  nlh = mnl_nlmsg_put_header (buf);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | flags;
  nlh->nlmsg_seq = ++s->seq;
  return nlh;
}

/* State of one exchange: what the kernel answered, and the first failure of
 * the caller's callback (the rest of the reply is still read, so the next
 * request does not receive stale messages). */
struct nl_run
{
  nl_msg_cb cb;
  void *data;
  cryo_error_t cb_err;
  int cb_ret;
  int kernel_errno;
  bool interrupted;
  char extack[256];
};

static int
nl_run_data (const struct nlmsghdr *nlh, void *data)
{
  struct nl_run *run = data;

  if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
    run->interrupted = true;
  if (run->cb == NULL || run->cb_ret < 0)
    return MNL_CB_OK;
  run->cb_ret = run->cb (nlh, run->data, &run->cb_err);
  return MNL_CB_OK;
}

/* The kernel's explanation follows the error (and the original header when
 * the ack is capped) as NLMSGERR_ATTR_* attributes. */
static void
nl_read_extack (const struct nlmsghdr *nlh, struct nl_run *run)
{
  const struct nlmsgerr *e = mnl_nlmsg_get_payload (nlh);
  size_t off = sizeof (*e);
  const struct nlattr *attr;

  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
    return;
  if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
    off += e->msg.nlmsg_len - sizeof (struct nlmsghdr);
  if (off >= mnl_nlmsg_get_payload_len (nlh))
    return;
  mnl_attr_for_each (attr, nlh, off)
    {
      if (mnl_attr_get_type (attr) == NLMSGERR_ATTR_MSG
          && mnl_attr_validate (attr, MNL_TYPE_NUL_STRING) == 0)
        {
          snprintf (run->extack, sizeof (run->extack), "%s", mnl_attr_get_str (attr));
          return;
        }
    }
}

static int
nl_run_error (const struct nlmsghdr *nlh, void *data)
{
  struct nl_run *run = data;
  const struct nlmsgerr *e = mnl_nlmsg_get_payload (nlh);

  if (mnl_nlmsg_get_payload_len (nlh) < sizeof (*e))
    {
      run->kernel_errno = EBADMSG;
      return MNL_CB_STOP;
    }
  if (e->error != 0)
    {
      run->kernel_errno = -e->error;
      nl_read_extack (nlh, run);
    }
  return MNL_CB_STOP;
}

static int
nl_run_done (const struct nlmsghdr *nlh, void *data)
{
  struct nl_run *run = data;

  if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
    run->interrupted = true;
  /* A dump that failed half-way ends with DONE carrying the error. */
  if (mnl_nlmsg_get_payload_len (nlh) >= sizeof (int))
    {
      int e = *(const int *) mnl_nlmsg_get_payload (nlh);
      if (e < 0)
        {
          run->kernel_errno = -e;
          nl_read_extack (nlh, run);
        }
    }
  return MNL_CB_STOP;
}

static int
nl_run_noop (const struct nlmsghdr *nlh, void *data)
{
  return MNL_CB_OK;
}

/* "Nexthop has invalid gateway: Network is unreachable", or only the errno
 * text when the kernel gave no reason; the errno stays in the error. */
static int
nl_kernel_error (cryo_error_t *err, int status, const char *extack)
{
  if (extack[0])
    return cryo_error (err, status, "%s", extack);
  cryo_error (err, 0, "%s", strerror (status));
  if (err)
    (*err)->status = status;
  return -status - 1;
}

static int
nl_exchange (struct nl_sock *s, struct nlmsghdr *nlh, nl_msg_cb cb, void *data,
             cryo_error_t *err)
{
  static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
    [NLMSG_NOOP] = nl_run_noop,
    [NLMSG_ERROR] = nl_run_error,
    [NLMSG_DONE] = nl_run_done,
  };
  struct nl_run run = { .cb = cb, .data = data };
  unsigned int seq = nlh->nlmsg_seq;
  int ret;

  if (mnl_socket_sendto (s->mnl, nlh, nlh->nlmsg_len) < 0)
    return cryo_error (err, errno, "send netlink request");
  do
    {
      ssize_t n = mnl_socket_recvfrom (s->mnl, s->buf, NL_RECV_SIZE);
      if (n < 0)
        {
          cryo_error_release (&run.cb_err);
          return cryo_error (err, errno, "receive netlink reply");
        }
      ret = mnl_cb_run2 (s->buf, n, seq, s->portid, nl_run_data, &run, ctl, ARRAY_SIZE (ctl));
      if (ret < 0)
        {
          cryo_error_release (&run.cb_err);
          return cryo_error (err, errno, "read netlink reply");
        }
    }
  while (ret != MNL_CB_STOP);

  if (run.kernel_errno)
    {
      cryo_error_release (&run.cb_err);
      return nl_kernel_error (err, run.kernel_errno, run.extack);
    }
  if (run.cb_ret < 0)
    {
      if (err == NULL)
        cryo_error_release (&run.cb_err);
      else
        {
          cryo_error_release (err);
          *err = cryo_error_steal (&run.cb_err);
        }
      return run.cb_ret;
    }
  if (run.interrupted)
    return cryo_error (err, EAGAIN, "netlink dump interrupted by a concurrent change");
  return 0;
}

int
nl_request (struct nl_sock *s, struct nlmsghdr *nlh, nl_msg_cb cb, void *data,
            cryo_error_t *err)
{
  nlh->nlmsg_flags |= NLM_F_ACK;
  return nl_exchange (s, nlh, cb, data, err);
}

int
nl_dump (struct nl_sock *s, struct nlmsghdr *nlh, nl_msg_cb cb, void *data, cryo_error_t *err)
{
  nlh->nlmsg_flags |= NLM_F_DUMP;
  return nl_exchange (s, nlh, cb, data, err);
}

struct nl_attr_table
{
  const struct nlattr **tb;
  int max;
};

static int
nl_attr_table_cb (const struct nlattr *attr, void *data)
{
  struct nl_attr_table *t = data;
  int type = mnl_attr_get_type (attr);

  if (type <= t->max)
    t->tb[type] = attr;
  return MNL_CB_OK;
}

int
nl_parse_attrs (const struct nlmsghdr *nlh, size_t hdrlen, const struct nlattr **tb, int max)
{
  struct nl_attr_table t = { tb, max };

  memset (tb, 0, sizeof (*tb) * (max + 1));
  if (mnl_nlmsg_get_payload_len (nlh) < hdrlen)
    return -1;
  return mnl_attr_parse (nlh, MNL_ALIGN (hdrlen), nl_attr_table_cb, &t) == MNL_CB_OK ? 0 : -1;
}

int
nl_parse_nested (const struct nlattr *nest, const struct nlattr **tb, int max)
{
  struct nl_attr_table t = { tb, max };

  memset (tb, 0, sizeof (*tb) * (max + 1));
  return mnl_attr_parse_nested (nest, nl_attr_table_cb, &t) == MNL_CB_OK ? 0 : -1;
}

bool
nl_attr_u8 (const struct nlattr *a, uint8_t *out)
{
  if (a == NULL || mnl_attr_get_payload_len (a) < sizeof (uint8_t))
    return false;
  *out = mnl_attr_get_u8 (a);
  return true;
}

bool
nl_attr_u16 (const struct nlattr *a, uint16_t *out)
{
  if (a == NULL || mnl_attr_get_payload_len (a) < sizeof (uint16_t))
    return false;
  *out = mnl_attr_get_u16 (a);
  return true;
}

bool
nl_attr_u32 (const struct nlattr *a, uint32_t *out)
{
  if (a == NULL || mnl_attr_get_payload_len (a) < sizeof (uint32_t))
    return false;
  *out = mnl_attr_get_u32 (a);
  return true;
}

const char *
nl_attr_str (const struct nlattr *a)
{
  if (a == NULL || mnl_attr_validate (a, MNL_TYPE_NUL_STRING) < 0)
    return NULL;
  return mnl_attr_get_str (a);
}

size_t
nl_attr_bytes (const struct nlattr *a, void *out, size_t max)
{
  size_t len;

  if (a == NULL)
    return 0;
  len = mnl_attr_get_payload_len (a);
  if (len > max)
    return 0;
  memcpy (out, mnl_attr_get_payload (a), len);
  return len;
}

static int
nl_link_index_cb (const struct nlmsghdr *nlh, void *data, cryo_error_t *err)
{
  const struct ifinfomsg *ifi = mnl_nlmsg_get_payload (nlh);

  if (nlh->nlmsg_type == RTM_NEWLINK && mnl_nlmsg_get_payload_len (nlh) >= sizeof (*ifi))
    *(int *) data = ifi->ifi_index;
  return 0;
}

int
nl_link_index (struct nl_sock *s, const char *name, int *ifindex, cryo_error_t *err)
{
  char buf[NL_REQ_SIZE];
  struct nlmsghdr *nlh;
  struct ifinfomsg *ifi;
  int index = 0;

  if (strlen (name) >= IFNAMSIZ)
    return cryo_error (err, 0, "link name `%s` is longer than %d characters", name, IFNAMSIZ - 1);
  nlh = nl_msg_start (s, buf, RTM_GETLINK, 0);
  ifi = mnl_nlmsg_put_extra_header (nlh, sizeof (*ifi));
  ifi->ifi_family = AF_UNSPEC;
  mnl_attr_put_u32 (nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  mnl_attr_put_strz (nlh, IFLA_IFNAME, name);
  if (nl_request (s, nlh, nl_link_index_cb, &index, err) < 0)
    return cryo_error_wrap (err, "find link `%s`", name);
  if (index <= 0)
    return cryo_error (err, ENODEV, "find link `%s`", name);
  *ifindex = index;
  return 0;
}

int
nl_link_set_flags (struct nl_sock *s, int ifindex, unsigned int flags, unsigned int change,
                   cryo_error_t *err)
{
  char buf[NL_REQ_SIZE];
  struct nlmsghdr *nlh;
  struct ifinfomsg *ifi;

  nlh = nl_msg_start (s, buf, RTM_NEWLINK, 0);
  ifi = mnl_nlmsg_put_extra_header (nlh, sizeof (*ifi));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  ifi->ifi_flags = flags;
  ifi->ifi_change = change;
  return nl_request (s, nlh, NULL, NULL, err);
}

int
netlink_loopback_up (cryo_error_t *err)
{
  cleanup_nl_sock struct nl_sock *s = NULL;
  int ifindex;

  if (nl_open (NETLINK_ROUTE, &s, err) < 0)
    return cryo_error_wrap (err, "bring up `lo`");
  if (nl_link_index (s, "lo", &ifindex, err) < 0)
    return cryo_error_wrap (err, "bring up `lo`");
  if (nl_link_set_flags (s, ifindex, IFF_UP, IFF_UP, err) < 0)
    return cryo_error_wrap (err, "bring up `lo`");
  return 0;
}
