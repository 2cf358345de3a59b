/* Namespaces of the container: joined by path, created by one unshare,
 * time offsets, hostname and the session keyring. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container/process.h"
#include "lib/util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif
#ifndef KEYCTL_SETPERM
#define KEYCTL_SETPERM 5
#endif
#ifndef KEYCTL_DESCRIBE
#define KEYCTL_DESCRIBE 6
#endif
#define KEY_USR_SEARCH 0x00080000
#define KEY_OTH_SEARCH 0x00000008

/* Open every path first: once in another mount namespace, the later paths
 * may not resolve any more.  Then join the user namespace first, so the
 * others are joined with the capabilities it gives (runc's nsexec order). */
int
process_join_namespaces (const struct spec *spec, cryo_error_t *err)
{
  int fds[NS_MAX];
  int ret = 0;

  for (int ns = 0; ns < NS_MAX; ns++)
    fds[ns] = -1;
  for (int ns = 0; ns < NS_MAX && ret == 0; ns++)
    {
      const char *path = spec_ns_path (spec, ns);
      if (path == NULL)
        continue;
      fds[ns] = open (path, O_RDONLY | O_CLOEXEC);
      if (fds[ns] < 0)
        ret = cryo_error (err, errno, "linux.namespaces: open the %s namespace `%s`",
                          ns_table[ns].oci_name, path);
    }
  /* NS_USER is the first entry of the table. */
  for (int ns = 0; ns < NS_MAX && ret == 0; ns++)
    if (fds[ns] >= 0 && setns (fds[ns], ns_table[ns].clone_flag) < 0)
      ret = cryo_error (err, errno, "linux.namespaces: join the %s namespace `%s`",
                        ns_table[ns].oci_name, spec_ns_path (spec, ns));
  for (int ns = 0; ns < NS_MAX; ns++)
    if (fds[ns] >= 0)
      close (fds[ns]);
  return ret;
}

/* Every new namespace except cgroup, which init creates once it is in the
 * container's cgroup (so that cgroup becomes its root). */
int
process_unshare_namespaces (const struct spec *spec, cryo_error_t *err)
{
  int flags = 0;
  char names[128] = "";

  for (int ns = 0; ns < NS_MAX; ns++)
    if (ns != NS_CGROUP && spec_ns_is_new (spec, ns))
      {
        flags |= ns_table[ns].clone_flag;
        if (names[0])
          strcat (names, ", ");
        strcat (names, ns_table[ns].oci_name);
      }
  if (flags && unshare (flags) < 0)
    return cryo_error (err, errno, "create namespaces (%s)", names);
  return 0;
}

/* Offsets can be written only before a process enters the new time
 * namespace, so this runs in stage-1, between unshare and the fork of init. */
int
process_set_time_offsets (const struct spec *spec, cryo_error_t *err)
{
  const struct spec_linux *l = spec->linux_;
  char buf[256];
  cleanup_close int fd = -1;
  int n;

  if (l == NULL || !spec_ns_is_new (spec, NS_TIME))
    return 0;
  if (!l->time_offsets.monotonic_secs.set && !l->time_offsets.monotonic_nanosecs.set
      && !l->time_offsets.boottime_secs.set && !l->time_offsets.boottime_nanosecs.set)
    return 0;
  n = snprintf (buf, sizeof (buf), "monotonic %lld %lld\nboottime %lld %lld\n",
                (long long) l->time_offsets.monotonic_secs.value,
                (long long) l->time_offsets.monotonic_nanosecs.value,
                (long long) l->time_offsets.boottime_secs.value,
                (long long) l->time_offsets.boottime_nanosecs.value);
  fd = open ("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return cryo_error (err, errno, "open `/proc/self/timens_offsets`");
  if (write (fd, buf, n) != n)
    return cryo_error (err, errno, "linux.timeOffsets: write `/proc/self/timens_offsets`");
  return 0;
}

int
process_set_uts (const struct spec *spec, cryo_error_t *err)
{
  if (spec->hostname && *spec->hostname
      && sethostname (spec->hostname, strlen (spec->hostname)) < 0)
    return cryo_error (err, errno, "hostname: set it to `%s`", spec->hostname);
  if (spec->domainname && *spec->domainname
      && setdomainname (spec->domainname, strlen (spec->domainname)) < 0)
    return cryo_error (err, errno, "domainname: set it to `%s`", spec->domainname);
  return 0;
}

/* Whether we are in the initial user namespace (its map is the identity
 * over every id); reads our own map, whichever /proc is mounted. */
static bool
in_initial_userns (void)
{
  cleanup_free char *map = NULL;
  unsigned long a, b, n;

  if (read_all_file ("/proc/self/uid_map", &map, NULL, NULL) < 0)
    return true;
  return sscanf (map, "%lu %lu %lu", &a, &b, &n) == 3 && a == 0 && b == 0 && n == 4294967295UL
         && strchr (map, '\n') == strrchr (map, '\n');
}

/* Make the keyring searchable, so that `cryo exec` finds it by name: by its
 * user, or with a user namespace by everyone (the exec'd process joins it
 * before taking the container's uid), as runc does. */
static int
keyring_make_searchable (long serial, cryo_error_t *err)
{
  char desc[512];
  unsigned int perm;
  long n = syscall (SYS_keyctl, KEYCTL_DESCRIBE, serial, desc, sizeof (desc) - 1, 0);

  if (n < 0)
    return cryo_error (err, errno, "describe the session keyring");
  desc[n < (long) sizeof (desc) ? n : (long) sizeof (desc) - 1] = '\0';
  /* "type;uid;gid;perm;description", perm in hex */
  if (sscanf (desc, "%*[^;];%*[^;];%*[^;];%x;", &perm) != 1)
    return cryo_error (err, 0, "unexpected session keyring description `%s`", desc);
  perm |= in_initial_userns () ? KEY_USR_SEARCH : KEY_OTH_SEARCH;
  if (syscall (SYS_keyctl, KEYCTL_SETPERM, serial, perm, 0, 0) < 0)
    return cryo_error (err, errno, "make the session keyring searchable");
  return 0;
}

/* A session keyring of its own, named after the container, so keys the
 * runtime's session holds are not reachable from inside (runc does this too,
 * and ignores kernels without keyrings). */
int
process_join_session_keyring (const char *id, cryo_error_t *err)
{
  cleanup_free char *name = xasprintf ("_ses.%s", id);
  long serial = syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0);

  if (serial < 0 && errno == ENOSYS)
    return 0;
  if (serial < 0)
    return cryo_error (err, errno, "join a new session keyring (use --no-new-keyring to skip)");
  return keyring_make_searchable (serial, err);
}
