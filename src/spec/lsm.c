/* AppArmor and SELinux labels for the container's process: detection on
 * the host, refusal when a requested LSM is missing, and the exec attribute
 * written just before execve. */
#include "config.h"

#define LOG_PREFIX "lsm: "

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "lib/log.h"
#include "spec/lsm.h"
#include "lib/util.h"

#define SELINUX_MAGIC 0xf97cff8c

bool
lsm_apparmor_enabled (void)
{
  cleanup_free char *buf = NULL;

  return read_all_file ("/sys/module/apparmor/parameters/enabled", &buf, NULL, NULL) == 0 && buf[0] == 'Y';
}

bool
lsm_selinux_enabled (void)
{
  static const char *const mounts[] = { "/sys/fs/selinux", "/selinux" };
  struct statfs sfs;

  for (size_t i = 0; i < ARRAY_SIZE (mounts); i++)
    if (statfs (mounts[i], &sfs) == 0 && (unsigned long) sfs.f_type == SELINUX_MAGIC)
      return true;
  return false;
}

static const struct lsm_def
{
  const char *field;     /* in process */
  size_t offset;         /* of the char * in struct spec_process */
  const char *lsm;       /* for messages */
  bool (*enabled) (void);
  const char *attr_dir;  /* per-LSM attr directory (kernels >= 5.1), or NULL */
  const char *prefix;    /* written before the label */
} lsms[] = {
  { "apparmorProfile", offsetof (struct spec_process, apparmor_profile), "AppArmor", lsm_apparmor_enabled,
    "/proc/thread-self/attr/apparmor", "exec " },
  { "selinuxLabel", offsetof (struct spec_process, selinux_label), "SELinux", lsm_selinux_enabled, NULL, "" },
};

static const char *
label_of (const struct spec_process *p, size_t i)
{
  const char *v = *(char *const *) ((const char *) p + lsms[i].offset);
  return v && *v ? v : NULL;
}

int
lsm_validate (const struct spec_process *p, cryo_error_t *err)
{
  for (size_t i = 0; p && i < ARRAY_SIZE (lsms); i++)
    {
      const char *label = label_of (p, i);
      if (label && !lsms[i].enabled ())
        return cryo_error (err, 0,
                           "process.%s: %s is not enabled on this host, so `%s` cannot be applied;"
                           " remove the field or enable %s",
                           lsms[i].field, lsms[i].lsm, label, lsms[i].lsm);
    }
  return 0;
}

static int
write_exec_attr (const struct lsm_def *d, const char *label, cryo_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *value = xasprintf ("%s%s", d->prefix, label);
  cleanup_close int fd = -1;
  struct stat st;

  /* The per-LSM directory where the kernel has it: attr/exec belongs to
   * whichever LSM came first when several are stacked. */
  if (d->attr_dir && stat (d->attr_dir, &st) == 0)
    path = xasprintf ("%s/exec", d->attr_dir);
  else
    path = xstrdup ("/proc/thread-self/attr/exec");
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return cryo_error (err, errno, "process.%s: open `%s`", d->field, path);
  if (write (fd, value, strlen (value)) != (ssize_t) strlen (value))
    return cryo_error (err, errno, "process.%s: %s refused `%s` (write `%s`)", d->field, d->lsm, label, path);
  log_debug ("%s exec label set to `%s`", d->lsm, label);
  return 0;
}

int
lsm_apply_exec_label (const struct spec_process *p, cryo_error_t *err)
{
  for (size_t i = 0; p && i < ARRAY_SIZE (lsms); i++)
    {
      const char *label = label_of (p, i);
      if (label && write_exec_attr (&lsms[i], label, err) < 0)
        return -1;
    }
  return 0;
}

void
lsm_features (json_gen_t *g)
{
  /* "enabled" means the runtime implements it (features.md), as in runc;
   * whether this host has the LSM is checked per container. */
  jg_key (g, "apparmor");
  jg_open_map (g);
  jg_kv_bool (g, "enabled", true);
  jg_close_map (g);
  jg_key (g, "selinux");
  jg_open_map (g);
  jg_kv_bool (g, "enabled", true);
  jg_close_map (g);
}
