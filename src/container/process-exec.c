/* The last preparations of the container's process: limits, the
 * executable, the working directory, the fds it inherits. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spec/caps.h"
#include "spec/lsm.h"
#include "container/process.h"
#include "spec/seccomp-filter.h"
#include "container/sync.h"
#include "lib/util.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int
process_set_rlimits (const struct spec_process *p, cryo_error_t *err)
{
  for (size_t i = 0; i < p->n_rlimits; i++)
    {
      const struct spec_rlimit *r = &p->rlimits[i];
      struct rlimit cur, want = { .rlim_cur = r->soft, .rlim_max = r->hard };

      if (setrlimit (r->resource, &want) == 0)
        continue;
      if (errno == EPERM && getrlimit (r->resource, &cur) == 0)
        return cryo_error (err, 0,
                           "process.rlimits: %s hard limit %llu is above the current hard limit "
                           "%llu, and raising it needs CAP_SYS_RESOURCE: lower it in config.json",
                           r->type, (unsigned long long) r->hard,
                           (unsigned long long) cur.rlim_max);
      return cryo_error (err, errno, "process.rlimits: set %s to soft %llu, hard %llu", r->type,
                         (unsigned long long) r->soft, (unsigned long long) r->hard);
    }
  return 0;
}

/* Written by the runtime into /proc/PID: it does not depend on the
 * container having /proc mounted. */
int
process_set_oom_score_adj (pid_t pid, const struct spec_process *p, cryo_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;
  char buf[32];
  int n;

  if (p == NULL || !p->oom_score_adj.set)
    return 0;
  path = xasprintf ("/proc/%d/oom_score_adj", pid);
  n = snprintf (buf, sizeof (buf), "%lld", (long long) p->oom_score_adj.value);
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return cryo_error (err, errno, "open `%s`", path);
  if (write (fd, buf, n) != n)
    {
      if (errno == EACCES)
        return cryo_error (err, 0,
                           "process.oomScoreAdj: %s is below the runtime's own score, and lowering "
                           "it needs CAP_SYS_RESOURCE",
                           buf);
      return cryo_error (err, errno, "process.oomScoreAdj: write %s to `%s`", buf, path);
    }
  return 0;
}

static bool
is_executable_file (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISREG (st.st_mode) && (st.st_mode & 0111)
         && access (path, X_OK) == 0;
}

static const char *
env_get (char *const *env, const char *name)
{
  size_t len = strlen (name);
  for (size_t i = 0; env && env[i]; i++)
    if (strncmp (env[i], name, len) == 0 && env[i][len] == '=')
      return env[i] + len + 1;
  return NULL;
}

int
process_find_executable (const char *name, char *const *env, char **out, cryo_error_t *err)
{
  const char *path = env_get (env, "PATH");
  cleanup_free char *copy = NULL;
  char *saveptr = NULL;

  if (strchr (name, '/'))
    {
      struct stat st;
      if (stat (name, &st) < 0)
        return cryo_error (err, errno, "exec: `%s`", name);
      if (!is_executable_file (name))
        return cryo_error (err, EACCES, "exec: `%s`", name);
      *out = xstrdup (name);
      return 0;
    }
  copy = xstrdup (path ? path : DEFAULT_PATH);
  for (char *dir = strtok_r (copy, ":", &saveptr); dir; dir = strtok_r (NULL, ":", &saveptr))
    {
      cleanup_free char *candidate = xasprintf ("%s/%s", *dir ? dir : ".", name);
      if (is_executable_file (candidate))
        {
          *out = steal_pointer (&candidate);
          return 0;
        }
    }
  return cryo_error (err, 0, "exec: `%s`: executable file not found in $PATH", name);
}

/* mkdir -p in the container's root (we are pivoted: nothing resolves
 * outside it); runc creates a missing cwd too. */
static int
make_cwd (const char *cwd, cryo_error_t *err)
{
  struct stat st;

  if (stat (cwd, &st) == 0)
    return S_ISDIR (st.st_mode) ? 0 : cryo_error (err, ENOTDIR, "process.cwd: `%s`", cwd);
  if (mkdir_p (cwd, 0755, err) < 0)
    return cryo_error_wrap (err, "process.cwd: create `%s`", cwd);
  return 0;
}

/* A cwd outside the root reads "(unreachable)...": never run there
 * (CVE-2024-21626, a leaked host fd as cwd). */
