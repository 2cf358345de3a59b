/* leak-hold: build kernel objects and hold them, for the leak detection
 * tests (tests/bats/leaks.bats) and benchmark.  Built static, so the same
 * binary runs on the host and inside a busybox container (make_rootfs
 * copies it into /bin).
 *
 *   leak-hold [--ready FILE] ACTION [ARGS]... [ACTION [ARGS]...]...
 *
 * Every action is done in order, then FILE is created and the process
 * waits forever (children made by actions wait too), until killed.
 *
 * Inside-only objects: pipe, socketpair, posix-shm NAME, sysv-shm, mqueue,
 * threads N, zombie, memfd, flock-shared PATH, ptrace-child, tcp-loop PORT,
 * unix-pair PATH, anon-fds.  Objects that may reach outside: open PATH,
 * flock PATH, mmap-shared PATH, unix-connect PATH, unix-listen PATH,
 * memfd-send PATH, memfd-recv PATH, tcp-connect IP PORT, tcp-listen IP PORT,
 * ptrace PID.  For the benchmark: fds N (pipes, files, sockets, eventfds). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/msg.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void
die (const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  fprintf (stderr, "leak-hold: ");
  vfprintf (stderr, fmt, ap);
  fprintf (stderr, ": %s\n", strerror (errno));
  va_end (ap);
  exit (1);
}

/* In a child: die with the parent, so that killing the pid a test
 * recorded leaves nothing behind. */
static void
follow_parent (void)
{
  if (prctl (PR_SET_PDEATHSIG, SIGKILL) < 0)
    die ("prctl");
}

/* A child that holds what it inherited and waits. */
static pid_t
child_waits (void)
{
  pid_t pid = fork ();

  if (pid < 0)
    die ("fork");
  if (pid == 0)
    {
      follow_parent ();
      for (;;)
        pause ();
    }
  return pid;
}

static struct sockaddr_un
unix_addr (const char *path)
{
  struct sockaddr_un a = { .sun_family = AF_UNIX };

  snprintf (a.sun_path, sizeof (a.sun_path), "%s", path);
  return a;
}

static int
unix_connect (const char *path)
{
  struct sockaddr_un a = unix_addr (path);
  int fd = socket (AF_UNIX, SOCK_STREAM, 0);

  if (fd < 0)
    die ("socket");
  /* the listener may not be there yet */
  for (int i = 0; connect (fd, (struct sockaddr *) &a, sizeof (a)) < 0; i++)
    {
      if (i > 600)
        die ("connect %s", path);
      usleep (50000);
    }
  return fd;
}

static int
unix_listen (const char *path)
{
  struct sockaddr_un a = unix_addr (path);
  int fd = socket (AF_UNIX, SOCK_STREAM, 0);

  unlink (path);
  if (fd < 0 || bind (fd, (struct sockaddr *) &a, sizeof (a)) < 0 || listen (fd, 16) < 0)
    die ("listen %s", path);
  return fd;
}

static void
send_fd (int sock, int fd)
{
  char byte = 'm', cbuf[CMSG_SPACE (sizeof (int))] = { 0 };
  struct iovec iov = { &byte, 1 };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof (cbuf) };
  struct cmsghdr *c = CMSG_FIRSTHDR (&m);

  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof (int));
  if (sendmsg (sock, &m, 0) < 0)
    die ("sendmsg");
}

static int
recv_fd (int sock)
{
  char byte, cbuf[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { &byte, 1 };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof (cbuf) };
  struct cmsghdr *c;
  int fd;

  if (recvmsg (sock, &m, 0) <= 0 || (c = CMSG_FIRSTHDR (&m)) == NULL)
    die ("recvmsg");
  memcpy (&fd, CMSG_DATA (c), sizeof (int));
  return fd;
}

static void *
map_shared (int fd)
{
  void *p;

  if (ftruncate (fd, 4096) < 0)
    die ("ftruncate");
  p = mmap (NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED)
    die ("mmap");
  memset (p, 'x', 16);
  return p;
}

static struct sockaddr_in
inet_addr_of (const char *ip, const char *port)
{
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons (atoi (port)) };

  if (inet_pton (AF_INET, ip, &a.sin_addr) != 1)
    die ("address %s", ip);
  return a;
}

static int
tcp_listen (const char *ip, const char *port)
{
  struct sockaddr_in a = inet_addr_of (ip, port);
  int one = 1, fd = socket (AF_INET, SOCK_STREAM, 0);

  if (fd < 0 || setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one)) < 0
      || bind (fd, (struct sockaddr *) &a, sizeof (a)) < 0 || listen (fd, 16) < 0)
    die ("listen %s:%s", ip, port);
  return fd;
}

