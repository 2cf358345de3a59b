/* The fast path of the host index: every process and every open file of the
 * host in a few reads, through BPF task and task_file iterators, instead of
 * reading /proc/PID/status, the eight /proc/PID/ns links and one stat per fd for
 * every process (about 4 us a call in a VM: 20,000 host fds would cost more
 * than the rest of the leak scan together).
 *
 * The programs (leak-bpf-prog.c) are loaded before the freeze.  The
 * task_file program also gives the `struct file` of each fd, so "the same
 * open file description" is a comparison instead of a kcmp(2) per candidate
 * pair; it walks every task, or one process, and for the outside's fds it
 * can let through only those a filter (a bitmap in a mapped BPF array)
 * names: see lk_bpf_filter().
 *
 * Anything missing (no BTF, no BPF for us, a verifier that disagrees, a pid
 * namespace other than the initial one) makes lk_bpf_dump() return 1 and
 * the index falls back to /proc; a task program that fails alone leaves
 * only the processes to /proc. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/btf.h>

#define LOG_PREFIX "leaks: "
#include "leak/bpf.h"
#include "leak/internal.h"
#include "lib/log.h"
#include "lib/util.h"

/* Load @p for iterator @target: the program's fd, or -1 (the reason
 * logged). */
static int
load_prog (const struct lk_bpf_prog *p, uint32_t target, const char *what)
{
  static char log[4096];
  union bpf_attr a;
  int prog_fd = -1;

  /* Without a log first: a verifier log that does not fit fails the load
   * with ENOSPC; with one only to say why it failed. */
  for (int with_log = 0; prog_fd < 0 && with_log < 2; with_log++)
    {
      memset (&a, 0, sizeof (a));
      a.prog_type = BPF_PROG_TYPE_TRACING;
      a.expected_attach_type = BPF_TRACE_ITER;
      a.attach_btf_id = target;
      a.insns = (uintptr_t) p->i;
      a.insn_cnt = p->n;
      a.license = (uintptr_t) "GPL";
      if (with_log)
        {
          a.log_buf = (uintptr_t) log;
          a.log_size = sizeof (log);
          a.log_level = 1;
          log[0] = '\0';
        }
      if (p->n < MAX_INSNS)
        prog_fd = lk_sys_bpf (BPF_PROG_LOAD, &a);
    }
  /* the verifier says why at the end of its log */
  if (prog_fd < 0)
    log_debug ("BPF %s iterator refused (%s): %s", what, strerror (errno),
               log + (strlen (log) > 300 ? strlen (log) - 300 : 0));
  return prog_fd;
}

/* Link program @prog_fd, for every task or (@pid > 0) the threads of
 * process @pid only: the link's fd, or -1. */
static int
link_prog (int prog_fd, pid_t pid, const char *what)
{
  union bpf_iter_link_info info;
  union bpf_attr a;
  int link_fd;

  memset (&a, 0, sizeof (a));
  memset (&info, 0, sizeof (info));
  a.link_create.prog_fd = prog_fd;
  a.link_create.attach_type = BPF_TRACE_ITER;
  if (pid > 0)
    {
      info.task.pid = (uint32_t) pid;
      a.link_create.iter_info = (uintptr_t) &info;
      a.link_create.iter_info_len = sizeof (info);
    }
  if ((link_fd = lk_sys_bpf (BPF_LINK_CREATE, &a)) < 0)
    log_debug ("BPF %s iterator link: %s", what, strerror (errno));
  return link_fd;
}

/* A new iterator over linked program @link: its fd, or -1. */
static int
open_iterator (int link, const char *what)
{
  union bpf_attr a;
  int iter;

  memset (&a, 0, sizeof (a));
  a.iter_create.link_fd = link;
  iter = lk_sys_bpf (BPF_ITER_CREATE, &a);
  if (iter < 0)
    log_debug ("BPF %s iterator: %s", what, strerror (errno));
  return iter;
}

