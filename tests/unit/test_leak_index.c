/* The host index of the leak scan against the real host: the maps and locks
 * parsers, this process as /proc and the BPF iterators see it, and the two
 * paths agreeing with each other. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "leak-internal.h"
#include "tap.h"
#include "util.h"

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
  int p[2], nul;
  bool seen = false;
  struct stat st;

  CHECK (pipe (p) == 0);
  CHECK (fstat (p[0], &st) == 0);
  CHECK ((nul = open ("/dev/null", O_RDONLY)) >= 0);
  CHECK (lk_index_scan (&idx, 0, NULL, &err) == 0);
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
  int p[2], d, nul, fds[5];
  uint32_t a, b;
  bool bpf = false;

  CHECK (pipe (p) == 0 && (d = dup (p[0])) >= 0 && (nul = open ("/dev/null", O_RDONLY)) >= 0);
  fds[0] = p[0], fds[1] = p[1], fds[2] = d, fds[3] = 1, fds[4] = nul;
  setenv ("CRYO_LEAKS_NO_BPF", "1", 1);
  CHECK (lk_index_scan (&viaproc, 0, NULL, &err) == 0);
  unsetenv ("CRYO_LEAKS_NO_BPF");
  CHECK (lk_index_scan (&fast, 0, NULL, &err) == 0);
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

int
main (void)
{
  TAP_PLAN (3);
  RUN_TEST (test_parsers);
  RUN_TEST (test_real_index);
  RUN_TEST (test_bpf_matches_proc);
  return tap_exit ();
}
