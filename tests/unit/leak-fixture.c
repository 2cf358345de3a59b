/* Hosts built by hand for the leak classification tests (leak-fixture.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "leak-fixture.h"
#include "lib/util.h"

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

size_t kcmp_calls;

static int
fake_cmp (const struct lk_index *idx, const struct lk_fd *x, const struct lk_fd *y)
{
  int a = desc_of (idx->procs[x->proc].pid, x->fd), b = desc_of (idx->procs[y->proc].pid, y->fd);

  kcmp_calls++;
  if (a < 0 || b < 0)
    return -1;
  return a == b ? 0 : a < b ? 1 : 2;
}


struct world *
w_new (void)
{
  struct world *w = xzalloc (sizeof (*w));

  n_descs = 0;
  w->idx.nsfs_dev = DEV_NSFS;
  w->idx.sockfs_dev = DEV_SOCK;
  w->idx.pipefs_dev = DEV_PIPE;
  w->idx.cmp_file = fake_cmp;
  return w;
}

/* A process; @ns_base NS_C puts it in the container's namespaces. */
uint32_t
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

void
w_cgroup (struct world *w, pid_t pid)
{
  w->cgroup[w->n_cgroup++] = pid;
}

/* An fd of the last process. */
struct lk_fd *
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

void
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
void
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
  w->mounts[3] = (struct lk_mount) { 103, DEV_MQUEUE, (char *) "mqueue", (char *) "/dev/mqueue" };
  c->mounts = w->mounts;
  c->n_mounts = 4;
  c->devpts_dev = DEV_PTS;
  c->has_cgroup = true;
  c->cgroup_pids = xmalloc ((w->n_cgroup + 1) * sizeof (pid_t));
  memcpy (c->cgroup_pids, w->cgroup, w->n_cgroup * sizeof (pid_t));
  c->n_cgroup_pids = w->n_cgroup;
  lk_mark_processes (c);
}

struct leak_report *
w_report (struct world *w)
{
  struct leak_report *r = xzalloc (sizeof (*r));

  r->id = xstrdup ("test");
  r->mode = w->c.mode;
  lk_report_finish (&w->c, r);
  return r;
}

/* Every classifier except sockets, then the report. */
struct leak_report *
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

void
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

size_t
count (const struct leak_report *r, enum leak_kind kind)
{
  size_t n = 0;

  for (size_t i = 0; i < r->n_leaks; i++)
    n += r->leaks[i].kind == kind;
  return n;
}

const struct leak *
find (const struct leak_report *r, enum leak_kind kind, pid_t pid, int fd, pid_t holder)
{
  for (size_t i = 0; i < r->n_leaks; i++)
    if (r->leaks[i].kind == kind && r->leaks[i].pid == pid && r->leaks[i].fd == fd
        && r->leaks[i].holder_pid == holder)
      return &r->leaks[i];
  return NULL;
}

void
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
struct world *
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

