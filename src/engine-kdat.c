/* CRIU's kernel-feature cache ("kdat").
 *
 * Every CRIU run probes the kernel (~50 ms here) unless it can load
 * KDAT_RUNDIR/criu.kdat, a raw dump of its `struct kerndat_s` (CRIU 4.x,
 * criu/kerndat.c).  As root the path is fixed at build time (/run for
 * Debian's and our build; XDG_RUNTIME_DIR is used only with
 * --unprivileged), and CRIU writes the file only when that directory is a
 * tmpfs, so that it cannot outlive a reboot.  /run is not a tmpfs here, so
 * every call re-probes.  (CRIU 4.2.1 also leaves criu.kdat.tmp behind after
 * refusing a non-tmpfs, which blocks any later save.)  Loading does not
 * check the file system, only the size and two magics.
 *
 * So cryo, once per boot, CRIU binary and state root:
 *  1. asks CRIU where it looks: a run with -v4 logs "File <path> does not
 *     exist" (or "Loaded kdat cache from <path>": when that is a mount
 *     point, another state root did the work, and its file is adopted);
 *  2. if that directory is a tmpfs, CRIU caches by itself: nothing to do;
 *  3. otherwise, in a private mount namespace with a tmpfs over that
 *     directory, lets CRIU probe and save, and copies the file to
 *     <root>/.engine-cache/criu.kdat;
 *  4. bind-mounts that copy onto <path> in the host mount namespace (CRIU
 *     must run there to dump host-namespace trees).
 * The cache is keyed by boot id and the binary's identity; after a reboot
 * the bind mount is gone and CRIU itself discards the empty mount point as
 * stale.  Nothing here may fail a call: problems are logged at debug level
 * and CRIU simply probes as before. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOG_PREFIX "engine: "
#include "engine-internal.h"
#include "log.h"
#include "util.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

#define KDAT_GEN_DEADLINE_MS 30000

static bool
on_tmpfs (const char *path)
{
  struct statfs s;
  return statfs (path, &s) == 0 && s.f_type == TMPFS_MAGIC;
}

/* boot id + the binary's identity: a new boot or a new CRIU invalidates. */
static char *
cache_key (struct engine *e)
{
  cleanup_free char *boot = engine_read_line_at (AT_FDCWD, "/proc/sys/kernel/random/boot_id");
  struct stat st;

  if (boot == NULL || stat (e->binary, &st) < 0)
    return NULL;
  return xasprintf ("%s %lu:%lu:%lld:%lld", boot, (unsigned long)st.st_dev, (unsigned long)st.st_ino,
                    (long long)st.st_size, (long long)st.st_mtime);
}

/* Wait for a child at most ms; kill it when the time is up. */
static int
wait_child (pid_t pid, unsigned ms)
{
  int pidfd = (int)syscall (SYS_pidfd_open, pid, 0);
  int status = -1;

  if (pidfd >= 0)
    {
      struct pollfd p = { .fd = pidfd, .events = POLLIN };
      if (poll (&p, 1, (int)ms) == 0)
        kill (pid, SIGKILL);
      close (pidfd);
    }
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  return status;
}

/* Run `criu check --feature mnt_id -v4 -o LOG` in the current directory:
 * a cheap check, but CRIU probes (or loads) kdat before any check.  Its
 * verdict does not matter, only the log. */
static int
run_criu_probe (const char *binary, const char *log)
{
  pid_t pid = fork ();
  int status;

  if (pid < 0)
    return -1;
  if (pid == 0)
    {
      int null = open ("/dev/null", O_RDWR);
      if (null >= 0)
        {
          dup2 (null, 0);
          dup2 (null, 1);
          dup2 (null, 2);
        }
      execl (binary, "criu", "check", "--feature", "mnt_id", "-v4", "-o", log, (char *)NULL);
      _exit (127);
    }
  status = wait_child (pid, KDAT_GEN_DEADLINE_MS);
  return WIFEXITED (status) && WEXITSTATUS (status) != 127 ? 0 : -1;
}