static int
check_cwd_inside_root (const char *cwd, cryo_error_t *err)
{
  char buf[PATH_MAX];

  if (getcwd (buf, sizeof (buf)) == NULL || buf[0] != '/')
    return cryo_error (err, 0, "process.cwd: `%s` is outside the container's root", cwd);
  return 0;
}

int
process_chdir (const char *cwd, bool create, cryo_error_t *err)
{

  if (cwd == NULL || *cwd == '\0')
    cwd = "/";
  if (create && make_cwd (cwd, err) < 0)
    return -1;
  if (chdir (cwd) < 0)
    return cryo_error (err, errno, "process.cwd: chdir to `%s`", cwd);
  return check_cwd_inside_root (cwd, err);
}

int
process_chdir_early (const char *cwd, bool *done, cryo_error_t *err)
{
  *done = false;
  if (cwd == NULL || *cwd == '\0')
    cwd = "/";
  /* A failure is not an error yet: the user may reach what root cannot
   * (root squashed on NFS, a user namespace). */
  if (chdir (cwd) < 0)
    return 0;
  *done = true;
  return check_cwd_inside_root (cwd, err);
}

int
process_close_fds (int n_pass_fds, cryo_error_t *err)
{
  unsigned int first = 3 + (n_pass_fds > 0 ? n_pass_fds : 0);
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (syscall (SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return 0;
  d = opendir ("/proc/self/fd");
  if (d == NULL)
    return cryo_error (err, errno, "close_range and `/proc/self/fd` both failed: cannot close fds");
  while ((de = readdir (d)) != NULL)
    {
      int fd = atoi (de->d_name);
      if (de->d_name[0] != '.' && fd >= (int) first && fd != dirfd (d))
        fcntl (fd, F_SETFD, FD_CLOEXEC);
    }
  return 0;
}

void
process_reset_signals (void)
{
  sigset_t none;

  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      signal (sig, SIG_DFL);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
}

/* Without no_new_privs loading a filter needs CAP_SYS_ADMIN in the
 * effective set, which the change to a non-root uid clears: runc loads it
 * then before setting the user, and the filter also confines the steps
 * that follow (setresuid, capset, chdir). */
int
process_load_seccomp (struct cryo_seccomp *seccomp, int sync_fd, cryo_error_t *err)
{
  cleanup_close int fd = -1;

  if (cryo_seccomp_load (seccomp, err) < 0)
    return -1;
  fd = cryo_seccomp_take_notify_fd (seccomp);
  if (fd < 0)
    return 0;
  /* sendmsg is never notified (seccomp-filter.h); the calls after it may
   * be, and the agent answers them once the runtime has handed it the fd. */
  if (sync_send (sync_fd, SYNC_SECCOMP, 0, NULL, 0, fd, err) < 0
      || sync_expect (sync_fd, SYNC_SECCOMP_DONE, "the runtime", NULL, err) < 0)
    return cryo_error_wrap (err, "hand the seccomp notify fd to the runtime");
  return 0;
}

int
process_load_seccomp_privileged (const struct spec_process *p, struct cryo_seccomp *seccomp, int sync_fd,
                                 cryo_error_t *err)
{
  if (p->no_new_privileges)
    return 0;
  return process_load_seccomp (seccomp, sync_fd, err);
}

int
process_apply_security (const struct spec_process *p, struct cryo_seccomp *seccomp, int sync_fd,
                        cryo_error_t *err)
{
  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return cryo_error (err, errno, "process.noNewPrivileges: prctl PR_SET_NO_NEW_PRIVS");
  if (caps_apply (p->capabilities, err) < 0)
    return -1;
  /* With no_new_privs as late as possible: the fewest syscalls run under
   * the filter before execve (runc's order). */
  if (p->no_new_privileges && process_load_seccomp (seccomp, sync_fd, err) < 0)
    return -1;
  return lsm_apply_exec_label (p, err);
}

int
process_env_listen_fds (char ***env)
{
  const char *listen_fds = getenv ("LISTEN_FDS");
  const char *listen_pid = getenv ("LISTEN_PID");
  cleanup_free char *var = NULL;
  int64_t n = 0, pid = 0;

  if (listen_fds == NULL || listen_pid == NULL || parse_int64 (listen_fds, &n) < 0 || n <= 0
      || n > INT_MAX - 3 || parse_int64 (listen_pid, &pid) < 0 || pid != getpid ())
    return 0;
  var = xasprintf ("LISTEN_FDS=%d", (int) n);
  strv_append (env, var);
  strv_append (env, "LISTEN_PID=1");
  return (int) n;
}
