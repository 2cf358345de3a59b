#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ns/namespaces.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

const struct ns_info ns_table[NS_MAX] = {
  [NS_USER] = { "user", "user", CLONE_NEWUSER },
  [NS_MNT] = { "mount", "mnt", CLONE_NEWNS },
  [NS_PID] = { "pid", "pid", CLONE_NEWPID },
  [NS_NET] = { "network", "net", CLONE_NEWNET },
  [NS_IPC] = { "ipc", "ipc", CLONE_NEWIPC },
  [NS_UTS] = { "uts", "uts", CLONE_NEWUTS },
  [NS_CGROUP] = { "cgroup", "cgroup", CLONE_NEWCGROUP },
  [NS_TIME] = { "time", "time", CLONE_NEWTIME },
};

int
ns_from_oci_name (const char *name)
{
  for (int i = 0; i < NS_MAX; i++)
    if (strcmp (ns_table[i].oci_name, name) == 0)
      return i;
  return -1;
}

int
ns_inode (pid_t pid, enum cryo_ns ns, ino_t *inode, cryo_error_t *err)
{
  char path[64];
  struct stat st;

  snprintf (path, sizeof (path), "/proc/%d/ns/%s", pid, ns_table[ns].proc_name);
  if (stat (path, &st) < 0)
    return cryo_error (err, errno, "stat `%s`", path);
  *inode = st.st_ino;
  return 0;
}
