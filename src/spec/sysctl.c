/* linux.sysctl: which keys a container may set (only those its own
 * namespaces isolate) and writing them under /proc/sys in the container. */
#include "config.h"

#define LOG_PREFIX "sysctl: "

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "lib/log.h"
#include "spec/sysctl.h"
#include "lib/util.h"

#define PROC_SUPER_MAGIC 0x9fa0

/* The namespaced parts of /proc/sys, in path form.  A prefix ends where
 * the kernel's names do: "kernel/shm" covers shmmax, shmall, shmmni,
 * shm_rmid_forced and shm_next_id. */
static const struct sysctl_rule
{
  const char *pattern;
  bool prefix;
  enum cryo_ns ns;
} rules[] = {
  { "kernel/msg", true, NS_IPC },
  { "kernel/sem", true, NS_IPC },
  { "kernel/shm", true, NS_IPC },
  { "fs/mqueue/", true, NS_IPC },
  { "net/", true, NS_NET },
  { "kernel/hostname", false, NS_UTS },
  { "kernel/domainname", false, NS_UTS },
};

/* "net.ipv4.ip_forward" -> "net/ipv4/ip_forward"; a key with a slash is
 * already a path ("net/ipv4/conf/eth0.100/forwarding").  NULL when the key
 * could leave /proc/sys. */
static char *
key_to_path (const char *key)
{
  cleanup_free char *path = xstrdup (key);
  cleanup_free char *wrapped = NULL;

  if (strchr (path, '/') == NULL)
    for (char *p = path; *p; p++)
      if (*p == '.')
        *p = '/';
  wrapped = xasprintf ("/%s/", path);
  if (path[0] == '\0' || path[0] == '/' || path[strlen (path) - 1] == '/' || strstr (path, "//")
      || strstr (wrapped, "/../") || strstr (wrapped, "/./"))
    return NULL;
  return steal_pointer (&path);
}

static const struct sysctl_rule *
find_rule (const char *path)
{
  for (size_t i = 0; i < ARRAY_SIZE (rules); i++)
    {
      size_t n = strlen (rules[i].pattern);
      if (rules[i].prefix ? strncmp (path, rules[i].pattern, n) == 0 : strcmp (path, rules[i].pattern) == 0)
        return &rules[i];
    }
  return NULL;
}

/* The container has its own namespace of this type: a new one, or a path
 * that is not the runtime's own (runc: "host" means the current one). */
static int
ns_is_private (const struct spec *spec, enum cryo_ns ns, bool *private, cryo_error_t *err)
{
  cleanup_free char *self = xasprintf ("/proc/self/ns/%s", ns_table[ns].proc_name);
  const char *path = spec_ns_path (spec, ns);
  struct stat a, b;

  *private = spec_has_ns (spec, ns);
  if (!*private || path == NULL)
    return 0;
  if (stat (path, &a) < 0)
    return cryo_error (err, errno, "linux.namespaces: %s namespace `%s`", ns_table[ns].oci_name, path);
  if (stat (self, &b) < 0)
    return cryo_error (err, errno, "stat `%s`", self);
  *private = a.st_dev != b.st_dev || a.st_ino != b.st_ino;
  return 0;
}

static int
check_key (const struct spec *spec, const char *key, cryo_error_t *err)
{
  cleanup_free char *path = key_to_path (key);
  const struct sysctl_rule *rule;
  bool private;

  if (path == NULL)
    return cryo_error (err, 0, "linux.sysctl: invalid key `%s`", key);
  rule = find_rule (path);
  if (rule == NULL)
    return cryo_error (err, 0, "linux.sysctl: `%s` is not namespaced: setting it would change the host", key);
  if (ns_is_private (spec, rule->ns, &private, err) < 0)
    return -1;
  if (!private)
    return cryo_error (err, 0,
                       "linux.sysctl: `%s` needs the container's own %s namespace: setting it in the host's"
                       " would change the host",
                       key, ns_table[rule->ns].oci_name);
  return 0;
}

int
sysctl_validate (const struct spec *spec, cryo_error_t *err)
{
  char **keys = spec->linux_ ? spec->linux_->sysctl_keys : NULL;

  for (size_t i = 0; keys && keys[i]; i++)
    if (check_key (spec, keys[i], err) < 0)
      return -1;
  return 0;
}

static int
write_one (const char *key, const char *value, cryo_error_t *err)
{
  cleanup_free char *rel = key_to_path (key);
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;
  struct statfs sfs;

  if (rel == NULL)
    return cryo_error (err, 0, "linux.sysctl: invalid key `%s`", key);
  path = xasprintf ("/proc/sys/%s", rel);
  fd = open (path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return cryo_error (err, errno, "linux.sysctl: `%s`: open `%s`", key, path);
  /* Only ever write to procfs, whatever the container's /proc is. */
  if (fstatfs (fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
    return cryo_error (err, 0, "linux.sysctl: `%s`: `%s` is not on procfs", key, path);
  if (write_all (fd, value, strlen (value)) < 0)
    return cryo_error (err, errno, "linux.sysctl: `%s`: write `%s` to `%s`", key, value, path);
  log_debug ("%s = %s", key, value);
  return 0;
}

int
sysctl_apply (const struct spec *spec, cryo_error_t *err)
{
  char **keys = spec->linux_ ? spec->linux_->sysctl_keys : NULL;
  char **values = spec->linux_ ? spec->linux_->sysctl_values : NULL;

  for (size_t i = 0; keys && keys[i]; i++)
    if (write_one (keys[i], values[i], err) < 0)
      return -1;
  return 0;
}
