/* The fds of the filtered path (lk_bpf_filter): the container's, one
 * process at a time, become the keys of the BPF filter, then one walk over
 * the host's fds yields only the outside fds that can meet them.  Most of
 * the host's fds then cost the kernel's walk and never a record, a copy
 * and a hash lookup each.  Between the two, the caller asks sock_diag which
 * sockets are at the other end of the container's: only those of the
 * host's sockets pass (a record costs more than the kernel's walk).  And
 * when the reference counts account for every holder of what the
 * container holds (lk_outside_may_hold), there is no walk at all.
 *
 * The container is frozen, its processes do not change; an outside process
 * that started after the process pass and holds a matching fd is read from
 * /proc (lk_index_add_process): nothing the walk finds is dropped. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LOG_PREFIX "leaks: "
#include "leak/internal.h"
#include "lib/log.h"
#include "lib/util.h"

/* Every fd of the covered processes, sorted; NULL when a process cannot
 * be read through BPF. */
static struct lk_bpf_file *
container_records (const struct lk_index *idx, const struct lk_bpf *bpf, size_t *n)
{
  struct lk_bpf_file *all = NULL;

  *n = 0;
  for (uint32_t pi = 0; pi < idx->n_procs; pi++)
    {
      const struct lk_proc *p = &idx->procs[pi];
      cleanup_free struct lk_bpf_file *recs = NULL;
      size_t n_recs;
      if (!(p->flags & LK_COVERED) || p->state == 'Z' || (p->flags & LK_KTHREAD))
        continue;
      if (lk_bpf_dump_process (bpf, p->pid, &recs, &n_recs) < 0)
        {
          free (all);
          return NULL;
        }
      all = xreallocarray (all, *n + n_recs + 1, sizeof (*all));
      memcpy (all + *n, recs, n_recs * sizeof (*recs));
      *n += n_recs;
    }
  if (all == NULL)
    all = xzalloc (sizeof (*all));
  qsort (all, *n, sizeof (*all), lk_bpf_file_cmp);
  return all;
}

/* The filter's keys: the container's descriptions; the inodes of its
 * pipes and fifos, of what it maps, of every locked file, and of the
 * sockets at the other end of its own (@partners, sock_diag's). */
static void
fill_filter (struct lk_bpf_filter *f, const struct lk_index *idx, const uint64_t *partners, size_t n_partners)
{
  const struct lk_bpf_file *in = idx->in;
  uint32_t sockfs_kdev = 0;

  memset (f->bits, 0, sizeof (f->bits));
  for (size_t i = 0; i < idx->n_in; i++)
    {
      lk_bpf_filter_file (f, in[i].file);
      if (S_ISFIFO (in[i].mode))
        lk_bpf_filter_inode (f, in[i].kdev, in[i].ino);
      if (S_ISSOCK (in[i].mode))
        sockfs_kdev = in[i].kdev;
    }
  for (size_t i = 0; i < n_partners && sockfs_kdev; i++)
    lk_bpf_filter_inode (f, sockfs_kdev, partners[i]);
  for (size_t i = 0; i < idx->n_maps; i++)
    if (idx->procs[idx->maps[i].proc].flags & LK_COVERED)
      lk_bpf_filter_inode (f, lk_kdev_of (idx->maps[i].dev), idx->maps[i].ino);
  for (size_t i = 0; i < idx->n_locks; i++)
    lk_bpf_filter_inode (f, lk_kdev_of (idx->locks[i].dev), idx->locks[i].ino);
}

/* The outside's records, in @out; the container's own (the filter lets
 * them through too) are dropped, processes not seen before are added. */
static size_t
outside_records (struct lk_index *idx, struct lk_bpf_file *out, size_t n_out, pid_t skip)
{
  size_t kept = 0;
  pid_t last_new = 0;

  for (size_t i = 0; i < n_out; i++)
    {
      pid_t pid = (pid_t) out[i].pid;
      uint32_t pi = lk_proc_find (idx, pid);
      if (pid == skip)
        continue;
      if (pi == LK_NONE && pid != last_new)
        {
          lk_index_add_process (idx, pid);
          last_new = pid;
          pi = lk_proc_find (idx, pid);
        }
      if (pi != LK_NONE && !(idx->procs[pi].flags & LK_COVERED))
        out[kept++] = out[i];
    }
  return kept;
}

