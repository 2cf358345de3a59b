/* rootfs_prepare / rootfs_pivot / rootfs_finalize for real, as root: each
 * test builds a busybox rootfs in a temporary directory, forks a child that
 * unshares mount, pid, cgroup and ipc namespaces, forks again to be pid 1
 * (for /proc), sets the rootfs up from a config.json and checks from inside
 * through /proc/self/mountinfo and stat.  The namespaces die with the
 * children; the temporary directory is removed at the end.  The symlink
 * attack regressions are in test_rootfs_symlinks.c. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <dirent.h>
#include <unistd.h>

#include "rootfs-fixture.h"
#include "tap.h"
#include "lib/util.h"

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

/* ---- cgroup binds: no cgroup namespace ---- */

static char cg_expected[512]; /* the memory cgroup the container must see */

/* This process's cgroup in the hierarchy @ctrl ("" for cgroup2), or NULL. */
static char *
own_cgroup (const char *ctrl)
{
  cleanup_file FILE *f = fopen ("/proc/self/cgroup", "re");
  char line[1024];
  while (f && fgets (line, sizeof (line), f))
    {
      char *c = strchr (line, ':'), *p = c ? strchr (c + 1, ':') : NULL;
      if (p == NULL)
        continue;
      *p++ = '\0';
      p[strcspn (p, "\n")] = '\0';
      if (strcmp (c + 1, ctrl) == 0)
        return xstrdup (p);
    }
  return NULL;
}

static int
check_cgroup_binds (void)
{
  cleanup_free char *pids = own_cgroup ("pids"), *unified = own_cgroup (""), *limit = NULL;
  cleanup_error cryo_error_t err = NULL;
  struct mnt m;

  CHECK (find_mount ("/sys/fs/cgroup", &m) && strcmp (m.fstype, "tmpfs") == 0 && has_opt (m.opts, "ro"));
  /* the container's own memory cgroup, not the hierarchy's root */
  CHECK (find_mount ("/sys/fs/cgroup/memory", &m) && strcmp (m.fstype, "cgroup") == 0);
  CHECK_STR (m.root, cg_expected);
  CHECK (has_opt (m.opts, "ro") && has_opt (m.opts, "nosuid") && has_opt (m.opts, "noexec"));
  CHECK (read_all_file ("/sys/fs/cgroup/memory/memory.limit_in_bytes", &limit, NULL, &err) == 0);
  CHECK_STR (limit, "67108864\n");
  CHECK (write_errno ("/sys/fs/cgroup/memory/memory.limit_in_bytes") == EROFS);
  /* every hierarchy shows this process's cgroup, under the host's names */
  CHECK (pids && find_mount ("/sys/fs/cgroup/pids", &m) && strcmp (m.root, pids) == 0);
  if (unified && find_mount ("/sys/fs/cgroup/unified", &m))
    CHECK (strcmp (m.fstype, "cgroup2") == 0 && strcmp (m.root, unified) == 0);
  CHECK (access ("/sys/fs/cgroup/cpu/cpu.shares", F_OK) == 0);
  return 0;
}

/* A child memory cgroup of ours with a 64 MiB limit: the fixture's child
 * joins it, and the cgroup mount must show it and only it. */
