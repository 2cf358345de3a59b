/* File descriptors of container processes: open file descriptions shared
 * with an outside process (the same description, checked with
 * kcmp(KCMP_FILE), not merely the same file), pipes and fifos held outside,
 * files the container's mount namespace cannot reach, devices that are not
 * the container's; and file locks contended from outside. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "leak/internal.h"
#include "lib/util.h"

/* Above this many kcmp pairs in one (device, inode) group, sort the
 * container's fds by kcmp order and binary-search the outside ones: all
 * eventfds, epolls, timerfds... share one anonymous inode. */
#define PAIRWISE_MAX 64

static struct leak *
add_fd_leak (struct lk_ctx *c, enum leak_kind kind, const struct lk_fd *f, uint32_t holder, const char *detail)
{
  cleanup_free char *object = lk_fd_object (c->idx, f);
  struct leak *l = lk_add (c, kind, f->proc, f->fd, holder, NULL, object, detail);

  l->obj_dev = f->dev;
  l->obj_ino = f->ino;
  return l;
}

static bool
allowed_device (const struct lk_ctx *c, const struct lk_fd *f)
{
  /* runc's default devices: null, zero, full, random, urandom, tty, ptmx */
  static const struct lk_devnum defaults[] = {
    { 'c', 1, 3 }, { 'c', 1, 5 }, { 'c', 1, 7 }, { 'c', 1, 8 }, { 'c', 1, 9 }, { 'c', 5, 0 },
  };
  char type = S_ISCHR (f->mode) ? 'c' : 'b';
  uint32_t maj = major (f->rdev), min = minor (f->rdev);

  /* The container's pty: the master (5:2) and slaves (136-143) of its own
   * devpts instance, nobody else's. */
  if (type == 'c' && ((maj == 5 && min == 2) || (maj >= 136 && maj <= 143)))
    return c->devpts_dev != 0 && f->dev == c->devpts_dev;
  for (size_t i = 0; i < ARRAY_SIZE (defaults); i++)
    if (type == defaults[i].type && maj == defaults[i].major && min == defaults[i].minor)
      return true;
  for (size_t i = 0; i < c->n_devices; i++)
    if (type == c->devices[i].type && maj == c->devices[i].major && min == c->devices[i].minor)
      return true;
  return false;
}

static bool
mount_is_container (const struct lk_ctx *c, int mnt_id)
{
  for (size_t i = 0; i < c->n_mounts; i++)
    if (c->mounts[i].id == mnt_id)
      return true;
  return false;
}

/* POSIX message queues opened with mq_open() are on the ipc namespace's
 * internal mqueue mount, whose superblock is the one the container mounts
 * at /dev/mqueue. */
static bool
own_mqueue (const struct lk_ctx *c, uint64_t dev)
{
  for (size_t i = 0; i < c->n_mounts; i++)
    if (c->mounts[i].dev == dev && c->mounts[i].fstype && strcmp (c->mounts[i].fstype, "mqueue") == 0)
      return true;
  return false;
}

static bool
has_path (const struct lk_index *idx, const struct lk_fd *f)
{
  if (S_ISSOCK (f->mode) || (f->mode & S_IFMT) == 0)
    return false; /* sockets, anonymous inodes */
  return !(S_ISFIFO (f->mode) && f->dev == idx->pipefs_dev);
}

static void
check_path (struct lk_ctx *c, const struct lk_fd *f)
{
  cleanup_free char *path = NULL;

  if ((S_ISCHR (f->mode) || S_ISBLK (f->mode)) && !allowed_device (c, f))
    add_fd_leak (c, LEAK_DEVICE, f, LK_NONE, "a device that is not one of the container's own (default, linux.devices, its pty)");
  if (!has_path (c->idx, f) || f->mnt_id < 0 || mount_is_container (c, f->mnt_id) || own_mqueue (c, f->dev))
    return;
  /* memfds live on an internal mount; CRIU dumps their contents. */
  path = lk_fd_object (c->idx, f);
  if (strncmp (path, "/memfd:", 7) == 0)
    return;
  add_fd_leak (c, LEAK_FILE_UNREACHABLE, f, LK_NONE,
               "on a mount that is not in the container's mount namespace: a restore cannot reopen it");
}

