/* Whether the walk over the host's fds can be skipped (lk_outside_may_hold,
 * leak-collect.c): on hosts built by hand, the container's records with
 * their reference counts, and each condition that must send the scan back
 * to the walk.  The real kernel's counts: leaks.bats (assert_no_walk, and
 * every leak compared with an unfiltered walk). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "leak-fixture.h"
#include "tap.h"
#include "lib/util.h"

#define FS_INIT 0xffff888000100000ULL /* fd tables */
#define FS_WORKER 0xffff888000200000ULL
#define FS_HOST 0xffff888000300000ULL
#define FILE_R 0xffff888000001000ULL /* open file descriptions */
#define FILE_W 0xffff888000002000ULL
#define FILE_NULL 0xffff888000003000ULL

/* Host processes 1 and 50, the container's init 100 and worker 101, each
 * with its own fd table; no record yet. */
static struct world *
counted_world (void)
{
  struct world *w = w_new ();
  static const struct
  {
    pid_t pid, ppid;
    uint64_t ns, fs;
  } procs[] = { { 1, 0, NS_H, FS_HOST }, { 50, 1, NS_H, FS_HOST + 1 },
                { 100, 1, NS_C, FS_INIT }, { 101, 100, NS_C, FS_WORKER } };

  for (size_t i = 0; i < ARRAY_SIZE (procs); i++)
    {
      uint32_t p = w_proc (w, procs[i].pid, procs[i].ppid, "p", procs[i].ns);
      w->idx.procs[p].files_struct = procs[i].fs;
      if (procs[i].ns == NS_C)
        w_cgroup (w, procs[i].pid);
    }
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  return w;
}

/* A container record, as the iterator reads it. */
static struct lk_bpf_file *
rec (struct world *w, pid_t pid, int fd, uint64_t file, uint64_t fs, uint64_t refs, uint64_t dev, uint64_t ino,
     mode_t mode, uint32_t pipe_files)
{
  struct lk_index *idx = &w->idx;
  struct lk_bpf_file *r;

  idx->in = xreallocarray (idx->in, idx->n_in + 1, sizeof (*idx->in));
  r = &idx->in[idx->n_in++];
  *r = (struct lk_bpf_file) { .pid = (uint32_t) pid, .fd = (uint32_t) fd, .ino = ino, .file = file,
                              .kdev = lk_kdev_of (dev), .mode = mode, .files_struct = fs, .refs = refs,
                              .pipe_files = pipe_files };
  return r;
}

/* A pipe whose both ends init holds, and /dev/null at fd 0 (declared stdio
 * needs no count), each description counted once plus the iterator's. */
static void
pipe_in_init (struct world *w)
{
  rec (w, 100, 3, FILE_R, FS_INIT, 2, DEV_PIPE, 6000, S_IFIFO | 0600, 2);
  rec (w, 100, 4, FILE_W, FS_INIT, 2, DEV_PIPE, 6000, S_IFIFO | 0600, 2);
}

static int
test_self_contained (void)
{
  struct world *w = counted_world ();

  pipe_in_init (w);
  CHECK (!lk_outside_may_hold (&w->c, 0));
  /* a socket at the other end of the container's is outside */
  CHECK (lk_outside_may_hold (&w->c, 1));
  w_free (w);
  return 0;
}

static int
test_description_counts (void)
{
  struct world *w = counted_world ();

  pipe_in_init (w);
  /* dup'd in the same table: two slots, three references */
  rec (w, 100, 7, FILE_R, FS_INIT, 3, DEV_PIPE, 6000, S_IFIFO | 0600, 2);
  w->idx.in[0].refs = w->idx.in[2].refs = 3;
  CHECK (!lk_outside_may_hold (&w->c, 0));
  /* one reference more than the container's slots: an outside fd */
  w->idx.in[1].refs = 3;
  CHECK (lk_outside_may_hold (&w->c, 0));
  /* a count the kernel did not give */
  w->idx.in[1].refs = 0;
  CHECK (lk_outside_may_hold (&w->c, 0));
  w_free (w);
  return 0;
}

/* Processes that share one fd table (CLONE_FILES) are read twice: the
 * same slot counts once. */
