/* The host index of the leak scan against the real host: the maps and locks
 * parsers, this process as /proc and the BPF iterators see it, the two
 * paths agreeing with each other, and which outside fds the scan keeps. */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "leak/internal.h"
#include "tap.h"
#include "lib/util.h"

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
  struct lk_bpf *bpf = lk_bpf_prepare (NULL);
  uint32_t me;
  int p[2], nul;
  bool seen = false;
  struct stat st;

  CHECK (pipe (p) == 0);
  CHECK (fstat (p[0], &st) == 0);
  CHECK ((nul = open ("/dev/null", O_RDONLY)) >= 0);
  CHECK (lk_index_scan (&idx, 0, bpf, &err) == 0);
  lk_bpf_free (bpf);
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
    {
      cleanup_free char *object = lk_fd_object (&idx, &idx.fds[i]);
      if (idx.fds[i].fd == p[0])
        {
          CHECK (idx.fds[i].link == NULL); /* a pipe has no path to check */
          CHECK (strncmp (object, "pipe:[", 6) == 0);
        }
      if (idx.fds[i].fd == nul)
        {
          CHECK_STR (object, "/dev/null");
          CHECK (idx.fds[i].mnt_id > 0);
        }
    }
  CHECK (lk_kcmp_file (getpid (), p[0], getpid (), p[0]) == 0);
  CHECK (lk_kcmp_file (getpid (), p[0], getpid (), p[1]) != 0);
  lk_index_clear (&idx);
  close (p[0]);
  close (p[1]);
  close (nul);
  return 0;
}

static const struct lk_fd *
fd_of (const struct lk_index *idx, uint32_t p, int fd)
{
  for (size_t i = idx->procs[p].fd_first; i < idx->procs[p].fd_first + idx->procs[p].n_fds; i++)
    if (idx->fds[i].fd == fd)
      return &idx->fds[i];
  return NULL;
}

/* The BPF task_file iterator and /proc agree on this process's fds, and the
 * iterator's descriptions tell a dup from another end of the same pipe. */
static int
test_bpf_matches_proc (void)
{
  struct lk_index viaproc = { 0 }, fast = { 0 };
  cleanup_error cryo_error_t err = NULL;
  struct lk_bpf *prepared;
  int p[2], d, nul, fds[5];
  uint32_t a, b;
  bool bpf = false;

  CHECK (pipe (p) == 0 && (d = dup (p[0])) >= 0 && (nul = open ("/dev/null", O_RDONLY)) >= 0);
  fds[0] = p[0], fds[1] = p[1], fds[2] = d, fds[3] = 1, fds[4] = nul;
  setenv ("CRYO_LEAKS_NO_BPF", "1", 1);
  CHECK (lk_bpf_prepare (NULL) == NULL);
  CHECK (lk_index_scan (&viaproc, 0, NULL, &err) == 0);
  unsetenv ("CRYO_LEAKS_NO_BPF");
  prepared = lk_bpf_prepare (NULL);
  CHECK (lk_index_scan (&fast, 0, prepared, &err) == 0);
  lk_bpf_free (prepared);
  a = lk_proc_find (&viaproc, getpid ());
  b = lk_proc_find (&fast, getpid ());
  CHECK (a != LK_NONE && b != LK_NONE);
  CHECK (lk_index_detail (&viaproc, a, &err) == 0 && lk_index_detail (&fast, b, &err) == 0);
  for (int i = 0; i < 5; i++)
    {
      const struct lk_fd *x = fd_of (&viaproc, a, fds[i]), *y = fd_of (&fast, b, fds[i]);
      CHECK (x && y);
      CHECK (x->dev == y->dev && x->ino == y->ino && x->mode == y->mode && x->rdev == y->rdev);
      if (fds[i] == nul) /* fdinfo against the BPF program */
        CHECK (x->mnt_id == y->mnt_id && x->mnt_id > 0);
      bpf |= y->file != 0;
    }
  /* the processes: ours, our parent, kthreadd (pid 1 may be hidden from
   * us, as it is in some sandboxes) */
  for (int k = 0; k < 3 && bpf; k++)
    {
      pid_t pid = k == 0 ? getpid () : k == 1 ? getppid () : 2;
      uint32_t x = lk_proc_find (&viaproc, pid), y = lk_proc_find (&fast, pid);
      const struct lk_proc *px, *py;
      if (k == 2 && (x == LK_NONE || y == LK_NONE))
        continue;
      CHECK (x != LK_NONE && y != LK_NONE);
      px = &viaproc.procs[x];
      py = &fast.procs[y];
      CHECK (px->ppid == py->ppid && px->tracer == py->tracer && px->nspid == py->nspid);
      CHECK (px->state == 'Z' ? py->state == 'Z' : py->state != 'Z');
      CHECK_STR (px->comm, py->comm);
      CHECK ((px->flags & LK_KTHREAD) == (py->flags & LK_KTHREAD));
      for (int t = 0; t < NS_MAX; t++)
        if (px->ns[t] != py->ns[t])
          printf ("# pid %d: %s namespace %llu in /proc, %llu from BPF\n", pid, ns_table[t].proc_name,
                  (unsigned long long) px->ns[t], (unsigned long long) py->ns[t]);
      CHECK (memcmp (px->ns, py->ns, sizeof (px->ns)) == 0);
    }
  if (bpf)
    {
      CHECK (fd_of (&fast, b, p[0])->file == fd_of (&fast, b, d)->file);
      CHECK (fd_of (&fast, b, p[0])->file != fd_of (&fast, b, p[1])->file);
      CHECK (lk_cmp_file (&fast, fd_of (&fast, b, p[0]), fd_of (&fast, b, d)) == 0);
    }
  else
    printf ("# the BPF task_file iterator is not available here: /proc only\n");
  CHECK (fast.sockfs_dev == viaproc.sockfs_dev || viaproc.sockfs_dev == 0);
  lk_index_clear (&viaproc);
  lk_index_clear (&fast);
  close (p[0]);
  close (p[1]);
  close (d);
  close (nul);
  return 0;
}

