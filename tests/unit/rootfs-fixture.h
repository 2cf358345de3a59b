/* Fixture of test_rootfs and test_rootfs_symlinks (rootfs-fixture.c). */
#ifndef CRYO_TEST_ROOTFS_FIXTURE_H
#define CRYO_TEST_ROOTFS_FIXTURE_H

#include <stdbool.h>
#include <sys/types.h>

extern char base[64]; /* the test's temporary directory, holds rootfs/ and vol/ */

struct mnt
{
  char root[512], mp[512], opts[256], optional[256], fstype[64], super[512];
};

typedef int (*check_fn) (void);

struct run
{
  const char *json;
  bool no_pivot;
  bool userns; /* in a user namespace (identity-mapped): mknod is refused there */
  bool host_cgroupns;       /* stay in the test's cgroup namespace */
  const char *cgroup_procs; /* a cgroup.procs the child moves itself into first */
  check_fn check;
  const char *expect_error; /* rootfs_prepare must fail with this text */
};

/* Skip (77) unless root with /bin/busybox; then build a fresh rootfs. */
int root_only (void);
void remove_rootfs (void);
char *bpath (const char *fmt, ...) __attribute__ ((format (printf, 1, 2))); /* base/... */
int write_text (const char *path, const char *text);
/* config.json text: @fmt with %1$s for the base directory. */
char *config (const char *fmt);
/* Fork the container and wait: 0 when setup and r->check succeeded. */
int run_container (const struct run *r);

/* Inside the container. */
bool find_mount (const char *mp, struct mnt *out); /* top-most mount at mp */
bool has_opt (const char *list, const char *opt);
bool is_dev (const char *path, mode_t type, unsigned maj, unsigned min, mode_t perm);
bool link_is (const char *path, const char *target);
int write_errno (const char *path); /* 0 or the errno of creating path */

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

#endif