/* The kdat path CRIU names in its log; *loaded when it loaded it. */
static char *
kdat_path_from_log (const char *log, bool *loaded)
{
  static const struct
  {
    const char *head, *pattern;
  } says[] = {
    { "File ", "File %4095s does not exist" },
    { "Loaded kdat cache from ", "Loaded kdat cache from %4095s" }, /* the only "loaded" */
    { "Stale ", "Stale %4095s file" },
    { "Can't load ", "Can't load %4095s" },
  };
  cleanup_free char *text = NULL;
  cryo_error_t ignored = NULL;
  char *save = NULL, path[4096];

  if (read_all_file (log, &text, NULL, &ignored) < 0)
    return cryo_error_release (&ignored), NULL;
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    for (size_t i = 0; i < ARRAY_SIZE (says); i++)
      {
        const char *p = strstr (line, says[i].head);
        if (p && sscanf (p, says[i].pattern, path) == 1 && path[0] == '/' && strstr (path, "kdat"))
          {
            *loaded = i == 1;
            return xstrdup (path);
          }
      }
  return NULL;
}

static int
copy_file_to (const char *src, int dirfd, const char *name)
{
  cleanup_free char *buf = NULL;
  cleanup_free char *tmp = xasprintf ("%s.new", name);
  cryo_error_t ignored = NULL;
  size_t len;

  if (read_all_file (src, &buf, &len, &ignored) < 0 || write_file_at (dirfd, tmp, buf, len, &ignored) < 0
      || renameat (dirfd, tmp, dirfd, name) < 0)
    {
      cryo_error_release (&ignored);
      return -1;
    }
  return 0;
}

static bool
mount_root (const char *path)
{
  struct statx stx;

  return statx (AT_FDCWD, path, 0, STATX_BASIC_STATS, &stx) == 0
         && (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* Step 3, in a private mount namespace: CRIU probes and saves on a tmpfs. */
static int
probe_on_tmpfs (struct engine *e, int cachefd, const char *path, const char *dir)
{
  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0
      || mount ("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=1m,mode=0755") < 0)
    return -1;
  unlinkat (cachefd, "kdat.log", 0);
  if (run_criu_probe (e->binary, "kdat.log") < 0)
    return -1;
  return copy_file_to (path, cachefd, "criu.kdat");
}

/* In a forked child, inside the cache dir: steps 1-3 of the file comment.
 * A kdat another state root already put in place (a mount point CRIU
 * loads) is adopted instead of probed again.  Writes "kdat.path" and,
 * unless CRIU caches by itself, "criu.kdat". */
static _Noreturn void
generate_child (struct engine *e, int cachefd)
{
  cleanup_free char *path = NULL;
  cleanup_free char *dir = NULL;
  cleanup_free char *info = NULL;
  cryo_error_t ignored = NULL;
  const char *mode = "bind";
  bool loaded = false;

  if (fchdir (cachefd) < 0)
    _exit (2);
  unlinkat (cachefd, "kdat-where.log", 0);
  if (run_criu_probe (e->binary, "kdat-where.log") < 0)
    _exit (3);
  path = kdat_path_from_log ("kdat-where.log", &loaded);
  if (path == NULL)
    _exit (4);
  dir = xstrdup (path);
  dirname (dir);
  if (on_tmpfs (dir))
    mode = "native";
  else if (loaded && mount_root (path))
    {
      if (copy_file_to (path, cachefd, "criu.kdat") < 0)
        _exit (5);
    }
  else if (probe_on_tmpfs (e, cachefd, path, dir) < 0)
    _exit (6);
  info = xasprintf ("%s\n%s\n", path, mode);
  if (write_file_atomic_at (cachefd, "kdat.path", info, strlen (info), &ignored) < 0)
    _exit (7);
  _exit (0);
}

static int
generate (struct engine *e, int cachefd, const char *key)
{
  cryo_error_t ignored = NULL;
  pid_t pid = fork ();
  int status;

  if (pid < 0)
    return -1;
  if (pid == 0)
    generate_child (e, cachefd);
  status = wait_child (pid, 2 * KDAT_GEN_DEADLINE_MS);
  if (status != 0)
    {
      log_debug ("kdat cache: generation failed (status %#x)", status);
      return -1;
    }
  if (write_file_atomic_at (cachefd, "kdat.key", key, strlen (key), &ignored) < 0)
    return cryo_error_release (&ignored), -1;
  return 0;
}

static bool mount_root (const char *path);

/* Does <path> hold a kdat CRIU will load and trust for this boot?  The
 * same size and magics as our copy (CRIU's second magic is its build time,
 * so a new binary does not match), and on a tmpfs or a mount point (gone at
 * reboot).  Byte equality is too strict: every CRIU probe differs a little,
 * and each state root (tests use many) generates its own copy. */
static bool
kdat_usable (const char *path, int cachefd)
{
  cleanup_free char *x = NULL;
  cleanup_free char *y = NULL;
  cryo_error_t ignored = NULL;
  size_t lx, ly;

  if (!mount_root (path))
    {
      cleanup_free char *dir = xstrdup (path);
      if (!on_tmpfs (dirname (dir)))
        return false;
    }
  if (read_all_file (path, &x, &lx, &ignored) < 0
      || read_all_file_at (cachefd, "criu.kdat", &y, &ly, &ignored) < 0)
    return cryo_error_release (&ignored), false;
  return lx == ly && lx >= 8 && memcmp (x, y, 8) == 0;
}

/* Step 4: <path> shows our copy (whoever mounted it). */
static bool
ensure_bind (struct engine *e, const char *path, int cachefd)
{
  cleanup_free char *src = xasprintf ("%s/criu.kdat", e->cache_dir);
  bool created = false;

  if (kdat_usable (path, cachefd))
    return true;
  if (access (path, F_OK) < 0)
    {
      int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd < 0)
        {
          log_debug ("kdat cache: create `%s`: %s", path, strerror (errno));
          return false;
        }
      close (fd);
      created = true;
    }
  if (mount (src, path, NULL, MS_BIND, NULL) < 0)
    {
      log_debug ("kdat cache: bind `%s` on `%s`: %s", src, path, strerror (errno));
      if (created)
        unlink (path);
      return false;
    }
  log_debug ("kdat cache: `%s` now shows `%s`", path, src);
  return kdat_usable (path, cachefd);
}