static void
check_pipe (struct lk_ctx *c, const struct lk_fd *f)
{
  struct lk_index *idx = c->idx;
  bool fifo = f->dev != idx->pipefs_dev;

  for (uint32_t i = lk_hash_first (&idx->fd_by_obj, lk_key (f->dev, f->ino)); i != LK_NONE;
       i = lk_hash_next (&idx->fd_by_obj, i))
    {
      const struct lk_fd *o = &idx->fds[i];
      if (o->dev != f->dev || o->ino != f->ino || lk_covered (c, o->proc))
        continue;
      add_fd_leak (c, LEAK_PIPE, f, o->proc,
                   fifo ? "the fifo is also open outside the container" : "the pipe is also held outside the container");
    }
}

static int
kcmp_sorted (const void *a, const void *b, void *arg)
{
  struct lk_ctx *c = arg;
  const struct lk_fd *x = *(struct lk_fd *const *) a, *y = *(struct lk_fd *const *) b;
  int r = c->idx->cmp_file (c->idx, x, y);

  return r == 1 ? -1 : r == 2 ? 1 : 0;
}

static void
report_shared (struct lk_ctx *c, const struct lk_fd *f, const struct lk_fd *o)
{
  add_fd_leak (c, LEAK_FILE_SHARED, f, o->proc,
               "the same open file description (offset, flags) is held by an outside process");
}

/* Outside fd @o against the container's fds @in, sorted by kcmp order. */
static void
search_sorted (struct lk_ctx *c, struct lk_fd **in, size_t n, const struct lk_fd *o)
{
  const struct lk_index *idx = c->idx;
  size_t lo = 0, hi = n;

  while (lo < hi)
    {
      size_t mid = lo + (hi - lo) / 2;
      int r = idx->cmp_file (idx, o, in[mid]);
      if (r < 0)
        return; /* the outside process is gone */
      if (r == 0)
        {
          size_t a = mid, b = mid;
          while (a > 0 && idx->cmp_file (idx, o, in[a - 1]) == 0)
            a--;
          while (b + 1 < n && idx->cmp_file (idx, o, in[b + 1]) == 0)
            b++;
          for (size_t k = a; k <= b; k++)
            report_shared (c, in[k], o);
          return;
        }
      if (r == 1)
        hi = mid;
      else
        lo = mid + 1;
    }
}

/* One (device, inode) group: which outside fds share a description with a
 * container fd. */
static void
check_group (struct lk_ctx *c, struct lk_fd **in, size_t n_in, struct lk_fd **out, size_t n_out)
{
  if (n_in * n_out <= PAIRWISE_MAX)
    {
      for (size_t i = 0; i < n_in; i++)
        for (size_t o = 0; o < n_out; o++)
          if (c->idx->cmp_file (c->idx, in[i], out[o]) == 0)
            report_shared (c, in[i], out[o]);
      return;
    }
  qsort_r (in, n_in, sizeof (*in), kcmp_sorted, c);
  for (size_t o = 0; o < n_out; o++)
    search_sorted (c, in, n_in, out[o]);
}

static void
check_descriptions (struct lk_ctx *c, uint32_t first, uint8_t *done)
{
  struct lk_index *idx = c->idx;
  const struct lk_fd *f = &idx->fds[first];
  cleanup_free struct lk_fd **in = NULL;
  cleanup_free struct lk_fd **out = NULL;
  size_t n_in = 0, n_out = 0, cap = 0;

  for (uint32_t i = lk_hash_first (&idx->fd_by_obj, lk_key (f->dev, f->ino)); i != LK_NONE;
       i = lk_hash_next (&idx->fd_by_obj, i))
    {
      struct lk_fd *o = &idx->fds[i];
      if (o->dev != f->dev || o->ino != f->ino)
        continue;
      if (n_in == cap || n_out == cap)
        {
          cap = cap ? cap * 2 : 16;
          in = xreallocarray (in, cap, sizeof (*in));
          out = xreallocarray (out, cap, sizeof (*out));
        }
      if (lk_covered (c, o->proc))
        {
          in[n_in++] = o;
          done[i] = 1;
        }
      else
        out[n_out++] = o;
    }
  if (n_out > 0)
    check_group (c, in, n_in, out, n_out);
}

