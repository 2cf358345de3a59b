/* The lazy-pages relay of `cryo checkpoint --lazy-pages --page-server`.
 *
 * Why it exists: a lazy dump ends when the lazy-pages daemon of the target
 * disconnects, and CRIU (4.2.1, page_server_serve() in criu/page-xfer.c)
 * takes any disconnection for success when it serves lazy pages: the "data
 * not flushed" check only guards a page server that receives pages.  A
 * client that connects and leaves at once, or a daemon that dies half way,
 * ends the dump "successfully", and the container would be killed with its
 * memory nowhere.  Its log is the same in both cases (no line per request).
 *
 * A daemon that has every page says so: it sends PS_IOV_CLOSE and waits for
 * CRIU's answer (disconnect_from_page_server() in criu/page-xfer.c).  So
 * cryo listens at the --page-server address itself, has CRIU listen on a
 * loopback port of its choosing, and relays one connection between them in
 * a thread, reading the daemon's requests (fixed-size page_server_iov
 * records) as they pass.  Only a relay that saw the close request lets the
 * checkpoint kill the container. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOG_PREFIX "lazy-relay: "
#include "cr/internal.h"
#include "lib/log.h"
#include "lib/util.h"

/* CRIU's request header, as its page server reads it (same ABI: CRIU runs
 * on this host). */
struct ps_iov
{
  uint32_t cmd;
  uint64_t nr_pages;
  uint64_t vaddr;
  uint64_t dst_id;
};
#define PS_CMD_MASK 0xffffu
#define PS_IOV_CLOSE 0x1023u
#define PS_IOV_FORCE_CLOSE 0x1024u

struct cr_lazy_relay
{
  int listen_fd;  /* the --page-server address */
  int backend_fd; /* bound, not listening: reserves CRIU's port until it listens */
  int backend_port;
  int stop_fd; /* eventfd: the dump is over */
  /* the thread's connections, shut down by cr_lazy_relay_finish(): a send
   * blocked on a daemon that stopped reading must not hang the checkpoint */
  int client_fd, conn_fd;
  pthread_t thread;
  bool started;
  /* the thread's, read after the join */
  bool connected;
  bool closed; /* the daemon asked to close: it has every page */
  unsigned char partial[sizeof (struct ps_iov)];
  size_t n_partial;
};

