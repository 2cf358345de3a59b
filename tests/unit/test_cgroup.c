/* The cgroup driver against the real cgroup filesystem, as root: creation in
 * every hierarchy, paths, serialization, joining, freezing a busy child,
 * killing, the eBPF device filter, and that nothing is ever left behind.
 * Limits and their enforcement are in test_cgroup_limits.c. */
#include "cgroup-fixture.h"

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
  m = (struct cgroup_mount){ root->h[0].name, root->h[0].dir, "/" };
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

/* runc warns about a cgroup that already holds processes and goes on. */
static int
test_busy_cgroup_shared (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_pid pid_t pid = -1;
  cleanup_fixture struct cgroup_manager *cg = NULL;
  cleanup_cgroup struct cgroup_manager *again = NULL;

  CHECK_OK (make_cg ("busy", -1, &cg, &err));
  CHECK ((pid = spawn_sleeper ()) > 0);
  CHECK_OK (cgroup_add_pid (cg, pid, &err));
  CHECK_OK (make_cg ("busy", -1, &again, &err));
  CHECK (again != NULL && again->n == cg->n);
  for (size_t i = 0; i < cg->n; i++)
    CHECK_STR (again->h[i].dir, cg->h[i].dir);
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
  l.m[l.n++]
      = (struct cgroup_mount){ xstrdup ("bogus"), xstrdup ("/proc/cryo-no-such-hierarchy"), xstrdup ("/") };
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

/* The device filter, through a child that joins the cgroup and then opens
 * /dev/zero read-only, /dev/zero write-only, /dev/null read-only, /dev/null
 * write-only and /dev/kmsg read-only, reporting each errno. */
#define N_OPENS 5
static void
open_devices (int out)
{
  static const char *const paths[N_OPENS]
      = { "/dev/zero", "/dev/zero", "/dev/null", "/dev/null", "/dev/kmsg" };
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
  attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
  attr.query.prog_cnt = 16;
  if (syscall (SYS_bpf, BPF_PROG_QUERY, &attr, sizeof (attr)) < 0)
    return -1;
  return (int)attr.query.prog_cnt;
}

static int
test_bpf_devices (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_fixture struct cgroup_manager *cg = NULL;
  const struct cgroup_devrule only_zero_read[] = { { false, 'a', -1, -1, "rwm" }, { true, 'c', 1, 5, "r" } };
  const struct cgroup_devrule all_but_null_write[]
      = { { true, 'a', -1, -1, "rwm" }, { false, 'c', 1, 3, "w" } };
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

int
main (void)
{
  if (!fixture_init ())
    return 0;
  TAP_PLAN (19);
  RUN_TEST (test_layout);
  RUN_TEST (test_path_rules);
  RUN_TEST (test_relative_path);
  RUN_TEST (test_create_every_hierarchy);
  RUN_TEST (test_serialize_roundtrip);
  RUN_TEST (test_default_parent_pruned);
  RUN_TEST (test_busy_cgroup_shared);
  RUN_TEST (test_create_failure_rolls_back);
  RUN_TEST (test_systemd_refused);
  RUN_TEST (test_add_pid_and_pids);
  RUN_TEST (test_freeze_host);
  RUN_TEST (test_freeze_v2_tree);
  RUN_TEST (test_kill_host);
  RUN_TEST (test_kill_frozen);
  RUN_TEST (test_kill_v1_loop);
  RUN_TEST (test_kill_v2_tree);
  RUN_TEST (test_signal_term);
  RUN_TEST (test_bpf_devices);
  RUN_TEST (test_nothing_left);
  return tap_exit ();
}
