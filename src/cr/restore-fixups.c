/* What CRIU 4.2.1 restores wrongly and cryo puts right, on the restored
 * tree before it resumes (post-restore notification).
 *
 * A periodic timerfd that expired and was not read yet has no remaining
 * time (the kernel re-arms it only on read): CRIU dumps it_value 0 and its
 * restore, timerfd_settime with a zero value, disarms it for good.  Any
 * periodic timerfd firing while the container is frozen ends like that.
 * cryo re-arms those (value = interval) and puts their tick count back,
 * through a copy of the restored process's fd (pidfd_getfd).
 *
 * With --manage-cgroups-mode ignore (or none) CRIU leaves the tree in its
 * own cgroup: cryo moves it into the container's, as runc does after a
 * restore (the cgroup namespace, if any, stays rooted where CRIU made it). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

/* <linux/timerfd.h> clashes with <fcntl.h> and <sys/timerfd.h>. */
#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW ('T', 0, uint64_t)
#endif

#define LOG_PREFIX "restore: "
#include "cgroup/cgroup.h"
#include "lib/log.h"
#include "cr/restore-internal.h"
#include "lib/util.h"

struct tfd_info
{
  unsigned long long ticks;
  long long value_s, value_ns, interval_s, interval_ns;
};

/* A timerfd's fdinfo ("clockid:", "ticks:", "it_value: (s, ns)", ...). */
static bool
parse_tfd (const char *buf, struct tfd_info *t)
{
  const char *p;

  if (strstr (buf, "clockid:") == NULL || (p = strstr (buf, "ticks:")) == NULL
      || sscanf (p, "ticks: %llu", &t->ticks) != 1)
    return false;
  if ((p = strstr (buf, "it_value:")) == NULL
      || sscanf (p, "it_value: (%lld, %lld)", &t->value_s, &t->value_ns) != 2)
    return false;
  if ((p = strstr (buf, "it_interval:")) == NULL
      || sscanf (p, "it_interval: (%lld, %lld)", &t->interval_s, &t->interval_ns) != 2)
    return false;
  return true;
}

static int
rearm (int pidfd, pid_t pid, int fd, const struct tfd_info *t, cryo_error_t *err)
{
  struct itimerspec its = { { t->interval_s, t->interval_ns }, { t->interval_s, t->interval_ns } };
  cleanup_close int copy = syscall (SYS_pidfd_getfd, pidfd, fd, 0);
  uint64_t ticks = t->ticks;

  if (copy < 0 || timerfd_settime (copy, 0, &its, NULL) < 0 || ioctl (copy, TFD_IOC_SET_TICKS, &ticks) < 0)
    return cryo_error (err, errno, "re-arm timerfd %d of pid %d", fd, pid);
  log_debug ("re-armed the periodic timerfd %d of pid %d (%llu ticks pending)", fd, pid, t->ticks);
  return 0;
}

static int
fix_process (pid_t pid, cryo_error_t *err)
{
  cleanup_free char *dir = xasprintf ("/proc/%d/fdinfo", pid);
  cleanup_close int pidfd = syscall (SYS_pidfd_open, pid, 0);
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;

  if (d == NULL || pidfd < 0)
    return 0; /* gone: nothing to fix */
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *buf = NULL;
      struct tfd_info t;
      if (de->d_name[0] == '.' || read_all_file_at (dirfd (d), de->d_name, &buf, NULL, NULL) < 0
          || !parse_tfd (buf, &t))
        continue;
      if (t.value_s == 0 && t.value_ns == 0 && (t.interval_s || t.interval_ns) && t.ticks > 0
          && rearm (pidfd, pid, atoi (de->d_name), &t, err) < 0)
        return -1;
    }
  return 0;
}

/* Move @pid and its descendants into the container's cgroup. */
static int
join_cgroup (struct cgroup_manager *cg, pid_t pid, int depth, cryo_error_t *err)
{
  cleanup_free char *dir = xasprintf ("/proc/%d/task", pid);
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (depth > 4096)
    return cryo_error (err, 0, "the restored tree is too deep");
  if (cgroup_add_pid (cg, pid, err) < 0)
    return -1;
  d = opendir (dir);
  while (d && (de = readdir (d)) != NULL)
    {
      cleanup_free char *children = NULL;
      char *save = NULL;
      if (de->d_name[0] == '.')
        continue;
      children = xasprintf ("%s/children", de->d_name);
      if (read_all_file_at (dirfd (d), children, &children, NULL, NULL) < 0)
        continue;
      for (char *t = strtok_r (children, " \n", &save); t; t = strtok_r (NULL, " \n", &save))
        if (join_cgroup (cg, atoi (t), depth + 1, err) < 0)
          return -1;
    }
  return 0;
}

int
cr_restore_fixups (struct restore *r, pid_t root, cryo_error_t *err)
{
  cleanup_free pid_t *pids = NULL;
  enum engine_cg_mode mode = ENGINE_CG_SOFT;
  size_t n = 0;

  cr_cg_mode (r->o->c.manage_cgroups_mode, &mode, NULL);
  if ((mode == ENGINE_CG_IGNORE || mode == ENGINE_CG_NONE) && join_cgroup (r->cg, root, 0, err) < 0)
    return cryo_error_wrap (err, "move the restored processes into the container's cgroup");
  if (cgroup_pids (r->cg, &pids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (fix_process (pids[i], err) < 0)
      return -1;
  return 0;
}
