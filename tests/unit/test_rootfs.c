/* rootfs_prepare / rootfs_pivot / rootfs_finalize for real, as root: each
 * test builds a busybox rootfs in a temporary directory, forks a child that
 * unshares mount, pid, cgroup and ipc namespaces, forks again to be pid 1
 * (for /proc), sets the rootfs up from a config.json and checks from inside
 * through /proc/self/mountinfo and stat.  The namespaces die with the
 * children; the temporary directory is removed at the end.
 *
 * The symlink tests are regression tests for mounts redirected to the host
 * by symlinks in the rootfs (CVE-2021-30465 and friends): the host must be
 * untouched whatever the rootfs contains. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns/mount-plan.h"
#include "ns/rootfs.h"
#include "spec.h"
#include "tap.h"
#include "util.h"

static char base[64]; /* the test's temporary directory, holds rootfs/ and vol/ */

/* ---- host side: fixtures ---- */

static int
write_text (const char *path, const char *text)
{
  cleanup_error cryo_error_t err = NULL;
  return write_file_at (AT_FDCWD, path, text, strlen (text), &err);
}

static int
copy_file (const char *from, const char *to)
{
  cleanup_free char *buf = NULL;
  cleanup_error cryo_error_t err = NULL;
  size_t len;
  if (read_all_file (from, &buf, &len, &err) < 0 || write_file_at (AT_FDCWD, to, buf, len, &err) < 0)
    return -1;
  return chmod (to, 0755);
}

static char *
bpath (const char *fmt, ...)
{
  cleanup_free char *rel = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&rel, fmt, ap) < 0)
    oom ();
  va_end (ap);
  return xasprintf ("%s/%s", base, rel);
}

/* A fresh busybox rootfs; a host volume vol/ with a file. */
static int
make_rootfs (void)
{
  static const char *const dirs[] = { "rootfs", "rootfs/bin", "rootfs/proc", "rootfs/sys",
                                      "rootfs/dev", "rootfs/tmp", "rootfs/secret", "vol" };
  size_t i;

  strcpy (base, "/tmp/cryo-test-rootfs-XXXXXX");
  if (mkdtemp (base) == NULL)
    return -1;
  for (i = 0; i < ARRAY_SIZE (dirs); i++)
    {
      cleanup_free char *p = bpath ("%s", dirs[i]);
      if (mkdir (p, 0755) < 0)
        return -1;
    }
  {
    cleanup_free char *bb = bpath ("rootfs/bin/busybox");
    cleanup_free char *vf = bpath ("vol/file");
    cleanup_free char *sf = bpath ("rootfs/secret/file");
    cleanup_free char *hf = bpath ("hostfile");
    if (copy_file ("/bin/busybox", bb) < 0 || write_text (vf, "volume\n") < 0
        || write_text (sf, "secret\n") < 0 || write_text (hf, "from the host\n") < 0)
      return -1;
  }
  return 0;
}

static int
remove_one (const char *path, const struct stat *st, int type, struct FTW *ftw)
{
  return type == FTW_DP ? rmdir (path) : unlink (path);
}

static void
remove_rootfs (void)
{
  if (base[0])
    nftw (base, remove_one, 16, FTW_DEPTH | FTW_PHYS);
  base[0] = '\0';
}

/* ---- container side ---- */

struct mnt
{
  char root[512], mp[512], opts[256], optional[256], fstype[64], super[512];
};

/* The top-most mount at @mp in /proc/self/mountinfo. */
static bool
find_mount (const char *mp, struct mnt *out)
{
  cleanup_file FILE *f = fopen ("/proc/self/mountinfo", "re");
  char line[2048];
  bool found = false;

  while (f && fgets (line, sizeof (line), f))
    {
      struct mnt m = { 0 };
      char *save = NULL, *tok;
      int field = 0;
      bool after_dash = false;
      for (tok = strtok_r (line, " \n", &save); tok; tok = strtok_r (NULL, " \n", &save), field++)
        {
          if (field == 3)
            snprintf (m.root, sizeof (m.root), "%s", tok);
          else if (field == 4)
            snprintf (m.mp, sizeof (m.mp), "%s", tok);
          else if (field == 5)
            snprintf (m.opts, sizeof (m.opts), "%s", tok);
          else if (field > 5 && !after_dash && strcmp (tok, "-") == 0)
            after_dash = true, field = 100;
          else if (field > 5 && !after_dash)
            strncat (m.optional, tok, sizeof (m.optional) - strlen (m.optional) - 2), strcat (m.optional, " ");
          else if (field == 101)
            snprintf (m.fstype, sizeof (m.fstype), "%s", tok);
          else if (field == 103)
            snprintf (m.super, sizeof (m.super), "%s", tok);
        }
      if (strcmp (m.mp, mp) == 0)
        {
          *out = m;
          found = true;
        }
    }
  return found;
}

