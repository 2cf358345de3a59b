/* Users and groups: the user namespace's id maps (written by the runtime)
 * and the process's own uid, gid and groups (set in init). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "container/process.h"
#include "lib/util.h"

static int
write_map (pid_t pid, const char *file, const char *field, const struct spec_id_mapping *m,
           size_t n, cryo_error_t *err)
{
  cleanup_free char *path = xasprintf ("/proc/%d/%s", pid, file);
  cleanup_free char *text = NULL;
  size_t len = 0;
  cleanup_close int fd = -1;

  for (size_t i = 0; i < n; i++)
    {
      char *line = xasprintf ("%s%u %u %u\n", text ? text : "", m[i].container_id, m[i].host_id,
                              m[i].size);
      free (text);
      text = line;
    }
  if (text == NULL)
    return 0;
  len = strlen (text);
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return cryo_error (err, errno, "linux.%s: open `%s`", field, path);
  if (write (fd, text, len) != (ssize_t) len)
    return cryo_error (err, errno, "linux.%s: write `%s` (overlapping or unmapped ranges?)", field,
                       path);
  return 0;
}

int
process_write_id_maps (pid_t pid, const struct spec *spec, cryo_error_t *err)
{
  const struct spec_linux *l = spec->linux_;

  if (l == NULL)
    return 0;
  if (write_map (pid, "uid_map", "uidMappings", l->uid_mappings, l->n_uid_mappings, err) < 0)
    return -1;
  return write_map (pid, "gid_map", "gidMappings", l->gid_mappings, l->n_gid_mappings, err);
}

/* A user namespace made without privilege (joined by path) may forbid
 * setgroups; clearing the groups is then not possible, nor needed. */
static bool
setgroups_denied (void)
{
  char buf[16] = "";
  cleanup_close int fd = open ("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);

  if (fd < 0 || read (fd, buf, sizeof (buf) - 1) <= 0)
    return false;
  return strncmp (buf, "deny", 4) == 0;
}

int
process_set_user (const struct spec_user *user, cryo_error_t *err)
{
  if (user->n_additional_gids > 0 || !setgroups_denied ())
    if (setgroups (user->n_additional_gids, user->additional_gids) < 0)
      return cryo_error (err, errno, "process.user.additionalGids: setgroups");
  /* caps_apply sets the configured sets after the uid change. */
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return cryo_error (err, errno, "prctl PR_SET_KEEPCAPS");
  if (setresgid (user->gid, user->gid, user->gid) < 0)
    return cryo_error (err, errno, "process.user.gid: set gid %u%s", user->gid,
                       errno == EINVAL ? " (not mapped in the user namespace)" : "");
  if (setresuid (user->uid, user->uid, user->uid) < 0)
    return cryo_error (err, errno, "process.user.uid: set uid %u%s", user->uid,
                       errno == EINVAL ? " (not mapped in the user namespace)" : "");
  return 0;
}

/* The home directory of @uid in /etc/passwd of the current root, or NULL. */
static char *
passwd_home (uid_t uid)
{
  cleanup_file FILE *f = fopen ("/etc/passwd", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;

  while (f && getline (&line, &cap, f) > 0)
    {
      char *fields[7] = { 0 };
      char *p = line, *end;
      int i;

      line[strcspn (line, "\n")] = '\0';
      for (i = 0; i < 7 && p; i++)
        {
          fields[i] = p;
          p = strchr (p, ':');
          if (p)
            *p++ = '\0';
        }
      if (i < 6 || fields[2] == NULL)
        continue;
      if (strtoul (fields[2], &end, 10) == uid && *end == '\0' && *fields[2] != '\0')
        return xstrdup (fields[5]);
    }
  return NULL;
}

void
process_env_add_home (char ***env, uid_t uid)
{
  cleanup_free char *home = NULL;
  cleanup_free char *var = NULL;

  for (size_t i = 0; *env && (*env)[i]; i++)
    if (strncmp ((*env)[i], "HOME=", 5) == 0)
      return;
  home = passwd_home (uid);
  var = xasprintf ("HOME=%s", home && *home ? home : "/");
  strv_append (env, var);
}
