/* A seccomp agent for tests/bats/seccomp-notify.bats, with the policy of
 * runc's test agent (contrib/cmd/seccompagent), so the same tests can be
 * written:
 *   mkdir(path, mode)        makes "<path>-<metadata>" in the caller's root
 *                            (or cwd for a relative path) and returns 0, or
 *                            ENOSYS when it cannot;
 *   chmod, fchmod, fchmodat  fail with ENOMEDIUM;
 *   anything else            goes on as if not notified (CONTINUE).
 *
 * usage: seccomp-agent SOCKET PIDFILE LOG
 * It listens on the unix socket SOCKET, writes its pid to PIDFILE once it
 * listens (tests wait for that file), and appends each containerProcessState
 * it receives to LOG, one line each.  It serves any number of containers
 * until it is killed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_FDS 64
#define STATE_MAX 4096

struct listener
{
  int fd;
  char metadata[256]; /* a file-name suffix: no '/' */
};

static struct listener listeners[MAX_FDS];
static int n_listeners;
static FILE *state_log;

static void
die (const char *what)
{
  fprintf (stderr, "seccomp-agent: %s: %s\n", what, strerror (errno));
  exit (1);
}

/* The "metadata" string of the state, as runc's agent uses it: a bare file
 * name suffix ("agent-generated-suffix" when it holds a '/'). */
static void
parse_metadata (const char *json, char *out, size_t size)
{
  const char *p = strstr (json, "\"metadata\":\"");
  size_t n = 0;

  out[0] = '\0';
  if (p == NULL)
    return;
  for (p += strlen ("\"metadata\":\""); *p && *p != '"' && n + 1 < size; p++)
    out[n++] = *p;
  out[n] = '\0';
  if (strchr (out, '/') || strcmp (out, "..") == 0 || strcmp (out, ".") == 0)
    snprintf (out, size, "agent-generated-suffix");
}