static bool
has_opt (const char *list, const char *opt)
{
  cleanup_free char *copy = xstrdup (list);
  char *save = NULL, *tok;
  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    if (strcmp (tok, opt) == 0)
      return true;
  return false;
}

static bool
is_dev (const char *path, mode_t type, unsigned maj, unsigned min, mode_t perm)
{
  struct stat st;
  if (lstat (path, &st) < 0)
    return false;
  if ((st.st_mode & S_IFMT) != type || (st.st_mode & 07777) != perm)
    {
      printf ("# %s: mode %o\n", path, st.st_mode);
      return false;
    }
  return type == S_IFIFO || (major (st.st_rdev) == maj && minor (st.st_rdev) == min);
}

static bool
link_is (const char *path, const char *target)
{
  char buf[256];
  ssize_t n = readlink (path, buf, sizeof (buf) - 1);
  if (n < 0)
    return false;
  buf[n] = '\0';
  return strcmp (buf, target) == 0;
}

static int
write_errno (const char *path)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0)
    {
      close (fd);
      return 0;
    }
  return errno;
}

typedef int (*check_fn) (void);

struct run
{
  const char *json;
  bool no_pivot;
  bool userns; /* in a user namespace (identity-mapped): mknod is refused there */
  check_fn check;
  const char *expect_error; /* rootfs_prepare must fail with this text */
};

static int
container_main (const struct run *r)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_spec struct spec *spec = NULL;
  cleanup_mount_plan struct mount_plan *plan = NULL;

  if (spec_parse (r->json, base, &spec, &err) < 0 || mount_plan_build (spec, &plan, &err) < 0)
    {
      printf ("# setup: %s\n", err->msg);
      return 1;
    }
  if (rootfs_prepare (spec, plan, &err) < 0)
    {
      if (r->expect_error && strstr (err->msg, r->expect_error))
        return 0;
      printf ("# rootfs_prepare: %s\n", err->msg);
      return 1;
    }
  if (r->expect_error)
    {
      printf ("# rootfs_prepare succeeded, expected `%s`\n", r->expect_error);
      return 1;
    }
  if (rootfs_pivot (spec->rootfs, r->no_pivot, &err) < 0 || rootfs_finalize (spec, &err) < 0)
    {
      printf ("# pivot/finalize: %s\n", err->msg);
      return 1;
    }
  return r->check ? r->check () : 0;
}

/* The child half of the user namespace handshake: unshare, let the
 * parent write the maps, wait for it. */
static void
enter_userns (int ready, int go)
{
  char c;
  if (unshare (CLONE_NEWUSER) < 0 || write (ready, "u", 1) != 1 || read (go, &c, 1) != 1 || c != 'g')
    _exit (1);
}

static int
write_identity_maps (pid_t pid)
{
  static const char map[] = "0 0 4294967295\n";
  const char *files[] = { "uid_map", "gid_map" };
  size_t i;
  for (i = 0; i < 2; i++)
    {
      cleanup_free char *p = xasprintf ("/proc/%d/%s", pid, files[i]);
      if (write_text (p, map) < 0)
        return -1;
    }
  return 0;
}

static void
container_child (const struct run *r, int ready, int go)
{
  pid_t inner;
  int status;

  if (r->userns)
    enter_userns (ready, go);
  if (unshare (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWCGROUP | CLONE_NEWIPC) < 0)
    {
      printf ("# unshare: %s\n", strerror (errno));
      _exit (1);
    }
  inner = fork ();
  if (inner == 0)
    {
      int ret = container_main (r);
      fflush (stdout);
      _exit (ret);
    }
  if (inner < 0 || waitpid (inner, &status, 0) < 0)
    _exit (1);
  _exit (WIFEXITED (status) ? WEXITSTATUS (status) : 1);
}

/* Child: new namespaces; grandchild: pid 1 there, does the work. */
static int
run_container (const struct run *r)
{
  int ready[2], go[2], status;
  char c = 0;
  pid_t pid;

  if (pipe2 (ready, O_CLOEXEC) < 0 || pipe2 (go, O_CLOEXEC) < 0)
    return 1;
  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    container_child (r, ready[1], go[0]);
  close (ready[1]);
  close (go[0]);
  if (pid > 0 && r->userns)
    {
      if (read (ready[0], &c, 1) != 1 || write_identity_maps (pid) < 0)
        c = 0;
      if (write (go[1], c ? "g" : "x", 1) != 1)
        c = 0;
    }
  close (ready[0]);
  close (go[1]);
  if (pid < 0 || waitpid (pid, &status, 0) < 0 || (r->userns && !c))
    return 1;
  return WIFEXITED (status) ? WEXITSTATUS (status) : 1;
}

