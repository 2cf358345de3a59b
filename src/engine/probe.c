/* Host probes the engine and `cryo check` rely on: hardware breakpoints,
 * soft-dirty memory tracking, userfaultfd, fs.pipe-max-size, and the
 * environment CRIU runs with. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOG_PREFIX "engine: "
#include "engine/internal.h"
#include "lib/log.h"
#include "lib/util.h"

extern char **environ;

char *
engine_read_line_at (int dirfd, const char *path)
{
  char *text = NULL;
  cryo_error_t ignored = NULL;

  if (read_all_file_at (dirfd, path, &text, NULL, &ignored) < 0)
    {
      cryo_error_release (&ignored);
      return NULL;
    }
  text[strcspn (text, "\n")] = '\0';
  return text;
}

/* The child calls this after its initial stop: with a working breakpoint
 * on its first instruction it traps (SIGTRAP) before the SIGSTOP. */
static void __attribute__ ((noinline)) breakpoint_target (void)
{
  __asm__ volatile("" ::: "memory");
  raise (SIGSTOP);
}

static int
set_breakpoint (pid_t pid)
{
  /* DR0 = address, DR7 bit 0 = local enable, R/W0 = 00 (execute), LEN0 = 00. */
  if (ptrace (PTRACE_POKEUSER, pid, offsetof (struct user, u_debugreg[0]), (void *)breakpoint_target) < 0)
    return -1;
  if (ptrace (PTRACE_POKEUSER, pid, offsetof (struct user, u_debugreg[7]), (void *)1L) < 0)
    return -1;
  return ptrace (PTRACE_CONT, pid, NULL, NULL);
}

int
engine_probe_hw_breakpoints (cryo_error_t *err)
{
  int status, ret = -1;
  pid_t pid = fork ();

  if (pid < 0)
    return cryo_error (err, errno, "fork the breakpoint probe");
  if (pid == 0)
    {
      if (ptrace (PTRACE_TRACEME, 0, NULL, NULL) < 0)
        _exit (1);
      raise (SIGSTOP);
      breakpoint_target ();
      _exit (0);
    }
  if (waitpid (pid, &status, 0) < 0 || !WIFSTOPPED (status) || WSTOPSIG (status) != SIGSTOP)
    ret = cryo_error (err, 0, "breakpoint probe: the traced child did not stop (status %#x)", status);
  else if (set_breakpoint (pid) < 0)
    ret = 0; /* the kernel refuses debug registers: as good as not firing */
  else if (waitpid (pid, &status, 0) < 0)
    ret = cryo_error (err, errno, "breakpoint probe: waitpid");
  else
    ret = WIFSTOPPED (status) && WSTOPSIG (status) == SIGTRAP ? 1 : 0;
  kill (pid, SIGKILL);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  return ret;
}

int
engine_hw_breakpoints_cached (const char *state_root, cryo_error_t *err)
{
  cleanup_free char *dir = xasprintf ("%s/" ENGINE_CACHE_DIR, state_root);
  cleanup_free char *boot = engine_read_line_at (AT_FDCWD, "/proc/sys/kernel/random/boot_id");
  cleanup_free char *have = NULL;
  cleanup_free char *line = NULL;
  cleanup_close int dirfd = -1;
  int works;

  if (mkdir_p (dir, 0700, err) < 0)
    return -1;
  dirfd = open (dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dirfd < 0)
    return cryo_error (err, errno, "open `%s`", dir);
  have = engine_read_line_at (dirfd, "hw-breakpoints");
  if (have && boot && strncmp (have, boot, strlen (boot)) == 0 && have[strlen (boot)] == ' ')
    return atoi (have + strlen (boot) + 1) ? 1 : 0;
  works = engine_probe_hw_breakpoints (err);
  if (works < 0)
    return -1;
  line = xasprintf ("%s %d\n", boot ? boot : "unknown", works);
  if (write_file_atomic_at (dirfd, "hw-breakpoints", line, strlen (line), err) < 0)
    return -1;
  return works;
}

bool
engine_needs_no_breakpoints_fault (int criu_version, int hw_breakpoints)
{
  return criu_version > 0 && criu_version < 40200 && hw_breakpoints == 0;
}

