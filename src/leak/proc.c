/* Processes: which ones the checkpoint covers (init and its descendants),
 * the ones in the container's pid namespace or cgroup that it would miss
 * (left over from an exec, for instance), descendants that left the cgroup,
 * and tracers across the boundary. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "leak/internal.h"
#include "lib/util.h"

static int
cmp_pid (const void *a, const void *b)
{
  pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;
  return (x > y) - (x < y);
}

static bool
in_cgroup (const struct lk_ctx *c, pid_t pid)
{
  return c->cgroup_pids && bsearch (&pid, c->cgroup_pids, c->n_cgroup_pids, sizeof (pid_t), cmp_pid);
}

/* Walk up from every process to init or to a process already decided; the
 * parent chain is at most n_procs long, so a cycle (pid reuse seen in the
 * middle of the pass) cannot loop forever. */
static void
mark_covered (struct lk_ctx *c)
{
  struct lk_index *idx = c->idx;
  cleanup_free uint8_t *state = xzalloc (idx->n_procs); /* 0 unknown, 1 covered, 2 not */
  cleanup_free uint32_t *chain = xmalloc (idx->n_procs * sizeof (uint32_t));

  state[c->init] = 1;
  for (uint32_t i = 0; i < idx->n_procs; i++)
    {
      size_t n = 0;
      uint32_t p = i;
      uint8_t verdict = 2;
      while (p != LK_NONE && state[p] == 0 && n < idx->n_procs)
        {
          chain[n++] = p;
          p = idx->procs[p].ppid > 0 ? lk_proc_find (idx, idx->procs[p].ppid) : LK_NONE;
        }
      if (p != LK_NONE && state[p] != 0)
        verdict = state[p];
      for (size_t k = 0; k < n; k++)
        state[chain[k]] = verdict;
    }
  for (uint32_t i = 0; i < idx->n_procs; i++)
    if (state[i] == 1)
      idx->procs[i].flags |= LK_COVERED;
}

void
lk_mark_processes (struct lk_ctx *c)
{
  struct lk_index *idx = c->idx;
  bool own_pidns = c->ns[NS_PID] != 0 && c->ns[NS_PID] != c->host_ns[NS_PID];

  if (c->cgroup_pids)
    qsort (c->cgroup_pids, c->n_cgroup_pids, sizeof (pid_t), cmp_pid);
  mark_covered (c);
  for (uint32_t i = 0; i < idx->n_procs; i++)
    {
      struct lk_proc *p = &idx->procs[i];
      if (own_pidns && p->ns[NS_PID] == c->ns[NS_PID])
        p->flags |= LK_IN_PIDNS;
      if (in_cgroup (c, p->pid))
        p->flags |= LK_IN_CGROUP;
    }
}

static void
uncovered (struct lk_ctx *c, uint32_t i)
{
  struct lk_proc *p = &c->idx->procs[i];
  uint32_t parent = p->ppid > 0 ? lk_proc_find (c->idx, p->ppid) : LK_NONE;
  cleanup_free char *object = xasprintf ("pid %d", p->pid);
  const char *detail;

  if ((p->flags & LK_IN_PIDNS) && (p->flags & LK_IN_CGROUP))
    detail = "in the container's pid namespace and cgroup, not a descendant of its init: the checkpoint would miss it";
  else if (p->flags & LK_IN_PIDNS)
    detail = "in the container's pid namespace, not a descendant of its init: the checkpoint would miss it";
  else
    detail = "in the container's cgroup, not a descendant of its init: the checkpoint would miss it";
  /* The process is the leak; its parent is who brought it in. */
  lk_add (c, LEAK_PROCESS, i, -1, parent, NULL, object, detail);
}

void
lk_check_processes (struct lk_ctx *c)
{
  struct lk_index *idx = c->idx;

  for (uint32_t i = 0; i < idx->n_procs; i++)
    {
      struct lk_proc *p = &idx->procs[i];
      if (p->flags & LK_KTHREAD)
        continue;
      if (!(p->flags & LK_COVERED) && (p->flags & (LK_IN_PIDNS | LK_IN_CGROUP)))
        uncovered (c, i);
      /* Zombies have left their cgroup already. */
      if ((p->flags & LK_COVERED) && c->has_cgroup && !(p->flags & LK_IN_CGROUP) && p->state != 'Z')
        {
          cleanup_free char *object = xasprintf ("pid %d", p->pid);
          lk_add (c, LEAK_PROCESS_CGROUP, i, -1, LK_NONE, NULL, object,
                  "a descendant of the container's init outside the container's cgroup: it is not frozen");
        }
    }
}

void
lk_check_ptrace (struct lk_ctx *c)
{
  struct lk_index *idx = c->idx;

  for (uint32_t i = 0; i < idx->n_procs; i++)
    {
      struct lk_proc *p = &idx->procs[i];
      uint32_t t = p->tracer > 0 ? lk_proc_find (idx, p->tracer) : LK_NONE;
      cleanup_free char *object = NULL;
      struct leak *l;
      if (p->tracer <= 0 || lk_covered (c, i) == lk_covered (c, t))
        continue;
      object = xasprintf ("ptrace %d -> %d", p->tracer, p->pid);
      if (lk_covered (c, i))
        {
          l = lk_add (c, LEAK_PTRACE, i, -1, t, NULL, object, "traced by a process outside the container");
          l->blocks_dump = true; /* CRIU cannot seize a traced process */
          if (t == LK_NONE)
            l->holder_pid = p->tracer;
        }
      else
        lk_add (c, LEAK_PTRACE, t, -1, i, NULL, object, "traces a process outside the container");
    }
}
