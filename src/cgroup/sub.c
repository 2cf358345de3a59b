/* exec --cgroup: join a sub-cgroup of the container's cgroup, in every
 * hierarchy or in those of the controllers named (runc 1.1's
 * "[controller[,controller]:]path"). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_PREFIX "cgroup: "
#include "cgroup/internal.h"
#include "lib/util.h"

/* A path that stays under the container's cgroup ("a/../b" does). */
static int
check_sub_path (const char *sub, cryo_error_t *err)
{
  cleanup_free char *copy = xstrdup (sub);
  char *save = NULL;
  int depth = 0;

  for (char *c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      depth += strcmp (c, "..") == 0 ? -1 : strcmp (c, ".") == 0 ? 0 : 1;
      if (depth < 0)
        return cryo_error (err, 0, "--cgroup: %s is not a sub cgroup path", sub);
    }
  return 0;
}

/* Set subs[i] for the hierarchies @arg names; "" names every one. */
static int
parse_one (struct cgroup_manager *cg, const char *arg, bool alone, const char **subs, cryo_error_t *err)
{
  const char *colon = strchr (arg, ':');
  cleanup_free char *ctrls = NULL;
  char *save = NULL;

  if (colon == NULL)
    {
      if (!alone)
        return cryo_error (err, 0, "invalid --cgroup argument `%s` (missing <controller>: prefix)", arg);
      for (size_t i = 0; i < cg->n; i++)
        subs[i] = arg;
      return check_sub_path (arg, err);
    }
  if (strchr (colon + 1, ':'))
    return cryo_error (err, 0, "invalid --cgroup argument `%s`", arg);
  if (cg->mode == CGROUP_MODE_V2)
    return cryo_error (err, 0, "--cgroup `%s`: on cgroup v2 give a path without a controller", arg);
  ctrls = xstrndup (arg, colon - arg);
  for (char *c = strtok_r (ctrls, ",", &save); c; c = strtok_r (NULL, ",", &save))
    {
      bool found = false;
      for (size_t i = 0; i < cg->n; i++)
        if (strcmp (cg->h[i].name, CGROUP2_NAME) != 0 && cgroup_name_has (cg->h[i].name, c))
          {
            subs[i] = colon + 1;
            found = true;
          }
      if (!found)
        return cryo_error (err, 0, "--cgroup `%s`: unknown controller `%s`", arg, c);
    }
  return check_sub_path (colon + 1, err);
}

int
cgroup_add_pid_sub (struct cgroup_manager *cg, pid_t pid, char *const *args, cryo_error_t *err)
{
  cleanup_free const char **subs = xzalloc ((cg->n + 1) * sizeof (*subs));
  char buf[32];

  for (size_t k = 0; args && args[k]; k++)
    if (parse_one (cg, args[k], args[1] == NULL, subs, err) < 0)
      return -1;
  snprintf (buf, sizeof (buf), "%d", pid);
  for (size_t i = 0; i < cg->n; i++)
    {
      cleanup_free char *dir = subs[i] ? xasprintf ("%s/%s", cg->h[i].dir, subs[i]) : xstrdup (cg->h[i].dir);
      if (access (dir, F_OK) < 0 && errno == ENOENT)
        /* runc's words, which its callers match. */
        return cryo_error (err, 0,
                           "adding pid %d to %s/cgroup.procs: no such file or directory (exec --cgroup "
                           "takes an existing sub-cgroup of the container's)",
                           pid, dir);
      if (cg_write (dir, "cgroup.procs", buf, err) < 0)
        return cryo_error_wrap (err, "adding pid %d to cgroup `%s`", pid, dir);
    }
  return 0;
}