/* config.json with the rootfs and volume of this test; @body is the
 * mounts and the rest, printf-style with %1$s for the base directory. */
static char *
config (const char *fmt)
{
  char *body = NULL;
  if (asprintf (&body, fmt, base) < 0)
    oom ();
  return body;
}

#define HEAD "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"%1$s/rootfs\"},"
#define STD_MOUNTS                                                                              \
  "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"                          \
  "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","                          \
  " \"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"                    \
  "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","                    \
  " \"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\",\"gid=5\"]}," \
  "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","                        \
  " \"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"              \
  "{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\","                 \
  " \"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"                                            \
  "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","                          \
  " \"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]}"
#define LINUX_NS "\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"pid\"}]"

static int
root_only (void)
{
  if (geteuid () != 0)
    {
      printf ("# not root\n");
      return 77;
    }
  if (access ("/bin/busybox", X_OK) < 0)
    {
      printf ("# no /bin/busybox (install busybox-static)\n");
      return 77;
    }
  return make_rootfs () < 0 ? 1 : 0;
}

static int
check_basic (void)
{
  struct mnt m;
  struct stat st;
  char buf[64] = { 0 };
  int fd;

  CHECK (find_mount ("/proc", &m) && strcmp (m.fstype, "proc") == 0);
  CHECK (getpid () == 1);
  CHECK (find_mount ("/dev", &m) && strcmp (m.fstype, "tmpfs") == 0);
  CHECK (has_opt (m.opts, "nosuid") && has_opt (m.super, "size=65536k") && has_opt (m.super, "mode=755"));
  CHECK (find_mount ("/dev/pts", &m) && strcmp (m.fstype, "devpts") == 0);
  CHECK (has_opt (m.super, "ptmxmode=666") && has_opt (m.super, "mode=620") && has_opt (m.opts, "noexec"));
  /* tmpfs does not list its default mode (1777): stat it */
  CHECK (find_mount ("/dev/shm", &m) && has_opt (m.super, "size=65536k") && has_opt (m.opts, "nodev"));
  CHECK (stat ("/dev/shm", &st) == 0 && (st.st_mode & 07777) == 01777);
  CHECK (stat ("/dev", &st) == 0 && (st.st_mode & 07777) == 0755);
  CHECK (find_mount ("/dev/mqueue", &m) && strcmp (m.fstype, "mqueue") == 0);
  CHECK (find_mount ("/sys", &m) && strcmp (m.fstype, "sysfs") == 0 && has_opt (m.opts, "ro"));
  /* /tmp remounted: read-only, bigger, and still noexec from its first mount */
  CHECK (find_mount ("/tmp", &m) && has_opt (m.super, "size=2048k") && has_opt (m.opts, "noexec"));
  CHECK (has_opt (m.opts, "ro") && write_errno ("/tmp/x") == EROFS);
  /* rro: read-only down the whole tree, rbind alone would leave /t1/sub rw */
  CHECK (write_errno ("/t1/sub/x") == 0);
  CHECK (find_mount ("/t2/sub", &m) && has_opt (m.opts, "ro") && write_errno ("/t2/sub/x") == EROFS);
  CHECK (find_mount ("/t3/sub", &m) && has_opt (m.opts, "rw") && write_errno ("/t3/y") == EROFS);
  /* the recursive bind, read-only, nosuid, shared as asked */
  CHECK (find_mount ("/data", &m) && has_opt (m.opts, "ro") && has_opt (m.opts, "nosuid"));
  CHECK (strstr (m.optional, "shared:") != NULL);
  fd = open ("/data/file", O_RDONLY | O_CLOEXEC);
  CHECK (fd >= 0 && read (fd, buf, sizeof (buf) - 1) == 7 && strcmp (buf, "volume\n") == 0);
  close (fd);
  CHECK (write_errno ("/data/new") == EROFS);
  /* a file bound onto a file that did not exist */
  CHECK (find_mount ("/etc/hostfile", &m) && has_opt (m.opts, "rw"));
  memset (buf, 0, sizeof (buf));
  fd = open ("/etc/hostfile", O_RDONLY | O_CLOEXEC);
  CHECK (fd >= 0 && read (fd, buf, sizeof (buf) - 1) > 0 && strcmp (buf, "from the host\n") == 0);
  close (fd);
  /* lxcfs-style: a file over /proc/uptime is allowed */
  memset (buf, 0, sizeof (buf));
  fd = open ("/proc/uptime", O_RDONLY | O_CLOEXEC);
  CHECK (fd >= 0 && read (fd, buf, sizeof (buf) - 1) > 0 && strcmp (buf, "from the host\n") == 0);
  close (fd);
  /* / is the rootfs, the old root is gone */
  CHECK (access ("/bin/busybox", X_OK) == 0);
  CHECK (find_mount ("/", &m));
  CHECK (access ("/home", F_OK) < 0 && access ("/usr", F_OK) < 0);
  return 0;
}

