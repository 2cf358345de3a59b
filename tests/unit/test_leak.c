/* Leak classification on hosts built by hand: which processes the dump
 * covers, and for each kind of leak one case that must be reported (with the
 * right container pid, fd, object and holder) and one look-alike that must
 * not; declared externals, subtree severities, sorting and the report's
 * text and JSON.  The /proc pass itself runs against the real host. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "leak-internal.h"
#include "tap.h"
#include "util.h"

#define NS_C 4026532000ULL /* container namespaces: NS_C + type */
#define NS_H 4026531000ULL /* the host's */
#define DEV_ROOT makedev (254, 0)
#define DEV_PIPE makedev (0, 14)
#define DEV_SOCK makedev (0, 8)
#define DEV_NSFS makedev (0, 4)
#define DEV_ANON makedev (0, 15)
#define DEV_PTS makedev (0, 41)
#define DEV_HOSTPTS makedev (0, 25)
#define DEV_SHM makedev (0, 1)
#define DEV_CTMPFS makedev (0, 42)

struct desc
{
  pid_t pid;
  int fd;
  int id;
};

/* The fake kcmp: each (pid, fd) has an open file description id. */
static struct desc descs[4096];
static size_t n_descs;

static int
desc_of (pid_t pid, int fd)
{
  for (size_t i = 0; i < n_descs; i++)
    if (descs[i].pid == pid && descs[i].fd == fd)
      return descs[i].id;
  return -1;
}

static size_t kcmp_calls;

static int
fake_cmp (pid_t p1, int fd1, pid_t p2, int fd2)
{
  int a = desc_of (p1, fd1), b = desc_of (p2, fd2);

  kcmp_calls++;
  if (a < 0 || b < 0)
    return -1;
  return a == b ? 0 : a < b ? 1 : 2;
}

struct world
{
  struct lk_index idx;
  struct lk_ctx c;
  struct lk_mount mounts[3];
  pid_t cgroup[64];
  size_t n_cgroup;
};

static struct world *
w_new (void)
{
  struct world *w = xzalloc (sizeof (*w));

  n_descs = 0;
  w->idx.nsfs_dev = DEV_NSFS;
  w->idx.sockfs_dev = DEV_SOCK;
  w->idx.cmp_file = fake_cmp;
  return w;
}

/* A process; @ns_base NS_C puts it in the container's namespaces. */
static uint32_t
w_proc (struct world *w, pid_t pid, pid_t ppid, const char *comm, uint64_t ns_base)
{
  struct lk_index *idx = &w->idx;
  struct lk_proc *p;

  idx->procs = xreallocarray (idx->procs, idx->n_procs + 1, sizeof (*idx->procs));
  p = &idx->procs[idx->n_procs];
  memset (p, 0, sizeof (*p));
  p->pid = pid;
  p->ppid = ppid;
  p->state = 'S';
  p->nspid = ns_base == NS_C ? pid - 99 : pid;
  snprintf (p->comm, sizeof (p->comm), "%s", comm);
  for (int t = 0; t < NS_MAX; t++)
    p->ns[t] = ns_base + t;
  p->fd_first = idx->n_fds;
  p->map_first = idx->n_maps;
  return idx->n_procs++;
}

static void
w_cgroup (struct world *w, pid_t pid)
{
  w->cgroup[w->n_cgroup++] = pid;
}

/* An fd of the last process. */
static struct lk_fd *
w_fd (struct world *w, int fd, uint64_t dev, uint64_t ino, mode_t mode, const char *link, int desc)
{
  struct lk_index *idx = &w->idx;
  struct lk_proc *p = &idx->procs[idx->n_procs - 1];
  struct lk_fd *f;

  idx->fds = xreallocarray (idx->fds, idx->n_fds + 1, sizeof (*idx->fds));
  f = &idx->fds[idx->n_fds++];
  memset (f, 0, sizeof (*f));
  f->proc = idx->n_procs - 1;
  f->fd = fd;
  f->dev = dev;
  f->ino = ino;
  f->mode = mode;
  f->link = xstrdup (link);
  f->mnt_id = link && link[0] == '/' ? 100 : -1;
  p->n_fds++;
  if (desc >= 0)
    descs[n_descs++] = (struct desc) { p->pid, fd, desc };
  return f;
}

static void
w_map (struct world *w, uint64_t start, uint64_t dev, uint64_t ino, const char *path)
{
  struct lk_index *idx = &w->idx;
  struct lk_proc *p = &idx->procs[idx->n_procs - 1];
  struct lk_map *m;

  idx->maps = xreallocarray (idx->maps, idx->n_maps + 1, sizeof (*idx->maps));
  m = &idx->maps[idx->n_maps++];
  memset (m, 0, sizeof (*m));
  m->proc = idx->n_procs - 1;
  m->start = start;
  m->end = start + 4096;
  m->dev = dev;
  m->ino = ino;
  m->path = xstrdup (path);
  if (path && strncmp (path, "/SYSV", 5) == 0)
    m->sysv_ipcns = p->ns[NS_IPC];
  p->n_maps++;
}

