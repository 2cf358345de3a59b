/* Named sync steps over a SOCK_SEQPACKET socketpair (see sync.h). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "container/sync.h"
#include "lib/util.h"

/* A payload is at most a state JSON or an error message. */
#define SYNC_MAX_PAYLOAD (256 * 1024)

struct sync_header
{
  uint32_t step;
  uint32_t len;
  int64_t value;
};

static const char *const step_names[SYNC_MAX] = {
  [SYNC_ERROR] = "error",
  [SYNC_STAGE1_GO] = "stage-1 go",
  [SYNC_USERMAP] = "user namespace maps",
  [SYNC_USERMAP_DONE] = "user namespace maps written",
  [SYNC_INIT_PID] = "init pid",
  [SYNC_INIT_GO] = "init go",
  [SYNC_PRESTART] = "prestart hooks",
  [SYNC_HOOKS_DONE] = "hooks done",
  [SYNC_STATE_CREATED] = "created state",
  [SYNC_CONSOLE] = "console",
  [SYNC_READY] = "ready",
  [SYNC_EXEC_PID] = "exec pid",
  [SYNC_EXEC_GO] = "exec go",
  [SYNC_SECCOMP] = "seccomp notify fd",
  [SYNC_SECCOMP_DONE] = "seccomp notify fd sent",
};

const char *
sync_step_name (enum sync_step step)
{
  if ((unsigned) step >= SYNC_MAX)
    return "unknown step";
  return step_names[step];
}

void
sync_msg_clear (struct sync_msg *m)
{
  free (m->data);
  m->data = NULL;
  m->len = 0;
  if (m->fd >= 0)
    close (m->fd);
  m->fd = -1;
}

int
sync_pair (int fds[2], cryo_error_t *err)
{
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
    return cryo_error (err, errno, "create the sync socketpair");
  return 0;
}

int
sync_send (int sock, enum sync_step step, int64_t value, const char *data, size_t len, int fd,
           cryo_error_t *err)
{
  struct sync_header h = { .step = step, .len = len, .value = value };
  struct iovec iov[2] = { { &h, sizeof (h) }, { (void *) data, len } };
  char cbuf[CMSG_SPACE (sizeof (int))] = { 0 };
  struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
  ssize_t r;

  if (len > SYNC_MAX_PAYLOAD)
    return cryo_error (err, 0, "sync: payload of %zu bytes for `%s` is too large", len,
                       sync_step_name (step));
  if (fd >= 0)
    {
      struct cmsghdr *c;
      mh.msg_control = cbuf;
      mh.msg_controllen = sizeof (cbuf);
      c = CMSG_FIRSTHDR (&mh);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (c), &fd, sizeof (int));
    }
  do
    r = sendmsg (sock, &mh, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return cryo_error (err, errno, "sync: send `%s`", sync_step_name (step));
  return 0;
}

static int
take_fd (struct msghdr *mh)
{
  for (struct cmsghdr *c = CMSG_FIRSTHDR (mh); c; c = CMSG_NXTHDR (mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      {
        int fd;
        memcpy (&fd, CMSG_DATA (c), sizeof (int));
        return fd;
      }
  return -1;
}

int
sync_recv (int sock, struct sync_msg *msg, cryo_error_t *err)
{
  cleanup_free char *buf = xmalloc (sizeof (struct sync_header) + SYNC_MAX_PAYLOAD + 1);
  char cbuf[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { buf, sizeof (struct sync_header) + SYNC_MAX_PAYLOAD };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                       .msg_controllen = sizeof (cbuf) };
  struct sync_header h;
  ssize_t r;

  msg->data = NULL;
  msg->fd = -1;
  do
    r = recvmsg (sock, &mh, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return cryo_error (err, errno, "sync: receive");
  if (r == 0)
    return 1;
  msg->fd = take_fd (&mh);
  if ((size_t) r < sizeof (h))
    return cryo_error (err, 0, "sync: short message (%zd bytes)", r);
  memcpy (&h, buf, sizeof (h));
  if (h.len != (size_t) r - sizeof (h) || h.step >= SYNC_MAX)
    return cryo_error (err, 0, "sync: malformed message (step %u, %u bytes)", h.step, h.len);
  msg->step = h.step;
  msg->value = h.value;
  msg->len = h.len;
  if (h.len > 0)
    {
      msg->data = xmalloc (h.len + 1);
      memcpy (msg->data, buf + sizeof (h), h.len);
      msg->data[h.len] = '\0';
    }
  return 0;
}

int
sync_expect (int sock, enum sync_step step, const char *who, struct sync_msg *out,
             cryo_error_t *err)
{
  cleanup_sync_msg struct sync_msg m = { .fd = -1 };
  int r = sync_recv (sock, &m, err);

  if (r < 0)
    return cryo_error_wrap (err, "waiting for `%s`", sync_step_name (step));
  if (r > 0)
    return cryo_error (err, 0, "%s exited before `%s`", who, sync_step_name (step));
  if (m.step == SYNC_ERROR)
    return cryo_error (err, 0, "%s", m.data ? m.data : "the container's setup failed");
  if (m.step != step)
    return cryo_error (err, 0, "sync: expected `%s` from %s, got `%s`", sync_step_name (step), who,
                       sync_step_name (m.step));
  if (out)
    {
      *out = m;
      m.data = NULL;
      m.fd = -1;
    }
  return 0;
}

void
sync_send_error (int sock, cryo_error_t e)
{
  const char *msg = e && e->msg ? e->msg : "the container's setup failed";
  sync_send (sock, SYNC_ERROR, e ? e->status : 0, msg, strlen (msg), -1, NULL);
}

int
sync_wait (int sock, unsigned timeout_ms, const char *who, const char *what, cryo_error_t *err)
{
  struct pollfd p = { sock, POLLIN, 0 };
  struct timespec t0, t;
  long left = timeout_ms ? (long)timeout_ms : -1;
  int r;

  clock_gettime (CLOCK_MONOTONIC, &t0);
  while ((r = poll (&p, 1, (int)left)) < 0 && errno == EINTR)
    {
      if (timeout_ms == 0)
        continue;
      clock_gettime (CLOCK_MONOTONIC, &t);
      left = (long)timeout_ms - ((t.tv_sec - t0.tv_sec) * 1000L + (t.tv_nsec - t0.tv_nsec) / 1000000L);
      if (left < 0)
        left = 0;
    }
  if (r < 0)
    return cryo_error (err, errno, "sync: poll");
  if (r == 0)
    return cryo_error (err, 0, "%s did not answer `%s` within %.1f s (CRYO_SETUP_TIMEOUT)", who, what,
                       timeout_ms / 1000.0);
  return 0;
}

int
sync_expect_within (int sock, enum sync_step step, const char *who, unsigned timeout_ms, struct sync_msg *out,
                    cryo_error_t *err)
{
  if (sync_wait (sock, timeout_ms, who, sync_step_name (step), err) < 0)
    return -1;
  return sync_expect (sock, step, who, out, err);
}