static int
run_cgroup_binds (bool userns)
{
  cleanup_free char *own = own_cgroup ("memory"), *dir = NULL, *procs = NULL, *lim = NULL, *json = NULL;
  int ret, i;

  if (own == NULL || access ("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) < 0)
    {
      printf ("# no cgroup v1 memory hierarchy\n");
      return 77;
    }
  snprintf (cg_expected, sizeof (cg_expected), "%s/cryo-test-rootfs-%d", strcmp (own, "/") ? own : "",
            (int) getpid ());
  dir = xasprintf ("/sys/fs/cgroup/memory%s", cg_expected);
  procs = xasprintf ("%s/cgroup.procs", dir);
  lim = xasprintf ("%s/memory.limit_in_bytes", dir);
  if (mkdir (dir, 0755) < 0 || write_text (lim, "67108864") < 0)
    {
      rmdir (dir);
      return 1;
    }
  /* sysfs needs a network namespace of the user namespace's: bind it (podman does) */
  json = config (HEAD "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\"},"
                 "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"options\":[\"mode=755\"]},"
                 "{\"destination\":\"/sys\",\"source\":\"/sys\",\"options\":[\"rbind\",\"ro\"]},"
                 "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
                 " \"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
                 "\"linux\":{" LINUX_NS "}}");
  ret = run_container (&(struct run){ .json = json, .check = check_cgroup_binds, .userns = userns,
                                      .host_cgroupns = true, .cgroup_procs = procs });
  /* the container's processes are reaped; the cgroup lets go soon after */
  for (i = 0; i < 100 && rmdir (dir) < 0 && errno == EBUSY; i++)
    usleep (10000);
  return ret;
}

static int
test_cgroup_binds (void)
{
  int ret = root_only ();
  if (ret)
    return ret;
  ret = run_cgroup_binds (false);
  remove_rootfs ();
  return ret;
}

/* A user namespace may not mount a v1 cgroup fs without a cgroup
 * namespace (EPERM, podman --uidmap): the binds work there. */
static int
test_cgroup_binds_userns (void)
{
  int ret = root_only ();
  if (ret)
    return ret;
  ret = run_cgroup_binds (true);
  remove_rootfs ();
  return ret;
}

/* ---- tmpcopyup ---- */

static bool
xattr_is (const char *path, const char *name, const char *value)
{
  char buf[64] = { 0 };
  ssize_t n = lgetxattr (path, name, buf, sizeof (buf) - 1);
  return n == (ssize_t) strlen (value) && strcmp (buf, value) == 0;
}

static bool
stat_is (const char *path, mode_t mode, uid_t uid, gid_t gid)
{
  struct stat st;
  if (lstat (path, &st) < 0)
    return false;
  if (st.st_mode != mode || st.st_uid != uid || st.st_gid != gid)
    {
      printf ("# %s: mode %o owner %u:%u\n", path, st.st_mode, st.st_uid, st.st_gid);
      return false;
    }
  return true;
}

static bool
mtime_is (const char *path, time_t t)
{
  struct stat st;
  return lstat (path, &st) == 0 && st.st_mtim.tv_sec == t;
}

static int
check_copyup (void)
{
  struct mnt m;
  struct stat a, b;
  char buf[64] = { 0 };
  int fd;

  CHECK (find_mount ("/etc/x", &m) && strcmp (m.fstype, "tmpfs") == 0 && has_opt (m.opts, "nosuid"));
  /* the directory itself, then each kind of file, with its metadata */
  CHECK (stat_is ("/etc/x", S_IFDIR | 0751, 1000, 1000) && mtime_is ("/etc/x", 1000000001));
  fd = open ("/etc/x/f", O_RDONLY | O_CLOEXEC);
  CHECK (fd >= 0 && read (fd, buf, sizeof (buf) - 1) == 6 && strcmp (buf, "hello\n") == 0);
  close (fd);
  CHECK (stat_is ("/etc/x/f", S_IFREG | 0640, 1000, 1001) && mtime_is ("/etc/x/f", 1000000000));
  CHECK (xattr_is ("/etc/x/f", "user.cryo", "copied") && xattr_is ("/etc/x/f", "trusted.cryo", "t"));
  CHECK (stat_is ("/etc/x/suid", S_IFREG | 04755, 1000, 1000));
  CHECK (lstat ("/etc/x/f", &a) == 0 && lstat ("/etc/x/f2", &b) == 0 && a.st_ino == b.st_ino);
  CHECK (a.st_nlink == 2);
  CHECK (stat_is ("/etc/x/d", S_IFDIR | 0700, 1002, 1002) && mtime_is ("/etc/x/d", 1000000002));
  CHECK (stat_is ("/etc/x/d/e/g", S_IFREG | 0600, 0, 0));
  /* links stay links, whatever they point at */
  CHECK (link_is ("/etc/x/abs", "/secret/file") && link_is ("/etc/x/esc", "../../../../../../etc/shadow"));
  CHECK (stat_is ("/etc/x/esc", S_IFLNK | 0777, 1003, 1003) && mtime_is ("/etc/x/esc", 1000000003));
  CHECK (stat_is ("/etc/x/p", S_IFIFO | 0620, 1004, 0) && xattr_is ("/etc/x/p", "trusted.cryo", "fifo"));
  CHECK (is_dev ("/etc/x/null", S_IFCHR, 1, 3, 0666));
  CHECK (stat_is ("/etc/x/s", S_IFSOCK | 0755, 0, 0));
  /* writes go to the tmpfs (the host checks the rootfs afterwards) */
  CHECK (write_errno ("/etc/x/new") == 0);
  fd = open ("/etc/x/f", O_WRONLY | O_APPEND | O_CLOEXEC);
  CHECK (fd >= 0 && write (fd, "changed\n", 8) == 8);
  close (fd);
  /* mode= on the mount wins over the directory's; a symlink out of the
   * rootfs was resolved inside it: nothing of the host's came in */
  CHECK (stat_is ("/etc/y/.", S_IFDIR | 01777, 0, 0));
  CHECK (access ("/etc/y/hostfile", F_OK) < 0 && errno == ENOENT);
  {
    cleanup_free char *inside = xasprintf ("%s/outside", base);
    CHECK (find_mount (inside, &m) && strcmp (m.fstype, "tmpfs") == 0);
  }
  /* read-only once filled */
  CHECK (find_mount ("/etc/z", &m) && has_opt (m.opts, "ro") && write_errno ("/etc/z/new") == EROFS);
  CHECK (access ("/etc/z/kept", F_OK) == 0);
  return 0;
}

static int
write_rel (const char *rel, const char *text)
{
  cleanup_free char *p = bpath ("%s", rel);
  return write_text (p, text);
}

/* The rootfs content test_copyup copies. */
static int
make_copyup_tree (void)
{
  static const struct
  {
    const char *path;
    time_t mtime;
  } times[] = { { "d", 1000000002 }, { "f", 1000000000 }, { ".", 1000000001 } };
  cleanup_free char *x = bpath ("rootfs/etc/x"), *outside = bpath ("outside");
  cleanup_free char *y = bpath ("rootfs/etc/y"), *z = bpath ("rootfs/etc/z");
  int dfd;
  size_t i;

  if (mkdir (x, 0751) < 0 || chown (x, 1000, 1000) < 0 || mkdir (z, 0755) < 0 || mkdir (outside, 0755) < 0)
    return -1;
  dfd = open (x, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return -1;
  if (write_rel ("rootfs/etc/x/f", "hello\n") < 0 || write_rel ("rootfs/etc/z/kept", "") < 0
      || write_rel ("outside/hostfile", "host\n") < 0 || symlink (outside, y) < 0
      || fchownat (dfd, "f", 1000, 1001, 0) < 0 || fchmodat (dfd, "f", 0640, 0) < 0
      || linkat (dfd, "f", dfd, "f2", 0) < 0 || write_rel ("rootfs/etc/x/suid", "#!/bin/sh\n") < 0
      || fchownat (dfd, "suid", 1000, 1000, 0) < 0 || fchmodat (dfd, "suid", 04755, 0) < 0
      || mkdirat (dfd, "d", 0700) < 0 || fchownat (dfd, "d", 1002, 1002, 0) < 0 || mkdirat (dfd, "d/e", 0755) < 0
      || write_rel ("rootfs/etc/x/d/e/g", "g") < 0 || fchmodat (dfd, "d/e/g", 0600, 0) < 0
      || symlinkat ("/secret/file", dfd, "abs") < 0 || symlinkat ("../../../../../../etc/shadow", dfd, "esc") < 0
      || fchownat (dfd, "esc", 1003, 1003, AT_SYMLINK_NOFOLLOW) < 0
      || utimensat (dfd, "esc", (struct timespec[]){ { 1, 0 }, { 1000000003, 0 } }, AT_SYMLINK_NOFOLLOW) < 0
      || mkfifoat (dfd, "p", 0620) < 0 || fchmodat (dfd, "p", 0620, 0) < 0 || fchownat (dfd, "p", 1004, 0, 0) < 0
      || mknodat (dfd, "null", S_IFCHR | 0666, makedev (1, 3)) < 0 || fchmodat (dfd, "null", 0666, 0) < 0
      || mknodat (dfd, "s", S_IFSOCK | 0755, 0) < 0 || fchmodat (dfd, "s", 0755, 0) < 0)
    {
      close (dfd);
      return -1;
    }
  {
    cleanup_free char *f = bpath ("rootfs/etc/x/f"), *p = bpath ("rootfs/etc/x/p");
    if (setxattr (f, "user.cryo", "copied", 6, 0) < 0 || setxattr (f, "trusted.cryo", "t", 1, 0) < 0
        || lsetxattr (p, "trusted.cryo", "fifo", 4, 0) < 0)
      {
        close (dfd);
        return -1;
      }
  }
  for (i = 0; i < ARRAY_SIZE (times); i++)
    if (utimensat (dfd, times[i].path, (struct timespec[]){ { 1, 0 }, { times[i].mtime, 0 } }, 0) < 0)
      {
        close (dfd);
        return -1;
      }
  close (dfd);
  return 0;
}

static int
test_copyup (void)
{
  int ret = root_only ();
  cleanup_free char *json = NULL, *etc = NULL, *f = NULL, *buf = NULL, *fresh = NULL, *hostdir = NULL;
  cleanup_error cryo_error_t err = NULL;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  int n = 0;

  if (ret)
    return ret;
  etc = bpath ("rootfs/etc");
  CHECK (mkdir (etc, 0755) == 0 && make_copyup_tree () == 0);
  json = config (HEAD "\"mounts\":[" STD_MOUNTS ","
                 "{\"destination\":\"/etc/x\",\"type\":\"tmpfs\",\"options\":[\"tmpcopyup\",\"nosuid\"]},"
                 "{\"destination\":\"/etc/y\",\"type\":\"tmpfs\",\"options\":[\"tmpcopyup\",\"mode=1777\"]},"
                 "{\"destination\":\"/etc/z\",\"type\":\"tmpfs\",\"options\":[\"ro\",\"tmpcopyup\"]}],"
                 "\"linux\":{" LINUX_NS "}}");
  ret = run_container (&(struct run){ .json = json, .check = check_copyup });
  /* the rootfs underneath is as it was, and so is the host's directory */
  f = bpath ("rootfs/etc/x/f");
  fresh = bpath ("rootfs/etc/x/new");
  if (ret == 0 && (read_all_file (f, &buf, NULL, &err) < 0 || strcmp (buf, "hello\n") != 0
                   || access (fresh, F_OK) == 0))
    ret = 1;
  hostdir = bpath ("outside");
  d = opendir (hostdir);
  while (d && (de = readdir (d)))
    n += de->d_name[0] != '.';
  if (ret == 0 && n != 1)
    ret = 1;
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
  RUN_TEST (test_copyup);
  RUN_TEST (test_cgroup_binds);
  RUN_TEST (test_cgroup_binds_userns);
  remove_rootfs ();
  return tap_exit ();
}