/* Two sorted runs into idx->pending. */
static void
merge (struct lk_index *idx, const struct lk_bpf_file *a, size_t n_a, const struct lk_bpf_file *b, size_t n_b)
{
  size_t i = 0, j = 0, k = 0;

  idx->pending = lk_alloc_big ((n_a + n_b + 1) * sizeof (*idx->pending));
  while (i < n_a || j < n_b)
    idx->pending[k++] = j == n_b || (i < n_a && lk_bpf_file_cmp (&a[i], &b[j]) <= 0) ? a[i++] : b[j++];
  idx->n_pending = k;
}

/* ---- whether the walk over the host's fds is needed at all ---- */

/* Every container process's fd table and namespaces are its own: no
 * outside process shares a table with it, and no nsfs dentry exists for a
 * namespace it does not share with the host (nobody holds one open or
 * mounted).  Unknown (not from BPF) counts as shared. */
static bool
tasks_alone (const struct lk_ctx *c)
{
  const struct lk_index *idx = c->idx;

  for (uint32_t pi = 0; pi < idx->n_procs; pi++)
    {
      const struct lk_proc *p = &idx->procs[pi];
      if (!lk_covered (c, pi) || p->state == 'Z')
        continue;
      if (p->files_struct == 0)
        return false;
      for (int t = 0; t < NS_MAX; t++)
        if ((p->ns_held & (1U << t)) && p->ns[t] != c->host_ns[t])
          return false;
      for (uint32_t o = 0; o < idx->n_procs; o++)
        if (!lk_covered (c, o) && idx->procs[o].files_struct == p->files_struct)
          return false;
    }
  return true;
}

/* A shared mapping or a lock of the container, or a lock on a file it
 * holds: their checks look for the outside's fds on the inode. */
static bool
maps_or_locks (const struct lk_ctx *c)
{
  const struct lk_index *idx = c->idx;

  for (size_t i = 0; i < idx->n_maps; i++)
    if (lk_covered (c, idx->maps[i].proc))
      return true;
  for (size_t i = 0; i < idx->n_locks; i++)
    {
      const struct lk_lock *l = &idx->locks[i];
      if (l->pid > 0 && lk_covered (c, lk_proc_find (idx, l->pid)))
        return true;
      for (size_t k = 0; k < idx->n_in; k++)
        if (idx->in[k].ino == l->ino && lk_kdev (idx->in[k].kdev) == l->dev)
          return true;
    }
  return false;
}

static int
by_description (const void *a, const void *b)
{
  const struct lk_bpf_file *x = a, *y = b;

  if (x->file != y->file)
    return x->file < y->file ? -1 : 1;
  if (x->files_struct != y->files_struct)
    return x->files_struct < y->files_struct ? -1 : 1;
  return x->fd < y->fd ? -1 : x->fd > y->fd;
}

static int
by_pipe (const void *a, const void *b)
{
  const struct lk_bpf_file *x = a, *y = b;

  if (x->kdev != y->kdev || x->ino != y->ino)
    return x->kdev != y->kdev ? (x->kdev < y->kdev ? -1 : 1) : (x->ino < y->ino ? -1 : 1);
  return x->file < y->file ? -1 : x->file > y->file;
}

static bool
declared (const struct lk_ctx *c, const struct lk_bpf_file *r)
{
  for (size_t i = 0; i < c->n_declared; i++)
    if (c->declared[i][0] == lk_kdev (r->kdev) && c->declared[i][1] == r->ino)
      return true;
  return false;
}

/* Each description's references are the container's fd table slots, plus
 * the one the iterator held while it read it; each pipe's open files are
 * the container's descriptions.  Anything more (an outside fd, a mapping,
 * a message in flight) and the walk decides; but for the declared
 * externals, whose outside holders are no leak. */
