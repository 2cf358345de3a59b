/* The config.json `cryo spec` writes: the document `runc spec` writes
 * (libcontainer/specconv's Example and ToRootless), so that a bundle made
 * for one runtime works with the other.  Unlike runc it always asks for a
 * cgroup namespace: cryo supports it on v1 and v2 alike. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spec/spec.h"
#include "lib/util.h"

struct default_mount
{
  const char *destination, *type, *source;
  const char *options[8];
};

static const struct default_mount default_mounts[] = {
  { "/proc", "proc", "proc", { NULL } },
  { "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k", NULL } },
  { "/dev/pts", "devpts", "devpts", { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL } },
  { "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL } },
  { "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev", NULL } },
  { "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro", NULL } },
  { "/sys/fs/cgroup", "cgroup", "cgroup", { "nosuid", "noexec", "nodev", "relatime", "ro", NULL } },
};

/* Without a user namespace of its own a rootless container cannot mount a
 * fresh sysfs, so it gets the host's, read-only. */
static const struct default_mount rootless_sys = {
  "/sys", "none", "/sys", { "rbind", "nosuid", "noexec", "nodev", "ro", NULL }
};

static const char *const default_caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };

static const char *const masked_paths[] = {
  "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
  "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi", "/sys/devices/virtual/tpm", NULL,
};

static const char *const readonly_paths[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

static void
gen_process (json_gen_t *g)
{
  static const char *const env[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL,
  };
  static const char *const args[] = { "sh", NULL };

  jg_key (g, "process");
  jg_open_map (g);
  jg_kv_bool (g, "terminal", true);
  jg_key (g, "user");
  jg_open_map (g);
  jg_kv_int (g, "uid", 0);
  jg_kv_int (g, "gid", 0);
  jg_close_map (g);
  jg_kv_strv (g, "args", (char *const *) args);
  jg_kv_strv (g, "env", (char *const *) env);
  jg_kv_str (g, "cwd", "/");
  jg_key (g, "capabilities");
  jg_open_map (g);
  jg_kv_strv (g, "bounding", (char *const *) default_caps);
  jg_kv_strv (g, "effective", (char *const *) default_caps);
  jg_kv_strv (g, "permitted", (char *const *) default_caps);
  jg_close_map (g);
  jg_key (g, "rlimits");
  jg_open_array (g);
  jg_open_map (g);
  jg_kv_str (g, "type", "RLIMIT_NOFILE");
  jg_kv_uint (g, "hard", 1024);
  jg_kv_uint (g, "soft", 1024);
  jg_close_map (g);
  jg_close_array (g);
  jg_kv_bool (g, "noNewPrivileges", true);
  jg_close_map (g);
}

static void
gen_mount (json_gen_t *g, const struct default_mount *m, bool rootless)
{
  jg_open_map (g);
  jg_kv_str (g, "destination", m->destination);
  jg_kv_str (g, "type", m->type);
  jg_kv_str (g, "source", m->source);
  if (m->options[0])
    {
      jg_key (g, "options");
      jg_open_array (g);
      for (size_t i = 0; m->options[i]; i++)
        /* a rootless container maps only one id: uid=/gid= would fail */
        if (!rootless || (strncmp (m->options[i], "gid=", 4) != 0 && strncmp (m->options[i], "uid=", 4) != 0))
          jg_str (g, m->options[i]);
      jg_close_array (g);
    }
  jg_close_map (g);
}

static void
gen_mounts (json_gen_t *g, bool rootless)
{
  jg_key (g, "mounts");
  jg_open_array (g);
  for (size_t i = 0; i < ARRAY_SIZE (default_mounts); i++)
    {
      const struct default_mount *m = &default_mounts[i];
      if (rootless && strcmp (m->destination, "/sys") == 0)
        m = &rootless_sys;
      gen_mount (g, m, rootless);
    }
  jg_close_array (g);
}

static void
gen_mapping (json_gen_t *g, const char *key, unsigned int host_id)
{
  jg_key (g, key);
  jg_open_array (g);
  jg_open_map (g);
  jg_kv_uint (g, "containerID", 0);
  jg_kv_uint (g, "hostID", host_id);
  jg_kv_uint (g, "size", 1);
  jg_close_map (g);
  jg_close_array (g);
}

static void
gen_linux (json_gen_t *g, bool rootless)
{
  /* runc spec's: no cgroup namespace (runc's tests add one to this config,
   * and a duplicate is refused) */
  static const char *const namespaces[] = { "pid", "network", "ipc", "uts", "mount", NULL };

  jg_key (g, "linux");
  jg_open_map (g);
  if (rootless)
    {
      gen_mapping (g, "uidMappings", geteuid ());
      gen_mapping (g, "gidMappings", getegid ());
    }
  else
    {
      jg_key (g, "resources");
      jg_open_map (g);
      jg_key (g, "devices");
      jg_open_array (g);
      jg_open_map (g);
      jg_kv_bool (g, "allow", false);
      jg_kv_str (g, "access", "rwm");
      jg_close_map (g);
      jg_close_array (g);
      jg_close_map (g);
    }
  jg_key (g, "namespaces");
  jg_open_array (g);
  for (size_t i = 0; namespaces[i]; i++)
    if (!rootless || strcmp (namespaces[i], "network") != 0)
      {
        jg_open_map (g);
        jg_kv_str (g, "type", namespaces[i]);
        jg_close_map (g);
      }
  if (rootless)
    {
      jg_open_map (g);
      jg_kv_str (g, "type", "user");
      jg_close_map (g);
    }
  jg_close_array (g);
  jg_kv_strv (g, "maskedPaths", (char *const *) masked_paths);
  jg_kv_strv (g, "readonlyPaths", (char *const *) readonly_paths);
  jg_close_map (g);
}

char *
spec_default_json (bool rootless)
{
  cleanup_json_gen json_gen_t *g = json_gen_new (true);
  cleanup_error cryo_error_t err = NULL;
  char *out = NULL;

  jg_open_map (g);
  jg_kv_str (g, "ociVersion", "1.2.0");
  gen_process (g);
  jg_key (g, "root");
  jg_open_map (g);
  jg_kv_str (g, "path", "rootfs");
  jg_kv_bool (g, "readonly", true);
  jg_close_map (g);
  jg_kv_str (g, "hostname", "cryo");
  gen_mounts (g, rootless);
  gen_linux (g, rootless);
  jg_close_map (g);
  /* Only a bug in this file can make the generator fail: the document is fixed. */
  if (json_gen_finish (g, &out, NULL, &err) < 0)
    abort ();
  return out;
}
