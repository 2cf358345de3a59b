/* Namespaces: a container that shares the host's, a container process that
 * went into another one, an outside process that joined one of the
 * container's, a container namespace held open by an outside fd or
 * bind-mounted outside (`ip netns attach`, a `mount --bind /proc/PID/ns/net`):
 * any of these makes a restored container a different world. */
#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leak/internal.h"
#include "lib/util.h"

/* Whether @ino is one of the container's own namespaces (not the host's,
 * nor one the config joins by path: those are declared externals), and
 * which type. */
static int
own_ns (const struct lk_ctx *c, uint64_t ino)
{
  for (int t = 0; t < NS_MAX; t++)
    if (ino != 0 && c->ns[t] == ino && c->ns[t] != c->host_ns[t] && !c->ns_declared[t])
      return t;
  return -1;
}

static bool
is_container_ns (const struct lk_ctx *c, uint64_t ino)
{
  for (int t = 0; t < NS_MAX; t++)
    if (ino != 0 && c->ns[t] == ino)
      return true;
  return false;
}

static char *
ns_object (int t, uint64_t ino)
{
  return xasprintf ("%s:[%" PRIu64 "]", ns_table[t].proc_name, ino);
}

static void
check_shared (struct lk_ctx *c)
{
  for (int t = 0; t < NS_MAX; t++)
    {
      cleanup_free char *object = NULL, *detail = NULL;
      if (!c->ns_required[t] || c->ns[t] == 0 || c->ns[t] != c->host_ns[t])
        continue;
      object = ns_object (t, c->ns[t]);
      detail = xasprintf ("the container shares the host's %s namespace: give it its own "
                          "(a `%s` entry without path in linux.namespaces) or use --subtree",
                          ns_table[t].oci_name, ns_table[t].oci_name);
      lk_add (c, LEAK_NS_SHARED, c->init, -1, LK_NONE, "the host", object, detail);
    }
}

static void
check_foreign (struct lk_ctx *c)
{
  struct lk_index *idx = c->idx;

  for (uint32_t i = 0; i < idx->n_procs; i++)
    {
      struct lk_proc *p = &idx->procs[i];
      if (!(p->flags & LK_COVERED) || p->state == 'Z')
        continue;
      for (int t = 0; t < NS_MAX; t++)
        {
          cleanup_free char *object = NULL, *detail = NULL;
          if (p->ns[t] == 0 || c->ns[t] == 0 || p->ns[t] == c->ns[t])
            continue;
          object = ns_object (t, p->ns[t]);
          detail = xasprintf ("in a %s namespace that is not the container's (%s:[%" PRIu64 "])",
                              ns_table[t].oci_name, ns_table[t].proc_name, c->ns[t]);
          lk_add (c, LEAK_NS_FOREIGN, i, -1, LK_NONE, NULL, object, detail);
        }
    }
}

static void
check_joined (struct lk_ctx *c)
{
  struct lk_index *idx = c->idx;

  for (uint32_t i = 0; i < idx->n_procs; i++)
    {
      struct lk_proc *p = &idx->procs[i];
      if (p->flags & (LK_COVERED | LK_KTHREAD))
        continue;
      for (int t = 0; t < NS_MAX; t++)
        {
          cleanup_free char *object = NULL, *detail = NULL;
          if (p->ns[t] == 0 || own_ns (c, p->ns[t]) != t)
            continue;
          object = ns_object (t, p->ns[t]);
          detail = xasprintf ("an outside process is in the container's %s namespace", ns_table[t].oci_name);
          lk_add (c, LEAK_NS_JOINED, LK_NONE, -1, i, NULL, object, detail);
        }
    }
}

/* Outside fds on nsfs that name a container namespace. */
static void
check_ns_fds (struct lk_ctx *c)
{
  struct lk_index *idx = c->idx;

  for (int t = 0; t < NS_MAX; t++)
    {
      uint64_t ino = c->ns[t];
      if (ino == 0 || own_ns (c, ino) != t)
        continue;
      for (uint32_t i = lk_hash_first (&idx->fd_by_obj, lk_key (idx->nsfs_dev, ino)); i != LK_NONE;
           i = lk_hash_next (&idx->fd_by_obj, i))
        {
          struct lk_fd *f = &idx->fds[i];
          cleanup_free char *object = NULL, *detail = NULL;
          if (f->dev != idx->nsfs_dev || f->ino != ino || lk_covered (c, f->proc))
            continue;
          object = ns_object (t, ino);
          detail = xasprintf ("the container's %s namespace is held open by fd %d of an outside process",
                              ns_table[t].oci_name, f->fd);
          lk_add (c, LEAK_NS_FD, LK_NONE, -1, f->proc, NULL, object, detail);
        }
    }
}

