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
 *     exist" (or "Loaded kdat cache from <path>");
 *  2. if that directory is a tmpfs, CRIU caches by itself: nothing to do;
 *  3. otherwise, in a private mount namespace with a tmpfs over that
 *     directory, lets CRIU probe and save, and copies the file to
 *     <root>/.engine-cache/criu.kdat;
 *  4. on each dump or restore of a tree with a mount namespace of its own,
 *     the forked child that becomes CRIU unshares a mount namespace, makes
 *     it a recursive slave of the host's and bind-mounts that copy onto
 *     <path> there only (engine_kdat_enter).  Nothing is mounted on the
 *     host: the namespace dies with CRIU (even when the watchdog kills it).
 *     A slave, not private: a mount the host makes later (a netns under a
 *     shared /run/netns) still reaches CRIU, and the mounts a restored tree
 *     gets from CRIU's copies stay slaves of the host's, as they would be
 *     (cryo's default rootfs propagation is rslave; restore binds from
 *     private directories anyway); nothing CRIU mounts (kdat, its root and
 *     cgroup yards) can propagate back.
 * CRIU must share cryo's mount namespace when the tree does (a host-
 * namespace subtree, the unit tests): in another one it would dump the
 * host's mounts as the tree's, or restore the tree into its own namespace.
 * Those calls run CRIU as before and it probes.  The bind needs an existing
 * file at <path>: cryo leaves an empty one there (a CRIU run on the host
 * calls it stale and removes it; the next call creates it again).
 * The cache is keyed by boot id and the binary's identity.  Nothing here
 * may fail a call: problems are logged at debug level and CRIU simply
 * probes as before. */
#define _GNU_SOURCE
#include "config.h"

#include <dirent.h>
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
#include "engine/internal.h"
#include "lib/log.h"
#include "lib/util.h"

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

/* The kdat path CRIU names in its log. */
static char *
kdat_path_from_log (const char *log)
{
  static const char *const says[][2] = {
    { "File ", "File %4095s does not exist" },
    { "Loaded kdat cache from ", "Loaded kdat cache from %4095s" },
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
        const char *p = strstr (line, says[i][0]);
        if (p && sscanf (p, says[i][1], path) == 1 && path[0] == '/' && strstr (path, "kdat"))
          return xstrdup (path);
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
 * Writes "kdat.path" and, unless CRIU caches by itself, "criu.kdat". */
static _Noreturn void
generate_child (struct engine *e, int cachefd)
{
  cleanup_free char *path = NULL;
  cleanup_free char *dir = NULL;
  cleanup_free char *info = NULL;
  cryo_error_t ignored = NULL;
  const char *mode = "bind";

  if (fchdir (cachefd) < 0)
    _exit (2);
  unlinkat (cachefd, "kdat-where.log", 0);
  if (run_criu_probe (e->binary, "kdat-where.log") < 0)
    _exit (3);
  path = kdat_path_from_log ("kdat-where.log");
  if (path == NULL)
    _exit (4);
  dir = xstrdup (path);
  dirname (dir);
  if (on_tmpfs (dir))
    mode = "native";
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

/* A bind needs a file at @path: whatever is there, or an empty one. */
static bool
bind_target (const char *path, bool create)
{
  struct stat st;
  int fd;

  if (stat (path, &st) == 0)
    return S_ISREG (st.st_mode);
  if (!create || errno != ENOENT)
    return false;
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && errno != EEXIST)
    {
      log_debug ("kdat cache: create `%s`: %s", path, strerror (errno));
      return false;
    }
  if (fd >= 0)
    close (fd);
  return true;
}

/* Our copy holds something CRIU may load (CRIU checks size and magics). */
static bool
copy_ready (int cachefd)
{
  struct stat st;

  return fstatat (cachefd, "criu.kdat", &st, 0) == 0 && S_ISREG (st.st_mode) && st.st_size >= 8;
}

static bool
in_place (const char *path, const char *mode, int cachefd, bool fix)
{
  if (strcmp (mode, "native") == 0)
    return access (path, R_OK) == 0;
  return copy_ready (cachefd) && bind_target (path, fix);
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
  if (read_state (cachefd, key, &path, &mode) && in_place (path, mode, cachefd, false))
    e->kdat_cached = true;
  else
    {
      /* Serialise generation between concurrent cryo processes. */
      if (flock (cachefd, LOCK_EX) < 0)
        return;
      free (path), free (mode);
      path = mode = NULL;
      if (read_state (cachefd, key, &path, &mode)
          || (generate (e, cachefd, key) == 0 && read_state (cachefd, key, &path, &mode)))
        e->kdat_cached = in_place (path, mode, cachefd, true);
      flock (cachefd, LOCK_UN);
    }
  if (path == NULL)
    return;
  e->kdat_path = xstrdup (path);
  if (e->kdat_cached && strcmp (mode, "bind") == 0)
    e->kdat_bind = xasprintf ("%s/criu.kdat", e->cache_dir);
  log_debug ("kdat cache: `%s` (%s)%s", path, mode, e->kdat_cached ? "" : " not in place");
}

bool
engine_kdat_ns_for_pid (struct engine *e, pid_t pid)
{
  char path[64];
  struct stat tree, ours;

  if (e->kdat_bind == NULL)
    return false;
  snprintf (path, sizeof path, "/proc/%d/ns/mnt", (int)pid);
  return stat (path, &tree) == 0 && stat ("/proc/self/ns/mnt", &ours) == 0
         && (tree.st_ino != ours.st_ino || tree.st_dev != ours.st_dev);
}

/* CRIU writes mountpoints-<id>.img exactly when the tree's root had a
 * mount namespace other than CRIU's (criu/mount.c, dump_mnt_namespaces). */
bool
engine_kdat_ns_for_images (struct engine *e, int images_fd)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  int fd;

  if (e->kdat_bind == NULL)
    return false;
  fd = openat (images_fd, ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return false;
    }
  while ((de = readdir (d)) != NULL)
    if (strncmp (de->d_name, "mountpoints-", strlen ("mountpoints-")) == 0)
      return true;
  return false;
}

/* Step 4, in the forked child before it executes CRIU: only syscalls on
 * strings made before the fork.  Any failure leaves CRIU to probe; a bind
 * is made only once nothing can propagate back to the host.  unshare()
 * moves the cwd to its copy in the new namespace. */
void
engine_kdat_enter (const struct engine *e, int work_dir_fd)
{
  int host;

  if (e->kdat_bind == NULL || e->kdat_path == NULL || fchdir (work_dir_fd) < 0)
    return;
  host = open ("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
  if (host < 0)
    return;
  if (unshare (CLONE_NEWNS) == 0)
    {
      if (mount (NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) == 0)
        mount (e->kdat_bind, e->kdat_path, NULL, MS_BIND, NULL);
      else if (setns (host, CLONE_NEWNS) < 0)
        (void)0; /* a full peer copy of the host's: CRIU works there as well, and probes */
    }
  close (host);
}

int
engine_kdat_work_dir (pid_t child, int work_dir_fd)
{
  char path[64];
  struct stat a, b;
  int fd;

  snprintf (path, sizeof path, "/proc/%d/cwd", (int)child);
  fd = open (path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  /* The same directory, or CRIU moved already: then keep cryo's. */
  if (fstat (fd, &a) < 0 || fstat (work_dir_fd, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
    {
      close (fd);
      return -1;
    }
  return fd;
}