static int
tcp_connect (const char *ip, const char *port)
{
  struct sockaddr_in a = inet_addr_of (ip, port);

  for (int i = 0;; i++)
    {
      int fd = socket (AF_INET, SOCK_STREAM, 0);
      if (fd < 0)
        die ("socket");
      if (connect (fd, (struct sockaddr *) &a, sizeof (a)) == 0)
        return fd;
      close (fd);
      if (i > 600)
        die ("connect %s:%s", ip, port);
      usleep (50000);
    }
}

static void *
sleeper (void *arg)
{
  for (;;)
    pause ();
  return arg;
}

static void
anon_fds (void)
{
  sigset_t set;
  int ep = epoll_create1 (0), ev = eventfd (0, 0), tfd = timerfd_create (CLOCK_MONOTONIC, 0);
  struct epoll_event e = { .events = EPOLLIN };

  sigemptyset (&set);
  sigaddset (&set, SIGUSR2);
  if (ep < 0 || ev < 0 || tfd < 0 || signalfd (-1, &set, 0) < 0 || inotify_init () < 0)
    die ("anonymous fds");
  if (epoll_ctl (ep, EPOLL_CTL_ADD, ev, &e) < 0)
    die ("epoll_ctl");
  child_waits ();
}

/* n fds, in turn: a pipe (2), /dev/null, a socketpair (2), an eventfd. */
static void
many_fds (int n)
{
  int made = 0;

  for (int kind = 0; made < n; kind = (kind + 1) % 4)
    {
      int p[2];
      switch (kind)
        {
        case 0:
          if (n - made < 2 || pipe (p) < 0)
            goto single;
          made += 2;
          break;
        case 1:
          if (open ("/dev/null", O_RDONLY) < 0)
            die ("open");
          made++;
          break;
        case 2:
          if (n - made < 2 || socketpair (AF_UNIX, SOCK_STREAM, 0, p) < 0)
            goto single;
          made += 2;
          break;
        default:
        single:
          if (eventfd (0, 0) < 0)
            die ("eventfd");
          made++;
        }
    }
}

static void
sysv (void)
{
  int id = shmget (IPC_PRIVATE, 4096, IPC_CREAT | 0600), q = msgget (IPC_PRIVATE, IPC_CREAT | 0600);
  struct
  {
    long type;
    char text[8];
  } msg = { 1, "hello" };
  char *p;

  if (id < 0 || q < 0 || (p = shmat (id, NULL, 0)) == (void *) -1)
    die ("sysv");
  p[0] = 'x';
  if (msgsnd (q, &msg, sizeof (msg.text), 0) < 0)
    die ("msgsnd");
  child_waits ();
}

static void
mqueue (void)
{
  struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 64 };
  mqd_t q = mq_open ("/leak-hold", O_CREAT | O_RDWR, 0600, &attr);

  if (q == (mqd_t) -1 || mq_send (q, "hello", 5, 0) < 0)
    die ("mq_open");
  child_waits ();
}

static void
tcp_loop (const char *port)
{
  int l = tcp_listen ("127.0.0.1", port);

  if (fork () == 0)
    {
      follow_parent ();
      tcp_connect ("127.0.0.1", port);
      for (;;)
        pause ();
    }
  if (accept (l, NULL, NULL) < 0)
    die ("accept");
}

static void
unix_pair (const char *path)
{
  int l = unix_listen (path);

  if (fork () == 0)
    {
      follow_parent ();
      unix_connect (path);
      for (;;)
        pause ();
    }
  if (accept (l, NULL, NULL) < 0)
    die ("accept");
}

static void
ptrace_child (void)
{
  pid_t pid = child_waits ();

  if (ptrace (PTRACE_SEIZE, pid, 0, 0) < 0)
    die ("PTRACE_SEIZE %d", pid);
}

static void
memfd_send (const char *path)
{
  int m = memfd_create ("leak-hold", 0), l = unix_listen (path), c;

  if (m < 0)
    die ("memfd_create");
  map_shared (m);
  c = accept (l, NULL, NULL);
  if (c < 0)
    die ("accept");
  send_fd (c, m);
}

static void
memfd_recv (const char *path)
{
  int s = unix_connect (path), m = recv_fd (s);

  map_shared (m);
  close (s);
}

static void
flock_path (const char *path, bool shared_with_child)
{
  int fd = open (path, O_RDWR | O_CREAT, 0644);

  if (fd < 0 || flock (fd, LOCK_EX) < 0)
    die ("flock %s", path);
  if (shared_with_child)
    child_waits ();
}

static void
do_pipe (char **argv)
{
  int p[2];

  if ((argv[0][0] == 'p' ? pipe (p) : socketpair (AF_UNIX, SOCK_STREAM, 0, p)) < 0)
    die ("%s", argv[0]);
  child_waits ();
}

static void
do_posix_shm (char **argv)
{
  int fd = shm_open (argv[1], O_CREAT | O_RDWR, 0600);

  if (fd < 0)
    die ("shm_open %s", argv[1]);
  map_shared (fd);
  child_waits ();
}