static bool
counts_match (const struct lk_ctx *c)
{
  const struct lk_index *idx = c->idx;
  cleanup_free struct lk_bpf_file *r = xmalloc ((idx->n_in + 1) * sizeof (*r));
  size_t i, j;

  memcpy (r, idx->in, idx->n_in * sizeof (*r));
  qsort (r, idx->n_in, sizeof (*r), by_description);
  for (i = 0; i < idx->n_in; i = j)
    {
      uint64_t slots = 0;
      for (j = i; j < idx->n_in && r[j].file == r[i].file; j++)
        slots += j == i || r[j].files_struct != r[j - 1].files_struct || r[j].fd != r[j - 1].fd;
      if ((r[i].refs == 0 || r[i].refs != slots + 1) && !declared (c, &r[i]))
        return false;
    }
  qsort (r, idx->n_in, sizeof (*r), by_pipe);
  for (i = 0; i < idx->n_in; i = j)
    {
      uint32_t descriptions = 0;
      for (j = i; j < idx->n_in && r[j].kdev == r[i].kdev && r[j].ino == r[i].ino; j++)
        descriptions += j == i || r[j].file != r[j - 1].file;
      if (S_ISFIFO (r[i].mode) && r[i].pipe_files != descriptions && !declared (c, &r[i]))
        return false;
    }
  return true;
}

bool
lk_outside_may_hold (const struct lk_ctx *c, size_t n_partners)
{
  const struct lk_index *idx = c->idx;
  const char *why = NULL;

  if (idx->in == NULL)
    return true;
  if (n_partners > 0)
    why = "a socket at the other end of the container's is not the container's";
  else if (!tasks_alone (c))
    why = "a namespace of the container is held open or mounted, or an fd table is shared";
  else if (maps_or_locks (c))
    why = "the container has a shared mapping or a file lock";
  for (size_t i = 0; why == NULL && i < idx->n_in; i++)
    if (lk_kdev (idx->in[i].kdev) == idx->nsfs_dev)
      why = "the container holds a namespace fd";
  if (why == NULL && !counts_match (c))
    why = "a description or pipe of the container has references the container does not hold";
  if (why)
    log_debug ("the host's fds are walked: %s", why);
  return why != NULL;
}

/* Every fd of the host instead, when the filtered path fails. */
static void
collect_all (struct lk_index *idx, const struct lk_bpf *bpf)
{
  cleanup_free struct lk_bpf_task *tasks = NULL;
  size_t n_tasks;

  log_debug ("the filtered BPF path failed: every fd of the host instead");
  free (idx->in);
  idx->in = NULL;
  idx->n_in = 0;
  if (lk_bpf_dump (bpf, &idx->pending, &idx->n_pending, &tasks, &n_tasks) != 0)
    lk_index_read_fds (idx);
}

bool
lk_index_container_fds (struct lk_index *idx, const struct lk_bpf *bpf)
{
  if (!idx->fds_deferred)
    return false;
  idx->fds_deferred = false;
  idx->in = container_records (idx, bpf, &idx->n_in);
  if (idx->in == NULL)
    {
      collect_all (idx, bpf);
      return false;
    }
  return true;
}

void
lk_index_outside_fds (struct lk_index *idx, const struct lk_bpf *bpf, pid_t skip, const uint64_t *partners,
                      size_t n_partners, bool walk)
{
  cleanup_free struct lk_bpf_file *out = NULL;
  size_t n_out, n_seen;

  if (idx->in == NULL)
    return;
  if (!walk)
    {
      log_debug ("no walk over the host's fds: the reference counts leave no outside holder possible");
      merge (idx, idx->in, idx->n_in, NULL, 0);
      idx->host_walk_skipped = true;
      free (idx->in);
      idx->in = NULL;
      idx->n_in = 0;
      return;
    }
  fill_filter (lk_bpf_filter (bpf), idx, partners, n_partners);
  if (lk_bpf_dump_filtered (bpf, &out, &n_out, &n_seen) < 0)
    {
      collect_all (idx, bpf);
      return;
    }
  n_out = outside_records (idx, out, n_out, skip);
  merge (idx, idx->in, idx->n_in, out, n_out);
  idx->n_fds_skipped = n_seen > n_out + idx->n_in ? n_seen - n_out - idx->n_in : 0;
  log_debug ("BPF filter: %zu container fds, %zu of %zu outside fds through", idx->n_in, n_out, n_seen - idx->n_in);
  free (idx->in);
  idx->in = NULL;
  idx->n_in = 0;
}
