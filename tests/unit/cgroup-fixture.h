/* Shared by the cgroup unit tests (test_cgroup.c, test_cgroup_limits.c):
 * every test works below /cryo-unit-<pid> on the real cgroup filesystem, in
 * a cgroup that is killed and removed whatever the outcome, with children
 * that join it before they act. */
#ifndef CRYO_TEST_CGROUP_FIXTURE_H
#define CRYO_TEST_CGROUP_FIXTURE_H

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "lib/json.h"
#include "tap.h"
#include "lib/util.h"

#define SKIP_UNLESS(cond)                                                                                    \
  do                                                                                                         \
    {                                                                                                        \
      if (!(cond))                                                                                           \
        {                                                                                                    \
          printf ("# skip: %s\n", #cond);                                                                    \
          return 77;                                                                                         \
        }                                                                                                    \
    }                                                                                                        \
  while (0)

/* Fail with the error's message as a diagnostic. */
#define CHECK_OK(call)                                                                                       \
  do                                                                                                         \
    {                                                                                                        \
      if ((call) < 0)                                                                                        \
        {                                                                                                    \
          printf ("# %s:%d: %s: %s\n", __FILE__, __LINE__, #call, err ? err->msg : "?");                     \
          return 1;                                                                                          \
        }                                                                                                    \
    }                                                                                                        \
  while (0)

static enum cgroup_mode host_mode;

/* A test's cgroup: killed, removed and freed whatever the test's outcome.
 * Declare child pids (cleanup_pid) before it, so that the cgroup (and a
 * v1 freezer, which would keep SIGKILL from acting) goes first. */
static inline void
fixture_release (struct cgroup_manager **cg)
{
  cleanup_error cryo_error_t e = NULL;

  if (*cg == NULL)
    return;
  if (cgroup_kill (*cg, SIGKILL, &e) < 0)
    printf ("# cleanup kill: %s\n", e->msg);
  cryo_error_release (&e);
  if (cgroup_destroy (*cg, &e) < 0)
    printf ("# cleanup destroy: %s\n", e->msg);
  cgroup_manager_free (*cg);
  *cg = NULL;
}
#define cleanup_fixture __attribute__ ((cleanup (fixture_release)))

static inline char *
unit_path (const char *sub)
{
  return xasprintf ("/cryo-unit-%d/%s", getpid (), sub);
}

/* Create /cryo-unit-<pid>/SUB with the hierarchies of @mode (-1: the host's). */
static inline int
make_cg (const char *sub, int mode, struct cgroup_manager **out, cryo_error_t *err)
{
  struct cgroup_layout l;
  cleanup_free char *path = unit_path (sub);
  int ret;

  if (cgroup_layout_read (&l, err) < 0)
    return -1;
  ret = mode < 0 ? 0 : cgroup_layout_restrict (&l, mode, err);
  if (ret == 0)
    ret = cgroup_create_in (&l, path, "unit", out, err);
  cgroup_layout_clear (&l);
  return ret;
}

static inline bool
dir_exists (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

/* Read a cgroup file of the manager's hierarchy holding @ctrl. */
static inline char *
file_of (struct cgroup_manager *cg, const char *ctrl, const char *file)
{
  char *out = NULL;
  const char *dir = cgroup_dir (cg, ctrl);
  if (dir == NULL || cg_read (dir, file, &out, NULL) < 0)
    return xstrdup ("(unreadable)");
  return out;
}

/* A child that counts as fast as it can and reports every 4096th value on a
 * non-blocking pipe: it makes progress exactly when it is not frozen. */
static inline pid_t
spawn_counter (int *rfd)
{
  int p[2];
  pid_t pid;

  if (pipe2 (p, O_CLOEXEC | O_NONBLOCK) < 0)
    return -1;
  pid = fork ();
  if (pid == 0)
    {
      volatile uint32_t c = 0;
      close (p[0]);
      for (;;)
        if ((++c & 4095) == 0)
          {
            uint32_t v = c;
            if (write (p[1], &v, sizeof (v)) < 0 && errno != EAGAIN)
              _exit (1);
          }
    }
  close (p[1]);
  *rfd = p[0];
  return pid;
}

static inline pid_t
spawn_sleeper (void)
{
  pid_t pid = fork ();
  if (pid == 0)
    {
      for (;;)
        pause ();
    }
  return pid;
}

/* A child that joins @cg before it runs @fn (memory it touches, processes it
 * forks, devices it opens are the cgroup's); @fn reports on *out_r. */
typedef void (*child_fn) (int out);

static inline pid_t
spawn_in (struct cgroup_manager *cg, child_fn fn, int *out_r, cryo_error_t *err)
{
  int go[2], out[2];
  pid_t pid;
  char c = 'g';

  if (pipe2 (go, O_CLOEXEC) < 0 || pipe2 (out, O_CLOEXEC) < 0)
    return -1;
  pid = fork ();
  if (pid == 0)
    {
      close (go[1]);
      close (out[0]);
      if (read (go[0], &c, 1) != 1)
        _exit (2);
      fn (out[1]);
      _exit (0);
    }
  close (go[0]);
  close (out[1]);
  if (pid < 0 || cgroup_add_pid (cg, pid, err) < 0 || write (go[1], &c, 1) != 1)
    {
      if (pid > 0)
        {
          kill (pid, SIGKILL);
          waitpid (pid, NULL, 0);
        }
      close (go[1]);
      close (out[0]);
      return -1;
    }
  close (go[1]);
  *out_r = out[0];
  return pid;
}

/* Write every page through a volatile pointer: a plain memset of memory
 * that is never read may be optimized away with the malloc. */
static inline void
touch (size_t bytes)
{
  volatile char *m = malloc (bytes);
  if (m == NULL)
    _exit (3);
  for (size_t i = 0; i < bytes; i += 4096)
    m[i] = 1;
}

static inline void
touch_16m (int out)
{
  touch (16 << 20);
  if (write (out, "x", 1) != 1)
    _exit (1);
  for (;;)
    pause ();
}

/* Drain the pipe; then whether anything new arrives within @ms. */
static inline bool
progresses (int fd, int ms)
{
  uint32_t buf[1024];
  struct pollfd pfd = { fd, POLLIN, 0 };

  while (read (fd, buf, sizeof (buf)) > 0)
    ;
  return poll (&pfd, 1, ms) == 1;
}

static inline struct spec_resources
limits (void)
{
  struct spec_resources r = { 0 };
  r.present = true;
  return r;
}

#define SET(field, v) ((field).set = true, (field).value = (v))

static inline bool
has_v1_controllers (void)
{
  return host_mode != CGROUP_MODE_V2;
}

/* Every test cleaned up: no /cryo-unit-<pid> in any hierarchy. */
static inline int
test_nothing_left (void)
{
  cleanup_error cryo_error_t err = NULL;
  struct cgroup_layout l;

  CHECK_OK (cgroup_layout_read (&l, &err));
  for (size_t i = 0; i < l.n; i++)
    {
      cleanup_free char *top = xasprintf ("%s/cryo-unit-%d", l.m[i].mount, getpid ());
      cleanup_free char *rel = xasprintf ("%s%s/cryo-unit-rel-%d", l.m[i].mount,
                                          strcmp (l.m[i].own, "/") ? l.m[i].own : "", getpid ());
      if (dir_exists (top) || dir_exists (rel))
        printf ("# left behind: %s\n", dir_exists (top) ? top : rel);
      CHECK (!dir_exists (top) && !dir_exists (rel));
    }
  cgroup_layout_clear (&l);
  return 0;
}

/* Root and a cgroup filesystem, or the whole program is skipped. */
static inline bool
fixture_init (void)
{
  cleanup_error cryo_error_t err = NULL;

  if (geteuid () != 0 || cgroup_mode_detect (&host_mode, &err) < 0)
    {
      printf ("1..0 # SKIP needs root and a cgroup filesystem\n");
      return false;
    }
  return true;
}

#endif