/* One connection: the state JSON and one fd, named "seccompFd" in fds. */
static void
accept_one (int sock)
{
  char buf[STATE_MAX + 1], cbuf[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { buf, STATE_MAX };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  struct timeval tv = { .tv_sec = 5 };
  struct cmsghdr *c;
  int conn = accept4 (sock, NULL, NULL, SOCK_CLOEXEC), fd = -1;
  ssize_t n;

  if (conn < 0)
    return;
  setsockopt (conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  n = recvmsg (conn, &mh, MSG_CMSG_CLOEXEC);
  close (conn);
  c = n > 0 ? CMSG_FIRSTHDR (&mh) : NULL;
  if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS
      && c->cmsg_len == CMSG_LEN (sizeof (int)))
    memcpy (&fd, CMSG_DATA (c), sizeof fd);
  if (n <= 0 || fd < 0)
    {
      fprintf (stderr, "seccomp-agent: a message without a seccomp fd\n");
      return;
    }
  buf[n] = '\0';
  fprintf (state_log, "%s\n", buf);
  fflush (state_log);
  if (strstr (buf, "\"fds\":[\"seccompFd\"]") == NULL || n_listeners == MAX_FDS)
    {
      fprintf (stderr, "seccomp-agent: malformed containerProcessState.fds or too many containers\n");
      close (fd);
      return;
    }
  listeners[n_listeners].fd = fd;
  parse_metadata (buf, listeners[n_listeners].metadata, sizeof listeners[n_listeners].metadata);
  n_listeners++;
}

static int
read_string (pid_t pid, uint64_t addr, char *out, size_t size)
{
  char path[64];
  int fd;
  ssize_t n;

  snprintf (path, sizeof path, "/proc/%d/mem", pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  n = pread (fd, out, size - 1, (off_t)addr);
  close (fd);
  if (n <= 0)
    return -1;
  out[n] = '\0';
  return strnlen (out, n) < (size_t)n ? 0 : -1;
}

/* mkdir "<path>-<metadata>" resolved inside the caller's root (or cwd):
 * openat2 RESOLVE_IN_ROOT keeps ".." and symlinks in there. */
static int
mkdir_for (pid_t pid, const char *name, mode_t mode, const char *metadata)
{
  struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
  char base[64], file[4096 + 300], *slash;
  int root, dir, ret;

  snprintf (base, sizeof base, "/proc/%d/%s", pid, name[0] == '/' ? "root" : "cwd");
  snprintf (file, sizeof file, "%s-%s", name, metadata);
  root = open (base, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return -1;
  slash = strrchr (file, '/');
  if (slash)
    {
      *slash = '\0';
      dir = syscall (SYS_openat2, root, file[0] ? file : "/", &how, sizeof how);
      close (root);
    }
  else
    dir = root;
  if (dir < 0)
    return -1;
  ret = mkdirat (dir, slash ? slash + 1 : file, mode & 07777);
  close (dir);
  return ret;
}

static void
answer (struct listener *l)
{
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  char path[4096];

  memset (&req, 0, sizeof req);
  if (ioctl (l->fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
    return;
  memset (&resp, 0, sizeof resp);
  resp.id = req.id;
  resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  if (req.data.nr == SYS_mkdir)
    {
      resp.flags = 0;
      /* The path is read from the caller's memory: the id must still be
       * valid afterwards (the caller may have died, its pid reused). */
      if (read_string (req.pid, req.data.args[0], path, sizeof path) < 0
          || ioctl (l->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id) < 0
          || mkdir_for (req.pid, path, req.data.args[1], l->metadata) < 0)
        {
          resp.error = -ENOSYS;
          resp.val = -1;
        }
    }
  else if (req.data.nr == SYS_chmod || req.data.nr == SYS_fchmod || req.data.nr == SYS_fchmodat)
    {
      resp.flags = 0;
      resp.error = -ENOMEDIUM;
      resp.val = -1;
    }
  ioctl (l->fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

static int
listen_on (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (sock < 0 || strlen (path) >= sizeof addr.sun_path)
    die ("socket");
  strcpy (addr.sun_path, path);
  unlink (path);
  if (bind (sock, (struct sockaddr *)&addr, sizeof addr) < 0 || listen (sock, 16) < 0)
    die (path);
  return sock;
}

static void
serve (int sock)
{
  for (;;)
    {
      struct pollfd p[MAX_FDS + 1];

      p[0] = (struct pollfd){ sock, POLLIN, 0 };
      for (int i = 0; i < n_listeners; i++)
        p[i + 1] = (struct pollfd){ listeners[i].fd, POLLIN, 0 };
      if (poll (p, n_listeners + 1, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          die ("poll");
        }
      /* Backwards: a listener whose filter has no user left goes. */
      for (int i = n_listeners - 1; i >= 0; i--)
        if (p[i + 1].revents & POLLIN)
          answer (&listeners[i]);
        else if (p[i + 1].revents & (POLLHUP | POLLERR | POLLNVAL))
          {
            close (listeners[i].fd);
            listeners[i] = listeners[--n_listeners];
          }
      if (p[0].revents & POLLIN)
        accept_one (sock);
    }
}

int
main (int argc, char **argv)
{
  char tmp[4096];
  FILE *pf;
  int sock;

  if (argc != 4)
    {
      fprintf (stderr, "usage: seccomp-agent SOCKET PIDFILE LOG\n");
      return 2;
    }
  state_log = fopen (argv[3], "a");
  if (state_log == NULL)
    die (argv[3]);
  sock = listen_on (argv[1]);
  /* Written whole, then renamed: a test that sees the file can read it. */
  snprintf (tmp, sizeof tmp, "%s.tmp", argv[2]);
  pf = fopen (tmp, "w");
  if (pf == NULL || fprintf (pf, "%d\n", getpid ()) < 0 || fclose (pf) != 0 || rename (tmp, argv[2]) < 0)
    die (argv[2]);
  serve (sock);
  return 0;
}