/* A child holding: our fds (inherited), a pipe and a socketpair
 * of its own, and our network namespace; it writes the fd numbers of its
 * pipe's read end, one socket, the namespace and the other socket, and
 * waits to be killed. */
static pid_t
spawn_holder (int fds[4])
{
  int report[2];
  pid_t pid;

  if (pipe (report) < 0 || (pid = fork ()) < 0)
    return -1;
  if (pid == 0)
    {
      int q[2], sp[2], ns;
      close (report[0]);
      if (pipe (q) < 0 || socketpair (AF_UNIX, SOCK_STREAM, 0, sp) < 0
          || (ns = open ("/proc/self/ns/net", O_RDONLY)) < 0)
        _exit (1);
      fds[0] = q[0], fds[1] = sp[0], fds[2] = ns, fds[3] = sp[1];
      if (write (report[1], fds, 4 * sizeof (int)) != 4 * sizeof (int))
        _exit (1);
      for (;;)
        pause ();
    }
  close (report[1]);
  if (read (report[0], fds, 4 * sizeof (int)) != 4 * sizeof (int))
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      pid = -1;
    }
  close (report[0]);
  return pid;
}

static bool
pending_has (const struct lk_index *idx, pid_t pid, int fd)
{
  for (size_t i = 0; i < idx->n_pending; i++)
    if (idx->pending[i].pid == (uint32_t) pid && idx->pending[i].fd == (uint32_t) fd)
      return true;
  return false;
}

static uint64_t
inode_of (pid_t pid, int fd)
{
  char path[64];
  struct stat st;

  snprintf (path, sizeof (path), "/proc/%d/fd/%d", pid, fd);
  return stat (path, &st) == 0 ? st.st_ino : 0;
}

/* With the "container" (this process, holding a socket) flagged, the
 * outside fds that cannot meet any of its objects are left out (the
 * child's own pipe), and those that can are kept: our pipe, a namespace,
 * the socket named as a partner.  Left out by user space, or (@in_kernel)
 * already by the BPF program's filter, which also leaves out the socket
 * that is no partner (user space keeps every socket). */
static int
check_filtered (const struct lk_bpf *bpf, pid_t pid, const int p[2], const int held[4], bool in_kernel)
{
  cleanup_error cryo_error_t err = NULL;
  struct lk_index idx = { 0 };
  uint64_t partner = inode_of (pid, held[1]);
  uint32_t me, child;
  int ret = -1;

  if (partner == 0 || lk_index_scan_processes (&idx, 0, bpf, in_kernel, &err) < 0)
    goto out;
  me = lk_proc_find (&idx, getpid ());
  child = lk_proc_find (&idx, pid);
  if (me == LK_NONE || child == LK_NONE)
    goto out;
  idx.procs[me].flags |= LK_COVERED;
  if (lk_index_container_fds (&idx, bpf))
    lk_index_outside_fds (&idx, bpf, 0, &partner, 1, true);
  /* the kernel's own filter: not even a record for the child's pipe */
  if (in_kernel && (!pending_has (&idx, pid, p[0]) || !pending_has (&idx, pid, held[1])
                    || pending_has (&idx, pid, held[0]) || pending_has (&idx, pid, held[3])))
    goto out;
  lk_index_attach_fds (&idx, true);
  if (!fd_of (&idx, me, p[0]) || !fd_of (&idx, me, p[1]) || !fd_of (&idx, child, p[0]) || !fd_of (&idx, child, p[1])
      || !fd_of (&idx, child, held[1]) || !fd_of (&idx, child, held[2]))
    goto out;
  if (bpf && (fd_of (&idx, child, held[0]) != NULL || idx.n_fds_skipped == 0))
    goto out;
  if (!bpf)
    printf ("# no BPF here: the /proc path keeps every fd\n");
  ret = 0;
out:
  lk_index_clear (&idx);
  return ret;
}

static int
test_filtered_fds (void)
{
  struct lk_bpf *bpf = lk_bpf_prepare (NULL);
  int p[2], held[4], sock[2], ret;
  pid_t pid;

  CHECK (pipe (p) == 0);
  CHECK (socketpair (AF_UNIX, SOCK_STREAM, 0, sock) == 0);
  pid = spawn_holder (held);
  CHECK (pid > 0);
  ret = check_filtered (bpf, pid, p, held, false);
  if (ret == 0 && lk_bpf_filter (bpf) == NULL)
    printf ("# no filtered BPF path here\n");
  else if (ret == 0)
    ret = check_filtered (bpf, pid, p, held, true);
  lk_bpf_free (bpf);
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  close (p[0]);
  close (p[1]);
  close (sock[0]);
  close (sock[1]);
  return ret;
}

int
main (void)
{
  TAP_PLAN (4);
  RUN_TEST (test_parsers);
  RUN_TEST (test_real_index);
  RUN_TEST (test_bpf_matches_proc);
  RUN_TEST (test_filtered_fds);
  return tap_exit ();
}
