/* Reading and writing cgroup files, and listing the processes of a cgroup
 * tree.  Every error names the file (and the value written), because a
 * controller refusing a limit is the most common failure a user sees. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "lib/util.h"

int
cg_write (const char *dir, const char *file, const char *value, cryo_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);

  if (fd < 0)
    return cryo_error (err, errno, "open `%s` to write `%s`", path, value);
  /* One write(2): cgroup files take the whole value in one call. */
  if (write (fd, value, strlen (value)) < 0)
    return cryo_error (err, errno, "write `%s` to `%s`", value, path);
  return 0;
}

int
cg_write_u64 (const char *dir, const char *file, uint64_t v, cryo_error_t *err)
{
  char buf[32];
  snprintf (buf, sizeof (buf), "%" PRIu64, v);
  return cg_write (dir, file, buf, err);
}

int
cg_write_i64 (const char *dir, const char *file, int64_t v, cryo_error_t *err)
{
  char buf[32];
  snprintf (buf, sizeof (buf), "%" PRId64, v);
  return cg_write (dir, file, buf, err);
}

int
cg_read (const char *dir, const char *file, char **out, cryo_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  size_t len;

  if (read_all_file (path, out, &len, err) < 0)
    return -1;
  while (len > 0 && (*out)[len - 1] == '\n')
    (*out)[--len] = '\0';
  return 0;
}

int
cg_read_u64 (const char *dir, const char *file, uint64_t *v, cryo_error_t *err)
{
  cleanup_free char *text = NULL;

  if (cg_read (dir, file, &text, err) < 0)
    return -1;
  if (strcmp (text, "max") == 0)
    {
      *v = UINT64_MAX;
      return 0;
    }
  if (parse_uint64 (text, v) < 0)
    return cryo_error (err, 0, "`%s/%s` holds `%s`, not a number", dir, file, text);
  return 0;
}

bool
cg_exists (const char *dir, const char *file)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  return access (path, F_OK) == 0;
}

int
cg_keyed_u64 (const char *text, const char *key, uint64_t *v)
{
  size_t len = strlen (key);

  for (const char *p = text; p && *p; p = strchr (p, '\n'), p = p ? p + 1 : NULL)
    if (strncmp (p, key, len) == 0 && p[len] == ' ')
      {
        char *end;
        errno = 0;
        *v = strtoull (p + len + 1, &end, 10);
        return errno || (*end != '\n' && *end != '\0') ? -1 : 0;
      }
  return -1;
}

void
cg_sleep_ms (unsigned ms)
{
  struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

static void
add_pids_from (const char *text, pid_t **pids, size_t *n)
{
  for (const char *p = text; *p;)
    {
      char *end;
      long v = strtol (p, &end, 10);
      if (end == p)
        break;
      *pids = xreallocarray (*pids, *n + 1, sizeof (pid_t));
      (*pids)[(*n)++] = (pid_t)v;
      p = end;
      while (*p == '\n')
        p++;
    }
}

int
cg_collect_pids (const char *dir, pid_t **pids, size_t *n, cryo_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (cg_read (dir, "cgroup.procs", &text, err) < 0)
    return -1;
  add_pids_from (text, pids, n);
  d = opendir (dir);
  if (d == NULL)
    return cryo_error (err, errno, "open `%s`", dir);
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *sub = NULL;
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      sub = xasprintf ("%s/%s", dir, de->d_name);
      if (cg_collect_pids (sub, pids, n, err) < 0)
        {
          /* A child cgroup removed while we walk is not an error. */
          if (cryo_error_status (*err) != ENOENT)
            return -1;
          cryo_error_release (err);
        }
    }
  return 0;
}