static int
test_shared_fd_table (void)
{
  struct world *w = counted_world ();
  uint32_t worker = lk_proc_find (&w->idx, 101), host = lk_proc_find (&w->idx, 50);

  pipe_in_init (w);
  w->idx.procs[worker].files_struct = FS_INIT;
  rec (w, 101, 3, FILE_R, FS_INIT, 2, DEV_PIPE, 6000, S_IFIFO | 0600, 2);
  rec (w, 101, 4, FILE_W, FS_INIT, 2, DEV_PIPE, 6000, S_IFIFO | 0600, 2);
  CHECK (!lk_outside_may_hold (&w->c, 0));
  /* an outside process on the container's table holds all of it */
  w->idx.procs[host].files_struct = FS_INIT;
  CHECK (lk_outside_may_hold (&w->c, 0));
  w_free (w);
  return 0;
}

static int
test_pipe_files (void)
{
  struct world *w = counted_world ();

  pipe_in_init (w);
  /* a third open file on the pipe (a fifo opened outside, /proc/PID/fd) */
  w->idx.in[0].pipe_files = w->idx.in[1].pipe_files = 3;
  CHECK (lk_outside_may_hold (&w->c, 0));
  /* unless the pipe is declared (the container's stdio) */
  w->c.declared = xmalloc (sizeof (*w->c.declared));
  w->c.declared[0][0] = DEV_PIPE;
  w->c.declared[0][1] = 6000;
  w->c.n_declared = 1;
  CHECK (!lk_outside_may_hold (&w->c, 0));
  w_free (w);
  return 0;
}

static int
test_namespaces_held (void)
{
  struct world *w = counted_world ();
  struct lk_proc *worker = &w->idx.procs[lk_proc_find (&w->idx, 101)];

  pipe_in_init (w);
  /* the host's own user namespace may be held by anyone */
  worker->ns[NS_USER] = w->c.host_ns[NS_USER];
  worker->ns_held = 1U << NS_USER;
  CHECK (!lk_outside_may_hold (&w->c, 0));
  /* the container's network namespace held open or mounted */
  worker->ns_held |= 1U << NS_NET;
  CHECK (lk_outside_may_hold (&w->c, 0));
  /* unknown (read from /proc) counts as held */
  worker->ns_held = ~0U;
  CHECK (lk_outside_may_hold (&w->c, 0));
  worker->ns_held = 0;
  worker->files_struct = 0;
  CHECK (lk_outside_may_hold (&w->c, 0));
  w_free (w);
  return 0;
}

static int
test_namespace_fd (void)
{
  struct world *w = counted_world ();

  pipe_in_init (w);
  rec (w, 101, 5, FILE_NULL, FS_WORKER, 2, DEV_NSFS, NS_C + NS_NET, S_IFREG | 0444, 0);
  CHECK (lk_outside_may_hold (&w->c, 0));
  w_free (w);
  return 0;
}

static int
test_maps_and_locks (void)
{
  struct world *w = counted_world ();
  struct lk_lock l = { .pid = 50, .dev = DEV_ROOT, .ino = 4242, .type = "FLOCK" };

  pipe_in_init (w);
  rec (w, 100, 5, FILE_NULL, FS_INIT, 2, DEV_ROOT, 4242, S_IFREG | 0644, 0);
  /* a host lock on a file the container holds */
  w->idx.locks = xmalloc (sizeof (l));
  w->idx.locks[0] = l;
  w->idx.n_locks = 1;
  CHECK (lk_outside_may_hold (&w->c, 0));
  /* one on another file: no matter */
  w->idx.locks[0].ino = 4343;
  CHECK (!lk_outside_may_hold (&w->c, 0));
  /* a lock of the container's */
  w->idx.locks[0].pid = 101;
  CHECK (lk_outside_may_hold (&w->c, 0));
  w->idx.n_locks = 0;
  /* a shared mapping of the container's */
  w->idx.maps = xmalloc (sizeof (*w->idx.maps));
  memset (w->idx.maps, 0, sizeof (*w->idx.maps));
  w->idx.maps[0].proc = lk_proc_find (&w->idx, 101);
  w->idx.n_maps = 1;
  CHECK (lk_outside_may_hold (&w->c, 0));
  w_free (w);
  return 0;
}

int
main (void)
{
  TAP_PLAN (7);
  RUN_TEST (test_self_contained);
  RUN_TEST (test_description_counts);
  RUN_TEST (test_shared_fd_table);
  RUN_TEST (test_pipe_files);
  RUN_TEST (test_namespaces_held);
  RUN_TEST (test_namespace_fd);
  RUN_TEST (test_maps_and_locks);
  return tap_exit ();
}