static void
do_threads (char **argv)
{
  for (int i = 0; i < atoi (argv[1]); i++)
    {
      pthread_t t;
      if (pthread_create (&t, NULL, sleeper, NULL) != 0)
        die ("pthread_create");
    }
}

static void
do_zombie (char **argv)
{
  if (fork () == 0)
    _exit (0);
}

static void
do_memfd (char **argv)
{
  int fd = memfd_create ("inside", 0);

  if (fd < 0)
    die ("memfd_create");
  map_shared (fd);
  child_waits ();
}

static void
do_open (char **argv)
{
  if (open (argv[1], O_RDONLY | O_NONBLOCK) < 0)
    die ("open %s", argv[1]);
}

static void
do_mmap_shared (char **argv)
{
  int fd = open (argv[1], O_RDWR | O_CREAT, 0644);

  if (fd < 0)
    die ("open %s", argv[1]);
  map_shared (fd);
  close (fd);
}

static void
do_unix_listen (char **argv)
{
  if (accept (unix_listen (argv[1]), NULL, NULL) < 0)
    die ("accept");
}

static void
do_tcp_listen (char **argv)
{
  if (accept (tcp_listen (argv[1], argv[2]), NULL, NULL) < 0)
    die ("accept");
}

static void
do_ptrace (char **argv)
{
  if (ptrace (PTRACE_SEIZE, atoi (argv[1]), 0, 0) < 0)
    die ("PTRACE_SEIZE %s", argv[1]);
}

static void do_sysv (char **argv) { sysv (); }
static void do_mqueue (char **argv) { mqueue (); }
static void do_anon_fds (char **argv) { anon_fds (); }
static void do_ptrace_child (char **argv) { ptrace_child (); }
static void do_tcp_loop (char **argv) { tcp_loop (argv[1]); }
static void do_unix_pair (char **argv) { unix_pair (argv[1]); }
static void do_flock_shared (char **argv) { flock_path (argv[1], true); }
static void do_flock (char **argv) { flock_path (argv[1], false); }
static void do_unix_connect (char **argv) { unix_connect (argv[1]); }
static void do_memfd_send (char **argv) { memfd_send (argv[1]); }
static void do_memfd_recv (char **argv) { memfd_recv (argv[1]); }
static void do_tcp_connect (char **argv) { tcp_connect (argv[1], argv[2]); }
static void do_fds (char **argv) { many_fds (atoi (argv[1])); }

static const struct action
{
  const char *name;
  int n_args;
  void (*fn) (char **argv);
} actions[] = {
  { "pipe", 0, do_pipe },
  { "socketpair", 0, do_pipe },
  { "posix-shm", 1, do_posix_shm },
  { "sysv-shm", 0, do_sysv },
  { "mqueue", 0, do_mqueue },
  { "threads", 1, do_threads },
  { "zombie", 0, do_zombie },
  { "memfd", 0, do_memfd },
  { "anon-fds", 0, do_anon_fds },
  { "ptrace-child", 0, do_ptrace_child },
  { "tcp-loop", 1, do_tcp_loop },
  { "unix-pair", 1, do_unix_pair },
  { "flock-shared", 1, do_flock_shared },
  { "flock", 1, do_flock },
  { "open", 1, do_open },
  { "mmap-shared", 1, do_mmap_shared },
  { "unix-connect", 1, do_unix_connect },
  { "unix-listen", 1, do_unix_listen },
  { "memfd-send", 1, do_memfd_send },
  { "memfd-recv", 1, do_memfd_recv },
  { "tcp-connect", 2, do_tcp_connect },
  { "tcp-listen", 2, do_tcp_listen },
  { "ptrace", 1, do_ptrace },
  { "fds", 1, do_fds },
};

/* Do the action at argv[0]; returns how many arguments it used. */
static int
act (char **argv, int argc)
{
  for (size_t i = 0; i < sizeof (actions) / sizeof (actions[0]); i++)
    {
      if (strcmp (argv[0], actions[i].name) != 0)
        continue;
      if (argc < actions[i].n_args + 1)
        {
          fprintf (stderr, "leak-hold: %s needs %d arguments\n", argv[0], actions[i].n_args);
          exit (2);
        }
      actions[i].fn (argv);
      return actions[i].n_args;
    }
  fprintf (stderr, "leak-hold: unknown action `%s`\n", argv[0]);
  exit (2);
}

int
main (int argc, char **argv)
{
  const char *ready = NULL;
  int i = 1;

  if (argc > 2 && strcmp (argv[1], "--ready") == 0)
    {
      ready = argv[2];
      i = 3;
    }
  while (i < argc)
    i += 1 + act (argv + i, argc - i);
  if (ready && close (open (ready, O_WRONLY | O_CREAT, 0644)) < 0)
    die ("create %s", ready);
  for (;;)
    pause ();
}
