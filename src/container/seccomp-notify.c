/* The runtime's side of SCMP_ACT_NOTIFY (linux.seccomp.listenerPath).
 *
 * The process that loads the filter (init during create, or the exec'd
 * process) sends the notify fd over the sync socket (SYNC_SECCOMP) and waits.
 * The runtime connects to the agent's unix socket, sends it the OCI
 * containerProcessState with the fd in one SCM_RIGHTS message, closes its
 * copies and answers SYNC_SECCOMP_DONE.  From then on only the agent holds
 * the fd: when it exits, the notified calls fail with ENOSYS. */
#include "config.h"

#define LOG_PREFIX "seccomp-notify: "

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "container/internal.h"
#include "container/sync.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/util.h"
#include "spec/seccomp-filter.h"

/* A stuck agent must not hold the runtime forever. */
#define AGENT_SEND_TIMEOUT_S 10

/* The runtime-spec's containerProcessState: "fds" names the fds of the
 * message in order. */
static char *
process_state_json (const struct cryo_seccomp *seccomp, const struct container_state *s, pid_t pid)
{
  cleanup_json_gen json_gen_t *g = json_gen_new (false);
  char *out = NULL;

  jg_open_map (g);
  jg_kv_str (g, "ociVersion", s->oci_version ? s->oci_version : "1.2.0");
  jg_key (g, "fds");
  jg_open_array (g);
  jg_str (g, "seccompFd");
  jg_close_array (g);
  jg_kv_int (g, "pid", pid);
  jg_kv_str (g, "metadata", cryo_seccomp_listener_metadata (seccomp));
  jg_key (g, "state");
  state_to_oci_json (s, g);
  jg_close_map (g);
  if (json_gen_finish (g, &out, NULL, NULL) < 0)
    return NULL;
  return out;
}

/* A path starting with '@' names an abstract socket, as Go's net.Dial
 * (runc) reads it. */
static int
agent_connect (const char *path, int *out, cryo_error_t *err)
{
  static const char what[] = "failed to connect with seccomp agent specified in the seccomp profile";
  cleanup_close int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct timeval tv = { .tv_sec = AGENT_SEND_TIMEOUT_S };
  size_t n = strlen (path);

  if (fd < 0)
    return cryo_error (err, errno, "%s: socket", what);
  if (n >= sizeof (addr.sun_path))
    return cryo_error (err, 0, "%s: path `%s` is too long for a socket", what, path);
  memcpy (addr.sun_path, path, n);
  if (path[0] == '@')
    addr.sun_path[0] = '\0';
  else
    n++;
  if (setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof (tv)) < 0)
    return cryo_error (err, errno, "%s: set a send timeout", what);
  if (connect (fd, (struct sockaddr *)&addr, offsetof (struct sockaddr_un, sun_path) + n) < 0)
    return cryo_error (err, errno, "%s: connect to `%s`", what, path);
  *out = move_fd (&fd);
  return 0;
}

static int
agent_send (const char *path, const char *json, int notify_fd, cryo_error_t *err)
{
  char cbuf[CMSG_SPACE (sizeof (int))] = { 0 };
  struct iovec iov = { (void *)json, strlen (json) };
  struct msghdr mh
      = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof (cbuf) };
  struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
  cleanup_close int fd = -1;
  ssize_t r;

  if (agent_connect (path, &fd, err) < 0)
    return -1;
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &notify_fd, sizeof (int));
  do
    r = sendmsg (fd, &mh, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return cryo_error (err, errno, "cannot send the seccomp notify fd to the seccomp agent at `%s`", path);
  if ((size_t)r != iov.iov_len)
    return cryo_error (err, 0, "cannot send the seccomp notify fd to the seccomp agent at `%s`: short write",
                       path);
  return 0;
}

int
seccomp_notify_forward (int sync_fd, struct sync_msg *m, const struct cryo_seccomp *seccomp,
                        const struct container_state *s, pid_t pid, cryo_error_t *err)
{
  const char *path = cryo_seccomp_listener_path (seccomp);
  cleanup_free char *json = NULL;

  if (m->fd < 0)
    return cryo_error (err, 0, "sync: `%s` came without its fd", sync_step_name (SYNC_SECCOMP));
  if (path == NULL)
    return cryo_error (err, 0, "linux.seccomp.listenerPath is not set");
  json = process_state_json (seccomp, s, pid);
  if (json == NULL)
    return cryo_error (err, 0, "cannot make the containerProcessState for the seccomp agent");
  if (agent_send (path, json, m->fd, err) < 0)
    return -1;
  log_debug ("sent the seccomp notify fd of process %d to `%s`", pid, path);
  /* The agent holds the only copy now. */
  close (m->fd);
  m->fd = -1;
  return sync_send (sync_fd, SYNC_SECCOMP_DONE, 0, NULL, 0, -1, err);
}
