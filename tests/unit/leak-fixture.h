/* Hosts built by hand for the leak classification tests: processes, fds,
 * mappings and a container context, as leak.c would resolve them. */
#ifndef CRYO_TEST_LEAK_FIXTURE_H
#define CRYO_TEST_LEAK_FIXTURE_H

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "leak/internal.h"

#define NS_C 4026532000ULL /* container namespaces: NS_C + type */
#define NS_H 4026531000ULL /* the host's */
#define DEV_ROOT makedev (254, 0)
#define DEV_PIPE makedev (0, 14)
#define DEV_SOCK makedev (0, 8)
#define DEV_NSFS makedev (0, 4)
#define DEV_ANON makedev (0, 15)
#define DEV_PTS makedev (0, 41)
#define DEV_HOSTPTS makedev (0, 25)
#define DEV_SHM makedev (0, 1)
#define DEV_CTMPFS makedev (0, 42)
#define DEV_MQUEUE makedev (0, 38)

struct world
{
  struct lk_index idx;
  struct lk_ctx c;
  struct lk_mount mounts[4];
  pid_t cgroup[64];
  size_t n_cgroup;
};

/* kcmp calls the fake description comparison has answered */
extern size_t kcmp_calls;

struct world *w_new (void);
/* A process; @ns_base NS_C puts it in the container's namespaces. */
uint32_t w_proc (struct world *w, pid_t pid, pid_t ppid, const char *comm, uint64_t ns_base);
void w_cgroup (struct world *w, pid_t pid);
/* An fd of the last process, with open file description @desc. */
struct lk_fd *w_fd (struct world *w, int fd, uint64_t dev, uint64_t ino, mode_t mode, const char *link, int desc);
/* A shared mapping of the last process. */
void w_map (struct world *w, uint64_t start, uint64_t dev, uint64_t ino, const char *path);
/* Resolve the context for init @init_pid, as leak.c does from a target. */
void w_ready (struct world *w, pid_t init_pid, enum leak_mode mode);
struct leak_report *w_report (struct world *w);
/* Every classifier except sockets, then the report. */
struct leak_report *w_scan (struct world *w);
void w_free (struct world *w);
size_t count (const struct leak_report *r, enum leak_kind kind);
const struct leak *find (const struct leak_report *r, enum leak_kind kind, pid_t pid, int fd, pid_t holder);
/* The report as TAP comments. */
void dump (const struct leak_report *r);
/* A clean container (init 100, children 101-103) on a host (1, 50). */
struct world *w_container (void);

#endif