static int
listen_on (const char *addr, int port, int *fd, cryo_error_t *err)
{
  struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
  struct addrinfo *ai = NULL;
  char service[16];
  int one = 1, rc;

  snprintf (service, sizeof service, "%d", port);
  rc = getaddrinfo (addr[0] ? addr : NULL, service, &hints, &ai);
  if (rc != 0)
    return cryo_error (err, 0, "--page-server `%s:%d`: %s", addr, port, gai_strerror (rc));
  *fd = socket (ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (*fd < 0 || setsockopt (*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0
      || bind (*fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen (*fd, 1) < 0)
    {
      int e = errno;
      freeaddrinfo (ai);
      return cryo_error (err, e, "--page-server `%s:%d`: listen", addr, port);
    }
  freeaddrinfo (ai);
  return 0;
}

/* A loopback port for CRIU, held bound (with SO_REUSEADDR, as CRIU binds)
 * but not listening, so that nobody else takes it before CRIU listens. */
static int
reserve_backend (struct cr_lazy_relay *r, cryo_error_t *err)
{
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof sin;
  int one = 1;

  r->backend_fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (r->backend_fd < 0 || setsockopt (r->backend_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0
      || bind (r->backend_fd, (struct sockaddr *)&sin, sizeof sin) < 0
      || getsockname (r->backend_fd, (struct sockaddr *)&sin, &len) < 0)
    return cryo_error (err, errno, "reserve a loopback port for CRIU's page server");
  r->backend_port = ntohs (sin.sin_port);
  return 0;
}

/* Look at the daemon's bytes on their way: whole records only. */
static void
scan_requests (struct cr_lazy_relay *r, const unsigned char *buf, size_t n)
{
  while (n > 0)
    {
      size_t take = sizeof r->partial - r->n_partial;
      struct ps_iov pi;
      if (take > n)
        take = n;
      memcpy (r->partial + r->n_partial, buf, take);
      r->n_partial += take;
      buf += take;
      n -= take;
      if (r->n_partial < sizeof r->partial)
        break;
      memcpy (&pi, r->partial, sizeof pi);
      r->n_partial = 0;
      if ((pi.cmd & PS_CMD_MASK) == PS_IOV_CLOSE || (pi.cmd & PS_CMD_MASK) == PS_IOV_FORCE_CLOSE)
        r->closed = true;
    }
}

/* Wait for @fd to be readable, or for the stop event: false on stop. */
static bool
wait_readable (struct cr_lazy_relay *r, int fd)
{
  struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = r->stop_fd, .events = POLLIN } };

  while (poll (p, 2, -1) < 0)
    if (errno != EINTR)
      return false;
  return !(p[1].revents & POLLIN);
}

static int
connect_backend (struct cr_lazy_relay *r)
{
  struct sockaddr_in sin = { .sin_family = AF_INET,
                             .sin_addr.s_addr = htonl (INADDR_LOOPBACK),
                             .sin_port = htons (r->backend_port) };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd >= 0 && connect (fd, (struct sockaddr *)&sin, sizeof sin) < 0)
    {
      log_debug ("connect to CRIU's page server on port %d: %s", r->backend_port, strerror (errno));
      close (fd);
      return -1;
    }
  return fd;
}

/* send() all of @buf; MSG_NOSIGNAL: a peer gone is an error, not SIGPIPE. */
static bool
send_all (int fd, const unsigned char *buf, size_t len)
{
  while (len > 0)
    {
      ssize_t n = send (fd, buf, len, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return false;
      buf += n;
      len -= n;
    }
  return true;
}

/* Copy what @from has to @to; false at the end of @from (or an error). */
static bool
pass (struct cr_lazy_relay *r, int from, int to, bool scan)
{
  unsigned char buf[65536];
  ssize_t n = read (from, buf, sizeof buf);

  if (n < 0 && errno == EINTR)
    return true;
  if (n <= 0)
    {
      shutdown (to, SHUT_WR);
      return false;
    }
  if (scan)
    scan_requests (r, buf, n);
  return send_all (to, buf, n);
}

static void
relay (struct cr_lazy_relay *r, int client, int backend)
{
  struct pollfd p[3] = { { .fd = client, .events = POLLIN },
                         { .fd = backend, .events = POLLIN },
                         { .fd = r->stop_fd, .events = POLLIN } };

  while (p[0].fd >= 0 || p[1].fd >= 0)
    {
      if (poll (p, 3, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return;
        }
      if (p[2].revents & POLLIN)
        return;
      if (p[0].revents && !pass (r, client, backend, true))
        p[0].fd = -1;
      if (p[1].revents && !pass (r, backend, client, false))
        p[1].fd = -1;
    }
}

static void *
relay_main (void *arg)
{
  struct cr_lazy_relay *r = arg;
  cleanup_close int client = -1, backend = -1;

  if (!wait_readable (r, r->listen_fd))
    return NULL;
  client = accept4 (r->listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (client < 0)
    return NULL;
  /* one daemon per dump, as CRIU's page server accepts one */
  close (r->listen_fd);
  r->listen_fd = -1;
  __atomic_store_n (&r->client_fd, client, __ATOMIC_SEQ_CST);
  backend = connect_backend (r);
  if (backend < 0)
    return NULL;
  __atomic_store_n (&r->conn_fd, backend, __ATOMIC_SEQ_CST);
  r->connected = true;
  relay (r, client, backend);
  return NULL;
}

int
cr_lazy_relay_start (const char *addr, int port, struct cr_lazy_relay **out, cryo_error_t *err)
{
  struct cr_lazy_relay *r = xzalloc (sizeof *r);

  r->listen_fd = r->backend_fd = r->client_fd = r->conn_fd = -1;
  *out = r;
  r->stop_fd = eventfd (0, EFD_CLOEXEC);
  if (r->stop_fd < 0)
    return cryo_error (err, errno, "eventfd");
  if (listen_on (addr, port, &r->listen_fd, err) < 0 || reserve_backend (r, err) < 0)
    return -1;
  log_debug ("the lazy-pages daemon connects to %s:%d, CRIU serves on 127.0.0.1:%d", addr, port,
             r->backend_port);
  return 0;
}

int
cr_lazy_relay_backend_port (const struct cr_lazy_relay *r)
{
  return r->backend_port;
}

/* CRIU listens now: the daemon's connection can be passed on (it waited
 * in the backlog if it came early). */
int
cr_lazy_relay_ready (struct cr_lazy_relay *r, cryo_error_t *err)
{
  int e;

  if (r->started)
    return 0;
  e = pthread_create (&r->thread, NULL, relay_main, r);
  if (e != 0)
    return cryo_error (err, e, "start the lazy-pages relay");
  r->started = true;
  return 0;
}

/* After the dump: stop the relay and tell whether the daemon had every
 * page (it asked to close the session). */
bool
cr_lazy_relay_finish (struct cr_lazy_relay *r)
{
  uint64_t one = 1;

  if (r == NULL || !r->started)
    return false;
  (void)!write (r->stop_fd, &one, sizeof one);
  /* The fds stay open until the thread returns: shutting them down only
   * wakes a blocked send or read. */
  if (__atomic_load_n (&r->client_fd, __ATOMIC_SEQ_CST) >= 0)
    shutdown (r->client_fd, SHUT_RDWR);
  if (__atomic_load_n (&r->conn_fd, __ATOMIC_SEQ_CST) >= 0)
    shutdown (r->conn_fd, SHUT_RDWR);
  pthread_join (r->thread, NULL);
  r->started = false;
  return r->connected && r->closed;
}

void
cr_lazy_relay_free (struct cr_lazy_relay *r)
{
  if (r == NULL)
    return;
  cr_lazy_relay_finish (r);
  if (r->listen_fd >= 0)
    close (r->listen_fd);
  if (r->backend_fd >= 0)
    close (r->backend_fd);
  if (r->stop_fd >= 0)
    close (r->stop_fd);
  free (r);
}
