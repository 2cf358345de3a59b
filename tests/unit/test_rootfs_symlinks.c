/* Regression tests for mounts redirected to the host by symlinks in the
 * rootfs (CVE-2021-30465 and friends): absolute and relative links,
 * dangling chains, loops, a /proc magic link, links to host files.  The host
 * must be untouched whatever the rootfs contains.  Fixture: rootfs-fixture.c. */
#define _GNU_SOURCE
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ns/safe-path.h"
#include "rootfs-fixture.h"
#include "tap.h"
#include "lib/util.h"

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

/* A component swapped between a directory and a link out of the rootfs
 * while paths are resolved and created under it: every lookup must stay
 * in the rootfs.  (A stress test: it can only catch an escape, never
 * report one that did not happen.) */
struct swapper
{
  int dirfd;
  volatile bool stop;
  long swaps;
};

static void *
swap_loop (void *arg)
{
  struct swapper *sw = arg;
  while (!sw->stop)
    if (renameat2 (sw->dirfd, "flip", sw->dirfd, "flip-alt", RENAME_EXCHANGE) == 0)
      sw->swaps++;
  return NULL;
}

static bool
fd_inside (int fd, const char *prefix)
{
  char link[64], path[4096];
  ssize_t n;
  snprintf (link, sizeof (link), "/proc/self/fd/%d", fd);
  n = readlink (link, path, sizeof (path) - 1);
  if (n < 0)
    return false;
  path[n] = '\0';
  return strncmp (path, prefix, strlen (prefix)) == 0;
}

static int
swap_race_rounds (int rootfd, const char *inside, int rounds)
{
  int i;
  for (i = 0; i < rounds; i++)
    {
      cleanup_error cryo_error_t err = NULL;
      int fd = safe_mkpath_in_root (rootfd, "/flip/sub/x", SAFE_LEAF_DIR, 0755, &err);
      /* failing is fine (the link may be there when the dir is checked),
       * landing outside is not */
      if (fd >= 0 && !fd_inside (fd, inside))
        {
          close (fd);
          return 1;
        }
      if (fd >= 0)
        close (fd);
    }
  return 0;
}

static int
test_symlink_swap_race (void)
{
  int ret = root_only ();
  cleanup_free char *rootfs = NULL, *outside = NULL, *flip = NULL, *inside = NULL;
  cleanup_close int rootfd = -1;
  struct swapper sw = { .dirfd = -1 };
  pthread_t thread;
  DIR *d;
  struct dirent *e;
  int entries = 0;

  if (ret)
    return ret;
  rootfs = bpath ("rootfs");
  outside = bpath ("outside");
  flip = bpath ("rootfs/flip");
  inside = xasprintf ("%s/", rootfs);
  CHECK (mkdir (outside, 0755) == 0 && mkdir (flip, 0755) == 0);
  /* relative, with more ".." than the rootfs is deep: outside/ if followed on the host */
  CHECK (make_link ("../outside", "flip-alt") == 0);
  rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  sw.dirfd = rootfd;
  CHECK (rootfd >= 0 && pthread_create (&thread, NULL, swap_loop, &sw) == 0);
  ret = swap_race_rounds (rootfd, inside, 20000);
  sw.stop = true;
  pthread_join (thread, NULL);
  printf ("# %ld swaps\n", sw.swaps);
  d = opendir (outside);
  while (d && (e = readdir (d)))
    entries += strcmp (e->d_name, ".") && strcmp (e->d_name, "..");
  if (d)
    closedir (d);
  if (entries || ret)
    printf ("# a lookup left the rootfs (%d entries in outside/)\n", entries);
  CHECK (d != NULL && entries == 0 && ret == 0 && sw.swaps > 0);
  remove_rootfs ();
  return 0;
}

int
main (void)
{
  TAP_PLAN (4);
  RUN_TEST (test_symlink_absolute_relative);
  RUN_TEST (test_symlink_file_destination);
  RUN_TEST (test_symlink_dangling_chain);
  RUN_TEST (test_symlink_swap_race);
  remove_rootfs ();
  return tap_exit ();
}
