/* Shared memory: a MAP_SHARED mapping of a container process (a file,
 * /dev/shm, a memfd, a SysV segment, shared anonymous memory) that an
 * outside process maps too.  After a restore the container would map a copy
 * (or a re-opened file the outside no longer shares pages with through the
 * same mapping), and what looked shared silently is not.  Objects that live
 * only in memory (memfd, SysV, tmpfs) are also leaked by an outside fd that
 * holds them open without mapping them. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "leak/internal.h"
#include "lib/util.h"

/* Memory-only objects: CRIU dumps their contents, so any outside holder is
 * left with a different object after the restore. */
static bool
memory_only (const struct lk_ctx *c, const struct lk_map *m)
{
  if (m->sysv_ipcns || m->path == NULL)
    return true;
  if (strncmp (m->path, "/memfd:", 7) == 0 || strncmp (m->path, "/SYSV", 5) == 0
      || strncmp (m->path, "/dev/zero", 9) == 0)
    return true;
  for (size_t i = 0; i < c->n_mounts; i++)
    if (c->mounts[i].dev == m->dev && c->mounts[i].fstype
        && (strcmp (c->mounts[i].fstype, "tmpfs") == 0 || strcmp (c->mounts[i].fstype, "ramfs") == 0))
      return true;
  return false;
}

static void
map_leak (struct lk_ctx *c, const struct lk_map *m, uint32_t holder, const char *detail)
{
  cleanup_free char *object = m->path ? xstrdup (m->path) : xasprintf ("%" PRIu64 ":%" PRIu64, m->dev, m->ino);
  struct leak *l = lk_add (c, LEAK_MEMORY, m->proc, -1, holder, NULL, object, detail);

  l->addr_start = m->start;
  l->addr_end = m->end;
  l->obj_dev = m->dev;
  l->obj_ino = m->ino;
}

static void
check_map (struct lk_ctx *c, const struct lk_map *m)
{
  struct lk_index *idx = c->idx;
  uint64_t key = lk_key (m->dev, m->ino ^ m->sysv_ipcns);

  for (uint32_t i = lk_hash_first (&idx->map_by_obj, key); i != LK_NONE; i = lk_hash_next (&idx->map_by_obj, i))
    {
      const struct lk_map *o = &idx->maps[i];
      if (o->dev != m->dev || o->ino != m->ino || o->sysv_ipcns != m->sysv_ipcns || lk_covered (c, o->proc))
        continue;
      map_leak (c, m, o->proc, "a shared mapping also mapped by an outside process");
    }
  /* SysV segments have no fds. */
  if (m->sysv_ipcns || !memory_only (c, m))
    return;
  for (uint32_t i = lk_hash_first (&idx->fd_by_obj, lk_key (m->dev, m->ino)); i != LK_NONE;
       i = lk_hash_next (&idx->fd_by_obj, i))
    {
      const struct lk_fd *o = &idx->fds[i];
      if (o->dev != m->dev || o->ino != m->ino || lk_covered (c, o->proc))
        continue;
      map_leak (c, m, o->proc, "shared memory also held open by an outside process");
    }
}

/* Whether container mapping @m could be shared with anyone: private and
 * anonymous memory (ino 0, not SysV) cannot. */
static bool
shareable (const struct lk_map *m)
{
  return m->ino != 0 || m->sysv_ipcns != 0;
}

/* The container's shared mappings, and the outside's only when the
 * container has one that can be shared: another process's mappings can only
 * meet the container's on an object the container maps too, and reading the
 * maps of every process on the host is most of the cost of the memory
 * check (the outside fds on memory-only objects are in the index already). */
void
lk_read_maps (struct lk_ctx *c)
{
  struct lk_index *idx = c->idx;
  bool any = false;

  for (uint32_t p = 0; p < idx->n_procs; p++)
    if (lk_covered (c, p))
      lk_index_read_maps (idx, p);
  for (size_t i = 0; i < idx->n_maps && !any; i++)
    any = lk_covered (c, idx->maps[i].proc) && shareable (&idx->maps[i]);
  for (uint32_t p = 0; p < idx->n_procs && any; p++)
    lk_index_read_maps (idx, p);
  lk_index_hash_maps (idx);
}

void
lk_check_memory (struct lk_ctx *c)
{
  struct lk_index *idx = c->idx;

  for (uint32_t p = 0; p < idx->n_procs; p++)
    {
      if (!lk_covered (c, p))
        continue;
      for (size_t i = idx->procs[p].map_first; i < idx->procs[p].map_first + idx->procs[p].n_maps; i++)
        if (shareable (&idx->maps[i]))
          check_map (c, &idx->maps[i]);
    }
}
