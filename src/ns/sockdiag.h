/* The sockets of the current network namespace, as the kernel's sock_diag
 * reports them (NETLINK_SOCK_DIAG): unix sockets with their peer, name,
 * bound file and pending connections, and TCP/UDP sockets over IPv4 and
 * IPv6 with their addresses.  Sockets are identified by inode, the same
 * number fstat() gives for the fd and /proc/PID/fd shows as
 * "socket:[INODE]", which is how the leak detector ties fds to sockets and
 * finds a peer held outside the container.
 *
 * Only sockets that belong to the namespace the caller is in are listed:
 * to look into a container, enter its network namespace first. */
#ifndef CRYO_SOCKDIAG_H
#define CRYO_SOCKDIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

/* Socket states use the kernel's TCP numbering, for unix sockets too:
 * TCP_ESTABLISHED (connected), TCP_LISTEN, TCP_CLOSE (unconnected). */

struct sockdiag_unix
{
  uint64_t inode;
  uint8_t type;        /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
  uint8_t state;       /* TCP_ESTABLISHED, TCP_LISTEN, TCP_CLOSE */
  uint64_t peer;       /* inode of the peer, 0 when none (or not accepted yet) */
  char *name;          /* bound path, "@name" for an abstract name (NULs as '@'), NULL unbound */
  bool has_vfs;        /* bound to a file: its device and inode */
  uint32_t vfs_dev;
  uint32_t vfs_ino;
  uint64_t *icons;     /* listener: inodes of the clients whose connection is not accepted yet */
  size_t n_icons;
  uint32_t rqlen;      /* listener: connections waiting; others: bytes queued to read */
  uint32_t wqlen;      /* listener: backlog; others: bytes queued to write */
};

struct sockdiag_inet
{
  uint64_t inode;
  uint8_t family;      /* AF_INET, AF_INET6 */
  uint8_t protocol;    /* IPPROTO_TCP, IPPROTO_UDP */
  uint8_t state;       /* TCP_*; UDP: TCP_CLOSE unconnected, TCP_ESTABLISHED connected */
  uint8_t src[16];     /* local address (4 bytes for AF_INET) */
  uint8_t dst[16];     /* remote address */
  uint16_t sport;      /* host byte order */
  uint16_t dport;
  uint32_t ifindex;    /* bound device, 0 none */
  uint32_t uid;
  bool v6only;         /* IPV6_V6ONLY (AF_INET6 only) */
};

struct sockdiag
{
  struct sockdiag_unix *unix_socks;
  size_t n_unix;
  struct sockdiag_inet *inet;
  size_t n_inet;
};

/**
 * sockdiag_dump - list the unix, TCP and UDP sockets of the current network
 * namespace
 *
 * Connections without a socket of their own (TIME_WAIT, half-open requests)
 * have no inode and are left out.  A unix connection that its
 * listener has not accepted yet has no inode on the server side: the
 * client's peer is 0 and the client is named in the listener's icons.
 */
int sockdiag_dump (struct sockdiag **out, cryo_error_t *err);

/* Only part of it: every dump of TCP sockets walks the whole established
 * hash table of the host (262,144 buckets on a 24 GiB machine), whatever
 * the namespace holds. */
enum
{
  SOCKDIAG_UNIX = 1 << 0,
  SOCKDIAG_INET = 1 << 1, /* TCP and UDP, v4 and v6 */
};
int sockdiag_dump_some (struct sockdiag **out, unsigned int what, cryo_error_t *err);
void sockdiag_free (struct sockdiag *d);
void cleanup_sockdiagp (struct sockdiag **d);
#define cleanup_sockdiag __attribute__ ((cleanup (cleanup_sockdiagp)))

/* The socket with this inode, or NULL. */
const struct sockdiag_unix *sockdiag_find_unix (const struct sockdiag *d, uint64_t inode);
const struct sockdiag_inet *sockdiag_find_inet (const struct sockdiag *d, uint64_t inode);

/* "LISTEN", "ESTAB", ... as ss(8) prints them; "UNKNOWN" otherwise. */
const char *sockdiag_state_name (uint8_t state);

#endif
