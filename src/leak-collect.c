/* The fds of the filtered path (lk_bpf_filter): the container's, one
 * process at a time, become the keys of the BPF filter, then one walk over
 * the host's fds yields only the outside fds that can meet them.  Most of
 * the host's fds then cost the kernel's walk and never a record, a copy
 * and a hash lookup each.  Between the two, the caller asks sock_diag which
 * sockets are at the other end of the container's: only those of the
 * host's sockets pass (a record costs more than the kernel's walk).
 *
 * The container is frozen, its processes do not change; an outside process
 * that started after the process pass and holds a matching fd is read from
 * /proc (lk_index_add_process): nothing the walk finds is dropped. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LOG_PREFIX "leaks: "
#include "leak-internal.h"
#include "log.h"
#include "util.h"

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
                      size_t n_partners)
{
  cleanup_free struct lk_bpf_file *out = NULL;
  size_t n_out, n_seen;

  if (idx->in == NULL)
    return;
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
