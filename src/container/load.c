/* A container's state with its live status, and its processes. */
#include "config.h"

#include <stdlib.h>

#include "cgroup/cgroup.h"
#include "container/container.h"
#include "lib/util.h"

int
container_load (const char *root, const char *id, struct container_state **out, cryo_error_t *err)
{
  cleanup_container_state struct container_state *s = NULL;
  cleanup_cgroup struct cgroup_manager *cg = NULL;
  bool frozen = false;

  if (state_read (root, id, &s, err) < 0)
    return -1;
  if (state_refresh_status (s, err) < 0)
    return -1;
  if (s->status == CONTAINER_RUNNING && s->cgroup)
    {
      /* The freezer is the truth for "paused", whoever froze it. */
      if (cgroup_load (s->cgroup, &cg, err) < 0 || cgroup_is_frozen (cg, &frozen, err) < 0)
        return cryo_error_wrap (err, "container `%s`", id);
      if (frozen)
        s->status = CONTAINER_PAUSED;
    }
  *out = steal_pointer (&s);
  return 0;
}

int
container_pids (const struct container_state *s, pid_t **pids, size_t *n, cryo_error_t *err)
{
  cleanup_cgroup struct cgroup_manager *cg = NULL;

  if (s->cgroup)
    {
      if (cgroup_load (s->cgroup, &cg, err) < 0)
        return -1;
      return cgroup_pids (cg, pids, n, err);
    }
  *n = 0;
  *pids = xzalloc (sizeof (pid_t));
  if (state_init_alive (s))
    {
      (*pids)[0] = s->pid;
      *n = 1;
    }
  return 0;
}
