/* Leak detection: is a container self-contained, so that a checkpoint of it
 * restores into the same world?
 *
 * A leak is anything a container process shares with a process outside the
 * checkpoint (or anything the checkpoint would miss): a pipe whose other end
 * is held on the host, a unix socket whose peer is outside, a shared mapping
 * also mapped outside, a namespace an outside process has joined, a tracer,
 * a lock contended from outside, a process the dump would not cover...  Each
 * one is reported with the container pid, the fd or address, the kind, the
 * object and who outside holds it (host pid and command, or a path).
 *
 * The scan makes one pass over /proc for the whole host and indexes it (hash
 * tables keyed by device and inode), so its cost grows with the number of
 * open fds and mappings on the host, not with containers x processes.  It
 * must run on a frozen container, so that the picture cannot change under
 * it: container_leaks() freezes, scans and thaws; a checkpoint that already
 * froze the container calls leak_scan() itself.  See docs/leaks.md. */
#ifndef CRYO_LEAK_H
#define CRYO_LEAK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "lib/json.h"
#include "container/state.h"

enum leak_mode
{
  /* The whole container: it must be isolated in its own namespaces and
   * self-contained; any leak refuses the checkpoint. */
  LEAK_MODE_CONTAINER,
  /* A process subtree: leaks are warnings, saved with the image, naming what
   * the restore cannot guarantee. */
  LEAK_MODE_SUBTREE,
};

enum leak_kind
{
  LEAK_PROCESS,          /* "process": in the pid ns or cgroup, not a descendant of init */
  LEAK_PROCESS_CGROUP,   /* "process-cgroup": a descendant of init outside the cgroup */
  LEAK_NS_SHARED,        /* "namespace-shared": the container shares the host's namespace */
  LEAK_NS_FOREIGN,       /* "namespace-foreign": a container process in another namespace */
  LEAK_NS_JOINED,        /* "namespace-joined": an outside process in a container namespace */
  LEAK_NS_BIND,          /* "namespace-bind": a container namespace bind-mounted outside */
  LEAK_NS_FD,            /* "namespace-fd": a container namespace held open outside */
  LEAK_FILE_SHARED,      /* "file-shared": the same open file description outside */
  LEAK_FILE_UNREACHABLE, /* "file-unreachable": not reachable from the container's mounts */
  LEAK_DEVICE,           /* "device": not one of the container's own devices */
  LEAK_PIPE,             /* "pipe": the other end of a pipe or fifo is outside */
  LEAK_UNIX,             /* "unix": the peer of a unix socket is outside */
  LEAK_TCP,              /* "tcp": connected outside, or established without --tcp-established */
  LEAK_UDP,              /* "udp": connected outside the container's network namespace */
  LEAK_MEMORY,           /* "memory": a shared mapping also mapped or held outside */
  LEAK_LOCK,             /* "lock": a file lock on a file locked or held open outside */
  LEAK_PTRACE,           /* "ptrace": traced from outside, or tracing outside */
  LEAK_KIND_MAX,
};

/* "process", "namespace-joined", ... as in the report. */
const char *leak_kind_name (enum leak_kind kind);

struct leak
{
  enum leak_kind kind;
  bool warning;          /* reported, but does not refuse the checkpoint */
  bool blocks_dump;      /* refuses even a subtree checkpoint: the dump cannot be done */
  pid_t pid;             /* the container process (host pid); 0: the whole container */
  pid_t nspid;           /* its pid in the container's pid namespace; 0 unknown */
  char *command;         /* its comm */
  int fd;                /* -1: not about an fd */
  uint64_t addr_start;   /* a mapping [start, end); both 0 when none */
  uint64_t addr_end;
  char *object;          /* "pipe:[1234]", "net:[4026532001]", "/data/f", ... */
  pid_t holder_pid;      /* the outside process holding it; 0 none */
  char *holder_command;
  char *holder_path;     /* or the path (bind mount) or address holding it; NULL */
  char *detail;          /* why this is a leak, one phrase */
  /* The container-side object (device, inode) for declared externals; 0 0
   * when the leak is not about one. */
  uint64_t obj_dev;
  uint64_t obj_ino;
};

struct leak_report
{
  char *id;
  enum leak_mode mode;
  bool tcp_established;
  struct leak *leaks;    /* sorted: kind, pid, fd, address, object, holder */
  size_t n_leaks;
  size_t n_errors;       /* leaks that refuse the checkpoint */
  size_t n_warnings;
  /* What was looked at. */
  size_t n_processes;    /* container processes */
  size_t n_fds;          /* their fds */
  size_t n_host_processes;
  size_t n_host_fds;     /* those walked over */
  bool host_fds_walked;  /* false: the reference counts left no outside holder possible */
};

void leak_report_free (struct leak_report *r);
void cleanup_leak_reportp (struct leak_report **r);
#define cleanup_leak_report __attribute__ ((cleanup (cleanup_leak_reportp)))

/* The report as a JSON object into @gen ({"id", "mode", "clean", "errors",
 * "warnings", "leaks": [...], "scanned": {...}}). */
void leak_report_to_json (const struct leak_report *r, json_gen_t *gen);
/* The same as a string (what a subtree image stores as leaks.json). */
int leak_report_json_string (const struct leak_report *r, bool pretty, char **out, cryo_error_t *err);
/* One line per leak, sorted, then a summary line; owned by the caller. */
char *leak_report_to_text (const struct leak_report *r);

struct leak_options
{
  enum leak_mode mode;
  bool tcp_established;      /* established TCP connections will be dumped */
  /* Fds of init that the caller declares external (passed with
   * --preserve-fds and known to be outside objects); the objects behind
   * them are not leaks, like the container's stdio and console. */
  const int *external_fds;
  size_t n_external_fds;
};

/* What to scan, from a container's state: init, cgroup, config (its
 * namespaces, bind mounts and devices), mode and declared externals. */
struct leak_target;

/**
 * leak_target_new - describe the container of @s for a scan
 *
 * Loads the config stored with the container and its cgroup.  The container
 * must have a live init.
 */
int leak_target_new (const struct container_state *s, const struct leak_options *o,
                     struct leak_target **out, cryo_error_t *err);
void leak_target_free (struct leak_target *t);
void cleanup_leak_targetp (struct leak_target **t);
#define cleanup_leak_target __attribute__ ((cleanup (cleanup_leak_targetp)))

/**
 * leak_scan - find every leak of the target; the caller has frozen it
 *
 * Fails only when the scan itself cannot be done (the container's init is
 * gone, /proc unreadable); leaks are in the report, with n_errors > 0 when
 * the checkpoint must be refused.
 */
int leak_scan (const struct leak_target *t, struct leak_report **out, cryo_error_t *err);

/**
 * container_leaks - take the container's lock, freeze it (unless paused),
 * scan, thaw
 *
 * The container must be running or paused.  The container is thawed on
 * every path, also when the scan fails.
 */
int container_leaks (const char *root, const char *id, const struct leak_options *o,
                     struct leak_report **out, cryo_error_t *err);

#endif
