/* The namespaces cryo knows, indexed by enum: one table gives each its OCI
 * name, its /proc/PID/ns entry and its clone flag. */
#ifndef CRYO_NAMESPACES_H
#define CRYO_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"

enum cryo_ns
{
  NS_USER, /* first: joining or creating it decides who owns the others */
  NS_MNT,
  NS_PID,
  NS_NET,
  NS_IPC,
  NS_UTS,
  NS_CGROUP,
  NS_TIME,
  NS_MAX,
};

struct ns_info
{
  const char *oci_name;  /* "network" */
  const char *proc_name; /* "net", as in /proc/PID/ns/net */
  int clone_flag;        /* CLONE_NEWNET */
};

extern const struct ns_info ns_table[NS_MAX];

/* Index for an OCI name ("mount", "network", ...), or -1. */
int ns_from_oci_name (const char *name);

/* Inode of /proc/PID/ns/<proc_name>: two processes share a namespace exactly
 * when the inodes (and the nsfs device) are equal.  Returns 0 or -1. */
int ns_inode (pid_t pid, enum cryo_ns ns, ino_t *inode, cryo_error_t *err);

#endif
