/* The CRIU engine against the real CRIU, as root: a process tree (a session
 * leader and its child, which writes a counter to a file) is dumped,
 * restored with the same pids and goes on counting; failures are one line;
 * a deadline kills CRIU and leaves the tree running; a CRIU that dies while
 * the tree is seized (and its cgroup frozen) leaves it running too. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "tap.h"
#include "lib/util.h"

#define STATE_ROOT "/run/cryo"
#define LIVENESS_SECONDS 20 /* a bound for "eventually", never a timing claim */

static char tmpdir[] = "/tmp/test-engine-XXXXXX";
static char counter_path[256];

struct tree
{
  pid_t root, child;
};

static void
msleep (int ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep (&ts, NULL);
}

/* The counter file: "<token> <n>", the token drawn once when the counter
 * starts, so a restored process shows the same token (its memory) and a
 * restarted one would not. */
static unsigned long
read_counter_token (unsigned long long *token)
{
  char buf[64] = "";
  int fd = open (counter_path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read (fd, buf, sizeof buf - 1) : -1;
  unsigned long long tok = 0;
  unsigned long v = 0;

  if (fd >= 0)
    close (fd);
  if (n <= 0 || sscanf (buf, "%llx %lu", &tok, &v) != 2)
    return 0;
  if (token)
    *token = tok;
  return v;
}

static unsigned long
read_counter (void)
{
  return read_counter_token (NULL);
}

/* Wait until the counter differs from @from; returns the new value or 0. */
static unsigned long
counter_moves_from (unsigned long from)
{
  for (int i = 0; i < LIVENESS_SECONDS * 100; i++)
    {
      unsigned long v = read_counter ();
      if (v != from && v != 0)
        return v;
      msleep (10);
    }
  return 0;
}

static _Noreturn void
count_forever (void)
{
  unsigned long long token;
  char buf[64];
  int fd;

  close_range (3, ~0U, 0);
  fd = open (counter_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  token = ((unsigned long long)getpid () << 32) ^ (unsigned long long)now_ns ();
  for (unsigned long n = 1;; n++)
    {
      /* Fixed size: CRIU checks a file's size on restore. */
      int len = snprintf (buf, sizeof buf, "%016llx %010lu\n", token, n);
      if (pwrite (fd, buf, len, 0) != len)
        _exit (1);
      msleep (5);
    }
}

/* setsid, stdio on /dev/null, a parent waiting for a child that counts. */
static int
spawn_tree (struct tree *t)
{
  int p[2];

  if (pipe2 (p, O_CLOEXEC) < 0)
    return -1;
  t->root = fork ();
  if (t->root == 0)
    {
      int null = open ("/dev/null", O_RDWR);
      pid_t child;
      setsid ();
      dup2 (null, 0), dup2 (null, 1), dup2 (null, 2);
      child = fork ();
      if (child == 0)
        count_forever ();
      if (write (p[1], &child, sizeof child) != sizeof child)
        _exit (1);
      close_range (3, ~0U, 0);
      for (;;)
        pause ();
    }
  close (p[1]);
  if (t->root < 0 || read (p[0], &t->child, sizeof t->child) != sizeof t->child)
    return close (p[0]), -1;
  close (p[0]);
  return counter_moves_from (0) ? 0 : -1;
}

/* Kill the tree; reap the root (our child) and the child (ours too: the
 * test is a subreaper). */
static const char *thaw_before_kill; /* a v1 freezer.state the tree may be frozen in */

static void
kill_tree (struct tree *t)
{
  /* Frozen (v1) tasks do not die until thawed. */
  if (thaw_before_kill && t->root > 0)
    write_file_at (AT_FDCWD, thaw_before_kill, "THAWED", 6, NULL);
  if (t->child > 0)
    kill (t->child, SIGKILL), waitpid (t->child, NULL, 0);
  if (t->root > 0)
    kill (t->root, SIGKILL), waitpid (t->root, NULL, 0);
  t->root = t->child = 0;
}
#define cleanup_tree __attribute__ ((cleanup (kill_tree)))

/* Is @pid gone (reaping it if it is our zombie)?  Waits for a kill in flight. */
static bool
gone (pid_t pid)
{
  for (int i = 0; i < LIVENESS_SECONDS * 100; i++)
    {
      pid_t r = waitpid (pid, NULL, WNOHANG);
      if ((r == pid || (r < 0 && errno == ECHILD)) && kill (pid, 0) < 0 && errno == ESRCH)
        return true;
      msleep (10);
    }
  return false;
}

/* A tree of cryo's mount namespace must come back in it, not in one CRIU
 * made for itself (the kdat cache's, engine-kdat.c). */
static bool
in_our_mntns (pid_t pid)
{
  char path[64];
  struct stat a, b;

  snprintf (path, sizeof path, "/proc/%d/ns/mnt", (int)pid);
  return stat (path, &a) == 0 && stat ("/proc/self/ns/mnt", &b) == 0 && a.st_ino == b.st_ino
         && a.st_dev == b.st_dev;
}

static bool
alive_and_running (pid_t pid)
{
  char s = process_state (pid);
  return s != 0 && s != 'Z' && s != 'T' && s != 't' && s != 'X';
}

static int
open_images (const char *name, char **path)
{
  *path = xasprintf ("%s/%s", tmpdir, name);
  if (mkdir (*path, 0700) < 0 && errno != EEXIST)
    return -1;
  return open (*path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
}

static struct engine *
new_engine (void)
{
  struct engine_config cfg = { .state_root = STATE_ROOT };
  cryo_error_t err = NULL;
  struct engine *e = NULL;

  if (engine_open ("criu", &cfg, &e, &err) < 0)
    {
      printf ("# engine_open: %s\n", err->msg);
      cryo_error_release (&err);
    }
  return e;
}

struct seen
{
  int pre_restore, post_restore;
  pid_t pid;
  bool fail_post_restore;
};

static int
record (const struct engine_notify *n, void *data, cryo_error_t *err)
{
  struct seen *s = data;

  /* setup-namespaces only comes for trees with namespaces of their own. */
  if (n->event == ENGINE_EV_PRE_RESTORE)
    s->pre_restore++;
  if (n->event == ENGINE_EV_POST_RESTORE)
    {
      s->post_restore++;
      s->pid = n->pid;
      if (s->fail_post_restore)
        return cryo_error (err, 0, "test refuses the tree");
    }
  return 0;
}

static int
restore_tree (struct engine *e, int images, const char *path, struct seen *seen, pid_t *pid,
              cryo_error_t *err)
{
  struct engine_restore_opts ro;

  engine_restore_opts_init (&ro);
  ro.c.images_fd = images;
  ro.c.images_path = path;
  ro.rst_sibling = true;
  ro.c.notify = record;
  ro.c.notify_data = seen;
  return engine_restore (e, &ro, pid, err);
}

static int
test_dump_restore (void)
{
  cleanup_engine struct engine *e = new_engine ();
  cleanup_free char *path = NULL;
  cleanup_close int images = open_images ("dump", &path);
  cleanup_error cryo_error_t err = NULL;
  struct engine_dump_opts o;
  cleanup_tree struct tree t = { 0 };
  struct seen seen = { .fail_post_restore = true };
  unsigned long stopped, next;
  unsigned long long token_before = 0, token_after = 0;
  pid_t pid = 0, old_root, old_child;
  int status = 0, ret;

  CHECK (e != NULL && images >= 0);
  CHECK (spawn_tree (&t) == 0);
  old_root = t.root, old_child = t.child;
  engine_dump_opts_init (&o);
  o.c.images_fd = images;
  o.c.images_path = path;
  o.pid = t.root;
  ret = engine_dump (e, &o, &err);
  if (ret < 0)
    printf ("# dump: %s\n", err->msg);
  CHECK (ret == 0);
  /* The tree is gone: the root was killed (we reap it), the child too. */
  CHECK (waitpid (t.root, &status, 0) == t.root && WIFSIGNALED (status));
  CHECK (waitpid (t.child, &status, 0) == t.child && WIFSIGNALED (status));
  t.root = t.child = 0;
  CHECK (kill (old_root, 0) < 0 && errno == ESRCH);
  stopped = read_counter_token (&token_before);
  CHECK (stopped > 0 && read_counter () == stopped);

  /* A failing post-restore callback fails the restore, names the step and
   * leaves nothing behind. */
  t.root = old_root, t.child = old_child; /* killed by the cleanup if they survive */
  CHECK (restore_tree (e, images, path, &seen, &pid, &err) < 0);
  CHECK_ERR_CONTAINS (err, "criu restore: post-restore: test refuses the tree");
  CHECK (gone (old_root) && gone (old_child));
  t.root = t.child = 0;
  cryo_error_release (&err);

  memset (&seen, 0, sizeof seen);
  ret = restore_tree (e, images, path, &seen, &pid, &err);
  if (ret < 0)
    printf ("# restore: %s\n", err->msg);
  CHECK (ret == 0);
  t.root = pid, t.child = old_child;
  CHECK (pid == old_root); /* same pid */
  CHECK (seen.pre_restore == 1 && seen.post_restore == 1 && seen.pid == pid);
  CHECK (getpgid (pid) == pid && getsid (pid) == pid);
  CHECK (in_our_mntns (pid) && in_our_mntns (old_child));
  CHECK (alive_and_running (old_child));
  next = counter_moves_from (stopped);
  /* From where it stopped: the same counter (token) and a higher count. */
  CHECK (next > stopped && read_counter_token (&token_after) >= next && token_after == token_before);
  CHECK (counter_moves_from (next) > next);
  kill_tree (&t);
  return 0;
}

/* Wait (in a notification) until the watchdog has killed CRIU. */
static int
wait_for_deadline (const struct engine_notify *n, void *data, cryo_error_t *err)
{
  int *seen = data;

  if (n->event != ENGINE_EV_POST_RESTORE)
    return 0;
  (*seen)++;
  for (int i = 0; i < LIVENESS_SECONDS * 100 && process_state (n->engine_pid) != 'Z'; i++)
    msleep (10);
  return 0;
}

/* A restore whose deadline passes leaves no half-restored tree behind,
 * whether CRIU was killed while restoring or while the tree waited for the
 * post-restore step. */
static int
test_restore_deadline (void)
{
  cleanup_engine struct engine *e = new_engine ();
  cleanup_free char *path = NULL;
  cleanup_close int images = open_images ("restore-deadline", &path);
  cleanup_error cryo_error_t err = NULL;
  cleanup_tree struct tree t = { 0 };
  struct engine_dump_opts o;
  struct engine_restore_opts ro;
  pid_t old_root, old_child, pid = 0;
  int seen = 0;

  CHECK (e != NULL && images >= 0);
  CHECK (spawn_tree (&t) == 0);
  old_root = t.root, old_child = t.child;
  engine_dump_opts_init (&o);
  o.c.images_fd = images;
  o.c.images_path = path;
  o.pid = t.root;
  CHECK (engine_dump (e, &o, &err) == 0);
  CHECK (gone (old_root) && gone (old_child));
  t.root = t.child = 0;

  engine_restore_opts_init (&ro);
  ro.c.images_fd = images;
  ro.c.images_path = path;
  ro.rst_sibling = true;
  ro.c.deadline_ms = 2000;
  ro.c.notify = wait_for_deadline;
  ro.c.notify_data = &seen;
  t.root = old_root, t.child = old_child; /* killed by the cleanup if they survive */
  CHECK (engine_restore (e, &ro, &pid, &err) < 0);
  printf ("# %s (post-restore reached: %s)\n", err->msg, seen ? "yes" : "no");
  CHECK_ERR_CONTAINS (err, "criu restore timed out after 2s");
  CHECK (gone (old_root) && gone (old_child));
  t.root = t.child = 0;
  return 0;
}

static int
test_leave_running (void)
{
  cleanup_engine struct engine *e = new_engine ();
  cleanup_free char *path = NULL;
  cleanup_close int images = open_images ("leave-running", &path);
  cleanup_error cryo_error_t err = NULL;
  struct engine_dump_opts o;
  cleanup_tree struct tree t = { 0 };
  unsigned long v;
  struct stat st;
  int ret;

  CHECK (e != NULL && images >= 0);
  CHECK (spawn_tree (&t) == 0);
  engine_dump_opts_init (&o);
  o.c.images_fd = images;
  o.c.images_path = path;
  o.pid = t.root;
  o.leave_running = true;
  ret = engine_dump (e, &o, &err);
  if (ret < 0)
    printf ("# dump: %s\n", err->msg);
  v = read_counter ();
  CHECK (ret == 0 && alive_and_running (t.root) && alive_and_running (t.child));
  CHECK (counter_moves_from (v) > v);
  CHECK (fstatat (images, "pstree.img", &st, 0) == 0 && st.st_size > 0);
  kill_tree (&t);
  return 0;
}

static int
test_nonexistent_pid (void)
{
  cleanup_engine struct engine *e = new_engine ();
  cleanup_free char *path = NULL;
  cleanup_free char *log = NULL;
  cleanup_close int images = open_images ("nopid", &path);
  cleanup_error cryo_error_t err = NULL;
  struct engine_dump_opts o;
  pid_t gone = fork ();

  if (gone == 0)
    _exit (0);
  CHECK (gone > 0 && waitpid (gone, NULL, 0) == gone); /* a pid nobody has now */
  CHECK (e != NULL && images >= 0);
  engine_dump_opts_init (&o);
  o.c.images_fd = images;
  o.c.images_path = path;
  o.pid = gone;
  CHECK (engine_dump (e, &o, &err) < 0);
  printf ("# %s\n", err->msg);
  log = xasprintf ("(log: `%s/dump.log`)", path);
  CHECK_ERR_CONTAINS (err, "criu dump failed: ");
  CHECK_ERR_CONTAINS (err, log);
  CHECK (strchr (err->msg, '\n') == NULL);
  CHECK (strstr (err->msg, "CRIU reported a failure") == NULL); /* a real cause, from the log */
  return 0;
}

static int
test_deadline (void)
{
  cleanup_engine struct engine *e = new_engine ();
  cleanup_free char *path = NULL;
  cleanup_free char *status_path = NULL;
  cleanup_free char *status = NULL;
  cleanup_close int images = open_images ("deadline", &path);
  cleanup_error cryo_error_t err = NULL;
  struct engine_dump_opts o;
  cleanup_tree struct tree t = { 0 };
  unsigned long v;

  CHECK (e != NULL && images >= 0);
  CHECK (spawn_tree (&t) == 0);
  engine_dump_opts_init (&o);
  o.c.images_fd = images;
  o.c.images_path = path;
  o.pid = t.root;
  o.c.deadline_ms = 1;
  CHECK (engine_dump (e, &o, &err) < 0);
  printf ("# %s\n", err->msg);
  CHECK_ERR_CONTAINS (err, "criu dump timed out after 0.001s");
  CHECK (strchr (err->msg, '\n') == NULL);
  /* Unchanged: running, untraced, still counting. */
  CHECK (alive_and_running (t.root) && alive_and_running (t.child));
  status_path = xasprintf ("/proc/%d/status", (int)t.child);
  CHECK (read_all_file (status_path, &status, NULL, &err) == 0);
  CHECK (strstr (status, "\nTracerPid:\t0\n") != NULL);
  v = read_counter ();
  CHECK (counter_moves_from (v) > v);
  kill_tree (&t);
  return 0;
}

/* Kill CRIU in the middle of a dump.  At post-dump the tree is seized.
 * CRIU thaws a --freeze-cgroup right after seizing, so a cgroup left frozen
 * by a CRIU killed while freezing is made by freezing it at pre-dump. */
struct killer
{
  enum engine_event at;
  const char *freeze; /* freezer.state to freeze before killing */
  int seen;
};

static int
kill_criu (const struct engine_notify *n, void *data, cryo_error_t *err)
{
  struct killer *k = data;

  if (n->event != k->at)
    return 0;
  k->seen++;
  if (k->freeze && write_file_at (AT_FDCWD, k->freeze, "FROZEN", 6, err) < 0)
    return -1;
  kill (n->engine_pid, SIGKILL);
  for (int i = 0; i < LIVENESS_SECONDS * 100 && process_state (n->engine_pid) != 'Z'; i++)
    msleep (10);
  return 0;
}

static int
dump_and_kill_criu (const char *cgroup, struct killer *k)
{
  cleanup_engine struct engine *e = new_engine ();
  cleanup_free char *path = NULL;
  cleanup_close int images = open_images (cgroup ? "killed-frozen" : "killed", &path);
  cleanup_error cryo_error_t err = NULL;
  cleanup_free char *procs = cgroup ? xasprintf ("%s/cgroup.procs", cgroup) : NULL;
  cleanup_free char *state = NULL;
  struct engine_dump_opts o;
  cleanup_tree struct tree t = { 0 };
  unsigned long v;
  char pid[32];

  CHECK (e != NULL && images >= 0);
  CHECK (spawn_tree (&t) == 0);
  if (cgroup)
    {
      snprintf (pid, sizeof pid, "%d", (int)t.root);
      CHECK (write_file_at (AT_FDCWD, procs, pid, strlen (pid), &err) == 0);
      snprintf (pid, sizeof pid, "%d", (int)t.child);
      CHECK (write_file_at (AT_FDCWD, procs, pid, strlen (pid), &err) == 0);
    }
  engine_dump_opts_init (&o);
  o.c.images_fd = images;
  o.c.images_path = path;
  o.pid = t.root;
  o.freeze_cgroup = cgroup;
  o.c.notify = kill_criu;
  o.c.notify_data = k;
  CHECK (engine_dump (e, &o, &err) < 0);
  printf ("# %s\n", err->msg);
  CHECK_ERR_CONTAINS (err, "criu dump failed: criu was killed by signal 9");
  CHECK (strchr (err->msg, '\n') == NULL);
  CHECK (k->seen == 1);
  if (k->freeze)
    {
      CHECK (read_all_file (k->freeze, &state, NULL, &err) == 0);
      CHECK (strncmp (state, "THAWED", 6) == 0);
    }
  CHECK (alive_and_running (t.root) && alive_and_running (t.child));
  v = read_counter ();
  CHECK (counter_moves_from (v) > v);
  kill_tree (&t);
  return 0;
}

static int
test_criu_killed_while_seized (void)
{
  struct killer k = { .at = ENGINE_EV_POST_DUMP };
  return dump_and_kill_criu (NULL, &k);
}

static int
test_criu_killed_while_frozen (void)
{
  cleanup_free char *cg = xasprintf ("/sys/fs/cgroup/freezer/cryo-test-engine-%d", (int)getpid ());
  cleanup_free char *state = xasprintf ("%s/freezer.state", cg);
  struct killer k = { .at = ENGINE_EV_PRE_DUMP, .freeze = state };
  int ret;

  if (access ("/sys/fs/cgroup/freezer", F_OK) < 0 || mkdir (cg, 0755) < 0)
    return 77; /* no v1 freezer here */
  thaw_before_kill = state;
  ret = dump_and_kill_criu (cg, &k);
  thaw_before_kill = NULL;
  for (int i = 0; i < LIVENESS_SECONDS * 100 && rmdir (cg) < 0 && errno == EBUSY; i++)
    msleep (10);
  return ret;
}

/* A session leader holding @fd (and nothing else but /dev/null). */
static pid_t
spawn_holder (int fd)
{
  pid_t pid = fork ();

  if (pid == 0)
    {
      int null = open ("/dev/null", O_RDWR);
      setsid ();
      dup2 (null, 0), dup2 (null, 1), dup2 (null, 2);
      if (dup2 (fd, 3) < 0)
        _exit (1);
      close_range (4, ~0U, 0);
      for (;;)
        pause ();
    }
  return pid;
}

/* CRIU refuses a resource shared with the outside; the engine says what
 * to do, and the failed dump leaves the process running. */
static int
dump_refused (const char *name, int fd, const char *expected)
{
  cleanup_engine struct engine *e = new_engine ();
  cleanup_free char *path = NULL;
  cleanup_close int images = open_images (name, &path);
  cleanup_error cryo_error_t err = NULL;
  cleanup_tree struct tree t = { 0 };
  struct engine_dump_opts o;

  CHECK (e != NULL && images >= 0);
  t.root = spawn_holder (fd);
  CHECK (t.root > 0);
  engine_dump_opts_init (&o);
  o.c.images_fd = images;
  o.c.images_path = path;
  o.pid = t.root;
  CHECK (engine_dump (e, &o, &err) < 0);
  printf ("# %s\n", err->msg);
  CHECK_ERR_CONTAINS (err, expected);
  CHECK_ERR_CONTAINS (err, "/dump.log`)");
  CHECK (alive_and_running (t.root));
  return 0;
}

static int
test_tcp_needs_option (void)
{
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof a;
  cleanup_close int l = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cleanup_close int c = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cleanup_close int s = -1;

  CHECK (l >= 0 && c >= 0 && bind (l, (struct sockaddr *)&a, sizeof a) == 0 && listen (l, 1) == 0);
  CHECK (getsockname (l, (struct sockaddr *)&a, &len) == 0);
  CHECK (connect (c, (struct sockaddr *)&a, sizeof a) == 0);
  s = accept4 (l, NULL, NULL, SOCK_CLOEXEC);
  CHECK (s >= 0);
  return dump_refused ("tcp", c,
                       "established TCP connections: checkpoint (and restore) with --tcp-established");
}

static int
test_external_unix_socket (void)
{
  int sp[2];
  int ret;

  CHECK (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0);
  ret = dump_refused ("unix", sp[0],
                      "connected to a process outside it: close it, or allow it with --ext-unix-sk");
  close (sp[0]);
  close (sp[1]);
  return ret;
}

static int
test_breakpoint_probe (void)
{
  cleanup_engine struct engine *e = new_engine ();
  cleanup_engine_report struct engine_report r = { 0 };
  cleanup_error cryo_error_t err = NULL;
  int works = engine_probe_hw_breakpoints (&err);

  printf ("# hardware breakpoints: %d\n", works);
  CHECK (works == 0 || works == 1);
  CHECK (engine_hw_breakpoints_cached (STATE_ROOT, &err) == works);
  CHECK (e != NULL && engine_check (e, &r, &err) == 0);
  /* CRIU >= 4.2 probes the same thing itself: both must agree. */
  if (r.criu_hw_breakpoints >= 0)
    CHECK (r.criu_hw_breakpoints == works);
  CHECK (r.hw_breakpoints == works);
  CHECK (engine_needs_no_breakpoints_fault (40100, 0));
  CHECK (!engine_needs_no_breakpoints_fault (40100, 1));
  CHECK (!engine_needs_no_breakpoints_fault (40201, 0));
  CHECK (r.criu_fault_no_breakpoints == engine_needs_no_breakpoints_fault (r.version.criu, works));
  return 0;
}

static int
test_report (void)
{
  cleanup_engine struct engine *e = new_engine ();
  cleanup_engine_report struct engine_report r = { 0 };
  cleanup_error cryo_error_t err = NULL;
  const struct engine_feature *pre;

  CHECK (e != NULL && engine_check (e, &r, &err) == 0);
  CHECK (r.version.criu >= 40100 && r.criu_check_ok);
  CHECK (r.soft_dirty == r.criu_mem_track); /* our probe and CRIU's agree */
  CHECK (r.kdat_cached);
  pre = engine_report_feature (&r, "pre-dump");
  CHECK (pre && (pre->verdict == ENGINE_SUPPORTED) == r.soft_dirty);
  return 0;
}

static int
test_pre_dump_refused (void)
{
  cleanup_engine struct engine *e = new_engine ();
  cleanup_error cryo_error_t err = NULL;
  struct engine_dump_opts o;

  CHECK (e != NULL);
  if (engine_probe_soft_dirty ())
    return 77;
  engine_dump_opts_init (&o);
  o.c.images_fd = 0;
  o.pid = getpid ();
  o.pre_dump = true;
  CHECK (engine_dump (e, &o, &err) < 0);
  CHECK_ERR_CONTAINS (err, "pre-dump needs soft-dirty memory tracking");
  return 0;
}

/* CRIU's page server hangs when the pipe it asks for is refused: the engine
 * says so before starting it. */
static int
test_lazy_pages_refused (void)
{
  cleanup_engine struct engine *e = new_engine ();
  cleanup_error cryo_error_t err = NULL;
  cleanup_free char *max = NULL;
  struct engine_restore_opts ro;

  CHECK (e != NULL && read_all_file ("/proc/sys/fs/pipe-max-size", &max, NULL, &err) == 0);
  if (strtoul (max, NULL, 10) >= ENGINE_LAZY_PIPE_SIZE)
    return 77;
  engine_restore_opts_init (&ro);
  ro.c.images_fd = 0;
  ro.lazy_pages = true;
  CHECK (engine_restore (e, &ro, &(pid_t){ 0 }, &err) < 0);
  CHECK_ERR_CONTAINS (err, "sysctl -w fs.pipe-max-size=4194304");
  return 0;
}

int
main (void)
{
  if (geteuid () != 0)
    {
      printf ("1..0 # SKIP the engine tests need root\n");
      return 0;
    }
  if (mkdtemp (tmpdir) == NULL)
    return 1;
  snprintf (counter_path, sizeof counter_path, "%s/counter", tmpdir);
  prctl (PR_SET_CHILD_SUBREAPER, 1); /* orphaned tree members come back to us */
  TAP_PLAN (14);
  RUN_TEST (test_dump_restore);
  RUN_TEST (test_leave_running);
  RUN_TEST (test_nonexistent_pid);
  RUN_TEST (test_deadline);
  RUN_TEST (test_restore_deadline);
  RUN_TEST (test_criu_killed_while_seized);
  RUN_TEST (test_criu_killed_while_frozen);
  RUN_TEST (test_tcp_needs_option);
  RUN_TEST (test_external_unix_socket);
  RUN_TEST (test_breakpoint_probe);
  RUN_TEST (test_report);
  RUN_TEST (test_pre_dump_refused);
  RUN_TEST (test_lazy_pages_refused);
  RUN_TEST (test_dump_restore);           /* twice, as runc's tests do: a second cycle finds no leftovers */
  while (waitpid (-1, NULL, WNOHANG) > 0) /* orphans of the trees, ours as subreaper */
    ;
  {
    char *cmd = xasprintf ("rm -rf '%s'", tmpdir);
    if (system (cmd) != 0)
      printf ("# cannot remove %s\n", tmpdir);
    free (cmd);
  }
  return tap_exit ();
}