/* Read every record of @size bytes; NULL when the read fails midway.
 * @check (may be NULL) sees the first @len bytes after each read, while the
 * new records are still in the cache. */
static void *
read_records (int iter, size_t size, size_t *n, size_t cap, void (*check) (const char *buf, size_t len, void *data),
              void *data)
{
  size_t len = 0;
  char *buf = lk_alloc_big (cap);

  for (;;)
    {
      ssize_t r;
      if (cap - len < 65536)
        {
          char *more = lk_alloc_big (cap * 2);
          memcpy (more, buf, len);
          free (buf);
          buf = more;
          cap *= 2;
        }
      r = read (iter, buf + len, cap - len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          log_debug ("read a BPF iterator: %s", strerror (errno));
          free (buf);
          return NULL;
        }
      if (r == 0)
        break;
      len += r;
      if (check)
        check (buf, len, data);
    }
  *n = len / size;
  return buf;
}

uint64_t
lk_kdev (uint32_t kdev)
{
  return makedev (kdev >> 20, kdev & 0xfffff);
}

uint32_t
lk_kdev_of (uint64_t dev)
{
  return (uint32_t) (major (dev) << 20 | minor (dev));
}

int
lk_bpf_file_cmp (const void *a, const void *b)
{
  const struct lk_bpf_file *x = a, *y = b;

  if (x->pid != y->pid)
    return x->pid < y->pid ? -1 : 1;
  return (x->fd > y->fd) - (x->fd < y->fd);
}

/* What the task_file records must show: our own iterator's fd (the
 * kernel's pids are those of the initial pid namespace: in any other one
 * they would not be ours), and tasks and fds in order, as the iterator goes
 * through them. */
struct file_check
{
  uint32_t self, iter_fd;
  bool seen_self, sorted;
  size_t done;          /* records checked */
};

static void
check_files (const char *buf, size_t len, void *data)
{
  struct file_check *k = data;
  const struct lk_bpf_file *r = (const struct lk_bpf_file *) buf;
  size_t n = len / sizeof (*r);

  for (size_t i = k->done; i < n; i++)
    {
      k->seen_self |= r[i].pid == k->self && r[i].fd == k->iter_fd;
      k->sorted &= i == 0 || lk_bpf_file_cmp (&r[i - 1], &r[i]) <= 0;
    }
  k->done = n;
}

struct lk_bpf
{
  int file_prog;  /* the task_file program */
  int file_link;  /* ... for every task */
  int task_link;  /* the task program, -1 when it cannot be built here */
  struct lk_bpf_map_filter filter;          /* map -1: no filter here */
  struct lk_bpf_filter *mapped;  /* its value, mapped */
  int pin_dir;                     /* the pinned programs' directory, locked while we use them */
};

void
lk_bpf_free (struct lk_bpf *b)
{
  if (b == NULL)
    return;
  cleanup_closep (&b->file_link);
  cleanup_closep (&b->task_link);
  cleanup_closep (&b->file_prog);
  if (b->mapped)
    munmap (b->mapped, sizeof (*b->mapped));
  cleanup_closep (&b->filter.map);
  cleanup_closep (&b->pin_dir);
  free (b);
}

/* Whether the filter can work here: its pids are those of /proc only in
 * the initial pid namespace (whose inode number is fixed).  Sets the nsfs
 * device the program compares with. */
static bool
filter_possible (struct lk_bpf_map_filter *f)
{
  struct stat st;

  if (getenv ("CRYO_LEAKS_NO_FILTER") || stat ("/proc/self/ns/pid", &st) < 0 || st.st_ino != 0xEFFFFFFCU
      || stat ("/proc/self/ns/net", &st) < 0)
    return false;
  f->nsfs_kdev = lk_kdev_of (st.st_dev);
  return true;
}

static int
create_filter_map (void)
{
  union bpf_attr a;
  int fd;

  memset (&a, 0, sizeof (a));
  a.map_type = BPF_MAP_TYPE_ARRAY;
  a.key_size = sizeof (uint32_t);
  a.value_size = sizeof (struct lk_bpf_filter);
  a.max_entries = 1;
  a.map_flags = BPF_F_MMAPABLE;
  if ((fd = lk_sys_bpf (BPF_MAP_CREATE, &a)) < 0)
    log_debug ("BPF filter map: %s", strerror (errno));
  return fd;
}