void
lk_check_fds (struct lk_ctx *c)
{
  struct lk_index *idx = c->idx;
  cleanup_free uint8_t *done = xzalloc (idx->n_fds + 1);

  for (uint32_t p = 0; p < idx->n_procs; p++)
    {
      if (!lk_covered (c, p))
        continue;
      for (size_t i = idx->procs[p].fd_first; i < idx->procs[p].fd_first + idx->procs[p].n_fds; i++)
        {
          struct lk_fd *f = &idx->fds[i];
          if (idx->nsfs_dev && f->dev == idx->nsfs_dev)
            {
              lk_check_ns_fd_held (c, i);
              continue;
            }
          check_path (c, f);
          if (S_ISFIFO (f->mode))
            check_pipe (c, f);
          else if (!done[i])
            check_descriptions (c, i, done);
        }
    }
}

/* A covered fd on (dev, ino), preferably of process @prefer. */
static const struct lk_fd *
container_fd_on (const struct lk_ctx *c, uint64_t dev, uint64_t ino, uint32_t prefer)
{
  const struct lk_fd *best = NULL;

  for (uint32_t i = lk_hash_first (&c->idx->fd_by_obj, lk_key (dev, ino)); i != LK_NONE;
       i = lk_hash_next (&c->idx->fd_by_obj, i))
    {
      const struct lk_fd *f = &c->idx->fds[i];
      if (f->dev != dev || f->ino != ino || !lk_covered (c, f->proc))
        continue;
      if (best == NULL || f->proc == prefer || (best->proc != prefer && f->fd < best->fd))
        best = f;
    }
  return best;
}

static void
lock_leak (struct lk_ctx *c, const struct lk_lock *l, const struct lk_fd *f, uint32_t p, uint32_t holder,
           const char *detail)
{
  cleanup_free char *object = NULL, *path = f ? lk_fd_object (c->idx, f) : NULL;
  struct leak *k;

  if (f)
    object = xasprintf ("%s lock on %s", l->type, path);
  else
    object = xasprintf ("%s lock on %u:%u:%" PRIu64, l->type, major (l->dev), minor (l->dev), l->ino);
  k = lk_add (c, LEAK_LOCK, f ? f->proc : p, f ? f->fd : -1, holder, NULL, object, detail);
  k->obj_dev = l->dev;
  k->obj_ino = l->ino;
}

static void
check_lock (struct lk_ctx *c, const struct lk_lock *l)
{
  struct lk_index *idx = c->idx;
  uint32_t p = l->pid > 0 ? lk_proc_find (idx, l->pid) : LK_NONE;
  const struct lk_fd *f = container_fd_on (c, l->dev, l->ino, p);

  if (l->pid > 0 ? !lk_covered (c, p) : f == NULL)
    return;
  for (uint32_t i = lk_hash_first (&idx->lock_by_obj, lk_key (l->dev, l->ino)); i != LK_NONE;
       i = lk_hash_next (&idx->lock_by_obj, i))
    {
      const struct lk_lock *o = &idx->locks[i];
      uint32_t op = o->pid > 0 ? lk_proc_find (idx, o->pid) : LK_NONE;
      if (o->dev != l->dev || o->ino != l->ino || o->pid <= 0 || lk_covered (c, op))
        continue;
      lock_leak (c, l, f, p, op,
                 o->blocked  ? "an outside process waits for this lock"
                 : l->blocked ? "waits for a lock held by an outside process"
                              : "the file is also locked by an outside process");
    }
  for (uint32_t i = lk_hash_first (&idx->fd_by_obj, lk_key (l->dev, l->ino)); i != LK_NONE;
       i = lk_hash_next (&idx->fd_by_obj, i))
    {
      const struct lk_fd *o = &idx->fds[i];
      if (o->dev != l->dev || o->ino != l->ino || lk_covered (c, o->proc))
        continue;
      lock_leak (c, l, f, p, o->proc, "the locked file is held open by an outside process");
    }
}

void
lk_check_locks (struct lk_ctx *c)
{
  for (size_t i = 0; i < c->idx->n_locks; i++)
    check_lock (c, &c->idx->locks[i]);
}
