/* The namespaces restore rebuilds itself, held by a helper process until
 * CRIU's restored tree has joined them (a container without a user
 * namespace; see make_namespaces in restore.c for one with):
 *
 *   net   a new network namespace with the links, addresses and routes of
 *         network.json (netconf_restore), handed to CRIU as the external
 *         namespace of the image (inherit-fd)
 *   uts   hostname and domainname from namespaces.json
 *   ipc   empty: CRIU restores the SysV objects into it
 *
 * uts and ipc go to CRIU as join-ns paths (/proc/HELPER/ns/...).
 * When the helper goes (cr_nshelper_stop, or cryo dies: PDEATHSIG), the
 * namespaces live on only if restored processes hold them: a failed
 * restore leaves none behind. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOG_PREFIX "restore: "
#include "lib/log.h"
#include "ns/netconf.h"
#include "cr/restore-internal.h"
#include "lib/util.h"

/* One byte per step on a SOCK_SEQPACKET pair; an error is 'E' + text. */
enum
{
  MSG_READY = 'R', /* helper: every namespace set up */
  MSG_ERROR = 'E',
};

static void
child_fail (int sk, cryo_error_t err)
{
  char buf[1024];
  int n = snprintf (buf, sizeof buf, "%c%s", MSG_ERROR, err && err->msg ? err->msg : "failed");

  (void)!send (sk, buf, n < (int)sizeof buf ? n : (int)sizeof buf - 1, MSG_NOSIGNAL);
  _exit (1);
}

static int
child_setup (const struct cr_ns_plan *p, cryo_error_t *err)
{
  int flags = (p->net ? CLONE_NEWNET : 0) | (p->uts ? CLONE_NEWUTS : 0) | (p->ipc ? CLONE_NEWIPC : 0);

  if (flags && unshare (flags) < 0)
    return cryo_error (err, errno, "create the namespaces");
  if (p->hostname && sethostname (p->hostname, strlen (p->hostname)) < 0)
    return cryo_error (err, errno, "set the hostname `%s`", p->hostname);
  if (p->domainname && setdomainname (p->domainname, strlen (p->domainname)) < 0)
    return cryo_error (err, errno, "set the domainname `%s`", p->domainname);
  if (p->netconf && netconf_restore (p->netconf, NULL, err) < 0)
    return cryo_error_wrap (err, "rebuild the network namespace");
  return 0;
}

static _Noreturn void
child_main (const struct cr_ns_plan *p, pid_t parent, int sk)
{
  cleanup_error cryo_error_t err = NULL;
  char c = MSG_READY;

  if (prctl (PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid () != parent)
    _exit (1);
  if (child_setup (p, &err) < 0)
    child_fail (sk, err);
  if (send (sk, &c, 1, MSG_NOSIGNAL) != 1)
    _exit (1);
  /* Hold the namespaces until cryo closes its end. */
  while (recv (sk, &c, 1, 0) > 0)
    ;
  _exit (0);
}

static int
expect (struct cr_nshelper *h, char want, cryo_error_t *err)
{
  char buf[1024];
  ssize_t n;

  do
    n = recv (h->sk, buf, sizeof buf - 1, 0);
  while (n < 0 && errno == EINTR);
  if (n > 0 && buf[0] == want)
    return 0;
  if (n > 1 && buf[0] == MSG_ERROR)
    {
      buf[n] = '\0';
      return cryo_error (err, 0, "%s", buf + 1);
    }
  return cryo_error (err, n < 0 ? errno : 0, "the namespace helper (pid %d) exited during setup", h->pid);
}

static void
set_paths (struct cr_nshelper *h, const struct cr_ns_plan *p)
{
  static const struct
  {
    enum cryo_ns ns;
    size_t off;
  } which[] = { { NS_UTS, offsetof (struct cr_ns_plan, uts) },
                { NS_IPC, offsetof (struct cr_ns_plan, ipc) },
                { NS_NET, offsetof (struct cr_ns_plan, net) } };

  for (size_t i = 0; i < ARRAY_SIZE (which); i++)
    if (*(const bool *)((const char *)p + which[i].off))
      h->paths[which[i].ns] = xasprintf ("/proc/%d/ns/%s", h->pid, ns_table[which[i].ns].proc_name);
}

int
cr_nshelper_start (const struct cr_ns_plan *p, struct cr_nshelper *h, cryo_error_t *err)
{
  int sks[2];
  pid_t parent = getpid ();

  memset (h, 0, sizeof *h);
  h->sk = -1;
  if (!p->net && !p->uts && !p->ipc)
    return 0;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sks) < 0)
    return cryo_error (err, errno, "socketpair");
  fflush (NULL);
  h->pid = fork ();
  if (h->pid < 0)
    {
      close (sks[0]);
      close (sks[1]);
      return cryo_error (err, errno, "fork the namespace helper");
    }
  if (h->pid == 0)
    {
      close (sks[0]);
      child_main (p, parent, sks[1]);
    }
  close (sks[1]);
  h->sk = sks[0];
  if (expect (h, MSG_READY, err) < 0)
    return -1;
  set_paths (h, p);
  return 0;
}

void
cr_nshelper_stop (struct cr_nshelper *h)
{
  cleanup_closep (&h->sk);
  if (h->pid > 0)
    {
      kill (h->pid, SIGKILL);
      while (waitpid (h->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    }
  h->pid = 0;
  for (size_t i = 0; i < ARRAY_SIZE (h->paths); i++)
    {
      free (h->paths[i]);
      h->paths[i] = NULL;
    }
}