/* Resolve the context for init @init_pid, as leak.c does from a target. */
static void
w_ready (struct world *w, pid_t init_pid, enum leak_mode mode)
{
  struct lk_ctx *c = &w->c;

  lk_index_build (&w->idx);
  c->idx = &w->idx;
  c->mode = mode;
  c->init = lk_proc_find (&w->idx, init_pid);
  memcpy (c->ns, w->idx.procs[c->init].ns, sizeof (c->ns));
  for (int t = 0; t < NS_MAX; t++)
    c->host_ns[t] = NS_H + t;
  c->ns_required[NS_MNT] = c->ns_required[NS_PID] = c->ns_required[NS_NET] = true;
  c->ns_required[NS_IPC] = c->ns_required[NS_UTS] = true;
  w->mounts[0] = (struct lk_mount) { 100, DEV_ROOT, (char *) "ext4", (char *) "/" };
  w->mounts[1] = (struct lk_mount) { 101, DEV_PTS, (char *) "devpts", (char *) "/dev/pts" };
  w->mounts[2] = (struct lk_mount) { 102, DEV_CTMPFS, (char *) "tmpfs", (char *) "/dev/shm" };
  c->mounts = w->mounts;
  c->n_mounts = 3;
  c->devpts_dev = DEV_PTS;
  c->has_cgroup = true;
  c->cgroup_pids = xmalloc ((w->n_cgroup + 1) * sizeof (pid_t));
  memcpy (c->cgroup_pids, w->cgroup, w->n_cgroup * sizeof (pid_t));
  c->n_cgroup_pids = w->n_cgroup;
  lk_mark_processes (c);
}

static struct leak_report *
w_report (struct world *w)
{
  struct leak_report *r = xzalloc (sizeof (*r));

  r->id = xstrdup ("test");
  r->mode = w->c.mode;
  lk_report_finish (&w->c, r);
  return r;
}

/* Every classifier except sockets, then the report. */
static struct leak_report *
w_scan (struct world *w)
{
  lk_check_processes (&w->c);
  lk_check_ptrace (&w->c);
  lk_check_namespaces (&w->c);
  lk_check_fds (&w->c);
  lk_check_locks (&w->c);
  lk_check_memory (&w->c);
  return w_report (w);
}

static void
w_free (struct world *w)
{
  free (w->c.cgroup_pids);
  free (w->c.declared);
  w->c.mounts = NULL;
  w->c.n_mounts = 0;
  w->c.cgroup_pids = NULL;
  w->c.declared = NULL;
  free (w->c.leaks);
  lk_index_clear (&w->idx);
  free (w);
}

static size_t
count (const struct leak_report *r, enum leak_kind kind)
{
  size_t n = 0;

  for (size_t i = 0; i < r->n_leaks; i++)
    n += r->leaks[i].kind == kind;
  return n;
}

static const struct leak *
find (const struct leak_report *r, enum leak_kind kind, pid_t pid, int fd, pid_t holder)
{
  for (size_t i = 0; i < r->n_leaks; i++)
    if (r->leaks[i].kind == kind && r->leaks[i].pid == pid && r->leaks[i].fd == fd
        && r->leaks[i].holder_pid == holder)
      return &r->leaks[i];
  return NULL;
}