static void
check_bind_mounts (struct lk_ctx *c)
{
  struct lk_index *idx = c->idx;

  for (size_t i = 0; i < idx->n_nsmounts; i++)
    {
      struct lk_nsmount *m = &idx->nsmounts[i];
      int t = own_ns (c, m->ino);
      cleanup_free char *object = NULL, *detail = NULL;
      if (t < 0)
        continue;
      object = ns_object (t, m->ino);
      detail = xasprintf ("the container's %s namespace is bind-mounted outside the container",
                          ns_table[t].oci_name);
      lk_add (c, LEAK_NS_BIND, LK_NONE, -1, m->proc, m->mountpoint, object, detail);
    }
}

void
lk_check_namespaces (struct lk_ctx *c)
{
  check_shared (c);
  check_foreign (c);
  check_joined (c);
  check_ns_fds (c);
  check_bind_mounts (c);
}

/* Fds of container processes on namespaces that are not the container's:
 * CRIU cannot take an outside namespace along. */
void
lk_check_ns_fd_held (struct lk_ctx *c, uint32_t fd_index)
{
  struct lk_fd *f = &c->idx->fds[fd_index];
  cleanup_free char *object = NULL, *detail = NULL;

  if (is_container_ns (c, f->ino))
    return;
  object = lk_fd_object (c->idx, f);
  detail = xstrdup ("holds a namespace that is not one of the container's");
  lk_add (c, LEAK_NS_FOREIGN, f->proc, f->fd, LK_NONE, NULL, object, detail);
}

/* The nsfs mounts in one mountinfo text ("... net:[4026532] /run/netns/x
 * ... - nsfs nsfs rw"), recorded with @proc as the namespace's witness. */
void
lk_parse_nsmounts (struct lk_index *idx, uint32_t proc, const char *text)
{
  cleanup_free char *copy = xstrdup (text);
  char *save = NULL;

  for (char *line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char root[256], mountpoint[4096], name[32];
      unsigned long long ino;
      char *dash = strstr (line, " - nsfs ");
      struct lk_nsmount *m;
      if (dash == NULL || sscanf (line, "%*d %*d %*s %255s %4095s", root, mountpoint) != 2)
        continue;
      if (sscanf (root, "%31[a-z_]:[%llu]", name, &ino) != 2)
        continue;
      idx->nsmounts = xreallocarray (idx->nsmounts, idx->n_nsmounts + 1, sizeof (*idx->nsmounts));
      m = &idx->nsmounts[idx->n_nsmounts++];
      m->proc = proc;
      m->ino = ino;
      m->ns_name = xstrdup (name);
      m->mountpoint = xstrdup (mountpoint);
    }
}

/* Read the mountinfo of every mount namespace outside the container once
 * (one process of each stands for it). */
void
lk_collect_nsmounts (struct lk_ctx *c)
{
  struct lk_index *idx = c->idx;
  struct lk_hash seen;
  cleanup_free uint64_t *seen_ns = xzalloc ((idx->n_procs + 1) * sizeof (uint64_t));
  size_t n_seen = 0;

  lk_hash_init (&seen, idx->n_procs);
  for (uint32_t i = 0; i < idx->n_procs; i++)
    {
      struct lk_proc *p = &idx->procs[i];
      uint64_t mnt = p->ns[NS_MNT];
      bool known = false;
      cleanup_free char *path = NULL, *text = NULL;
      /* The container's own mount namespace may hold its own namespaces. */
      if (mnt == 0 || (p->flags & LK_COVERED) || (mnt == c->ns[NS_MNT] && mnt != c->host_ns[NS_MNT]))
        continue;
      for (uint32_t k = lk_hash_first (&seen, mnt); k != LK_NONE && !known; k = lk_hash_next (&seen, k))
        known = seen_ns[k] == mnt;
      if (known)
        continue;
      path = xasprintf ("/proc/%d/mountinfo", p->pid);
      if (read_all_file (path, &text, NULL, NULL) < 0)
        continue; /* a process that just ended: the next one stands in */
      seen_ns[n_seen] = mnt;
      lk_hash_add (&seen, mnt, n_seen++);
      lk_parse_nsmounts (idx, i, text);
    }
  lk_hash_free (&seen);
}
