/* Putting things back after CRIU was killed (deadline) or failed.
 *
 * CRIU seizes the tree with PTRACE_SEIZE; when it dies the kernel detaches
 * its tracees and they run on, but two things survive it: a cgroup it froze
 * (--freeze-cgroup) stays frozen, and a task that was in a group stop stays
 * stopped.  Before a dump the engine records the state of every task and of
 * the freezer, and afterwards resumes only what the dump left stopped.
 * A restore that is killed half-way leaves restored tasks behind: those are
 * killed (CRIU's own process group takes most of them; the tree found from
 * the root pid CRIU announced takes the rest). */
#define _GNU_SOURCE
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOG_PREFIX "engine: "
#include "engine/internal.h"
#include "lib/log.h"
#include "lib/util.h"

#define MAX_TREE 65536

static void
add_children (pid_t pid, pid_t **pids, size_t *n)
{
  cleanup_free char *taskdir = xasprintf ("/proc/%d/task", (int)pid);
  cleanup_dir DIR *d = opendir (taskdir);
  struct dirent *de;

  if (d == NULL)
    return;
  while ((de = readdir (d)) != NULL && *n < MAX_TREE)
    {
      cleanup_free char *path = NULL;
      cleanup_free char *text = NULL;
      cryo_error_t ignored = NULL;
      char *save = NULL;

      if (de->d_name[0] == '.')
        continue;
      path = xasprintf ("%s/%s/children", taskdir, de->d_name);
      if (read_all_file (path, &text, NULL, &ignored) < 0)
        {
          cryo_error_release (&ignored);
          continue;
        }
      for (char *t = strtok_r (text, " \n", &save); t && *n < MAX_TREE; t = strtok_r (NULL, " \n", &save))
        {
          int64_t child;
          if (parse_int64 (t, &child) == 0 && child > 0)
            {
              *pids = xreallocarray (*pids, *n + 1, sizeof **pids);
              (*pids)[(*n)++] = (pid_t)child;
            }
        }
    }
}

/* The tree rooted at @root, root first, breadth first. */
static size_t
collect_tree (pid_t root, pid_t **out)
{
  pid_t *pids = xmalloc (sizeof *pids);
  size_t n = 1;

  pids[0] = root;
  for (size_t i = 0; i < n && n < MAX_TREE; i++)
    add_children (pids[i], &pids, &n);
  *out = pids;
  return n;
}

static const char *
freezer_file (const char *dir, char **path)
{
  *path = xasprintf ("%s/freezer.state", dir); /* v1 */
  if (access (*path, F_OK) == 0)
    return "v1";
  free (*path);
  *path = xasprintf ("%s/cgroup.freeze", dir); /* v2 */
  return access (*path, F_OK) == 0 ? "v2" : NULL;
}

static bool
freezer_frozen (const char *dir)
{
  cleanup_free char *path = NULL;
  cleanup_free char *state = NULL;
  const char *kind = freezer_file (dir, &path);

  if (kind == NULL || (state = engine_read_line_at (AT_FDCWD, path)) == NULL)
    return false;
  return strcmp (kind, "v1") == 0 ? strcmp (state, "THAWED") != 0 : strcmp (state, "1") == 0;
}

void
engine_snapshot_take (struct engine_snapshot *s, pid_t root, const char *freeze_cgroup)
{
  memset (s, 0, sizeof *s);
  s->n = collect_tree (root, &s->pids);
  s->states = xmalloc (s->n);
  for (size_t i = 0; i < s->n; i++)
    s->states[i] = process_state (s->pids[i]);
  if (freeze_cgroup)
    {
      s->freezer = xstrdup (freeze_cgroup);
      s->was_frozen = freezer_frozen (freeze_cgroup);
    }
}

void
engine_snapshot_release (struct engine_snapshot *s)
{
  free (s->pids);
  free (s->states);
  free (s->freezer);
  memset (s, 0, sizeof *s);
}

static void
thaw (const char *dir)
{
  cleanup_free char *path = NULL;
  const char *kind = freezer_file (dir, &path);
  const char *value = kind && strcmp (kind, "v1") == 0 ? "THAWED" : "0";
  int fd;

  if (kind == NULL || (fd = open (path, O_WRONLY | O_CLOEXEC)) < 0)
    return;
  if (write (fd, value, strlen (value)) < 0)
    log_warning ("cannot thaw `%s` after a failed dump: %s", dir, strerror (errno));
  close (fd);
}

int
engine_snapshot_restore (const struct engine_snapshot *s)
{
  int resumed = 0;

  if (s->freezer && !s->was_frozen && freezer_frozen (s->freezer))
    {
      log_debug ("thawing `%s`, left frozen by the failed dump", s->freezer);
      thaw (s->freezer);
      resumed++;
    }
  for (size_t i = 0; i < s->n; i++)
    {
      char now = process_state (s->pids[i]);
      if ((now == 'T' || now == 't') && s->states[i] != 'T' && s->states[i] != 't')
        {
          log_debug ("resuming pid %d, left stopped by the failed dump", (int)s->pids[i]);
          kill (s->pids[i], SIGCONT);
          resumed++;
        }
    }
  return resumed;
}

void
engine_kill_tree (pid_t root, bool reap_root)
{
  cleanup_free pid_t *pids = NULL;
  size_t n;

  if (root <= 0)
    return;
  /* Stop the tree so it cannot fork while it is collected, then kill it
   * all: killing the root first would reparent its children out of reach. */
  n = collect_tree (root, &pids);
  for (size_t i = 0; i < n; i++)
    kill (pids[i], SIGSTOP);
  free (pids);
  n = collect_tree (root, &pids);
  for (size_t i = 0; i < n; i++)
    kill (pids[i], SIGKILL);
  if (reap_root)
    while (waitpid (root, NULL, 0) < 0 && errno == EINTR)
      ;
}