/* Map the filter (b->filter.map -1 when that fails), cleared: a pinned
 * one holds the last scan's bits. */
static void
map_filter (struct lk_bpf *b)
{
  if (b->filter.map < 0)
    return;
  b->mapped = mmap (NULL, sizeof (*b->mapped), PROT_READ | PROT_WRITE, MAP_SHARED, b->filter.map, 0);
  if (b->mapped == MAP_FAILED)
    {
      log_debug ("BPF filter map: mmap: %s", strerror (errno));
      b->mapped = NULL;
      cleanup_closep (&b->filter.map);
      return;
    }
  memset (b->mapped, 0, sizeof (*b->mapped));
  b->mapped->pass_all = 1;
}

/* Load the programs (@objs gets their fds, and the map's): 0 when
 * everything @want asks for loaded, so that it may be pinned. */
static int
load_fresh (struct lk_bpf *b, const struct lk_bpf_offsets *o, const struct lk_pin_want *want,
            struct lk_pins *objs)
{
  struct lk_bpf_prog p = { .n = 0 };

  if (want->map)
    b->filter.map = create_filter_map ();
  lk_bpf_file_program (o, b->filter.map >= 0 ? &b->filter : NULL, &p);
  objs->file_prog = b->file_prog = load_prog (&p, o->file_iter, "task_file");
  objs->task_prog = -1;
  if (want->task_target)
    {
      p.n = 0;
      lk_bpf_task_program (o, &p);
      objs->task_prog = load_prog (&p, o->task_iter, "task");
    }
  objs->map = b->filter.map;
  return b->file_prog >= 0 && (want->map == (b->filter.map >= 0))
                 && (!want->task_target || objs->task_prog >= 0)
             ? 0
             : -1;
}

/* The pinned programs when they fit, else fresh ones (pinned for the next
 * commands when nobody else holds the pins); the task program's fd in
 * *task_prog (-1 when there is none). */
static void
get_programs (struct lk_bpf *b, const struct lk_bpf_offsets *o, int found, int *task_prog)
{
  struct lk_pin_want want = { .file_target = o->file_iter, .task_target = found > 0 ? o->task_iter : 0 };
  struct lk_bpf_map_filter placeholder = { .map = 0 };
  struct lk_bpf_prog file = { .n = 0 }, task = { .n = 0 };
  struct lk_pins pins;
  cleanup_free char *name = NULL;
  int r;

  want.map = found > 0 && filter_possible (&b->filter);
  placeholder.nsfs_kdev = b->filter.nsfs_kdev;
  lk_bpf_file_program (o, want.map ? &placeholder : NULL, &file);
  if (want.task_target)
    lk_bpf_task_program (o, &task);
  /* f: filtered file program and task program; t: unfiltered, with the
   * task program; o: the file program only */
  name = lk_pin_name (want.map ? 'f' : want.task_target ? 't' : 'o', &file, want.task_target ? &task : NULL);
  r = lk_pin_reuse (name, &want, &pins);
  if (r == 0)
    {
      log_debug ("BPF iterators: reusing the programs pinned in `/sys/fs/bpf/%s`", name);
      b->file_prog = pins.file_prog;
      b->filter.map = pins.map;
      b->pin_dir = pins.dir;
      *task_prog = pins.task_prog;
      return;
    }
  if (load_fresh (b, o, &want, &pins) == 0 && r == LK_PIN_MISSING)
    b->pin_dir = lk_pin_publish (name, &pins);
  *task_prog = pins.task_prog;
}

