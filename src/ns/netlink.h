/* Netlink through libmnl: one socket type, one request/ack call and one dump
 * iterator, shared by rtnetlink (links, addresses, routes) and sock_diag.
 *
 * Every request asks for an ack and reads the kernel's extended ack, so a
 * failure carries the kernel's own explanation ("Nexthop has invalid
 * gateway") next to the errno.  Callers add what they were doing with
 * cryo_error_wrap(). */
#ifndef CRYO_NETLINK_H
#define CRYO_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include "lib/error.h"

struct nl_sock
{
  struct mnl_socket *mnl;
  int bus;              /* NETLINK_ROUTE, NETLINK_SOCK_DIAG */
  unsigned int portid;
  unsigned int seq;     /* of the last request */
  char *buf;            /* receive buffer, NL_RECV_SIZE bytes */
};

/* Large enough for any single message of a dump (libmnl's dump size). */
#define NL_RECV_SIZE 32768
/* Large enough for any request cryo builds. */
#define NL_REQ_SIZE 8192

/**
 * nl_open - open a netlink socket of @bus in the current network namespace
 *
 * The socket stays bound to the namespace it was opened in, even if the
 * caller later moves to another one.
 */
int nl_open (int bus, struct nl_sock **out, cryo_error_t *err);
void nl_close (struct nl_sock *s);
void cleanup_nl_sockp (struct nl_sock **s);
#define cleanup_nl_sock __attribute__ ((cleanup (cleanup_nl_sockp)))

/**
 * nl_msg_start - start a request of @type in @buf (NL_REQ_SIZE bytes)
 *
 * Sets NLM_F_REQUEST plus @flags and a fresh sequence number.
 */
struct nlmsghdr *nl_msg_start (struct nl_sock *s, void *buf, uint16_t type, uint16_t flags);

/**
 * nl_request - send @nlh and wait for the kernel's ack
 *
 * Replies other than the ack (RTM_GETLINK's answer, for instance) are passed
 * to @cb when it is not NULL.  On failure the error is the kernel's extended
 * ack message when it sent one ("netlink" otherwise) with its errno.
 */
typedef int (*nl_msg_cb) (const struct nlmsghdr *nlh, void *data, cryo_error_t *err);
int nl_request (struct nl_sock *s, struct nlmsghdr *nlh, nl_msg_cb cb, void *data,
                cryo_error_t *err);

/**
 * nl_dump - send @nlh with NLM_F_DUMP and call @cb on every message
 *
 * A callback that fails stops the dump (the rest is drained) and its error
 * is returned.  A dump that the kernel marks as interrupted (the tables
 * changed while it was read) fails with EAGAIN: the caller may start over.
 */
int nl_dump (struct nl_sock *s, struct nlmsghdr *nlh, nl_msg_cb cb, void *data,
             cryo_error_t *err);

/**
 * nl_parse_attrs - index the attributes that follow @hdrlen bytes of family
 * header in @nlh by type into @tb[0..@max] (types above @max are skipped)
 *
 * Returns -1 when the message is too short or an attribute is malformed.
 * nl_parse_nested does the same for the attributes nested in @nest.
 */
int nl_parse_attrs (const struct nlmsghdr *nlh, size_t hdrlen, const struct nlattr **tb, int max);
int nl_parse_nested (const struct nlattr *nest, const struct nlattr **tb, int max);

/* Typed reads that check the attribute's size: false when @a is NULL or
 * too short (or, for strings, not NUL-terminated). */
bool nl_attr_u8 (const struct nlattr *a, uint8_t *out);
bool nl_attr_u16 (const struct nlattr *a, uint16_t *out);
bool nl_attr_u32 (const struct nlattr *a, uint32_t *out);
const char *nl_attr_str (const struct nlattr *a);
/* Copy a binary attribute of at most @max bytes; returns its length, 0 when
 * absent or larger than @max. */
size_t nl_attr_bytes (const struct nlattr *a, void *out, size_t max);

/* Index of the link called @name (RTM_GETLINK), ENODEV when there is none. */
int nl_link_index (struct nl_sock *s, const char *name, int *ifindex, cryo_error_t *err);

/* Set the interface flags selected by @change to @flags (RTM_NEWLINK). */
int nl_link_set_flags (struct nl_sock *s, int ifindex, unsigned int flags,
                       unsigned int change, cryo_error_t *err);

/**
 * netlink_loopback_up - bring `lo` up in the current network namespace
 *
 * The kernel then adds 127.0.0.1/8 and ::1 by itself.
 */
int netlink_loopback_up (cryo_error_t *err);

#endif