static int
test_basic_mounts (void)
{
  int ret = root_only ();
  cleanup_free char *json = NULL;
  if (ret)
    return ret;
  json = config (HEAD "\"mounts\":[" STD_MOUNTS ","
                 "{\"destination\":\"/tmp\",\"type\":\"tmpfs\",\"options\":[\"noexec\",\"size=1m\"]},"
                 "{\"destination\":\"/tmp\",\"options\":[\"remount\",\"ro\",\"size=2m\"]},"
                 "{\"destination\":\"/t1\",\"type\":\"tmpfs\"},{\"destination\":\"/t1/sub\",\"type\":\"tmpfs\"},"
                 "{\"destination\":\"/t2\",\"source\":\"%1$s/rootfs/t1\",\"options\":[\"rbind\",\"rro\"]},"
                 "{\"destination\":\"/t3\",\"source\":\"%1$s/rootfs/t1\",\"options\":[\"rbind\",\"ro\"]},"
                 "{\"destination\":\"/data\",\"source\":\"%1$s/vol\","
                 " \"options\":[\"rbind\",\"ro\",\"nosuid\",\"rshared\"]},"
                 "{\"destination\":\"/etc/hostfile\",\"type\":\"bind\",\"source\":\"%1$s/hostfile\"},"
                 "{\"destination\":\"/proc/uptime\",\"source\":\"%1$s/hostfile\",\"options\":[\"bind\"]}],"
                 "\"linux\":{" LINUX_NS "}}");
  ret = run_container (&(struct run){ .json = json, .check = check_basic });
  remove_rootfs ();
  return ret;
}

static int
check_devices (void)
{
  char zero[4] = { 1, 1, 1, 1 };
  struct stat st;
  int fd;

  CHECK (is_dev ("/dev/null", S_IFCHR, 1, 3, 0666));
  CHECK (is_dev ("/dev/zero", S_IFCHR, 1, 5, 0666));
  CHECK (is_dev ("/dev/full", S_IFCHR, 1, 7, 0666));
  CHECK (is_dev ("/dev/random", S_IFCHR, 1, 8, 0666));
  CHECK (is_dev ("/dev/urandom", S_IFCHR, 1, 9, 0666));
  CHECK (is_dev ("/dev/tty", S_IFCHR, 5, 0, 0666));
  CHECK (is_dev ("/dev/fuse", S_IFCHR, 10, 229, 0600));
  CHECK (lstat ("/dev/fuse", &st) == 0 && st.st_uid == 1000 && st.st_gid == 1001);
  CHECK (is_dev ("/dev/sda9", S_IFBLK, 8, 9, 0640));
  CHECK (is_dev ("/dev/fifo", S_IFIFO, 0, 0, 0622));
  CHECK (link_is ("/dev/fd", "/proc/self/fd") && link_is ("/dev/stdin", "/proc/self/fd/0"));
  CHECK (link_is ("/dev/stdout", "/proc/self/fd/1") && link_is ("/dev/stderr", "/proc/self/fd/2"));
  CHECK (link_is ("/dev/ptmx", "pts/ptmx"));
  CHECK (access ("/dev/core", F_OK) == 0 || access ("/proc/kcore", F_OK) < 0);
  fd = open ("/dev/zero", O_RDONLY | O_CLOEXEC);
  CHECK (fd >= 0 && read (fd, zero, 4) == 4 && !zero[0] && !zero[3]);
  close (fd);
  fd = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  CHECK (fd >= 0 && write (fd, "x", 1) == 1);
  close (fd);
  /* ptmx through the link gives a pty of this devpts instance */
  fd = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  CHECK (fd >= 0 && access ("/dev/pts/0", F_OK) == 0);
  close (fd);
  return 0;
}

static int
test_devices (void)
{
  int ret = root_only ();
  cleanup_free char *json = NULL;
  if (ret)
    return ret;
  json = config (HEAD "\"mounts\":[" STD_MOUNTS "],\"linux\":{" LINUX_NS ","
                 "\"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229,"
                 "  \"fileMode\":384,\"uid\":1000,\"gid\":1001},"
                 " {\"path\":\"/dev/sda9\",\"type\":\"b\",\"major\":8,\"minor\":9,\"fileMode\":416},"
                 " {\"path\":\"/dev/fifo\",\"type\":\"p\",\"fileMode\":402}]}}");
  ret = run_container (&(struct run){ .json = json, .check = check_devices });
  remove_rootfs ();
  return ret;
}