struct lk_bpf *
lk_bpf_prepare (const char *cache)
{
  struct lk_bpf *b;
  struct lk_bpf_offsets o;
  cleanup_close int task_prog = -1;
  int found;

  if (getenv ("CRYO_LEAKS_NO_BPF") || (found = lk_bpf_find_offsets (&o, cache)) < 0)
    return NULL;
  b = xzalloc (sizeof (*b));
  b->task_link = b->filter.map = b->file_prog = b->file_link = b->pin_dir = -1;
  get_programs (b, &o, found, &task_prog);
  map_filter (b);
  if (b->file_prog < 0 || (b->file_link = link_prog (b->file_prog, 0, "task_file")) < 0)
    {
      lk_bpf_free (b);
      return NULL;
    }
  if (task_prog >= 0)
    b->task_link = link_prog (task_prog, 0, "task");
  return b;
}

static struct lk_bpf_task *
dump_tasks (const struct lk_bpf *b, size_t *n)
{
  cleanup_close int iter = b->task_link < 0 ? -1 : open_iterator (b->task_link, "task");

  return iter < 0 ? NULL : read_records (iter, sizeof (struct lk_bpf_task), n, 256 << 10, NULL, NULL);
}

static void
pass_all (const struct lk_bpf *b, bool all)
{
  if (b->mapped)
    {
      b->mapped->seen = 0;
      b->mapped->pass_all = all;
    }
}

int
lk_bpf_dump (const struct lk_bpf *b, struct lk_bpf_file **files, size_t *n_files, struct lk_bpf_task **tasks,
             size_t *n_tasks)
{
  cleanup_close int iter = -1;
  struct lk_bpf_file *recs;
  struct file_check k = { .self = (uint32_t) getpid (), .sorted = true };

  *tasks = NULL;
  if (b == NULL)
    return 1;
  pass_all (b, true);
  iter = open_iterator (b->file_link, "task_file");
  k.iter_fd = (uint32_t) iter;
  if (iter < 0 || (recs = read_records (iter, sizeof (*recs), n_files, 2 << 20, check_files, &k)) == NULL)
    return 1;
  if (!k.seen_self)
    {
      log_debug ("BPF task_file iterator: pids are not those of /proc here");
      free (recs);
      return 1;
    }
  if (!k.sorted)
    qsort (recs, *n_files, sizeof (*recs), lk_bpf_file_cmp);
  *files = recs;
  *tasks = dump_tasks (b, n_tasks);
  return 0;
}

/* ---- the filtered path ---- */

struct lk_bpf_filter *
lk_bpf_filter (const struct lk_bpf *b)
{
  return b && b->task_link >= 0 ? b->mapped : NULL;
}

int
lk_bpf_dump_tasks (const struct lk_bpf *b, struct lk_bpf_task **tasks, size_t *n)
{
  *tasks = lk_bpf_filter (b) ? dump_tasks (b, n) : NULL;
  return *tasks ? 0 : 1;
}

int
lk_bpf_dump_process (const struct lk_bpf *b, pid_t pid, struct lk_bpf_file **files, size_t *n)
{
  cleanup_close int link = -1, iter = -1;

  pass_all (b, true);
  link = link_prog (b->file_prog, pid, "task_file of one process");
  iter = link < 0 ? -1 : open_iterator (link, "task_file of one process");
  *files = iter < 0 ? NULL : read_records (iter, sizeof (**files), n, 64 << 10, NULL, NULL);
  return *files ? 0 : -1;
}

int
lk_bpf_dump_filtered (const struct lk_bpf *b, struct lk_bpf_file **files, size_t *n, size_t *n_seen)
{
  cleanup_close int iter = -1;
  struct file_check k = { .sorted = true };

  pass_all (b, false);
  iter = open_iterator (b->file_link, "filtered task_file");
  *files = iter < 0 ? NULL : read_records (iter, sizeof (**files), n, 256 << 10, check_files, &k);
  if (*files)
    *n_seen = b->mapped->seen >= *n ? b->mapped->seen : *n;
  pass_all (b, true);
  if (*files == NULL)
    return -1;
  if (!k.sorted)
    qsort (*files, *n, sizeof (**files), lk_bpf_file_cmp);
  return 0;
}
