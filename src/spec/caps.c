/* Capabilities of the container's process: names to numbers, the five sets
 * to bit masks, and the order in which the kernel lets us set them. */
#include "config.h"

#define LOG_PREFIX "caps: "

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "spec/caps.h"
#include "lib/log.h"
#include "lib/util.h"

/* Numbers newer than some kernel headers. */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef CAP_CHECKPOINT_RESTORE
#define CAP_CHECKPOINT_RESTORE 40
#endif

/* Our own table, so the names do not depend on the libcap the binary was
 * built with.  Indexed by capability number. */
static const char *const cap_names[] = {
  [CAP_CHOWN] = "CAP_CHOWN",
  [CAP_DAC_OVERRIDE] = "CAP_DAC_OVERRIDE",
  [CAP_DAC_READ_SEARCH] = "CAP_DAC_READ_SEARCH",
  [CAP_FOWNER] = "CAP_FOWNER",
  [CAP_FSETID] = "CAP_FSETID",
  [CAP_KILL] = "CAP_KILL",
  [CAP_SETGID] = "CAP_SETGID",
  [CAP_SETUID] = "CAP_SETUID",
  [CAP_SETPCAP] = "CAP_SETPCAP",
  [CAP_LINUX_IMMUTABLE] = "CAP_LINUX_IMMUTABLE",
  [CAP_NET_BIND_SERVICE] = "CAP_NET_BIND_SERVICE",
  [CAP_NET_BROADCAST] = "CAP_NET_BROADCAST",
  [CAP_NET_ADMIN] = "CAP_NET_ADMIN",
  [CAP_NET_RAW] = "CAP_NET_RAW",
  [CAP_IPC_LOCK] = "CAP_IPC_LOCK",
  [CAP_IPC_OWNER] = "CAP_IPC_OWNER",
  [CAP_SYS_MODULE] = "CAP_SYS_MODULE",
  [CAP_SYS_RAWIO] = "CAP_SYS_RAWIO",
  [CAP_SYS_CHROOT] = "CAP_SYS_CHROOT",
  [CAP_SYS_PTRACE] = "CAP_SYS_PTRACE",
  [CAP_SYS_PACCT] = "CAP_SYS_PACCT",
  [CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",
  [CAP_SYS_BOOT] = "CAP_SYS_BOOT",
  [CAP_SYS_NICE] = "CAP_SYS_NICE",
  [CAP_SYS_RESOURCE] = "CAP_SYS_RESOURCE",
  [CAP_SYS_TIME] = "CAP_SYS_TIME",
  [CAP_SYS_TTY_CONFIG] = "CAP_SYS_TTY_CONFIG",
  [CAP_MKNOD] = "CAP_MKNOD",
  [CAP_LEASE] = "CAP_LEASE",
  [CAP_AUDIT_WRITE] = "CAP_AUDIT_WRITE",
  [CAP_AUDIT_CONTROL] = "CAP_AUDIT_CONTROL",
  [CAP_SETFCAP] = "CAP_SETFCAP",
  [CAP_MAC_OVERRIDE] = "CAP_MAC_OVERRIDE",
  [CAP_MAC_ADMIN] = "CAP_MAC_ADMIN",
  [CAP_SYSLOG] = "CAP_SYSLOG",
  [CAP_WAKE_ALARM] = "CAP_WAKE_ALARM",
  [CAP_BLOCK_SUSPEND] = "CAP_BLOCK_SUSPEND",
  [CAP_AUDIT_READ] = "CAP_AUDIT_READ",
  [CAP_PERFMON] = "CAP_PERFMON",
  [CAP_BPF] = "CAP_BPF",
  [CAP_CHECKPOINT_RESTORE] = "CAP_CHECKPOINT_RESTORE",
};

/* The kernel's capability sets are 64 bits wide (two u32 words). */
#define CAPS_MAX 64

const char *const caps_set_names[CAP_SET_MAX] = {
  [CAP_SET_BOUNDING] = "bounding",
  [CAP_SET_EFFECTIVE] = "effective",
  [CAP_SET_INHERITABLE] = "inheritable",
  [CAP_SET_PERMITTED] = "permitted",
  [CAP_SET_AMBIENT] = "ambient",
};

/* libcap spells names in lower case ("cap_bpf") and unknown numbers as
 * digits: return "CAP_BPF", or NULL when libcap has no name either. */
static char *
libcap_name (int cap)
{
  cleanup_free char *s = NULL;
  char *name = cap_to_name (cap);

  if (name == NULL)
    return NULL;
  s = xstrdup (name);
  cap_free (name);
  if (strncmp (s, "cap_", 4) != 0)
    return NULL;
  for (char *p = s; *p; p++)
    *p = toupper ((unsigned char) *p);
  return steal_pointer (&s);
}

int
caps_from_name (const char *name)
{
  cap_value_t v;

  for (size_t i = 0; i < ARRAY_SIZE (cap_names); i++)
    if (cap_names[i] && strcmp (cap_names[i], name) == 0)
      return (int) i;
  /* Only the OCI spelling: libcap would also take "12" and "cap_chown". */
  if (strncmp (name, "CAP_", 4) != 0 || name[4] == '\0')
    return -1;
  for (const char *p = name + 4; *p; p++)
    if (!isupper ((unsigned char) *p) && !isdigit ((unsigned char) *p) && *p != '_')
      return -1;
  if (isdigit ((unsigned char) name[4]) || cap_from_name (name, &v) < 0 || v < 0 || v >= CAPS_MAX)
    return -1;
  return (int) v;
}

int
caps_last_cap (void)
{
  static int last = -1;
  cleanup_free char *buf = NULL;
  int64_t v;

  if (last >= 0)
    return last;
  if (read_all_file ("/proc/sys/kernel/cap_last_cap", &buf, NULL, NULL) == 0)
    {
      buf[strcspn (buf, "\n")] = '\0';
      if (parse_int64 (buf, &v) == 0 && v >= 0 && v < CAPS_MAX)
        return last = (int) v;
    }
  /* libcap probes the kernel itself when /proc is not there. */
  v = cap_max_bits ();
  last = v > 0 && v <= CAPS_MAX ? (int) v - 1 : CAP_CHECKPOINT_RESTORE;
  return last;
}

int
caps_set_mask (char *const *names, const char *field, uint64_t *mask, cryo_error_t *err)
{
  int last = caps_last_cap ();

  *mask = 0;
  for (size_t i = 0; names && names[i]; i++)
    {
      int cap = caps_from_name (names[i]);
      if (cap < 0)
        return cryo_error (err, 0, "%s: unknown capability `%s`", field, names[i]);
      if (cap > last)
        {
          log_warning ("%s: ignoring `%s`: this kernel does not support it (its last capability is %d)",
                       field, names[i], last);
          continue;
        }
      *mask |= UINT64_C (1) << cap;
    }
  return 0;
}

/* The name of one capability number, allocated: cryo's table, libcap's, or
 * "CAP_<N>" for a kernel newer than both. */
static char *
cap_name (int cap)
{
  char *name;

  if ((size_t) cap < ARRAY_SIZE (cap_names) && cap_names[cap])
    return xstrdup (cap_names[cap]);
  if ((name = libcap_name (cap)) != NULL)
    return name;
  return xasprintf ("CAP_%d", cap);
}

static int
lowest_cap (uint64_t mask)
{
  return __builtin_ctzll (mask);
}

/* All five masks, and the relations the kernel enforces on them, checked
 * here so a config that cannot work fails with the field, not with EPERM
 * from capset in the container's init. */
static int
resolve_sets (const struct spec_capabilities *caps, uint64_t m[CAP_SET_MAX], cryo_error_t *err)
{
  cleanup_free char *name = NULL;
  uint64_t bad;

  for (int s = 0; s < CAP_SET_MAX; s++)
    {
      cleanup_free char *field = xasprintf ("process.capabilities.%s", caps_set_names[s]);
      m[s] = 0;
      if (caps && caps_set_mask (caps->sets[s], field, &m[s], err) < 0)
        return -1;
    }
  if ((bad = m[CAP_SET_EFFECTIVE] & ~m[CAP_SET_PERMITTED]) != 0)
    return cryo_error (err, 0, "process.capabilities.effective: `%s` is not in the permitted set; add it there",
                       name = cap_name (lowest_cap (bad)));
  if ((bad = m[CAP_SET_INHERITABLE] & ~m[CAP_SET_BOUNDING]) != 0)
    return cryo_error (err, 0, "process.capabilities.inheritable: `%s` is not in the bounding set; add it there",
                       name = cap_name (lowest_cap (bad)));
  /* The kernel refuses to raise an ambient capability that is not both
   * permitted and inheritable; runc ignores that refusal, and `runc spec`
   * writes ambient capabilities without an inheritable set, so such a
   * capability is left out of the ambient set instead of failing. */
  m[CAP_SET_AMBIENT] &= m[CAP_SET_PERMITTED] & m[CAP_SET_INHERITABLE];
  return 0;
}

int
caps_validate (const struct spec_capabilities *caps, cryo_error_t *err)
{
  uint64_t m[CAP_SET_MAX];

  return resolve_sets (caps, m, err);
}

static void
cleanup_capp (cap_t *c)
{
  if (*c)
    cap_free (*c);
  *c = NULL;
}
#define cleanup_cap __attribute__ ((cleanup (cleanup_capp)))

/* setresuid() to a non-zero uid cleared the effective set even with
 * KEEPCAPS; dropping the bounding set needs CAP_SETPCAP effective again. */
static int
raise_effective (cryo_error_t *err)
{
  cleanup_cap cap_t c = cap_get_proc ();

  if (c == NULL)
    return cryo_error (err, errno, "read the capabilities of the process");
  /* cap_fill() would do this, but only from libcap 2.48 on. */
  for (cap_value_t cap = 0; cap <= caps_last_cap (); cap++)
    {
      cap_flag_value_t v;
      if (cap_get_flag (c, cap, CAP_PERMITTED, &v) == 0 && v == CAP_SET)
        cap_set_flag (c, CAP_EFFECTIVE, 1, &cap, CAP_SET);
    }
  if (cap_set_proc (c) < 0)
    return cryo_error (err, errno, "raise the effective capabilities to the permitted set");
  return 0;
}

static int
drop_bounding (uint64_t keep, cryo_error_t *err)
{
  int last = caps_last_cap ();

  for (int cap = 0; cap <= last; cap++)
    {
      if (keep & (UINT64_C (1) << cap))
        continue;
      if (cap_get_bound (cap) <= 0)
        continue; /* already dropped, or unknown to this kernel */
      if (cap_drop_bound (cap) < 0)
        {
          int saved = errno;
          cleanup_free char *n = cap_name (cap);
          return cryo_error (err, saved, "drop `%s` from the bounding set", n);
        }
    }
  return 0;
}

static int
set_flag (cap_t c, cap_flag_t flag, uint64_t mask)
{
  for (int cap = 0; cap < CAPS_MAX; cap++)
    {
      cap_value_t v = cap;
      if ((mask & (UINT64_C (1) << cap)) && cap_set_flag (c, flag, 1, &v, CAP_SET) < 0)
        return -1;
    }
  return 0;
}

static int
set_epi (const uint64_t m[CAP_SET_MAX], cryo_error_t *err)
{
  cleanup_cap cap_t c = cap_init ();

  if (c == NULL)
    oom ();
  if (set_flag (c, CAP_EFFECTIVE, m[CAP_SET_EFFECTIVE]) < 0
      || set_flag (c, CAP_PERMITTED, m[CAP_SET_PERMITTED]) < 0
      || set_flag (c, CAP_INHERITABLE, m[CAP_SET_INHERITABLE]) < 0)
    return cryo_error (err, errno, "build the capability sets");
  if (cap_set_proc (c) < 0)
    return cryo_error (err, errno, "set the effective, permitted and inheritable capabilities");
  return 0;
}

static int
set_ambient (uint64_t mask, cryo_error_t *err)
{
  if (cap_reset_ambient () < 0 && mask == 0)
    return 0; /* a kernel without ambient capabilities, and none asked for */
  for (int cap = 0; cap < CAPS_MAX; cap++)
    if ((mask & (UINT64_C (1) << cap)) && cap_set_ambient (cap, CAP_SET) < 0)
      {
        int saved = errno;
        cleanup_free char *n = cap_name (cap);
        return cryo_error (err, saved, "raise `%s` in the ambient set", n);
      }
  return 0;
}

int
caps_apply (const struct spec_capabilities *caps, cryo_error_t *err)
{
  uint64_t m[CAP_SET_MAX];

  if (resolve_sets (caps, m, err) < 0)
    return -1;
  if (raise_effective (err) < 0 || drop_bounding (m[CAP_SET_BOUNDING], err) < 0)
    return -1;
  if (set_epi (m, err) < 0 || set_ambient (m[CAP_SET_AMBIENT], err) < 0)
    return -1;
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return cryo_error (err, errno, "prctl PR_SET_KEEPCAPS 0");
  return 0;
}

char **
caps_mask_names (uint64_t mask)
{
  char **v = xzalloc (sizeof (char *));

  for (int cap = 0; cap < CAPS_MAX; cap++)
    if (mask & (UINT64_C (1) << cap))
      {
        cleanup_free char *name = cap_name (cap);
        strv_append (&v, name);
      }
  return v;
}

char **
caps_known_names (void)
{
  char **v = xzalloc (sizeof (char *));

  for (int cap = 0; cap < CAPS_MAX; cap++)
    {
      cleanup_free char *name = NULL;
      if ((size_t) cap < ARRAY_SIZE (cap_names) && cap_names[cap])
        strv_append (&v, cap_names[cap]);
      else if ((name = libcap_name (cap)) != NULL)
        strv_append (&v, name);
    }
  return v;
}

static void
add_unique (char ***set, const char *name)
{
  if (!strv_contains (*set, name))
    strv_append (set, name);
}

int
caps_add (struct spec_capabilities **caps, char *const *names, cryo_error_t *err)
{
  for (size_t i = 0; names && names[i]; i++)
    if (caps_from_name (names[i]) < 0)
      return cryo_error (err, 0, "--cap: unknown capability `%s`", names[i]);
  if (*caps == NULL)
    *caps = xzalloc (sizeof (**caps));
  for (size_t i = 0; names && names[i]; i++)
    {
      char ***sets = (*caps)->sets;
      add_unique (&sets[CAP_SET_BOUNDING], names[i]);
      add_unique (&sets[CAP_SET_EFFECTIVE], names[i]);
      add_unique (&sets[CAP_SET_PERMITTED], names[i]);
      if (strv_contains (sets[CAP_SET_INHERITABLE], names[i]))
        add_unique (&sets[CAP_SET_AMBIENT], names[i]);
    }
  return 0;
}