/* The cache is current when kdat.key matches; returns kdat.path's lines. */
static bool
read_state (int cachefd, const char *key, char **path, char **mode)
{
  cleanup_free char *have = NULL;
  cleanup_free char *info = NULL;
  cryo_error_t ignored = NULL;
  char *nl;

  if (read_all_file_at (cachefd, "kdat.key", &have, NULL, &ignored) < 0
      || read_all_file_at (cachefd, "kdat.path", &info, NULL, &ignored) < 0)
    return cryo_error_release (&ignored), false;
  if (strcmp (have, key) != 0 || (nl = strchr (info, '\n')) == NULL)
    return false;
  *nl = '\0';
  *path = xstrdup (info);
  *mode = xstrndup (nl + 1, strcspn (nl + 1, "\n"));
  return true;
}

static int
open_cache_dir (struct engine *e)
{
  cryo_error_t ignored = NULL;

  if (mkdir_p (e->cache_dir, 0700, &ignored) < 0)
    return cryo_error_release (&ignored), -1;
  return open (e->cache_dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
}

static bool
in_place (struct engine *e, const char *path, const char *mode, int cachefd, bool fix)
{
  if (strcmp (mode, "native") == 0)
    return access (path, R_OK) == 0;
  return fix ? ensure_bind (e, path, cachefd) : kdat_usable (path, cachefd);
}

void
engine_kdat_ensure (struct engine *e)
{
  cleanup_close int cachefd = -1;
  cleanup_free char *key = NULL;
  cleanup_free char *path = NULL;
  cleanup_free char *mode = NULL;

  if (e->no_kdat_cache || e->kdat_checked)
    return;
  e->kdat_checked = true;
  key = cache_key (e);
  cachefd = open_cache_dir (e);
  if (key == NULL || cachefd < 0)
    {
      log_debug ("kdat cache: no cache directory `%s`", e->cache_dir);
      return;
    }
  if (read_state (cachefd, key, &path, &mode) && in_place (e, path, mode, cachefd, false))
    e->kdat_cached = true;
  else
    {
      /* Serialise generation and mounting between concurrent cryo processes. */
      if (flock (cachefd, LOCK_EX) < 0)
        return;
      free (path), free (mode);
      path = mode = NULL;
      if (read_state (cachefd, key, &path, &mode)
          || (generate (e, cachefd, key) == 0 && read_state (cachefd, key, &path, &mode)))
        e->kdat_cached = in_place (e, path, mode, cachefd, true);
      flock (cachefd, LOCK_UN);
    }
  if (path == NULL)
    return;
  e->kdat_path = xstrdup (path);
  log_debug ("kdat cache: `%s` (%s)%s", path, mode, e->kdat_cached ? "" : " not in place");
}