/* No /dev tmpfs: the nodes go into the rootfs's own /dev, replacing what
 * is in the way (a regular file named null). */
static int
test_devices_in_rootfs (void)
{
  int ret = root_only ();
  cleanup_free char *json = NULL, *fake = NULL, *null = NULL;
  struct stat st;
  if (ret)
    return ret;
  fake = bpath ("rootfs/dev/null");
  CHECK (write_text (fake, "not a device") == 0);
  json = config (HEAD "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\"}],"
                 "\"linux\":{" LINUX_NS "}}");
  ret = run_container (&(struct run){ .json = json });
  /* made on the host's disk, inside the rootfs */
  null = bpath ("rootfs/dev/null");
  if (ret == 0 && (lstat (null, &st) < 0 || !S_ISCHR (st.st_mode) || st.st_rdev != makedev (1, 3)))
    ret = 1;
  remove_rootfs ();
  return ret;
}

static int
check_cgroup (void)
{
  struct mnt m;
  bool v2 = find_mount ("/sys/fs/cgroup", &m) && strcmp (m.fstype, "cgroup2") == 0;

  CHECK (find_mount ("/sys/fs/cgroup", &m));
  if (v2)
    return 0;
  CHECK (strcmp (m.fstype, "tmpfs") == 0 && has_opt (m.opts, "ro"));
  CHECK (find_mount ("/sys/fs/cgroup/memory", &m));
  CHECK (strcmp (m.fstype, "cgroup") == 0 && has_opt (m.super, "memory"));
  /* inside the cgroup namespace: the container's cgroup is the root */
  CHECK_STR (m.root, "/");
  CHECK (has_opt (m.opts, "ro") && has_opt (m.opts, "nosuid"));
  CHECK (access ("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0);
  CHECK (write_errno ("/sys/fs/cgroup/memory/x") == EROFS);
  CHECK (find_mount ("/sys/fs/cgroup/pids", &m) && has_opt (m.super, "pids"));
  if (find_mount ("/sys/fs/cgroup/systemd", &m))
    CHECK (has_opt (m.super, "name=systemd"));
  CHECK (find_mount ("/sys/fs/cgroup/unified", &m) && strcmp (m.fstype, "cgroup2") == 0);
  return 0;
}

static int
test_cgroup (void)
{
  int ret = root_only ();
  cleanup_free char *json = NULL;
  if (ret)
    return ret;
  json = config (HEAD "\"mounts\":[" STD_MOUNTS ","
                 "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
                 " \"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
                 "\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"pid\"},{\"type\":\"cgroup\"}]}}");
  ret = run_container (&(struct run){ .json = json, .check = check_cgroup });
  remove_rootfs ();
  return ret;
}

static int
check_masked_readonly (void)
{
  struct mnt m;
  char buf[16];
  int fd;

  /* a masked file reads as /dev/null, a masked directory is an empty ro tmpfs */
  fd = open ("/secret/file", O_RDONLY | O_CLOEXEC);
  CHECK (fd < 0 && errno == ENOENT);
  CHECK (find_mount ("/secret", &m) && strcmp (m.fstype, "tmpfs") == 0 && has_opt (m.opts, "ro"));
  CHECK (write_errno ("/secret/x") == EROFS);
  fd = open ("/etc/masked", O_RDONLY | O_CLOEXEC);
  CHECK (fd >= 0 && read (fd, buf, sizeof (buf)) == 0);
  close (fd);
  if (access ("/proc/acpi", F_OK) == 0)
    CHECK (find_mount ("/proc/acpi", &m) && strcmp (m.fstype, "tmpfs") == 0);
  /* readonly paths, recursively: the tmpfs under /rw/sub too */
  CHECK (write_errno ("/proc/sys/kernel/hostname") == EROFS);
  CHECK (write_errno ("/rw/x") == EROFS);
  CHECK (write_errno ("/rw/sub/x") == EROFS);
  CHECK (find_mount ("/rw/sub", &m) && has_opt (m.opts, "ro"));
  /* elsewhere still writable; a missing masked path is no error */
  CHECK (write_errno ("/tmp/x") == 0);
  return 0;
}

static int
test_masked_readonly (void)
{
  int ret = root_only ();
  cleanup_free char *json = NULL, *masked = NULL;
  if (ret)
    return ret;
  masked = bpath ("rootfs/etc");
  mkdir (masked, 0755);
  free (masked);
  masked = bpath ("rootfs/etc/masked");
  CHECK (write_text (masked, "hidden\n") == 0);
  json = config (HEAD "\"mounts\":[" STD_MOUNTS ","
                 "{\"destination\":\"/tmp\",\"type\":\"tmpfs\"},"
                 "{\"destination\":\"/rw/sub\",\"type\":\"tmpfs\"}],"
                 "\"linux\":{" LINUX_NS ","
                 "\"maskedPaths\":[\"/secret\",\"/etc/masked\",\"/proc/acpi\",\"/does/not/exist\"],"
                 "\"readonlyPaths\":[\"/proc/sys\",\"/rw\",\"/not/there\"]}}");
  ret = run_container (&(struct run){ .json = json, .check = check_masked_readonly });
  remove_rootfs ();
  return ret;
}

static int
check_readonly_root (void)
{
  struct mnt m;
  CHECK (write_errno ("/newfile") == EROFS);
  CHECK (mkdir ("/newdir", 0755) < 0 && errno == EROFS);
  CHECK (write_errno ("/tmp/x") == 0); /* the mounts on top keep their own mode */
  CHECK (find_mount ("/", &m) && has_opt (m.opts, "ro"));
  /* rootfsPropagation applied to the root after pivot */
  CHECK (strstr (m.optional, "shared:") != NULL);
  return 0;
}

static int
test_readonly_root (void)
{
  int ret = root_only ();
  cleanup_free char *json = NULL;
  if (ret)
    return ret;
  json = config ("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"%1$s/rootfs\",\"readonly\":true},"
                 "\"mounts\":[" STD_MOUNTS ",{\"destination\":\"/tmp\",\"type\":\"tmpfs\"}],"
                 "\"linux\":{" LINUX_NS ",\"rootfsPropagation\":\"rshared\"}}");
  ret = run_container (&(struct run){ .json = json, .check = check_readonly_root });
  remove_rootfs ();
  return ret;
}

static int
check_no_pivot (void)
{
  struct mnt m;
  CHECK (access ("/bin/busybox", X_OK) == 0 && access ("/usr", F_OK) < 0);
  CHECK (find_mount ("/proc", &m) && find_mount ("/dev/pts", &m));
  return 0;
}

static int
test_no_pivot (void)
{
  int ret = root_only ();
  cleanup_free char *json = NULL;
  if (ret)
    return ret;
  json = config (HEAD "\"mounts\":[" STD_MOUNTS "],\"linux\":{" LINUX_NS "}}");
  ret = run_container (&(struct run){ .json = json, .no_pivot = true, .check = check_no_pivot });
  remove_rootfs ();
  return ret;
}

/* idmapped bind: files of uid 0 in the volume show as 100000 inside. */
static int
check_idmap (void)
{
  struct stat st;
  CHECK (stat ("/idm/file", &st) == 0);
  CHECK (st.st_uid == 100000 && st.st_gid == 200000);
  CHECK (stat ("/data/file", &st) == 0 && st.st_uid == 0);
  return 0;
}

static int
test_idmap (void)
{
  int ret = root_only ();
  cleanup_free char *json = NULL;
  if (ret)
    return ret;
  json = config (HEAD "\"mounts\":[" STD_MOUNTS ","
                 "{\"destination\":\"/data\",\"source\":\"%1$s/vol\",\"options\":[\"bind\"]},"
                 "{\"destination\":\"/idm\",\"source\":\"%1$s/vol\",\"options\":[\"bind\",\"idmap\"],"
                 " \"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
                 " \"gidMappings\":[{\"containerID\":0,\"hostID\":200000,\"size\":65536}]}],"
                 "\"linux\":{" LINUX_NS "}}");
  ret = run_container (&(struct run){ .json = json, .check = check_idmap });
  remove_rootfs ();
  return ret;
}

/* In a user namespace mknod is refused: the host's nodes are bound instead. */
static int
check_userns_devices (void)
{
  struct mnt m;
  CHECK (is_dev ("/dev/null", S_IFCHR, 1, 3, 0666) && find_mount ("/dev/null", &m));
  CHECK (is_dev ("/dev/zero", S_IFCHR, 1, 5, 0666) && find_mount ("/dev/zero", &m));
  CHECK (find_mount ("/dev/tty", &m) && link_is ("/dev/ptmx", "pts/ptmx"));
  CHECK (find_mount ("/data", &m) && write_errno ("/data/x") == EROFS);
  return 0;
}

static int
test_userns_devices (void)
{
  int ret = root_only ();
  cleanup_free char *json = NULL;
  if (ret)
    return ret;
  json = config (HEAD "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\"},"
                 "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"options\":[\"mode=755\"]},"
                 "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"options\":[\"newinstance\"]},"
                 "{\"destination\":\"/data\",\"source\":\"%1$s/vol\",\"options\":[\"rbind\",\"ro\"]}],"
                 "\"linux\":{" LINUX_NS "}}");
  ret = run_container (&(struct run){ .json = json, .userns = true, .check = check_userns_devices });
  remove_rootfs ();
  return ret;
}

static int
test_prepare_errors (void)
{
  int ret = root_only ();
  cleanup_free char *json = NULL, *json2 = NULL, *json3 = NULL, *file = NULL;
  if (ret)
    return ret;
  json = config (HEAD "\"mounts\":[{\"destination\":\"/x\",\"source\":\"%1$s/missing\","
                 "\"options\":[\"bind\"]}],\"linux\":{" LINUX_NS "}}");
  ret = run_container (&(struct run){ .json = json, .expect_error = "bind source `" });
  /* a directory mount whose destination is a file in the rootfs */
  file = bpath ("rootfs/afile");
  if (ret == 0 && write_text (file, "x") < 0)
    ret = 1;
  json3 = config (HEAD "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\"},"
                  "{\"destination\":\"/proc/sys/kernel\",\"type\":\"tmpfs\"}],\"linux\":{" LINUX_NS "}}");
  json2 = config (HEAD "\"mounts\":[{\"destination\":\"/afile\",\"type\":\"tmpfs\"}],"
                  "\"linux\":{" LINUX_NS "}}");
  if (ret == 0)
    ret = run_container (&(struct run){ .json = json3, .expect_error = "`/proc/sys/kernel` is on procfs" });
  if (ret == 0)
    ret = run_container (&(struct run){ .json = json2,
                                        .expect_error = "`/afile` in the rootfs exists and is not a directory" });
  remove_rootfs ();
  return ret;
}

/* ---- symlink attacks: the host must stay untouched ---- */

static bool
host_mounted (const char *mp)
{
  struct mnt m;
  return find_mount (mp, &m);
}

static int
make_link (const char *target, const char *rel)
{
  cleanup_free char *p = bpath ("rootfs/%s", rel);
  return symlink (target, p);
}

static int
check_symlinks (void)
{
  struct mnt m;
  CHECK (find_mount ("/etc/target", &m) && strcmp (m.fstype, "tmpfs") == 0);
  CHECK (find_mount ("/etc/target2", &m) && strcmp (m.fstype, "tmpfs") == 0);
  CHECK (find_mount ("/tmp/cryo-symlink-vol", &m));
  CHECK (access ("/tmp/cryo-symlink-vol/file", F_OK) == 0);
  CHECK (is_dev ("/etc/null2", S_IFCHR, 1, 3, 0666));
  return 0;
}

/* evil -> /etc and rel -> ../../../../etc, with no etc in the rootfs:
 * both resolve to the rootfs's etc, created there. */
static int
test_symlink_absolute_relative (void)
{
  int ret = root_only ();
  cleanup_free char *json = NULL, *inside = NULL;
  struct stat st;
  if (ret)
    return ret;
  CHECK (access ("/etc/target", F_OK) < 0 && access ("/etc/target2", F_OK) < 0);
  CHECK (access ("/etc/null2", F_OK) < 0 && access ("/tmp/cryo-symlink-vol", F_OK) < 0);
  CHECK (make_link ("/etc", "evil") == 0 && make_link ("../../../../etc", "rel") == 0);
  CHECK (make_link ("/tmp", "tmplink") == 0);
  json = config (HEAD "\"mounts\":[" STD_MOUNTS ","
                 "{\"destination\":\"/evil/target\",\"type\":\"tmpfs\"},"
                 "{\"destination\":\"/rel/target2\",\"type\":\"tmpfs\"},"
                 "{\"destination\":\"/tmplink/cryo-symlink-vol\",\"source\":\"%1$s/vol\","
                 " \"options\":[\"rbind\"]}],"
                 "\"linux\":{" LINUX_NS ",\"devices\":[{\"path\":\"/evil/null2\",\"type\":\"c\","
                 "\"major\":1,\"minor\":3}]}}");
  ret = run_container (&(struct run){ .json = json, .check = check_symlinks });
  /* the host: nothing created, nothing mounted */
  if (access ("/etc/target", F_OK) == 0 || access ("/etc/target2", F_OK) == 0
      || access ("/etc/null2", F_OK) == 0 || access ("/tmp/cryo-symlink-vol", F_OK) == 0
      || host_mounted ("/etc/target") || host_mounted ("/tmp/cryo-symlink-vol"))
    {
      printf ("# the host was touched\n");
      ret = 1;
    }
  inside = bpath ("rootfs/etc/target");
  if (ret == 0 && (stat (inside, &st) < 0 || !S_ISDIR (st.st_mode)))
    ret = 1;
  remove_rootfs ();
  return ret;
}

static int
check_file_links (void)
{
  char buf[64] = { 0 };
  int fd = open ("/etc/passwd", O_RDONLY | O_CLOEXEC);
  CHECK (fd >= 0 && read (fd, buf, sizeof (buf) - 1) > 0);
  close (fd);
  CHECK_STR (buf, "from the host\n");
  CHECK (access ("/etc/group", F_OK) == 0);
  return 0;
}

/* A file bind whose destination is a link to a host file that exists. */
static int
test_symlink_file_destination (void)
{
  int ret = root_only ();
  cleanup_free char *json = NULL;
  struct stat before, after, gbefore, gafter;
  if (ret)
    return ret;
  CHECK (stat ("/etc/passwd", &before) == 0 && stat ("/etc/group", &gbefore) == 0);
  CHECK (make_link ("/etc/passwd", "passwd") == 0);
  CHECK (make_link ("../../../../../../etc/group", "group") == 0);
  json = config (HEAD "\"mounts\":[" STD_MOUNTS ","
                 "{\"destination\":\"/passwd\",\"source\":\"%1$s/hostfile\",\"options\":[\"bind\"]},"
                 "{\"destination\":\"/group\",\"source\":\"%1$s/hostfile\",\"options\":[\"bind\",\"ro\"]}],"
                 "\"linux\":{" LINUX_NS "}}");
  ret = run_container (&(struct run){ .json = json, .check = check_file_links });
  if (stat ("/etc/passwd", &after) < 0 || after.st_ino != before.st_ino
      || after.st_size != before.st_size || after.st_mtime != before.st_mtime
      || host_mounted ("/etc/passwd") || stat ("/etc/group", &gafter) < 0
      || gafter.st_ino != gbefore.st_ino || gafter.st_size != gbefore.st_size
      || host_mounted ("/etc/group"))
    {
      printf ("# the host's /etc/passwd or /etc/group changed\n");
      ret = 1;
    }
  remove_rootfs ();
  return ret;
}

static int
check_chain (void)
{
  struct mnt m;
  CHECK (find_mount ("/d/x", &m) && strcmp (m.fstype, "tmpfs") == 0);
  return 0;
}

/* A chain of links, "..", a loop, and a magic link of the container's own
 * /proc (which, followed, would lead to the host's root). */
static int
test_symlink_dangling_chain (void)
{
  int ret = root_only ();
  cleanup_free char *json = NULL, *loop = NULL, *magic = NULL, *marker = NULL;
  bool host_d = access ("/d", F_OK) == 0;
  if (ret)
    return ret;
  CHECK (make_link ("b", "a") == 0 && make_link ("/c/../../../d", "b") == 0);
  CHECK (make_link ("loop2", "loop1") == 0 && make_link ("loop1", "loop2") == 0);
  marker = xasprintf ("/tmp/cryo-magic-%s", base + strlen ("/tmp/cryo-test-rootfs-"));
  {
    cleanup_free char *target = xasprintf ("/proc/self/root%s", marker);
    CHECK (make_link (target, "magic") == 0);
  }
  json = config (HEAD "\"mounts\":[" STD_MOUNTS ",{\"destination\":\"/a/x\",\"type\":\"tmpfs\"}],"
                 "\"linux\":{" LINUX_NS "}}");
  ret = run_container (&(struct run){ .json = json, .check = check_chain });
  if (!host_d && access ("/d", F_OK) == 0)
    ret = 1;
  loop = config (HEAD "\"mounts\":[{\"destination\":\"/loop1/x\",\"type\":\"tmpfs\"}],"
                 "\"linux\":{" LINUX_NS "}}");
  if (ret == 0)
    ret = run_container (&(struct run){ .json = loop, .expect_error = "create `/loop1/x` in the rootfs" });
  magic = config (HEAD "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\"},"
                  "{\"destination\":\"/magic/x\",\"type\":\"tmpfs\"}],\"linux\":{" LINUX_NS "}}");
  if (ret == 0)
    ret = run_container (&(struct run){ .json = magic, .expect_error = "create `/magic/x` in the rootfs" });
  if (access (marker, F_OK) == 0)
    {
      printf ("# `%s` was created on the host\n", marker);
      rmdir (marker);
      ret = 1;
    }
  remove_rootfs ();
  return ret;
}

int
main (void)
{
  TAP_PLAN (13);
  RUN_TEST (test_basic_mounts);
  RUN_TEST (test_devices);
  RUN_TEST (test_devices_in_rootfs);
  RUN_TEST (test_cgroup);
  RUN_TEST (test_masked_readonly);
  RUN_TEST (test_readonly_root);
  RUN_TEST (test_no_pivot);
  RUN_TEST (test_idmap);
  RUN_TEST (test_userns_devices);
  RUN_TEST (test_prepare_errors);
  RUN_TEST (test_symlink_absolute_relative);
  RUN_TEST (test_symlink_file_destination);
  RUN_TEST (test_symlink_dangling_chain);
  remove_rootfs ();
  return tap_exit ();
}