static void
dump (const struct leak_report *r)
{
  cleanup_free char *text = leak_report_to_text (r);
  char *save = NULL;

  for (char *l = strtok_r (text, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    printf ("# %s\n", l);
}

/* A container: init 100 (cryo's child, reparented to host pid 1) and its
 * child 101 talking over a pipe and a socketpair, with stdio from the
 * host; a host with its own pipes, sockets and eventfds. */
static struct world *
w_container (void)
{
  struct world *w = w_new ();
  struct lk_fd *f;

  w_proc (w, 1, 0, "systemd", NS_H);
  w_fd (w, 3, DEV_ANON, 1, 0600, "anon_inode:[eventfd]", 9001);
  w_fd (w, 4, DEV_PIPE, 5000, S_IFIFO | 0600, "pipe:[5000]", 9002);
  w_proc (w, 50, 1, "bash", NS_H);
  w_fd (w, 0, DEV_ROOT, 77, S_IFCHR | 0666, "/dev/null", 9003)->rdev = makedev (1, 3);
  w_fd (w, 1, DEV_PIPE, 5000, S_IFIFO | 0600, "pipe:[5000]", 9004);
  w_proc (w, 100, 1, "sleep", NS_C);
  w_cgroup (w, 100);
  f = w_fd (w, 0, DEV_ROOT, 77, S_IFCHR | 0666, "/dev/null", 9005); /* the host's /dev/null */
  f->rdev = makedev (1, 3);
  f->mnt_id = 23;
  w_fd (w, 1, DEV_ROOT, 88, S_IFREG | 0644, "/run/out.log", 9006);
  w_fd (w, 3, DEV_PIPE, 6000, S_IFIFO | 0600, "pipe:[6000]", 9010);
  w_fd (w, 4, DEV_SOCK, 6001, S_IFSOCK | 0777, "socket:[6001]", 9011);
  w_fd (w, 5, DEV_ANON, 1, 0600, "anon_inode:[eventfd]", 9012);
  w_proc (w, 101, 100, "worker", NS_C);
  w_cgroup (w, 101);
  w_fd (w, 3, DEV_PIPE, 6000, S_IFIFO | 0600, "pipe:[6000]", 9013);
  w_fd (w, 4, DEV_SOCK, 6002, S_IFSOCK | 0777, "socket:[6002]", 9014);
  w_fd (w, 5, DEV_ANON, 1, 0600, "anon_inode:[eventfd]", 9012); /* inherited: same description */
  w_fd (w, 6, DEV_PTS, 3, S_IFCHR | 0620, "/dev/pts/0", 9015)->rdev = makedev (136, 0);
  w_fd (w, 7, DEV_ROOT, 99, S_IFCHR | 0666, "/dev/urandom", 9016)->rdev = makedev (1, 9);
  w_map (w, 0x7f0000000000, DEV_CTMPFS, 12, "/dev/shm/ring");
  w_proc (w, 102, 100, "zombie", NS_C);
  w_cgroup (w, 102);
  w->idx.procs[w->idx.n_procs - 1].state = 'Z';
  memset (w->idx.procs[w->idx.n_procs - 1].ns, 0, sizeof (w->idx.procs[0].ns));
  w_proc (w, 103, 101, "thread-holder", NS_C);
  w_cgroup (w, 103);
  w_map (w, 0x7f0000000000, DEV_CTMPFS, 12, "/dev/shm/ring");
  w_map (w, 0x7f1000000000, DEV_SHM, 3, "/SYSV00000000 (deleted)");
  return w;
}

static int
test_covered (void)
{
  struct world *w = w_container ();

  w_proc (w, 200, 50, "nsenter", NS_H);
  w_proc (w, 201, 200, "sh", NS_C);
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  CHECK (lk_covered (&w->c, lk_proc_find (&w->idx, 100)));
  CHECK (lk_covered (&w->c, lk_proc_find (&w->idx, 101)));
  CHECK (lk_covered (&w->c, lk_proc_find (&w->idx, 103)));
  CHECK (!lk_covered (&w->c, lk_proc_find (&w->idx, 1)));
  CHECK (!lk_covered (&w->c, lk_proc_find (&w->idx, 201)));
  CHECK (w->idx.procs[lk_proc_find (&w->idx, 201)].flags & LK_IN_PIDNS);
  CHECK (!(w->idx.procs[lk_proc_find (&w->idx, 201)].flags & LK_IN_CGROUP));
  w_free (w);
  return 0;
}

static int
test_clean_container (void)
{
  struct world *w = w_container ();
  struct leak_report *r;

  w_ready (w, 100, LEAK_MODE_CONTAINER);
  r = w_scan (w);
  dump (r);
  /* The only finding: stdin on the host's /dev/null, the container's own
   * stdio, which leak.c declares external; here nothing is declared yet. */
  CHECK (r->n_leaks == 1);
  CHECK (find (r, LEAK_FILE_UNREACHABLE, 100, 0, 0) != NULL);
  CHECK (find (r, LEAK_FILE_UNREACHABLE, 100, 1, 0) == NULL); /* mnt_id 100 is the container's root */
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_declared_stdio (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  uint64_t declared[1][2] = { { DEV_ROOT, 77 } };

  w_ready (w, 100, LEAK_MODE_CONTAINER);
  w->c.declared = xmalloc (sizeof (declared));
  memcpy (w->c.declared, declared, sizeof (declared));
  w->c.n_declared = 1;
  r = w_scan (w);
  dump (r);
  CHECK (r->n_leaks == 0);
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_pipe (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  const struct leak *l;

  w_proc (w, 60, 50, "cat", NS_H);
  w_fd (w, 0, DEV_PIPE, 6000, S_IFIFO | 0600, "pipe:[6000]", 9100);
  w_fd (w, 7, DEV_PIPE, 6000, S_IFIFO | 0600, "pipe:[6000]", 9100);
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  r = w_scan (w);
  dump (r);
  CHECK (count (r, LEAK_PIPE) == 2); /* fd 3 of 100 and of 101; cat's two fds merged */
  l = find (r, LEAK_PIPE, 101, 3, 60);
  CHECK (l != NULL);
  CHECK_STR (l->object, "pipe:[6000]");
  CHECK_STR (l->holder_command, "cat");
  CHECK (l->nspid == 2);
  CHECK (!l->warning);
  CHECK (r->n_errors == r->n_leaks);
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_processes (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  const struct leak *l;

  /* cryo exec without exec: nsenter (host) in the cgroup, its child in
   * the pid namespace; and a descendant of init moved out of the cgroup. */
  w_proc (w, 200, 50, "nsenter", NS_H);
  w_cgroup (w, 200);
  w_proc (w, 201, 200, "sh", NS_C);
  w_cgroup (w, 201);
  w_proc (w, 104, 101, "escaped", NS_C);
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  r = w_scan (w);
  dump (r);
  l = find (r, LEAK_PROCESS, 201, -1, 200);
  CHECK (l != NULL);
  CHECK (strstr (l->detail, "pid namespace and cgroup") != NULL);
  CHECK (find (r, LEAK_PROCESS, 200, -1, 50) != NULL);
  CHECK (find (r, LEAK_PROCESS_CGROUP, 104, -1, 0) != NULL);
  CHECK (count (r, LEAK_PROCESS_CGROUP) == 1); /* not the zombie */
  /* sh is in every container namespace */
  CHECK (count (r, LEAK_NS_JOINED) == NS_MAX);
  CHECK (find (r, LEAK_NS_JOINED, 0, -1, 201) != NULL);
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_ptrace (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  const struct leak *l;

  w->idx.procs[3].tracer = 70;  /* 101 traced by strace on the host */
  w_proc (w, 70, 50, "strace", NS_H);
  w_proc (w, 71, 50, "victim", NS_H);
  w->idx.procs[w->idx.n_procs - 1].tracer = 100;
  w_proc (w, 104, 101, "gdb", NS_C);
  w_cgroup (w, 104);
  w_proc (w, 105, 104, "debuggee", NS_C);
  w_cgroup (w, 105);
  w->idx.procs[w->idx.n_procs - 1].tracer = 104; /* inside: fine */
  w_ready (w, 100, LEAK_MODE_SUBTREE);
  r = w_scan (w);
  dump (r);
  CHECK (count (r, LEAK_PTRACE) == 2);
  l = find (r, LEAK_PTRACE, 101, -1, 70);
  CHECK (l != NULL && l->blocks_dump && !l->warning);
  l = find (r, LEAK_PTRACE, 100, -1, 71);
  CHECK (l != NULL && l->warning);
  CHECK (r->n_errors == 1);
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_namespaces (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  const struct leak *l;
  static const char mountinfo[] = "22 1 0:21 / /proc rw - proc proc rw\n"
                                  "400 22 0:4 net:[4026532003] /run/netns/stolen rw - nsfs nsfs rw\n"
                                  "401 22 0:4 net:[4026531003] /run/netns/host rw - nsfs nsfs rw\n";

  /* the container shares the host's uts namespace; 103 went into another
   * net namespace; a host process holds the container's ipc namespace open
   * and one of its mount namespace has the net namespace bind-mounted */
  for (uint32_t i = 0; i < w->idx.n_procs; i++)
    if (w->idx.procs[i].ns[NS_UTS] == NS_C + NS_UTS)
      w->idx.procs[i].ns[NS_UTS] = NS_H + NS_UTS;
  w->idx.procs[5].ns[NS_NET] = 4026533333ULL;
  w_proc (w, 80, 1, "holder", NS_H);
  w_fd (w, 9, DEV_NSFS, NS_C + NS_IPC, S_IFREG | 0444, "ipc:[4026532004]", 9200);
  w_fd (w, 10, DEV_NSFS, NS_H + NS_IPC, S_IFREG | 0444, "ipc:[4026531004]", 9201);
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  lk_parse_nsmounts (&w->idx, lk_proc_find (&w->idx, 80), mountinfo);
  CHECK (w->idx.n_nsmounts == 2);
  r = w_scan (w);
  dump (r);
  l = find (r, LEAK_NS_SHARED, 100, -1, 0);
  CHECK (l != NULL && count (r, LEAK_NS_SHARED) == 1);
  CHECK_STR (l->object, "uts:[4026531005]");
  l = find (r, LEAK_NS_FOREIGN, 103, -1, 0);
  CHECK (l != NULL && count (r, LEAK_NS_FOREIGN) == 1);
  CHECK_STR (l->object, "net:[4026533333]");
  l = find (r, LEAK_NS_FD, 0, -1, 80);
  CHECK (l != NULL && count (r, LEAK_NS_FD) == 1);
  CHECK_STR (l->object, "ipc:[4026532004]");
  l = find (r, LEAK_NS_BIND, 0, -1, 80);
  CHECK (l != NULL && count (r, LEAK_NS_BIND) == 1);
  CHECK_STR (l->holder_path, "/run/netns/stolen");
  /* a host process in the host's uts namespace is not "joined" */
  CHECK (count (r, LEAK_NS_JOINED) == 0);
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_shared_description (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  const struct leak *l;

  /* the host opens the container's socket and eventfd inodes: only the one
   * with the same description leaks */
  w_proc (w, 90, 1, "shim", NS_H);
  w_fd (w, 3, DEV_SOCK, 6001, S_IFSOCK | 0777, "socket:[6001]", 9011);
  w_fd (w, 4, DEV_ROOT, 88, S_IFREG | 0644, "/run/out.log", 9300); /* same file, own description */
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  r = w_scan (w);
  dump (r);
  l = find (r, LEAK_FILE_SHARED, 100, 4, 90);
  CHECK (l != NULL && count (r, LEAK_FILE_SHARED) == 1);
  CHECK_STR (l->object, "socket:[6001]");
  CHECK (l->obj_ino == 6001);
  leak_report_free (r);
  w_free (w);
  return 0;
}

/* 40 container eventfds against 400 host eventfds on the one anonymous
 * inode: sorted by kcmp order, far fewer than 16000 comparisons. */
static int
test_anon_inode_group (void)
{
  struct world *w = w_container ();
  struct leak_report *r;

  w_proc (w, 104, 100, "many", NS_C);
  w_cgroup (w, 104);
  for (int i = 0; i < 40; i++)
    w_fd (w, 10 + i, DEV_ANON, 1, 0600, "anon_inode:[eventfd]", 20000 + i * 10);
  w_proc (w, 91, 1, "busy", NS_H);
  for (int i = 0; i < 400; i++)
    w_fd (w, 10 + i, DEV_ANON, 1, 0600, "anon_inode:[eventfd]", i == 123 ? 20000 + 170 : 30000 + i);
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  kcmp_calls = 0;
  lk_check_fds (&w->c);
  r = w_report (w);
  dump (r);
  CHECK (count (r, LEAK_FILE_SHARED) == 1);
  CHECK (find (r, LEAK_FILE_SHARED, 104, 27, 91) != NULL);
  CHECK (kcmp_calls < 40 * 400 / 4);
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_paths_and_devices (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  struct lk_fd *f;

  w_proc (w, 104, 100, "opener", NS_C);
  w_cgroup (w, 104);
  f = w_fd (w, 3, DEV_ROOT, 500, S_IFREG | 0644, "/host/secret", 9400);
  f->mnt_id = 23;
  f = w_fd (w, 4, DEV_ROOT, 501, S_IFCHR | 0600, "/dev/kmsg", 9401);
  f->rdev = makedev (1, 11);
  f = w_fd (w, 5, DEV_HOSTPTS, 4, S_IFCHR | 0620, "/dev/pts/4", 9402);
  f->rdev = makedev (136, 4);
  f->mnt_id = 24;
  f = w_fd (w, 6, DEV_ROOT, 502, S_IFCHR | 0600, "/dev/fuse", 9403);
  f->rdev = makedev (10, 229);
  f = w_fd (w, 7, DEV_SHM, 9, S_IFREG | 0600, "/memfd:buf (deleted)", 9404);
  f->mnt_id = 3;
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  w->c.devices = xmalloc (sizeof (struct lk_devnum));
  w->c.devices[0] = (struct lk_devnum) { 'c', 10, 229 }; /* linux.devices */
  w->c.n_devices = 1;
  lk_check_fds (&w->c);
  free (w->c.devices);
  w->c.devices = NULL;
  r = w_report (w);
  dump (r);
  CHECK (find (r, LEAK_FILE_UNREACHABLE, 104, 3, 0) != NULL);
  CHECK (find (r, LEAK_DEVICE, 104, 4, 0) != NULL);
  CHECK (find (r, LEAK_DEVICE, 104, 5, 0) != NULL);     /* the host's pty */
  CHECK (find (r, LEAK_FILE_UNREACHABLE, 104, 5, 0) != NULL);
  CHECK (count (r, LEAK_DEVICE) == 2);                  /* not /dev/fuse, not the container's pty */
  CHECK (count (r, LEAK_FILE_UNREACHABLE) == 3);        /* + stdin; not the memfd */
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_locks (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  const struct leak *l;
  char text[512];

  w_proc (w, 104, 100, "locker", NS_C);
  w_cgroup (w, 104);
  w_fd (w, 3, DEV_ROOT, 600, S_IFREG | 0644, "/data/lock", 9500);
  w_fd (w, 4, DEV_ROOT, 601, S_IFREG | 0644, "/data/lock2", 9501);
  w_fd (w, 5, DEV_ROOT, 602, S_IFREG | 0644, "/data/own", 9502);
  w_proc (w, 92, 1, "flock", NS_H);
  w_fd (w, 3, DEV_ROOT, 601, S_IFREG | 0644, "/srv/lock2", 9503);
  snprintf (text, sizeof (text),
            "1: FLOCK  ADVISORY  WRITE 104 %02x:%02x:600 0 EOF\n"
            "1: -> FLOCK  ADVISORY  WRITE 93 %02x:%02x:600 0 EOF\n"
            "2: POSIX  ADVISORY  WRITE 104 %02x:%02x:601 0 EOF\n"
            "3: OFDLCK ADVISORY  READ  -1 %02x:%02x:602 0 EOF\n"
            "4: POSIX  ADVISORY  WRITE 92 %02x:%02x:777 0 EOF\n",
            major (DEV_ROOT), minor (DEV_ROOT), major (DEV_ROOT), minor (DEV_ROOT), major (DEV_ROOT),
            minor (DEV_ROOT), major (DEV_ROOT), minor (DEV_ROOT), major (DEV_ROOT), minor (DEV_ROOT));
  w_proc (w, 93, 1, "waiter", NS_H);
  CHECK (lk_index_parse_locks (&w->idx, text) == 0);
  CHECK (w->idx.n_locks == 5);
  CHECK (w->idx.locks[1].blocked && w->idx.locks[3].pid == -1);
  CHECK (w->idx.locks[0].dev == DEV_ROOT && w->idx.locks[0].ino == 600);
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  lk_check_locks (&w->c);
  r = w_report (w);
  dump (r);
  l = find (r, LEAK_LOCK, 104, 3, 93);
  CHECK (l != NULL);
  CHECK (strstr (l->detail, "waits for this lock") != NULL);
  CHECK_STR (l->object, "FLOCK lock on /data/lock");
  l = find (r, LEAK_LOCK, 104, 4, 92);
  CHECK (l != NULL);
  CHECK (strstr (l->detail, "held open") != NULL);
  CHECK (count (r, LEAK_LOCK) == 2);
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_memory (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  const struct leak *l;

  /* 101 maps a memfd that the host holds open, and a data file the host
   * maps; the host maps another SysV segment 0 (its own ipc namespace) and
   * has the data file of 103 open without mapping it */
  w_proc (w, 104, 101, "mapper", NS_C);
  w_cgroup (w, 104);
  w_map (w, 0x7f2000000000, DEV_SHM, 40, "/memfd:ring (deleted)");
  w_map (w, 0x7f3000000000, DEV_ROOT, 700, "/data/table");
  w_map (w, 0x7f4000000000, DEV_ROOT, 701, "/data/private-to-us");
  w_proc (w, 94, 1, "host-mapper", NS_H);
  w_fd (w, 5, DEV_SHM, 40, S_IFREG | 0600, "/memfd:ring (deleted)", 9600);
  w_fd (w, 6, DEV_ROOT, 701, S_IFREG | 0600, "/srv/private-to-us", 9601);
  w_map (w, 0x7f5000000000, DEV_ROOT, 700, "/srv/table");
  w_map (w, 0x7f6000000000, DEV_SHM, 3, "/SYSV00000000 (deleted)");
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  lk_check_memory (&w->c);
  r = w_report (w);
  dump (r);
  l = find (r, LEAK_MEMORY, 104, -1, 94);
  CHECK (l != NULL);
  CHECK (count (r, LEAK_MEMORY) == 2);
  CHECK (r->leaks[0].addr_start == 0x7f2000000000 && strstr (r->leaks[0].detail, "held open") != NULL);
  CHECK (r->leaks[1].addr_start == 0x7f3000000000 && strstr (r->leaks[1].detail, "also mapped") != NULL);
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_unix (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  struct lk_unix u[6] = {
    { .ino = 6001, .peer = 6002, .type = 1 },                 /* the container's socketpair */
    { .ino = 6002, .peer = 6001, .type = 1 },
    { .ino = 6003, .peer = 7001, .type = 1, .name = (char *) "/ext/sock" }, /* client of a host listener */
    { .ino = 7001, .peer = 6003, .type = 1, .name = (char *) "/srv/sock" },
    { .ino = 6004, .peer = 0, .type = 2 },                    /* datagram receiver */
    { .ino = 7002, .peer = 6004, .type = 2 },                 /* host sender */
  };
  struct lk_socks s = { .unix_ = u, .n_unix = 6 };

  w_proc (w, 104, 100, "client", NS_C);
  w_cgroup (w, 104);
  w_fd (w, 3, DEV_SOCK, 6003, S_IFSOCK | 0777, "socket:[6003]", 9700);
  w_fd (w, 4, DEV_SOCK, 6004, S_IFSOCK | 0777, "socket:[6004]", 9701);
  w_proc (w, 95, 1, "server", NS_H);
  w_fd (w, 5, DEV_SOCK, 7001, S_IFSOCK | 0777, "socket:[7001]", 9702);
  w_fd (w, 6, DEV_SOCK, 7002, S_IFSOCK | 0777, "socket:[7002]", 9703);
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  lk_check_unix (&w->c, &s);
  r = w_report (w);
  dump (r);
  CHECK (count (r, LEAK_UNIX) == 2);
  CHECK (find (r, LEAK_UNIX, 104, 3, 95) != NULL);
  CHECK (strstr (r->leaks[0].object, "/srv/sock") != NULL);
  CHECK (find (r, LEAK_UNIX, 104, 4, 95) != NULL);
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_unix_pending (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  uint64_t host_icons[] = { 6101 }, cont_icons[] = { 7200 }, inner_icons[] = { 6301 };
  /* 6101 connected to host listener 7100, not accepted yet: its peer is 0
   * and the listener names it; host client 7200 waits in the queue of
   * container listener 6100; 6301 waits for 6300, both inside */
  struct lk_unix u[6] = {
    { .ino = 6101, .peer = 0, .type = 1, .state = 1 },
    { .ino = 7100, .type = 1, .icons = host_icons, .n_icons = 1, .name = (char *) "/run/host.sock" },
    { .ino = 6100, .type = 1, .icons = cont_icons, .n_icons = 1 },
    { .ino = 7200, .peer = 0, .type = 1, .state = 1 },
    { .ino = 6300, .type = 1, .icons = inner_icons, .n_icons = 1 },
    { .ino = 6301, .peer = 0, .type = 1 },
  };
  struct lk_socks s = { .unix_ = u, .n_unix = 6 };

  w_proc (w, 104, 100, "client", NS_C);
  w_cgroup (w, 104);
  w_fd (w, 3, DEV_SOCK, 6101, S_IFSOCK | 0777, "socket:[6101]", 9800);
  w_fd (w, 4, DEV_SOCK, 6100, S_IFSOCK | 0777, "socket:[6100]", 9801);
  w_fd (w, 5, DEV_SOCK, 6300, S_IFSOCK | 0777, "socket:[6300]", 9804);
  w_fd (w, 6, DEV_SOCK, 6301, S_IFSOCK | 0777, "socket:[6301]", 9805);
  w_proc (w, 96, 1, "listener", NS_H);
  w_fd (w, 3, DEV_SOCK, 7100, S_IFSOCK | 0777, "socket:[7100]", 9802);
  w_proc (w, 97, 1, "connector", NS_H);
  w_fd (w, 3, DEV_SOCK, 7200, S_IFSOCK | 0777, "socket:[7200]", 9803);
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  lk_check_unix (&w->c, &s);
  r = w_report (w);
  dump (r);
  CHECK (count (r, LEAK_UNIX) == 2);
  CHECK (find (r, LEAK_UNIX, 104, 3, 96) != NULL);
  CHECK (find (r, LEAK_UNIX, 104, 4, 97) != NULL);
  leak_report_free (r);
  w_free (w);
  return 0;
}

static void
v4 (uint8_t *a, uint8_t x, uint8_t y, uint8_t z, uint8_t t)
{
  memset (a, 0, 16);
  a[0] = x, a[1] = y, a[2] = z, a[3] = t;
}

static int
inet_case (bool tcp_established, size_t expect_tcp, const char *expect_path, pid_t expect_holder)
{
  struct world *w = w_container ();
  struct leak_report *r;
  struct lk_inet k[6] = { 0 };
  struct lk_socks s = { .inet = k, .n_inet = 6 };
  const uint64_t cnet = NS_C + NS_NET, other = 4026539999ULL;

  /* loopback pair inside; 10.0.0.2 -> 10.0.0.1 whose peer is in another
   * netns of this host; 10.0.0.2 -> 192.0.2.1 (remote); a listener */
  for (int i = 0; i < 6; i++)
    k[i] = (struct lk_inet) { .ino = 6200 + i, .netns = cnet, .family = 2, .protocol = 6, .state = 1 };
  v4 (k[0].src, 127, 0, 0, 1), v4 (k[0].dst, 127, 0, 0, 1), k[0].sport = 40000, k[0].dport = 80;
  v4 (k[1].src, 127, 0, 0, 1), v4 (k[1].dst, 127, 0, 0, 1), k[1].sport = 80, k[1].dport = 40000;
  v4 (k[2].src, 10, 0, 0, 2), v4 (k[2].dst, 10, 0, 0, 1), k[2].sport = 40001, k[2].dport = 5000;
  v4 (k[3].src, 10, 0, 0, 1), v4 (k[3].dst, 10, 0, 0, 2), k[3].sport = 5000, k[3].dport = 40001;
  k[3].netns = other, k[3].ino = 7300;
  v4 (k[4].src, 10, 0, 0, 2), v4 (k[4].dst, 192, 0, 2, 1), k[4].sport = 40002, k[4].dport = 443;
  k[5].state = 10; /* listen */
  w_proc (w, 104, 100, "net", NS_C);
  w_cgroup (w, 104);
  for (int i = 0; i < 6; i++)
    if (i != 3)
      w_fd (w, 3 + i, DEV_SOCK, k[i].ino, S_IFSOCK | 0777, NULL, 9900 + i);
  w_proc (w, 98, 1, "peer", 4026539000ULL);
  w_fd (w, 3, DEV_SOCK, 7300, S_IFSOCK | 0777, "socket:[7300]", 9910);
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  w->c.tcp_established = tcp_established;
  lk_check_inet (&w->c, &s);
  r = w_report (w);
  dump (r);
  CHECK (count (r, LEAK_TCP) == expect_tcp);
  CHECK (find (r, LEAK_TCP, 104, 5, expect_holder) != NULL);
  CHECK (find (r, LEAK_TCP, 104, 7, 0) != NULL);
  CHECK_STR (find (r, LEAK_TCP, 104, 7, 0)->holder_path, expect_path);
  CHECK_STR (find (r, LEAK_TCP, 104, 5, expect_holder)->object, "tcp 10.0.0.2:40001 -> 10.0.0.1:5000");
  CHECK (find (r, LEAK_TCP, 104, 8, 0) == NULL);
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_inet (void)
{
  CHECK (inet_case (true, 2, "192.0.2.1:443", 98) == 0);
  CHECK (inet_case (false, 4, "192.0.2.1:443", 98) == 0); /* + the loopback pair */
  return 0;
}

static int
test_report_forms (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  cleanup_free char *json = NULL, *text = NULL;
  cleanup_json json_value_t *v = NULL;
  json_value_t *first;

  w_proc (w, 60, 50, "cat", NS_H);
  w_fd (w, 0, DEV_PIPE, 6000, S_IFIFO | 0600, "pipe:[6000]", 9100);
  w_ready (w, 100, LEAK_MODE_SUBTREE);
  r = w_scan (w);
  CHECK (leak_report_json_string (r, false, &json, NULL) == 0);
  CHECK (json_parse (json, &v, NULL) == 0);
  CHECK_STR (json_string (json_get (v, "mode")), "subtree");
  CHECK (json_bool (json_get (v, "clean")) == false);
  CHECK (json_integer (json_get (v, "errors")) == 0);
  CHECK (json_integer (json_get (v, "warnings")) == 3);
  first = json_at (json_get (v, "leaks"), 0);
  CHECK_STR (json_string (json_get (first, "kind")), "file-unreachable");
  CHECK_STR (json_string (json_get (first, "severity")), "warning");
  CHECK (json_integer (json_get (first, "pid")) == 100);
  CHECK (json_integer (json_get (first, "nspid")) == 1);
  CHECK (json_integer (json_get (first, "fd")) == 0);
  first = json_at (json_get (v, "leaks"), 1);
  CHECK_STR (json_string (json_get (first, "kind")), "pipe");
  CHECK (json_integer (json_get (json_get (first, "holder"), "pid")) == 60);
  CHECK_STR (json_string (json_get (json_get (first, "holder"), "command")), "cat");
  text = leak_report_to_text (r);
  CHECK (strstr (text, "warning: pipe: pid 100 (sleep, 1 in the container) fd 3: pipe:[6000]: held by pid 60 (cat): "
                       "the pipe is also held outside the container\n")
         != NULL);
  CHECK (strstr (text, "3 leaks (0 errors, 3 warnings)") != NULL);
  leak_report_free (r);
  w_free (w);
  return 0;
}

/* The same world scanned in two orders gives the same report. */
static int
test_sorted (void)
{
  cleanup_free char *a = NULL, *b = NULL;

  for (int round = 0; round < 2; round++)
    {
      struct world *w = w_container ();
      struct leak_report *r;
      w_proc (w, 60, 50, "cat", NS_H);
      w_fd (w, 0, DEV_PIPE, 6000, S_IFIFO | 0600, "pipe:[6000]", 9100);
      w_proc (w, 61, 50, "tee", NS_H);
      w_fd (w, 0, DEV_PIPE, 6000, S_IFIFO | 0600, "pipe:[6000]", 9101);
      if (round == 1)
        {
          /* swap the two holders */
          struct lk_proc tmp = w->idx.procs[w->idx.n_procs - 1];
          w->idx.procs[w->idx.n_procs - 1] = w->idx.procs[w->idx.n_procs - 2];
          w->idx.procs[w->idx.n_procs - 2] = tmp;
          w->idx.fds[w->idx.n_fds - 1].proc = w->idx.n_procs - 2;
          w->idx.fds[w->idx.n_fds - 2].proc = w->idx.n_procs - 1;
        }
      w_ready (w, 100, LEAK_MODE_CONTAINER);
      r = w_scan (w);
      if (round == 0)
        a = leak_report_to_text (r);
      else
        b = leak_report_to_text (r);
      leak_report_free (r);
      w_free (w);
    }
  CHECK_STR (a, b);
  return 0;
}

static int
test_parsers (void)
{
  struct lk_map m;
  bool shared;

  CHECK (lk_parse_maps_line ("7f12a000-7f12b000 rw-s 00000000 00:01 32770                      /SYSV00000000 (deleted)",
                             &m, &shared));
  CHECK (shared && m.start == 0x7f12a000 && m.end == 0x7f12b000 && m.dev == makedev (0, 1) && m.ino == 32770);
  CHECK_STR (m.path, "/SYSV00000000 (deleted)");
  free (m.path);
  CHECK (lk_parse_maps_line ("55d0c000-55d0e000 r--p 00000000 fe:00 1234 /usr/bin/sleep", &m, &shared));
  CHECK (!shared && m.dev == makedev (0xfe, 0));
  free (m.path);
  CHECK (lk_parse_maps_line ("7ffd000-7ffe000 rw-p 00000000 00:00 0", &m, &shared));
  CHECK (m.path == NULL);
  CHECK (!lk_parse_maps_line ("garbage", &m, &shared));
  return 0;
}

/* The real /proc pass sees this process, its fds and its namespaces. */
static int
test_real_index (void)
{
  struct lk_index idx = { 0 };
  cleanup_error cryo_error_t err = NULL;
  uint32_t me;
  int p[2];
  bool seen = false;
  struct stat st;

  CHECK (pipe (p) == 0);
  CHECK (fstat (p[0], &st) == 0);
  CHECK (lk_index_scan (&idx, 0, &err) == 0);
  me = lk_proc_find (&idx, getpid ());
  CHECK (me != LK_NONE);
  CHECK (idx.procs[me].ppid == getppid ());
  CHECK (idx.procs[me].ns[NS_NET] != 0 && idx.nsfs_dev != 0);
  for (uint32_t i = lk_hash_first (&idx.fd_by_obj, lk_key (st.st_dev, st.st_ino)); i != LK_NONE;
       i = lk_hash_next (&idx.fd_by_obj, i))
    if (idx.fds[i].proc == me && idx.fds[i].fd == p[1])
      seen = true;
  CHECK (seen);
  CHECK (lk_index_detail (&idx, me, &err) == 0);
  for (size_t i = idx.procs[me].fd_first; i < idx.procs[me].fd_first + idx.procs[me].n_fds; i++)
    if (idx.fds[i].fd == p[0])
      CHECK (idx.fds[i].link && strncmp (idx.fds[i].link, "pipe:[", 6) == 0);
  CHECK (lk_kcmp_file (getpid (), p[0], getpid (), p[0]) == 0);
  CHECK (lk_kcmp_file (getpid (), p[0], getpid (), p[1]) != 0);
  lk_index_clear (&idx);
  close (p[0]);
  close (p[1]);
  return 0;
}

int
main (void)
{
  TAP_PLAN (19);
  RUN_TEST (test_covered);
  RUN_TEST (test_clean_container);
  RUN_TEST (test_declared_stdio);
  RUN_TEST (test_pipe);
  RUN_TEST (test_processes);
  RUN_TEST (test_ptrace);
  RUN_TEST (test_namespaces);
  RUN_TEST (test_shared_description);
  RUN_TEST (test_anon_inode_group);
  RUN_TEST (test_paths_and_devices);
  RUN_TEST (test_locks);
  RUN_TEST (test_memory);
  RUN_TEST (test_unix);
  RUN_TEST (test_unix_pending);
  RUN_TEST (test_inet);
  RUN_TEST (test_report_forms);
  RUN_TEST (test_sorted);
  RUN_TEST (test_parsers);
  RUN_TEST (test_real_index);
  return tap_exit ();
}
