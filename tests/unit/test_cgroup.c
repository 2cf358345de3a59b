/* The cgroup driver against the real cgroup filesystem, as root: creation in
 * every hierarchy, limits read back from the files, freezing a busy child,
 * killing, statistics, enforcement (OOM, pids.max), the eBPF device filter,
 * and that nothing is ever left behind.  Everything lives below
 * /cryo-unit-<pid> so that parallel runs and real containers are untouched. */
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

#include "cgroup-internal.h"
#include "json.h"
#include "tap.h"
#include "util.h"

#define SKIP_UNLESS(cond)                  \
  do                                       \
    {                                      \
      if (!(cond))                         \
        {                                  \
          printf ("# skip: %s\n", #cond);  \
          return 77;                       \
        }                                  \
    }                                      \
  while (0)

/* Fail with the error's message as a diagnostic. */
#define CHECK_OK(call)                                                          \
  do                                                                            \
    {                                                                           \
      if ((call) < 0)                                                           \
        {                                                                       \
          printf ("# %s:%d: %s: %s\n", __FILE__, __LINE__, #call, err ? err->msg : "?"); \
          return 1;                                                             \
        }                                                                       \
    }                                                                           \
  while (0)

static enum cgroup_mode host_mode;

/* A test's cgroup: killed, removed and freed whatever the test's outcome.
 * Declare child pids (cleanup_pid) before it, so that the cgroup (and a
 * v1 freezer, which would keep SIGKILL from acting) goes first. */
static void
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

static char *
unit_path (const char *sub)
{
  return xasprintf ("/cryo-unit-%d/%s", getpid (), sub);
}

/* Create /cryo-unit-<pid>/SUB with the hierarchies of @mode (-1: the host's). */
static int
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

static bool
dir_exists (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

/* Read a cgroup file of the manager's hierarchy holding @ctrl. */
static char *
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
static pid_t
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

static pid_t
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

static pid_t
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
static void
touch (size_t bytes)
{
  volatile char *m = malloc (bytes);
  if (m == NULL)
    _exit (3);
  for (size_t i = 0; i < bytes; i += 4096)
    m[i] = 1;
}

static void
touch_16m (int out)
{
  touch (16 << 20);
  if (write (out, "x", 1) != 1)
    _exit (1);
  for (;;)
    pause ();
}

/* Drain the pipe; then whether anything new arrives within @ms. */
static bool
progresses (int fd, int ms)
{
  uint32_t buf[1024];
  struct pollfd pfd = { fd, POLLIN, 0 };

  while (read (fd, buf, sizeof (buf)) > 0)
    ;
  return poll (&pfd, 1, ms) == 1;
}

static int
test_layout (void)
{
  cleanup_error cryo_error_t err = NULL;
  struct cgroup_layout l;
  bool systemd = false, v2 = false, memory = false;

  CHECK_OK (cgroup_layout_read (&l, &err));
  for (size_t i = 0; i < l.n; i++)
    {
      systemd |= strcmp (l.m[i].name, "name=systemd") == 0;
      v2 |= strcmp (l.m[i].name, CGROUP2_NAME) == 0;
      memory |= cgroup_name_has (l.m[i].name, "memory");
      CHECK (l.m[i].mount[0] == '/' && l.m[i].own[0] == '/');
    }
  printf ("# layout: %s, %zu hierarchies\n", cgroup_mode_name (l.mode), l.n);
  CHECK (l.mode == host_mode);
  if (l.mode == CGROUP_MODE_HYBRID)
    CHECK (systemd && v2 && memory);
  cgroup_layout_clear (&l);
  return 0;
}

static int
test_path_rules (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_cgroup struct cgroup_manager *cg = NULL;

  CHECK (cgroup_check_path ("/a/b", &err) == 0);
  CHECK (cgroup_check_path ("a/b", &err) == 0);
  CHECK (cgroup_check_path ("/a/../b", &err) < 0);
  CHECK_ERR_CONTAINS (err, "`..` components are not allowed");
  CHECK (cgroup_check_path ("/", &err) < 0);
  CHECK_ERR_CONTAINS (err, "names no cgroup");
  CHECK (cgroup_check_path ("", &err) < 0);
  CHECK (cgroup_create (NULL, "../x", false, &cg, &err) < 0);
  CHECK_ERR_CONTAINS (err, "cannot name a cgroup");
  CHECK (cgroup_create (NULL, "a/b", false, &cg, &err) < 0);
  CHECK (cg == NULL);
  return 0;
}

/* A relative cgroupsPath starts at cryo's own cgroup in each hierarchy. */
static int
test_relative_path (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_fixture struct cgroup_manager *cg = NULL;
  cleanup_free char *rel = xasprintf ("cryo-unit-rel-%d", getpid ());
  struct cgroup_layout l;

  CHECK_OK (cgroup_layout_read (&l, &err));
  CHECK_OK (cgroup_create_in (&l, rel, "unit", &cg, &err));
  CHECK (cg->n == l.n);
  for (size_t i = 0; i < l.n; i++)
    {
      cleanup_free char *want = NULL;
      want = strcmp (l.m[i].own, "/") == 0 ? xasprintf ("%s/%s", l.m[i].mount, rel)
                                           : xasprintf ("%s%s/%s", l.m[i].mount, l.m[i].own, rel);
      CHECK_STR (cg->h[i].dir, want);
      CHECK (dir_exists (want));
    }
  cgroup_layout_clear (&l);
  fixture_release (&cg);
  return 0;
}

static int
test_create_every_hierarchy (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_free char *top = NULL;
  struct cgroup_manager *cg = NULL;
  size_t n;

  CHECK_OK (make_cg ("create", -1, &cg, &err));
  n = cg->n;
  CHECK (cgroup_manager_mode (cg) == host_mode);
  for (size_t i = 0; i < cg->n; i++)
    {
      CHECK (dir_exists (cg->h[i].dir));
      CHECK (strv_len (cg->h[i].created) == 2); /* /cryo-unit-PID and the leaf */
    }
  if (host_mode == CGROUP_MODE_HYBRID)
    {
      CHECK (cgroup_dir (cg, "name=systemd") != NULL);
      CHECK (cgroup_dir (cg, "") != NULL);
      CHECK (cgroup_dir (cg, "memory") != NULL);
      CHECK_STR (cgroup_freezer_path (cg), cgroup_dir (cg, "freezer"));
    }
  top = xasprintf ("%s/cryo-unit-%d", cg->h[0].mount, getpid ());
  CHECK_OK (cgroup_destroy (cg, &err));
  for (size_t i = 0; i < n; i++)
    CHECK (!dir_exists (cg->h[i].dir));
  CHECK (!dir_exists (top));
  /* Destroying again finds nothing to do. */
  CHECK_OK (cgroup_destroy (cg, &err));
  cgroup_manager_free (cg);
  return 0;
}

static int
test_serialize_roundtrip (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_fixture struct cgroup_manager *cg = NULL;
  cleanup_cgroup struct cgroup_manager *back = NULL;
  cleanup_free char *a = NULL, *b = NULL;

  CHECK_OK (make_cg ("serialize", -1, &cg, &err));
  a = cgroup_serialize (cg);
  CHECK_OK (cgroup_load (a, &back, &err));
  b = cgroup_serialize (back);
  CHECK_STR (a, b);
  CHECK_STR (cgroup_path (back), cgroup_path (cg));
  CHECK (back->n == cg->n && back->mode == cg->mode);
  CHECK (cgroup_load ("{\"version\":1}", &back, &err) < 0);
  CHECK_ERR_CONTAINS (err, "cgroup state");
  CHECK (cgroup_load ("{\"version\":1,\"mode\":\"v3\",\"path\":\"/x\",\"hierarchies\":[]}", &back, &err) < 0);
  CHECK_ERR_CONTAINS (err, "unknown mode `v3`");
  CHECK (cgroup_load ("not json", &back, &err) < 0);
  CHECK (back != NULL); /* untouched by the failures */
  return 0;
}

/* The runtime-owned parent of default paths goes when its last child goes,
 * also when creates and destroys race.  A private root stands in for the
 * hierarchy's root so that real containers' /cryo is not involved. */
static int
test_default_parent_pruned (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_fixture struct cgroup_manager *root = NULL, *a = NULL, *b = NULL;
  struct cgroup_mount m;
  struct cgroup_layout l = { CGROUP_MODE_V1, &m, 1 };
  cleanup_free char *parent = NULL;

  CHECK_OK (make_cg ("prune", CGROUP_MODE_HYBRID == host_mode ? CGROUP_MODE_V1 : -1, &root, &err));
  m = (struct cgroup_mount) { root->h[0].name, root->h[0].dir, "/" };
  parent = xasprintf ("%s/cryo", root->h[0].dir);
  CHECK_OK (cgroup_create_in (&l, NULL, "a", &a, &err));
  CHECK_OK (cgroup_create_in (&l, NULL, "b", &b, &err));
  CHECK_STR (cgroup_path (a), "/cryo/a");
  CHECK (dir_exists (parent));
  fixture_release (&a);
  CHECK (dir_exists (parent)); /* b still there */
  fixture_release (&b);
  CHECK (!dir_exists (parent));

  /* Racing create/destroy loops in two processes never fail. */
  for (int k = 0; k < 2; k++)
    if (fork () == 0)
      {
        for (int i = 0; i < 200; i++)
          {
            char id[32];
            struct cgroup_manager *c = NULL;
            cryo_error_t e = NULL;
            snprintf (id, sizeof (id), "r%d-%d", k, i);
            if (cgroup_create_in (&l, NULL, id, &c, &e) < 0 || cgroup_destroy (c, &e) < 0)
              {
                printf ("# race: %s\n", e->msg);
                fflush (stdout);
                _exit (1);
              }
            cgroup_manager_free (c);
          }
        _exit (0);
      }
  for (int k = 0; k < 2; k++)
    {
      int status;
      CHECK (wait (&status) > 0 && WIFEXITED (status) && WEXITSTATUS (status) == 0);
    }
  CHECK (!dir_exists (parent));
  return 0;
}

static int
test_busy_cgroup_refused (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_pid pid_t pid = -1;
  cleanup_fixture struct cgroup_manager *cg = NULL;
  struct cgroup_manager *again = NULL;

  CHECK_OK (make_cg ("busy", -1, &cg, &err));
  CHECK ((pid = spawn_sleeper ()) > 0);
  CHECK_OK (cgroup_add_pid (cg, pid, &err));
  CHECK (make_cg ("busy", -1, &again, &err) < 0);
  CHECK_ERR_CONTAINS (err, "already holds processes");
  CHECK (again == NULL);
  for (size_t i = 0; i < cg->n; i++)
    CHECK (dir_exists (cg->h[i].dir)); /* the failed create removed nothing of ours */
  return 0;
}

/* A hierarchy that fails after others succeeded: nothing stays behind. */
static int
test_create_failure_rolls_back (void)
{
  cleanup_error cryo_error_t err = NULL;
  struct cgroup_layout l;
  struct cgroup_manager *cg = NULL;
  cleanup_free char *path = unit_path ("rollback");

  CHECK_OK (cgroup_layout_read (&l, &err));
  l.m = xreallocarray (l.m, l.n + 1, sizeof (*l.m));
  l.m[l.n++] = (struct cgroup_mount) { xstrdup ("bogus"), xstrdup ("/proc/cryo-no-such-hierarchy"), xstrdup ("/") };
  CHECK (cgroup_create_in (&l, path, "unit", &cg, &err) < 0);
  CHECK_ERR_CONTAINS (err, "/proc/cryo-no-such-hierarchy");
  for (size_t i = 0; i + 1 < l.n; i++)
    {
      cleanup_free char *top = xasprintf ("%s/cryo-unit-%d", l.m[i].mount, getpid ());
      CHECK (!dir_exists (top));
    }
  cgroup_layout_clear (&l);
  return 0;
}

static int
test_systemd_refused (void)
{
  cleanup_error cryo_error_t err = NULL;
  struct cgroup_manager *cg = NULL;
  cleanup_free char *comm = NULL;

  CHECK (read_all_file ("/proc/1/comm", &comm, NULL, NULL) == 0);
  SKIP_UNLESS (strcmp (comm, "systemd\n") != 0);
  CHECK (cgroup_create ("system.slice:cryo:x", "x", true, &cg, &err) < 0);
  CHECK_ERR_CONTAINS (err, "systemd is not running as init");
  CHECK (strchr (err->msg, '\n') == NULL);
  CHECK (cgroup_create ("/plain/path", "x", true, &cg, &err) < 0);
  CHECK_ERR_CONTAINS (err, "slice:prefix:name");
  return 0;
}

/* The child is in the cgroup in every hierarchy, as the kernel sees it. */
static int
test_add_pid_and_pids (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_pid pid_t pid = -1;
  cleanup_fixture struct cgroup_manager *cg = NULL;
  cleanup_free pid_t *pids = NULL;
  cleanup_free char *proc = NULL, *procpath = NULL;
  size_t n;

  CHECK_OK (make_cg ("pids", -1, &cg, &err));
  CHECK ((pid = spawn_sleeper ()) > 0);
  CHECK_OK (cgroup_add_pid (cg, pid, &err));
  CHECK_OK (cgroup_pids (cg, &pids, &n, &err));
  CHECK (n == 1 && pids[0] == pid);
  procpath = xasprintf ("/proc/%d/cgroup", pid);
  CHECK (read_all_file (procpath, &proc, NULL, NULL) == 0);
  for (size_t i = 0; i < cg->n; i++)
    {
      cleanup_free char *line = xasprintf (":%s:%s\n", cg->h[i].name, cgroup_path (cg));
      if (strstr (proc, line) == NULL)
        printf ("# %s has no `%s`\n", procpath, line);
      CHECK (strstr (proc, line) != NULL);
    }
  CHECK (cgroup_add_pid (cg, 999999999, &err) < 0);
  CHECK_ERR_CONTAINS (err, "999999999");
  return 0;
}

static struct spec_resources
limits (void)
{
  struct spec_resources r = { 0 };
  r.present = true;
  return r;
}

#define SET(field, v) ((field).set = true, (field).value = (v))

static bool
has_v1_controllers (void)
{
  return host_mode != CGROUP_MODE_V2;
}

static int
test_limits_v1 (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_fixture struct cgroup_manager *cg = NULL;
  struct spec_device_rule rules[2] = { { .allow = false, .type = 'a', .access = "rwm" },
                                       { .allow = true, .type = 'c', .access = "rwm" } };
  struct spec_resources r = limits ();
  cleanup_free char *mem = NULL, *soft = NULL, *memsw = NULL, *swappiness = NULL, *shares = NULL,
                    *quota = NULL, *period = NULL, *cpus = NULL, *pids = NULL, *devs = NULL, *bfq = NULL;

  SKIP_UNLESS (has_v1_controllers ());
  CHECK_OK (make_cg ("limits", -1, &cg, &err));
  SET (rules[1].major, 10);
  SET (rules[1].minor, 229);
  SET (r.memory.limit, 64 << 20);
  SET (r.memory.reservation, 32 << 20);
  SET (r.memory.swap, 128 << 20);
  SET (r.memory.swappiness, 10);
  SET (r.cpu.shares, 512);
  SET (r.cpu.quota, 50000);
  SET (r.cpu.period, 100000);
  r.cpu.cpus = "0";
  r.cpu.mems = "0";
  SET (r.pids.limit, 20);
  SET (r.block_io.weight, 300);
  r.devices = rules;
  r.n_devices = 2;
  CHECK_OK (cgroup_apply (cg, &r, &err));
  CHECK_STR (mem = file_of (cg, "memory", "memory.limit_in_bytes"), "67108864");
  CHECK_STR (soft = file_of (cg, "memory", "memory.soft_limit_in_bytes"), "33554432");
  CHECK_STR (memsw = file_of (cg, "memory", "memory.memsw.limit_in_bytes"), "134217728");
  CHECK_STR (swappiness = file_of (cg, "memory", "memory.swappiness"), "10");
  CHECK_STR (shares = file_of (cg, "cpu", "cpu.shares"), "512");
  CHECK_STR (quota = file_of (cg, "cpu", "cpu.cfs_quota_us"), "50000");
  CHECK_STR (period = file_of (cg, "cpu", "cpu.cfs_period_us"), "100000");
  CHECK_STR (cpus = file_of (cg, "cpuset", "cpuset.cpus"), "0");
  CHECK_STR (pids = file_of (cg, "pids", "pids.max"), "20");
  bfq = file_of (cg, "blkio", cg_exists (cgroup_dir (cg, "blkio"), "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight");
  CHECK (strstr (bfq, "300") != NULL);
  devs = file_of (cg, "devices", "devices.list");
  CHECK (strstr (devs, "c 10:229 rwm") && strstr (devs, "c 1:3 rwm") && strstr (devs, "c *:* m"));
  CHECK (strstr (devs, "c 1:1 ") == NULL && strstr (devs, "a *:* rwm") == NULL);
  return 0;
}

/* Lowering the limits later (update) goes through: memsw before limit. */
static int
test_update_shrinks_and_grows (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_fixture struct cgroup_manager *cg = NULL;
  struct spec_resources r = limits ();
  cleanup_free char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *devs = NULL;

  SKIP_UNLESS (has_v1_controllers ());
  CHECK_OK (make_cg ("update", -1, &cg, &err));
  SET (r.memory.limit, 256 << 20);
  SET (r.memory.swap, 512 << 20);
  CHECK_OK (cgroup_apply (cg, &r, &err));
  SET (r.memory.limit, 64 << 20);
  SET (r.memory.swap, 64 << 20);
  CHECK_OK (cgroup_update (cg, &r, &err));
  CHECK_STR (a = file_of (cg, "memory", "memory.memsw.limit_in_bytes"), "67108864");
  SET (r.memory.limit, 1 << 30);
  SET (r.memory.swap, 2LL << 30);
  CHECK_OK (cgroup_update (cg, &r, &err));
  CHECK_STR (b = file_of (cg, "memory", "memory.limit_in_bytes"), "1073741824");
  CHECK_STR (c = file_of (cg, "memory", "memory.memsw.limit_in_bytes"), "2147483648");
  /* -1 is unlimited, memsw included. */
  r = limits ();
  SET (r.memory.limit, -1);
  CHECK_OK (cgroup_update (cg, &r, &err));
  CHECK (strlen (d = file_of (cg, "memory", "memory.memsw.limit_in_bytes")) > 15);
  /* update leaves the device rules alone */
  devs = file_of (cg, "devices", "devices.list");
  CHECK (strstr (devs, "c 1:3 rwm") != NULL);
  return 0;
}

static int
test_limit_errors (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_fixture struct cgroup_manager *cg = NULL;
  struct spec_resources r;
  cleanup_json json_value_t *unified = NULL;

  SKIP_UNLESS (has_v1_controllers ());
  CHECK_OK (make_cg ("errors", -1, &cg, &err));
  r = limits ();
  SET (r.cpu.shares, 1000000);
  CHECK (cgroup_update (cg, &r, &err) < 0);
  CHECK_ERR_CONTAINS (err, "cpu.shares 1000000 is out of range");
  r = limits ();
  SET (r.memory.swappiness, 200);
  CHECK (cgroup_update (cg, &r, &err) < 0);
  CHECK_ERR_CONTAINS (err, "swappiness 200");
  r = limits ();
  r.cpu.cpus = "4096";
  CHECK (cgroup_update (cg, &r, &err) < 0);
  CHECK_ERR_CONTAINS (err, "write `4096` to `");
  CHECK_ERR_CONTAINS (err, "/cpuset.cpus`");
  r = limits ();
  SET (r.cpu.quota, 500); /* below the 1 ms minimum */
  CHECK (cgroup_update (cg, &r, &err) < 0);
  CHECK_ERR_CONTAINS (err, "cpu.cfs_quota_us");
  CHECK_OK (json_parse ("{\"memory.max\": \"1000000\"}", &unified, &err));
  r = limits ();
  r.unified = unified;
  CHECK (cgroup_update (cg, &r, &err) < 0);
  if (host_mode == CGROUP_MODE_HYBRID)
    CHECK_ERR_CONTAINS (err, "the `memory` controller is not available");
  else
    CHECK_ERR_CONTAINS (err, "needs cgroup v2");
  return 0;
}

static int
test_unified_refused_on_v1 (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_fixture struct cgroup_manager *cg = NULL;
  cleanup_json json_value_t *unified = NULL;
  struct spec_resources r = limits ();

  SKIP_UNLESS (host_mode != CGROUP_MODE_V2);
  CHECK_OK (make_cg ("unified-v1", host_mode == CGROUP_MODE_HYBRID ? CGROUP_MODE_V1 : -1, &cg, &err));
  CHECK_OK (json_parse ("{\"pids.max\": \"10\"}", &unified, &err));
  r.unified = unified;
  CHECK (cgroup_update (cg, &r, &err) < 0);
  CHECK_ERR_CONTAINS (err, "linux.resources.unified needs cgroup v2");
  return 0;
}

/* Below the current usage, v1 answers EBUSY: the error says so. */
static int
test_limit_below_usage (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_pid pid_t pid = -1;
  cleanup_fixture struct cgroup_manager *cg = NULL;
  struct spec_resources r = limits ();
  cleanup_close int fd = -1;
  char c;

  SKIP_UNLESS (has_v1_controllers ());
  SKIP_UNLESS (access ("/proc/swaps", F_OK) == 0);
  {
    cleanup_free char *swaps = NULL;
    CHECK (read_all_file ("/proc/swaps", &swaps, NULL, NULL) == 0);
    SKIP_UNLESS (strchr (swaps, '\n') == swaps + strlen (swaps) - 1); /* no swap: anon memory stays */
  }
  CHECK_OK (make_cg ("usage", -1, &cg, &err));
  CHECK ((pid = spawn_in (cg, touch_16m, &fd, &err)) > 0);
  CHECK (read (fd, &c, 1) == 1);
  SET (r.memory.limit, 1 << 20);
  CHECK (cgroup_update (cg, &r, &err) < 0);
  CHECK_ERR_CONTAINS (err, "is below the current usage");
  return 0;
}

/* Freeze really stops a busy child and thaw lets it go on. */
static int
freeze_thaw (int mode)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_pid pid_t pid = -1;
  cleanup_fixture struct cgroup_manager *cg = NULL;
  cleanup_close int fd = -1;
  bool frozen = true;
  char state;

  CHECK_OK (make_cg ("freeze", mode, &cg, &err));
  CHECK ((pid = spawn_counter (&fd)) > 0);
  CHECK_OK (cgroup_add_pid (cg, pid, &err));
  CHECK (progresses (fd, 5000));
  CHECK_OK (cgroup_is_frozen (cg, &frozen, &err));
  CHECK (!frozen);
  CHECK_OK (cgroup_freeze (cg, true, &err));
  CHECK_OK (cgroup_is_frozen (cg, &frozen, &err));
  CHECK (frozen);
  state = process_state (pid);
  printf ("# frozen child state: %c\n", state);
  CHECK (state != 'R' && state != 0);
  CHECK (!progresses (fd, 300));
  CHECK_OK (cgroup_freeze (cg, true, &err)); /* freezing twice is fine */
  CHECK_OK (cgroup_freeze (cg, false, &err));
  CHECK_OK (cgroup_is_frozen (cg, &frozen, &err));
  CHECK (!frozen);
  CHECK (progresses (fd, 5000));
  return 0;
}

static int
test_freeze_host (void)
{
  return freeze_thaw (-1);
}

static int
test_freeze_v2_tree (void)
{
  SKIP_UNLESS (host_mode != CGROUP_MODE_V1);
  return freeze_thaw (host_mode == CGROUP_MODE_HYBRID ? CGROUP_MODE_V2 : -1);
}

static void
fork_three (int out)
{
  for (int i = 0; i < 3; i++)
    if (fork () == 0)
      for (;;)
        pause ();
  if (write (out, "x", 1) != 1)
    _exit (1);
  for (;;)
    pause ();
}

/* SIGKILL takes the whole tree, also from a frozen cgroup. */
static int
kill_tree (int mode, bool freeze_first)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_pid pid_t pid = -1;
  cleanup_fixture struct cgroup_manager *cg = NULL;
  cleanup_free pid_t *pids = NULL;
  cleanup_close int fd = -1;
  size_t n;
  int status;
  char c;

  CHECK_OK (make_cg ("kill", mode, &cg, &err));
  CHECK ((pid = spawn_in (cg, fork_three, &fd, &err)) > 0);
  CHECK (read (fd, &c, 1) == 1);
  CHECK_OK (cgroup_pids (cg, &pids, &n, &err));
  CHECK (n == 4);
  if (freeze_first)
    CHECK_OK (cgroup_freeze (cg, true, &err));
  CHECK_OK (cgroup_kill (cg, SIGKILL, &err));
  free (pids);
  pids = NULL;
  CHECK_OK (cgroup_pids (cg, &pids, &n, &err));
  CHECK (n == 0);
  CHECK (waitpid (pid, &status, 0) == pid);
  pid = -1;
  CHECK (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  CHECK_OK (cgroup_destroy (cg, &err));
  return 0;
}

static int
test_kill_host (void)
{
  return kill_tree (-1, false);
}

static int
test_kill_frozen (void)
{
  return kill_tree (-1, true);
}

/* v1 alone has no cgroup.kill: the freeze-kill-thaw loop does the work. */
static int
test_kill_v1_loop (void)
{
  SKIP_UNLESS (host_mode != CGROUP_MODE_V2);
  return kill_tree (host_mode == CGROUP_MODE_HYBRID ? CGROUP_MODE_V1 : -1, false);
}

static int
test_kill_v2_tree (void)
{
  SKIP_UNLESS (host_mode != CGROUP_MODE_V1);
  return kill_tree (host_mode == CGROUP_MODE_HYBRID ? CGROUP_MODE_V2 : -1, true);
}

static int
test_signal_term (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_pid pid_t pid = -1;
  cleanup_fixture struct cgroup_manager *cg = NULL;
  int status;

  CHECK_OK (make_cg ("term", -1, &cg, &err));
  CHECK ((pid = spawn_sleeper ()) > 0);
  CHECK_OK (cgroup_add_pid (cg, pid, &err));
  CHECK_OK (cgroup_kill (cg, SIGTERM, &err));
  CHECK (waitpid (pid, &status, 0) == pid);
  pid = -1;
  CHECK (WIFSIGNALED (status) && WTERMSIG (status) == SIGTERM);
  return 0;
}

static int
test_stats (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_pid pid_t pid = -1;
  cleanup_fixture struct cgroup_manager *cg = NULL;
  cleanup_json_gen json_gen_t *gen = json_gen_new (false);
  cleanup_json json_value_t *v = NULL;
  cleanup_free char *text = NULL;
  cleanup_close int fd = -1;
  struct spec_resources r = limits ();
  json_value_t *mem;
  char c;

  SKIP_UNLESS (has_v1_controllers ());
  CHECK_OK (make_cg ("stats", -1, &cg, &err));
  SET (r.memory.limit, 256 << 20);
  SET (r.pids.limit, 50);
  CHECK_OK (cgroup_apply (cg, &r, &err));
  CHECK ((pid = spawn_in (cg, touch_16m, &fd, &err)) > 0);
  CHECK (read (fd, &c, 1) == 1);
  CHECK_OK (cgroup_stats (cg, gen, &err));
  CHECK_OK (json_gen_finish (gen, &text, NULL, &err));
  CHECK_OK (json_parse (text, &v, &err));
  mem = json_get (json_get (v, "memory"), "usage");
  CHECK (json_uinteger (json_get (mem, "limit")) == 256 << 20);
  CHECK (json_uinteger (json_get (mem, "usage")) >= 16 << 20);
  CHECK (json_uinteger (json_get (mem, "max")) >= 16 << 20);
  CHECK (json_is_integer (json_get (mem, "failcnt")));
  CHECK (json_is_object (json_get (json_get (v, "memory"), "raw")));
  CHECK (json_uinteger (json_get (json_get (v, "pids"), "current")) == 1);
  CHECK (json_uinteger (json_get (json_get (v, "pids"), "limit")) == 50);
  CHECK (json_is_integer (json_get (json_get (json_get (v, "cpu"), "usage"), "kernel")));
  CHECK (json_uinteger (json_get (json_get (json_get (v, "cpu"), "usage"), "total")) > 0);
  CHECK (json_is_object (json_get (v, "blkio")));
  CHECK (json_is_null (json_get (v, "network_interfaces")));
  return 0;
}

static int
test_stats_v2_tree (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_fixture struct cgroup_manager *cg = NULL;
  cleanup_json_gen json_gen_t *gen = json_gen_new (false);
  cleanup_json json_value_t *v = NULL;
  cleanup_free char *text = NULL;

  SKIP_UNLESS (host_mode != CGROUP_MODE_V1);
  CHECK_OK (make_cg ("stats2", host_mode == CGROUP_MODE_HYBRID ? CGROUP_MODE_V2 : -1, &cg, &err));
  CHECK_OK (cgroup_stats (cg, gen, &err));
  CHECK_OK (json_gen_finish (gen, &text, NULL, &err));
  CHECK_OK (json_parse (text, &v, &err));
  CHECK (json_is_object (json_get (json_get (v, "cpu"), "usage")));
  CHECK (json_is_object (json_get (json_get (v, "memory"), "usage")));
  return 0;
}

static void
memory_hog (int out)
{
  for (size_t i = 0; i < 1024; i++)
    touch (1 << 20);
  _exit (0); /* not reached under a 32 MiB limit */
}

/* The kernel enforces the limit: a hog is OOM-killed. */
static int
test_oom_kill (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_pid pid_t pid = -1;
  cleanup_fixture struct cgroup_manager *cg = NULL;
  cleanup_close int fd = -1;
  cleanup_free char *oom = NULL;
  struct spec_resources r = limits ();
  int status;

  SKIP_UNLESS (has_v1_controllers ());
  CHECK_OK (make_cg ("oom", -1, &cg, &err));
  SET (r.memory.limit, 32 << 20);
  SET (r.memory.swap, 32 << 20);
  CHECK_OK (cgroup_apply (cg, &r, &err));
  CHECK ((pid = spawn_in (cg, memory_hog, &fd, &err)) > 0);
  CHECK (waitpid (pid, &status, 0) == pid);
  pid = -1;
  CHECK (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  oom = file_of (cg, "memory", "memory.oom_control");
  CHECK (strstr (oom, "oom_kill 1") != NULL);
  return 0;
}

/* disableOOMKiller: the hog stalls at the limit instead of dying. */
static int
test_oom_killer_disabled (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_pid pid_t pid = -1;
  cleanup_fixture struct cgroup_manager *cg = NULL;
  cleanup_close int fd = -1;
  struct spec_resources r = limits ();
  bool under = false;

  SKIP_UNLESS (has_v1_controllers ());
  CHECK_OK (make_cg ("nooom", -1, &cg, &err));
  SET (r.memory.limit, 32 << 20);
  SET (r.memory.swap, 32 << 20);
  r.memory.disable_oom_killer = true;
  CHECK_OK (cgroup_apply (cg, &r, &err));
  CHECK ((pid = spawn_in (cg, memory_hog, &fd, &err)) > 0);
  for (int i = 0; i < 1000 && !under; i++)
    {
      cleanup_free char *oom = file_of (cg, "memory", "memory.oom_control");
      under = strstr (oom, "under_oom 1") != NULL;
      if (!under)
        cg_sleep_ms (10);
    }
  CHECK (under);
  CHECK (waitpid (pid, NULL, WNOHANG) == 0); /* alive, stalled */
  return 0;
}

static void
fork_bomb (int out)
{
  int n = 0, e = 0;
  for (; n < 1000; n++)
    {
      pid_t p = fork ();
      if (p == 0)
        for (;;)
          pause ();
      if (p < 0)
        {
          e = errno;
          break;
        }
    }
  if (write (out, &n, sizeof (n)) != sizeof (n) || write (out, &e, sizeof (e)) != sizeof (e))
    _exit (1);
  for (;;)
    pause ();
}

static int
test_pids_limit_enforced (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_pid pid_t pid = -1;
  cleanup_fixture struct cgroup_manager *cg = NULL;
  cleanup_close int fd = -1;
  struct spec_resources r = limits ();
  int forked = -1, e = 0;

  SKIP_UNLESS (has_v1_controllers ());
  CHECK_OK (make_cg ("bomb", -1, &cg, &err));
  SET (r.pids.limit, 8);
  CHECK_OK (cgroup_apply (cg, &r, &err));
  CHECK ((pid = spawn_in (cg, fork_bomb, &fd, &err)) > 0);
  CHECK (read (fd, &forked, sizeof (forked)) == sizeof (forked));
  CHECK (read (fd, &e, sizeof (e)) == sizeof (e));
  printf ("# forked %d, then errno %d\n", forked, e);
  CHECK (forked == 7 && e == EAGAIN);
  return 0;
}

/* On the controller-less cgroup2 tree of the hybrid layout every limit must
 * fail, naming the file. */
static int
test_v2_limits_name_the_file (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_fixture struct cgroup_manager *cg = NULL;
  struct spec_resources r;

  SKIP_UNLESS (host_mode == CGROUP_MODE_HYBRID);
  CHECK_OK (make_cg ("v2limits", CGROUP_MODE_V2, &cg, &err));
  r = limits ();
  SET (r.memory.limit, 64 << 20);
  CHECK (cgroup_update (cg, &r, &err) < 0);
  CHECK_ERR_CONTAINS (err, "memory.max");
  CHECK_ERR_CONTAINS (err, "67108864");
  r = limits ();
  SET (r.cpu.shares, 1024);
  CHECK (cgroup_update (cg, &r, &err) < 0);
  CHECK_ERR_CONTAINS (err, "cpu.weight");
  r = limits ();
  SET (r.cpu.realtime_runtime, 1000);
  CHECK (cgroup_update (cg, &r, &err) < 0);
  CHECK_ERR_CONTAINS (err, "need cgroup v1");
  r = limits ();
  SET (r.memory.swap, 100);
  SET (r.memory.limit, 200);
  CHECK (cgroup_update (cg, &r, &err) < 0);
  CHECK_ERR_CONTAINS (err, "must be >= the memory limit");
  return 0;
}

static int
test_conversions (void)
{
  cleanup_error cryo_error_t err = NULL;
  int64_t v = 0;

  CHECK (cgroup_v2_cpu_weight (0) == 0);
  CHECK (cgroup_v2_cpu_weight (2) == 1);
  CHECK (cgroup_v2_cpu_weight (1024) == 39);
  CHECK (cgroup_v2_cpu_weight (262144) == 10000);
  CHECK (cgroup_v2_swap_value (0, 100, &v, &err) == 0);
  CHECK (cgroup_v2_swap_value (0, -1, &v, &err) == 1 && v == -1);
  CHECK (cgroup_v2_swap_value (-1, 100, &v, &err) == 1 && v == -1);
  CHECK (cgroup_v2_swap_value (300, 100, &v, &err) == 1 && v == 200);
  CHECK (cgroup_v2_swap_value (100, 100, &v, &err) == 1 && v == 0);
  CHECK (cgroup_v2_swap_value (300, 0, &v, &err) < 0);
  CHECK_ERR_CONTAINS (err, "needs a memory limit");
  return 0;
}

/* The device filter, through a child that joins the cgroup and then opens
 * /dev/zero read-only, /dev/zero write-only, /dev/null read-only, /dev/null
 * write-only and /dev/kmsg read-only, reporting each errno. */
#define N_OPENS 5
static void
open_devices (int out)
{
  static const char *const paths[N_OPENS] = { "/dev/zero", "/dev/zero", "/dev/null", "/dev/null", "/dev/kmsg" };
  static const int flags[N_OPENS] = { O_RDONLY, O_WRONLY, O_RDONLY, O_WRONLY, O_RDONLY };

  for (int i = 0; i < N_OPENS; i++)
    {
      int fd = open (paths[i], flags[i] | O_CLOEXEC), e = fd < 0 ? errno : 0;
      if (write (out, &e, sizeof (e)) != sizeof (e))
        _exit (1);
    }
}

static int
opens (struct cgroup_manager *cg, int res[N_OPENS], cryo_error_t *err)
{
  cleanup_close int fd = -1;
  pid_t pid = spawn_in (cg, open_devices, &fd, err);

  if (pid < 0)
    return -1;
  for (int i = 0; i < N_OPENS; i++)
    if (read (fd, &res[i], sizeof (int)) != sizeof (int))
      res[i] = -1;
  waitpid (pid, NULL, 0);
  return 0;
}

static int
attached_programs (const char *dir)
{
  cleanup_close int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  uint32_t ids[16];
  union bpf_attr attr;

  memset (&attr, 0, sizeof (attr));
  attr.query.target_fd = fd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t) (uintptr_t) ids;
  attr.query.prog_cnt = 16;
  if (syscall (SYS_bpf, BPF_PROG_QUERY, &attr, sizeof (attr)) < 0)
    return -1;
  return (int) attr.query.prog_cnt;
}

static int
test_bpf_devices (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_fixture struct cgroup_manager *cg = NULL;
  const struct cgroup_devrule only_zero_read[] = { { false, 'a', -1, -1, "rwm" }, { true, 'c', 1, 5, "r" } };
  const struct cgroup_devrule all_but_null_write[] = { { true, 'a', -1, -1, "rwm" }, { false, 'c', 1, 3, "w" } };
  struct spec_resources r = limits ();
  int res[N_OPENS];

  SKIP_UNLESS (host_mode != CGROUP_MODE_V1);
  CHECK_OK (make_cg ("bpf", host_mode == CGROUP_MODE_HYBRID ? CGROUP_MODE_V2 : -1, &cg, &err));
  CHECK_OK (opens (cg, res, &err));
  CHECK (res[0] == 0 && res[1] == 0 && res[2] == 0 && res[3] == 0 && res[4] == 0);

  CHECK_OK (cgroup_bpf_devices (cgroup_dir (cg, ""), only_zero_read, 2, &err));
  CHECK_OK (opens (cg, res, &err));
  printf ("# only /dev/zero r: %d %d %d %d %d\n", res[0], res[1], res[2], res[3], res[4]);
  CHECK (res[0] == 0 && res[1] == EPERM && res[2] == EPERM && res[3] == EPERM && res[4] == EPERM);

  /* Replaced, not added to: the new rules alone decide. */
  CHECK_OK (cgroup_bpf_devices (cgroup_dir (cg, ""), all_but_null_write, 2, &err));
  CHECK (attached_programs (cgroup_dir (cg, "")) == 1);
  CHECK_OK (opens (cg, res, &err));
  CHECK (res[0] == 0 && res[1] == 0 && res[2] == 0 && res[3] == EPERM && res[4] == 0);

  /* The rules cgroup_apply() makes from an empty config: runc's defaults. */
  CHECK_OK (cgroup_apply (cg, &r, &err));
  CHECK (attached_programs (cgroup_dir (cg, "")) == 1);
  CHECK_OK (opens (cg, res, &err));
  CHECK (res[0] == 0 && res[1] == 0 && res[2] == 0 && res[3] == 0 && res[4] == EPERM);
  return 0;
}

/* Every test cleaned up: no /cryo-unit-<pid> in any hierarchy. */
static int
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

int
main (void)
{
  cleanup_error cryo_error_t err = NULL;

  if (geteuid () != 0 || cgroup_mode_detect (&host_mode, &err) < 0)
    {
      printf ("1..0 # SKIP needs root and a cgroup filesystem\n");
      return 0;
    }
  TAP_PLAN (31);
  RUN_TEST (test_layout);
  RUN_TEST (test_path_rules);
  RUN_TEST (test_relative_path);
  RUN_TEST (test_create_every_hierarchy);
  RUN_TEST (test_serialize_roundtrip);
  RUN_TEST (test_default_parent_pruned);
  RUN_TEST (test_busy_cgroup_refused);
  RUN_TEST (test_create_failure_rolls_back);
  RUN_TEST (test_systemd_refused);
  RUN_TEST (test_add_pid_and_pids);
  RUN_TEST (test_limits_v1);
  RUN_TEST (test_update_shrinks_and_grows);
  RUN_TEST (test_limit_errors);
  RUN_TEST (test_unified_refused_on_v1);
  RUN_TEST (test_limit_below_usage);
  RUN_TEST (test_freeze_host);
  RUN_TEST (test_freeze_v2_tree);
  RUN_TEST (test_kill_host);
  RUN_TEST (test_kill_frozen);
  RUN_TEST (test_kill_v1_loop);
  RUN_TEST (test_kill_v2_tree);
  RUN_TEST (test_signal_term);
  RUN_TEST (test_stats);
  RUN_TEST (test_stats_v2_tree);
  RUN_TEST (test_oom_kill);
  RUN_TEST (test_oom_killer_disabled);
  RUN_TEST (test_pids_limit_enforced);
  RUN_TEST (test_v2_limits_name_the_file);
  RUN_TEST (test_conversions);
  RUN_TEST (test_bpf_devices);
  RUN_TEST (test_nothing_left);
  return tap_exit ();
}
