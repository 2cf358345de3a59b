/* Limits of the cgroup driver on the real cgroup filesystem, as root: the
 * values read back from the files, their errors (naming file and value),
 * statistics, and the kernel enforcing them on forked children (a memory
 * hog OOM-killed or stalled, a fork bomb stopped by pids.max). */
#include "cgroup-fixture.h"

static int
test_limits_v1 (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_fixture struct cgroup_manager *cg = NULL;
  struct spec_device_rule rules[2]
      = { { .allow = false, .type = 'a', .access = "rwm" }, { .allow = true, .type = 'c', .access = "rwm" } };
  struct spec_resources r = limits ();
  cleanup_free char *mem = NULL, *soft = NULL, *memsw = NULL, *swappiness = NULL, *shares = NULL,
                    *quota = NULL, *period = NULL, *cpus = NULL, *pids = NULL, *devs = NULL;

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
  devs = file_of (cg, "devices", "devices.list");
  CHECK (strstr (devs, "c 10:229 rwm") && strstr (devs, "c 1:3 rwm") && strstr (devs, "c *:* m"));
  CHECK (strstr (devs, "c 1:1 ") == NULL && strstr (devs, "a *:* rwm") == NULL);
  return 0;
}

/* The blkio weight goes to the file the disk scheduler has (CFQ's
 * blkio.weight, BFQ's blkio.bfq.weight); with neither (mq-deadline) the
 * error names the file and says what to do, and this test says why it
 * cannot check the write. */
static int
test_blkio_weight_v1 (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_fixture struct cgroup_manager *cg = NULL;
  struct spec_resources r = { 0 };
  cleanup_free char *weight = NULL;
  const char *dir;

  SKIP_UNLESS (has_v1_controllers ());
  CHECK_OK (make_cg ("blkio", -1, &cg, &err));
  SET (r.block_io.weight, 300);
  dir = cgroup_dir (cg, "blkio");
  if (!cg_exists (dir, "blkio.weight") && !cg_exists (dir, "blkio.bfq.weight"))
    {
      CHECK (cgroup_apply (cg, &r, &err) < 0);
      CHECK (strstr (err->msg, "blkio.bfq.weight` does not exist") != NULL);
      printf ("# skip: neither blkio.weight nor blkio.bfq.weight in `%s` (disk scheduler without weights): "
              "only the error was checked\n",
              dir);
      return 77;
    }
  CHECK_OK (cgroup_apply (cg, &r, &err));
  weight = file_of (cg, "blkio", cg_exists (dir, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight");
  CHECK (strstr (weight, "300") != NULL);
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
  CHECK_ERR_CONTAINS (err, "invalid configuration: linux.resources.unified needs cgroup v2");
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
  CHECK_OK (make_cg ("unified-v1", -1, &cg, &err));
  CHECK_OK (json_parse ("{\"pids.max\": \"10\"}", &unified, &err));
  r.unified = unified;
  CHECK (cgroup_update (cg, &r, &err) < 0);
  CHECK_ERR_CONTAINS (err, "invalid configuration: linux.resources.unified needs cgroup v2");
  /* an empty one is nothing to set (runc) */
  json_free (unified);
  unified = NULL;
  CHECK_OK (json_parse ("{}", &unified, &err));
  r.unified = unified;
  CHECK_OK (cgroup_update (cg, &r, &err));
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

int
main (void)
{
  if (!fixture_init ())
    return 0;
  TAP_PLAN (14);
  RUN_TEST (test_limits_v1);
  RUN_TEST (test_blkio_weight_v1);
  RUN_TEST (test_update_shrinks_and_grows);
  RUN_TEST (test_limit_errors);
  RUN_TEST (test_unified_refused_on_v1);
  RUN_TEST (test_limit_below_usage);
  RUN_TEST (test_stats);
  RUN_TEST (test_stats_v2_tree);
  RUN_TEST (test_oom_kill);
  RUN_TEST (test_oom_killer_disabled);
  RUN_TEST (test_pids_limit_enforced);
  RUN_TEST (test_v2_limits_name_the_file);
  RUN_TEST (test_conversions);
  RUN_TEST (test_nothing_left);
  return tap_exit ();
}
