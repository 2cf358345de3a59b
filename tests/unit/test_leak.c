/* Leak classification on hosts built by hand (leak-fixture.h): which
 * processes the dump covers, and for each kind of leak one case that must be
 * reported (with the right container pid, fd, object and holder) and one
 * look-alike that must not; declared externals, subtree severities, sorting
 * and the report's text and JSON.  Sockets: test_leak_sock.c; the real host
 * index: test_leak_index.c. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "leak-fixture.h"
#include "tap.h"
#include "lib/util.h"

static int
test_covered (void)
{
  struct world *w = w_container ();

  w_proc (w, 200, 50, "nsenter", NS_H);
  w_proc (w, 201, 200, "sh", NS_C);
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  CHECK (lk_covered (&w->c, lk_proc_find (&w->idx, 100)));
  CHECK (lk_covered (&w->c, lk_proc_find (&w->idx, 101)));
  CHECK (lk_covered (&w->c, lk_proc_find (&w->idx, 103)));
  CHECK (!lk_covered (&w->c, lk_proc_find (&w->idx, 1)));
  CHECK (!lk_covered (&w->c, lk_proc_find (&w->idx, 201)));
  CHECK (w->idx.procs[lk_proc_find (&w->idx, 201)].flags & LK_IN_PIDNS);
  CHECK (!(w->idx.procs[lk_proc_find (&w->idx, 201)].flags & LK_IN_CGROUP));
  w_free (w);
  return 0;
}

static int
test_clean_container (void)
{
  struct world *w = w_container ();
  struct leak_report *r;

  w_ready (w, 100, LEAK_MODE_CONTAINER);
  r = w_scan (w);
  dump (r);
  /* The only finding: stdin on the host's /dev/null, the container's own
   * stdio, which leak.c declares external; here nothing is declared yet. */
  CHECK (r->n_leaks == 1);
  CHECK (find (r, LEAK_FILE_UNREACHABLE, 100, 0, 0) != NULL);
  CHECK (find (r, LEAK_FILE_UNREACHABLE, 100, 1, 0) == NULL); /* mnt_id 100 is the container's root */
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_declared_stdio (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  uint64_t declared[1][2] = { { DEV_ROOT, 77 } };

  w_ready (w, 100, LEAK_MODE_CONTAINER);
  w->c.declared = xmalloc (sizeof (declared));
  memcpy (w->c.declared, declared, sizeof (declared));
  w->c.n_declared = 1;
  r = w_scan (w);
  dump (r);
  CHECK (r->n_leaks == 0);
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_pipe (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  const struct leak *l;

  w_proc (w, 60, 50, "cat", NS_H);
  w_fd (w, 0, DEV_PIPE, 6000, S_IFIFO | 0600, "pipe:[6000]", 9100);
  w_fd (w, 7, DEV_PIPE, 6000, S_IFIFO | 0600, "pipe:[6000]", 9100);
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  r = w_scan (w);
  dump (r);
  CHECK (count (r, LEAK_PIPE) == 2); /* fd 3 of 100 and of 101; cat's two fds merged */
  l = find (r, LEAK_PIPE, 101, 3, 60);
  CHECK (l != NULL);
  CHECK_STR (l->object, "pipe:[6000]");
  CHECK_STR (l->holder_command, "cat");
  CHECK (l->nspid == 2);
  CHECK (!l->warning);
  CHECK (r->n_errors == r->n_leaks);
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_processes (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  const struct leak *l;

  /* cryo exec without exec: nsenter (host) in the cgroup, its child in
   * the pid namespace; and a descendant of init moved out of the cgroup. */
  w_proc (w, 200, 50, "nsenter", NS_H);
  w_cgroup (w, 200);
  w_proc (w, 201, 200, "sh", NS_C);
  w_cgroup (w, 201);
  w_proc (w, 104, 101, "escaped", NS_C);
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  r = w_scan (w);
  dump (r);
  l = find (r, LEAK_PROCESS, 201, -1, 200);
  CHECK (l != NULL);
  CHECK (strstr (l->detail, "pid namespace and cgroup") != NULL);
  CHECK (find (r, LEAK_PROCESS, 200, -1, 50) != NULL);
  CHECK (find (r, LEAK_PROCESS_CGROUP, 104, -1, 0) != NULL);
  CHECK (count (r, LEAK_PROCESS_CGROUP) == 1); /* not the zombie */
  /* sh is in every container namespace */
  CHECK (count (r, LEAK_NS_JOINED) == NS_MAX);
  CHECK (find (r, LEAK_NS_JOINED, 0, -1, 201) != NULL);
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_ptrace (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  const struct leak *l;

  w->idx.procs[3].tracer = 70;  /* 101 traced by strace on the host */
  w_proc (w, 70, 50, "strace", NS_H);
  w_proc (w, 71, 50, "victim", NS_H);
  w->idx.procs[w->idx.n_procs - 1].tracer = 100;
  w_proc (w, 104, 101, "gdb", NS_C);
  w_cgroup (w, 104);
  w_proc (w, 105, 104, "debuggee", NS_C);
  w_cgroup (w, 105);
  w->idx.procs[w->idx.n_procs - 1].tracer = 104; /* inside: fine */
  w_ready (w, 100, LEAK_MODE_SUBTREE);
  r = w_scan (w);
  dump (r);
  CHECK (count (r, LEAK_PTRACE) == 2);
  l = find (r, LEAK_PTRACE, 101, -1, 70);
  CHECK (l != NULL && l->blocks_dump && !l->warning);
  l = find (r, LEAK_PTRACE, 100, -1, 71);
  CHECK (l != NULL && l->warning);
  CHECK (r->n_errors == 1);
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_namespaces (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  const struct leak *l;
  static const char mountinfo[] = "22 1 0:21 / /proc rw - proc proc rw\n"
                                  "400 22 0:4 net:[4026532003] /run/netns/stolen rw - nsfs nsfs rw\n"
                                  "401 22 0:4 net:[4026531003] /run/netns/host rw - nsfs nsfs rw\n";

  /* the container shares the host's uts namespace; 103 went into another
   * net namespace; a host process holds the container's ipc namespace open
   * and one of its mount namespace has the net namespace bind-mounted */
  for (uint32_t i = 0; i < w->idx.n_procs; i++)
    if (w->idx.procs[i].ns[NS_UTS] == NS_C + NS_UTS)
      w->idx.procs[i].ns[NS_UTS] = NS_H + NS_UTS;
  w->idx.procs[5].ns[NS_NET] = 4026533333ULL;
  w_proc (w, 80, 1, "holder", NS_H);
  w_fd (w, 9, DEV_NSFS, NS_C + NS_IPC, S_IFREG | 0444, "ipc:[4026532004]", 9200);
  w_fd (w, 10, DEV_NSFS, NS_H + NS_IPC, S_IFREG | 0444, "ipc:[4026531004]", 9201);
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  lk_parse_nsmounts (&w->idx, lk_proc_find (&w->idx, 80), mountinfo);
  CHECK (w->idx.n_nsmounts == 2);
  r = w_scan (w);
  dump (r);
  l = find (r, LEAK_NS_SHARED, 100, -1, 0);
  CHECK (l != NULL && count (r, LEAK_NS_SHARED) == 1);
  CHECK_STR (l->object, "uts:[4026531005]");
  l = find (r, LEAK_NS_FOREIGN, 103, -1, 0);
  CHECK (l != NULL && count (r, LEAK_NS_FOREIGN) == 1);
  CHECK_STR (l->object, "net:[4026533333]");
  l = find (r, LEAK_NS_FD, 0, -1, 80);
  CHECK (l != NULL && count (r, LEAK_NS_FD) == 1);
  CHECK_STR (l->object, "ipc:[4026532004]");
  l = find (r, LEAK_NS_BIND, 0, -1, 80);
  CHECK (l != NULL && count (r, LEAK_NS_BIND) == 1);
  CHECK_STR (l->holder_path, "/run/netns/stolen");
  /* a host process in the host's uts namespace is not "joined" */
  CHECK (count (r, LEAK_NS_JOINED) == 0);
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_shared_description (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  const struct leak *l;

  /* the host opens the container's socket and eventfd inodes: only the one
   * with the same description leaks */
  w_proc (w, 90, 1, "shim", NS_H);
  w_fd (w, 3, DEV_SOCK, 6001, S_IFSOCK | 0777, "socket:[6001]", 9011);
  w_fd (w, 4, DEV_ROOT, 88, S_IFREG | 0644, "/run/out.log", 9300); /* same file, own description */
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  r = w_scan (w);
  dump (r);
  l = find (r, LEAK_FILE_SHARED, 100, 4, 90);
  CHECK (l != NULL && count (r, LEAK_FILE_SHARED) == 1);
  CHECK_STR (l->object, "socket:[6001]");
  CHECK (l->obj_ino == 6001);
  leak_report_free (r);
  w_free (w);
  return 0;
}

/* 40 container eventfds against 400 host eventfds on the one anonymous
 * inode: sorted by kcmp order, far fewer than 16000 comparisons. */
static int
test_anon_inode_group (void)
{
  struct world *w = w_container ();
  struct leak_report *r;

  w_proc (w, 104, 100, "many", NS_C);
  w_cgroup (w, 104);
  for (int i = 0; i < 40; i++)
    w_fd (w, 10 + i, DEV_ANON, 1, 0600, "anon_inode:[eventfd]", 20000 + i * 10);
  w_proc (w, 91, 1, "busy", NS_H);
  for (int i = 0; i < 400; i++)
    w_fd (w, 10 + i, DEV_ANON, 1, 0600, "anon_inode:[eventfd]", i == 123 ? 20000 + 170 : 30000 + i);
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  kcmp_calls = 0;
  lk_check_fds (&w->c);
  r = w_report (w);
  dump (r);
  CHECK (count (r, LEAK_FILE_SHARED) == 1);
  CHECK (find (r, LEAK_FILE_SHARED, 104, 27, 91) != NULL);
  CHECK (kcmp_calls < 40 * 400 / 4);
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_paths_and_devices (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  struct lk_fd *f;

  w_proc (w, 104, 100, "opener", NS_C);
  w_cgroup (w, 104);
  f = w_fd (w, 3, DEV_ROOT, 500, S_IFREG | 0644, "/host/secret", 9400);
  f->mnt_id = 23;
  f = w_fd (w, 4, DEV_ROOT, 501, S_IFCHR | 0600, "/dev/kmsg", 9401);
  f->rdev = makedev (1, 11);
  f = w_fd (w, 5, DEV_HOSTPTS, 4, S_IFCHR | 0620, "/dev/pts/4", 9402);
  f->rdev = makedev (136, 4);
  f->mnt_id = 24;
  f = w_fd (w, 6, DEV_ROOT, 502, S_IFCHR | 0600, "/dev/fuse", 9403);
  f->rdev = makedev (10, 229);
  f = w_fd (w, 7, DEV_SHM, 9, S_IFREG | 0600, "/memfd:buf (deleted)", 9404);
  f->mnt_id = 3;
  f = w_fd (w, 8, DEV_MQUEUE, 9, S_IFREG | 0600, "/queue", 9405); /* mq_open: internal mount */
  f->mnt_id = 17;
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  w->c.devices = xmalloc (sizeof (struct lk_devnum));
  w->c.devices[0] = (struct lk_devnum) { 'c', 10, 229 }; /* linux.devices */
  w->c.n_devices = 1;
  lk_check_fds (&w->c);
  free (w->c.devices);
  w->c.devices = NULL;
  r = w_report (w);
  dump (r);
  CHECK (find (r, LEAK_FILE_UNREACHABLE, 104, 3, 0) != NULL);
  CHECK (find (r, LEAK_DEVICE, 104, 4, 0) != NULL);
  CHECK (find (r, LEAK_DEVICE, 104, 5, 0) != NULL);     /* the host's pty */
  CHECK (find (r, LEAK_FILE_UNREACHABLE, 104, 5, 0) != NULL);
  CHECK (count (r, LEAK_DEVICE) == 2);                  /* not /dev/fuse, not the container's pty */
  CHECK (count (r, LEAK_FILE_UNREACHABLE) == 3);        /* + stdin; not the memfd, not the queue */
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_locks (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  const struct leak *l;
  char text[512];

  w_proc (w, 104, 100, "locker", NS_C);
  w_cgroup (w, 104);
  w_fd (w, 3, DEV_ROOT, 600, S_IFREG | 0644, "/data/lock", 9500);
  w_fd (w, 4, DEV_ROOT, 601, S_IFREG | 0644, "/data/lock2", 9501);
  w_fd (w, 5, DEV_ROOT, 602, S_IFREG | 0644, "/data/own", 9502);
  w_proc (w, 92, 1, "flock", NS_H);
  w_fd (w, 3, DEV_ROOT, 601, S_IFREG | 0644, "/srv/lock2", 9503);
  snprintf (text, sizeof (text),
            "1: FLOCK  ADVISORY  WRITE 104 %02x:%02x:600 0 EOF\n"
            "1: -> FLOCK  ADVISORY  WRITE 93 %02x:%02x:600 0 EOF\n"
            "2: POSIX  ADVISORY  WRITE 104 %02x:%02x:601 0 EOF\n"
            "3: OFDLCK ADVISORY  READ  -1 %02x:%02x:602 0 EOF\n"
            "4: POSIX  ADVISORY  WRITE 92 %02x:%02x:777 0 EOF\n",
            major (DEV_ROOT), minor (DEV_ROOT), major (DEV_ROOT), minor (DEV_ROOT), major (DEV_ROOT),
            minor (DEV_ROOT), major (DEV_ROOT), minor (DEV_ROOT), major (DEV_ROOT), minor (DEV_ROOT));
  w_proc (w, 93, 1, "waiter", NS_H);
  CHECK (lk_index_parse_locks (&w->idx, text) == 0);
  CHECK (w->idx.n_locks == 5);
  CHECK (w->idx.locks[1].blocked && w->idx.locks[3].pid == -1);
  CHECK (w->idx.locks[0].dev == DEV_ROOT && w->idx.locks[0].ino == 600);
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  lk_check_locks (&w->c);
  r = w_report (w);
  dump (r);
  l = find (r, LEAK_LOCK, 104, 3, 93);
  CHECK (l != NULL);
  CHECK (strstr (l->detail, "waits for this lock") != NULL);
  CHECK_STR (l->object, "FLOCK lock on /data/lock");
  l = find (r, LEAK_LOCK, 104, 4, 92);
  CHECK (l != NULL);
  CHECK (strstr (l->detail, "held open") != NULL);
  CHECK (count (r, LEAK_LOCK) == 2);
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_memory (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  const struct leak *l;

  /* 101 maps a memfd that the host holds open, and a data file the host
   * maps; the host maps another SysV segment 0 (its own ipc namespace) and
   * has the data file of 103 open without mapping it */
  w_proc (w, 104, 101, "mapper", NS_C);
  w_cgroup (w, 104);
  w_map (w, 0x7f2000000000, DEV_SHM, 40, "/memfd:ring (deleted)");
  w_map (w, 0x7f3000000000, DEV_ROOT, 700, "/data/table");
  w_map (w, 0x7f4000000000, DEV_ROOT, 701, "/data/private-to-us");
  w_proc (w, 94, 1, "host-mapper", NS_H);
  w_fd (w, 5, DEV_SHM, 40, S_IFREG | 0600, "/memfd:ring (deleted)", 9600);
  w_fd (w, 6, DEV_ROOT, 701, S_IFREG | 0600, "/srv/private-to-us", 9601);
  w_map (w, 0x7f5000000000, DEV_ROOT, 700, "/srv/table");
  w_map (w, 0x7f6000000000, DEV_SHM, 3, "/SYSV00000000 (deleted)");
  w_ready (w, 100, LEAK_MODE_CONTAINER);
  lk_check_memory (&w->c);
  r = w_report (w);
  dump (r);
  l = find (r, LEAK_MEMORY, 104, -1, 94);
  CHECK (l != NULL);
  CHECK (count (r, LEAK_MEMORY) == 2);
  CHECK (r->leaks[0].addr_start == 0x7f2000000000 && strstr (r->leaks[0].detail, "held open") != NULL);
  CHECK (r->leaks[1].addr_start == 0x7f3000000000 && strstr (r->leaks[1].detail, "also mapped") != NULL);
  leak_report_free (r);
  w_free (w);
  return 0;
}

static int
test_report_forms (void)
{
  struct world *w = w_container ();
  struct leak_report *r;
  cleanup_free char *json = NULL, *text = NULL;
  cleanup_json json_value_t *v = NULL;
  json_value_t *first;

  w_proc (w, 60, 50, "cat", NS_H);
  w_fd (w, 0, DEV_PIPE, 6000, S_IFIFO | 0600, "pipe:[6000]", 9100);
  w_ready (w, 100, LEAK_MODE_SUBTREE);
  r = w_scan (w);
  CHECK (leak_report_json_string (r, false, &json, NULL) == 0);
  CHECK (json_parse (json, &v, NULL) == 0);
  CHECK_STR (json_string (json_get (v, "mode")), "subtree");
  CHECK (json_bool (json_get (v, "clean")) == false);
  CHECK (json_integer (json_get (v, "errors")) == 0);
  CHECK (json_integer (json_get (v, "warnings")) == 3);
  first = json_at (json_get (v, "leaks"), 0);
  CHECK_STR (json_string (json_get (first, "kind")), "file-unreachable");
  CHECK_STR (json_string (json_get (first, "severity")), "warning");
  CHECK (json_integer (json_get (first, "pid")) == 100);
  CHECK (json_integer (json_get (first, "nspid")) == 1);
  CHECK (json_integer (json_get (first, "fd")) == 0);
  first = json_at (json_get (v, "leaks"), 1);
  CHECK_STR (json_string (json_get (first, "kind")), "pipe");
  CHECK (json_integer (json_get (json_get (first, "holder"), "pid")) == 60);
  CHECK_STR (json_string (json_get (json_get (first, "holder"), "command")), "cat");
  text = leak_report_to_text (r);
  CHECK (strstr (text, "warning: pipe: pid 100 (sleep, 1 in the container) fd 3: pipe:[6000]: held by pid 60 (cat): "
                       "the pipe is also held outside the container\n")
         != NULL);
  CHECK (strstr (text, "3 leaks (0 errors, 3 warnings)") != NULL);
  leak_report_free (r);
  w_free (w);
  return 0;
}

/* The same world scanned in two orders gives the same report. */
static int
test_sorted (void)
{
  cleanup_free char *a = NULL, *b = NULL;

  for (int round = 0; round < 2; round++)
    {
      struct world *w = w_container ();
      struct leak_report *r;
      w_proc (w, 60, 50, "cat", NS_H);
      w_fd (w, 0, DEV_PIPE, 6000, S_IFIFO | 0600, "pipe:[6000]", 9100);
      w_proc (w, 61, 50, "tee", NS_H);
      w_fd (w, 0, DEV_PIPE, 6000, S_IFIFO | 0600, "pipe:[6000]", 9101);
      if (round == 1)
        {
          /* swap the two holders */
          struct lk_proc tmp = w->idx.procs[w->idx.n_procs - 1];
          w->idx.procs[w->idx.n_procs - 1] = w->idx.procs[w->idx.n_procs - 2];
          w->idx.procs[w->idx.n_procs - 2] = tmp;
          w->idx.fds[w->idx.n_fds - 1].proc = w->idx.n_procs - 2;
          w->idx.fds[w->idx.n_fds - 2].proc = w->idx.n_procs - 1;
        }
      w_ready (w, 100, LEAK_MODE_CONTAINER);
      r = w_scan (w);
      if (round == 0)
        a = leak_report_to_text (r);
      else
        b = leak_report_to_text (r);
      leak_report_free (r);
      w_free (w);
    }
  CHECK_STR (a, b);
  return 0;
}

int
main (void)
{
  TAP_PLAN (14);
  RUN_TEST (test_covered);
  RUN_TEST (test_clean_container);
  RUN_TEST (test_declared_stdio);
  RUN_TEST (test_pipe);
  RUN_TEST (test_processes);
  RUN_TEST (test_ptrace);
  RUN_TEST (test_namespaces);
  RUN_TEST (test_shared_description);
  RUN_TEST (test_anon_inode_group);
  RUN_TEST (test_paths_and_devices);
  RUN_TEST (test_locks);
  RUN_TEST (test_memory);
  RUN_TEST (test_report_forms);
  RUN_TEST (test_sorted);
  return tap_exit ();
}