int
engine_hw_breakpoints (struct engine *e)
{
  cryo_error_t err = NULL;

  if (e->hw_breakpoints != -2)
    return e->hw_breakpoints;
  e->hw_breakpoints = engine_hw_breakpoints_cached (e->state_root, &err);
  if (e->hw_breakpoints < 0)
    {
      log_debug ("hardware breakpoint probe: %s", err->msg);
      cryo_error_release (&err);
      e->hw_breakpoints = -1;
    }
  return e->hw_breakpoints;
}

static uint64_t
pagemap_entry (int fd, void *addr)
{
  uint64_t entry = 0;
  off_t off = (off_t)((uintptr_t)addr / (uintptr_t)sysconf (_SC_PAGESIZE)) * 8;

  if (pread (fd, &entry, sizeof entry, off) != sizeof entry)
    return 0;
  return entry;
}

bool
engine_probe_soft_dirty (void)
{
  const uint64_t soft_dirty = 1ULL << 55;
  long page = sysconf (_SC_PAGESIZE);
  cleanup_close int pm = open ("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  cleanup_close int cr = open ("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  volatile char *p;
  bool cleared, set;

  if (pm < 0 || cr < 0)
    return false;
  p = mmap (NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return false;
  p[0] = 1;
  /* "4" clears every soft-dirty bit of this process; a write sets it again
   * on the written page only where the kernel tracks it. */
  cleared = write (cr, "4", 1) == 1 && !(pagemap_entry (pm, (void *)p) & soft_dirty);
  p[0] = 2;
  set = (pagemap_entry (pm, (void *)p) & soft_dirty) != 0;
  munmap ((void *)p, page);
  return cleared && set;
}

bool
engine_soft_dirty (struct engine *e)
{
  if (e->soft_dirty < 0)
    e->soft_dirty = engine_probe_soft_dirty ();
  return e->soft_dirty;
}

bool
engine_probe_userfaultfd (bool *noncoop)
{
  const uint64_t need = UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_EVENT_REMAP | UFFD_FEATURE_EVENT_REMOVE
                        | UFFD_FEATURE_EVENT_UNMAP;
  struct uffdio_api api = { .api = UFFD_API, .features = 0 };
  int fd = (int)syscall (SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
  bool ok;

  *noncoop = false;
  if (fd < 0)
    return false;
  ok = ioctl (fd, UFFDIO_API, &api) == 0;
  close (fd);
  *noncoop = ok && (api.features & need) == need;
  return ok;
}

unsigned long
engine_pipe_max_size (void)
{
  cleanup_free char *line = engine_read_line_at (AT_FDCWD, "/proc/sys/fs/pipe-max-size");
  uint64_t v;

  return line && parse_uint64 (line, &v) == 0 ? (unsigned long)v : 0;
}

/* cryo's environment, plus what CRIU needs: the sbin directories (it runs
 * iptables-restore) and CRIU_FAULT=130 where an old CRIU would otherwise
 * wait forever for a breakpoint that never fires.  A CRIU_FAULT the user
 * set is kept. */
char **
engine_swrk_env (struct engine *e)
{
  char **env = NULL;
  bool has_fault = false, has_path = false;

  for (char **p = environ; p && *p; p++)
    {
      if (strncmp (*p, "PATH=", 5) == 0)
        {
          has_path = true;
          if (strstr (*p, "sbin") == NULL)
            {
              cleanup_free char *path = xasprintf ("%s:/usr/local/sbin:/usr/sbin:/sbin", *p);
              strv_append (&env, path);
              continue;
            }
        }
      has_fault |= strncmp (*p, "CRIU_FAULT=", 11) == 0;
      strv_append (&env, *p);
    }
  if (!has_path)
    strv_append (&env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  /* Only an old CRIU needs the probe: 4.2 detects broken breakpoints itself. */
  if (!has_fault && e->version.criu > 0 && e->version.criu < 40200
      && engine_needs_no_breakpoints_fault (e->version.criu, engine_hw_breakpoints (e)))
    strv_append (&env, "CRIU_FAULT=130");
  if (env == NULL)
    strv_append (&env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin");
  return env;
}
