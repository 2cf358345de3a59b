/* The host index of leak detection: every process and fd (BPF iterators,
 * or one pass over /proc: status, namespaces, fds), shared mappings on
 * demand, /proc/locks, and hash tables keyed by (device, inode), so that
 * "who else holds this?" is one lookup.
 *
 * Outside processes get the cheap part only (one stat per fd, and only the
 * fds that can meet the container's objects are kept from BPF); container
 * processes also get their fd links and fdinfo (lk_index_detail).  Processes
 * that end during the pass are skipped: they hold nothing any more. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/kcmp.h>

#define LOG_PREFIX "leaks: "
#include "leak/internal.h"
#include "lib/log.h"
#include "lib/util.h"

int
lk_kcmp_file (pid_t p1, int fd1, pid_t p2, int fd2)
{
  return (int) syscall (SYS_kcmp, p1, p2, KCMP_FILE, fd1, fd2);
}

int
lk_cmp_file (const struct lk_index *idx, const struct lk_fd *a, const struct lk_fd *b)
{
  if (a->file && b->file)
    return a->file == b->file ? 0 : a->file < b->file ? 1 : 2;
  return lk_kcmp_file (idx->procs[a->proc].pid, a->fd, idx->procs[b->proc].pid, b->fd);
}

uint32_t
lk_proc_find (const struct lk_index *idx, pid_t pid)
{
  for (uint32_t i = lk_hash_first (&idx->by_pid, (uint64_t) pid); i != LK_NONE; i = lk_hash_next (&idx->by_pid, i))
    if (idx->procs[i].pid == pid)
      return i;
  return LK_NONE;
}

/* Fields of /proc/PID/status: Name, State, PPid, TracerPid, NSpid, Kthread. */
static bool
parse_status (char *text, struct lk_proc *p)
{
  char *save = NULL;
  bool have_ppid = false;

  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *v = strchr (line, ':');
      if (v == NULL)
        continue;
      *v++ = '\0';
      v += strspn (v, " \t");
      if (strcmp (line, "Name") == 0)
        snprintf (p->comm, sizeof (p->comm), "%s", v);
      else if (strcmp (line, "State") == 0)
        p->state = v[0];
      else if (strcmp (line, "PPid") == 0)
        have_ppid = (p->ppid = atoi (v)) >= 0;
      else if (strcmp (line, "TracerPid") == 0)
        p->tracer = atoi (v);
      else if (strcmp (line, "NSpid") == 0)
        {
          char *last = strrchr (v, '\t');
          p->nspid = atoi (last ? last + 1 : v);
        }
      else if (strcmp (line, "Kthread") == 0 && v[0] == '1')
        p->flags |= LK_KTHREAD;
    }
  return have_ppid;
}

static int
read_small_at (int dirfd, const char *name, char *buf, size_t size)
{
  cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_CLOEXEC);
  ssize_t n;

  if (fd < 0)
    return -1;
  n = read (fd, buf, size - 1);
  if (n < 0)
    return -1;
  buf[n] = '\0';
  return 0;
}

static void
read_ns (struct lk_index *idx, int pdir, struct lk_proc *p)
{
  char path[32];
  struct stat st;

  for (int i = 0; i < NS_MAX; i++)
    {
      snprintf (path, sizeof (path), "ns/%s", ns_table[i].proc_name);
      if (fstatat (pdir, path, &st, 0) < 0)
        continue;
      p->ns[i] = st.st_ino;
      idx->nsfs_dev = st.st_dev;
    }
}

static struct lk_fd *
new_fd (struct lk_index *idx)
{
  if (idx->n_fds == idx->cap_fds)
    {
      idx->cap_fds = idx->cap_fds ? idx->cap_fds * 2 : 4096;
      idx->fds = xreallocarray (idx->fds, idx->cap_fds, sizeof (*idx->fds));
    }
  memset (&idx->fds[idx->n_fds], 0, sizeof (struct lk_fd));
  return &idx->fds[idx->n_fds++];
}

static void
read_fds (struct lk_index *idx, int pdir, uint32_t pi)
{
  int dfd = openat (pdir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  struct stat st;

  if (dfd < 0)
    return;
  d = fdopendir (dfd);
  if (d == NULL)
    {
      close (dfd);
      return;
    }
  idx->procs[pi].fd_first = idx->n_fds;
  while ((de = readdir (d)) != NULL)
    {
      struct lk_fd *f;
      if (de->d_name[0] == '.' || fstatat (dfd, de->d_name, &st, 0) < 0)
        continue;
      f = new_fd (idx);
      f->proc = pi;
      f->fd = atoi (de->d_name);
      f->dev = st.st_dev;
      f->ino = st.st_ino;
      f->rdev = st.st_rdev;
      f->mode = st.st_mode;
      f->mnt_id = -1;
      if (S_ISSOCK (st.st_mode))
        idx->sockfs_dev = st.st_dev;
    }
  idx->procs[pi].n_fds = idx->n_fds - idx->procs[pi].fd_first;
}

bool
lk_parse_maps_line (const char *line, struct lk_map *m, bool *shared)
{
  unsigned long long start, end, off, ino;
  unsigned int maj, min;
  char perms[8];
  int n = 0;

  if (sscanf (line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &off, &maj, &min, &ino, &n) < 7)
    return false;
  memset (m, 0, sizeof (*m));
  m->start = start;
  m->end = end;
  m->dev = makedev (maj, min);
  m->ino = ino;
  *shared = strlen (perms) == 4 && perms[3] == 's';
  if (n > 0 && line[n] != '\0')
    m->path = xstrndup (line + n, strcspn (line + n, "\n"));
  return true;
}

/* The shared mappings of process @pi, once (zombies and kernel threads have
 * none).  Each process's mappings stay contiguous in idx->maps. */
void
lk_index_read_maps (struct lk_index *idx, uint32_t pi)
{
  cleanup_free char *text = NULL;
  char *save = NULL, path[32];
  struct lk_proc *p = &idx->procs[pi];

  if (p->flags & (LK_MAPS_READ | LK_KTHREAD) || p->state == 'Z')
    return;
  p->flags |= LK_MAPS_READ;
  p->map_first = idx->n_maps;
  snprintf (path, sizeof (path), "/proc/%d/maps", p->pid);
  if (read_all_file (path, &text, NULL, NULL) < 0)
    return;
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      struct lk_map m;
      bool shared;
      /* Only shared mappings can be shared with anyone: skip the rest
       * before allocating anything. */
      if (strstr (line, "s ") == NULL || !lk_parse_maps_line (line, &m, &shared))
        continue;
      if (!shared)
        {
          free (m.path);
          continue;
        }
      if (idx->n_maps == idx->cap_maps)
        {
          idx->cap_maps = idx->cap_maps ? idx->cap_maps * 2 : 1024;
          idx->maps = xreallocarray (idx->maps, idx->cap_maps, sizeof (*idx->maps));
        }
      m.proc = pi;
      if (m.path && strncmp (m.path, "/SYSV", 5) == 0)
        m.sysv_ipcns = p->ns[NS_IPC];
      idx->maps[idx->n_maps++] = m;
    }
  p->n_maps = idx->n_maps - p->map_first;
}

static struct lk_proc *
new_proc (struct lk_index *idx)
{
  struct lk_proc *p;

  if (idx->n_procs == idx->cap_procs)
    {
      idx->cap_procs = idx->cap_procs ? idx->cap_procs * 2 : 256;
      idx->procs = xreallocarray (idx->procs, idx->cap_procs, sizeof (*idx->procs));
    }
  p = &idx->procs[idx->n_procs];
  memset (p, 0, sizeof (*p));
  return p;
}

static void hash_pids (struct lk_index *idx);

static void
read_proc (struct lk_index *idx, pid_t pid, bool with_fds)
{
  char path[32], status[4096];
  cleanup_close int pdir = -1;
  struct lk_proc *p;

  snprintf (path, sizeof (path), "/proc/%d", pid);
  pdir = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (pdir < 0 || read_small_at (pdir, "status", status, sizeof (status)) < 0)
    return; /* gone */
  p = new_proc (idx);
  p->pid = pid;
  p->ns_held = ~0U; /* unknown: as if held */
  if (!parse_status (status, p))
    return;
  idx->n_procs++;
  if (p->flags & LK_KTHREAD)
    return;
  read_ns (idx, pdir, p);
  if (with_fds)
    read_fds (idx, pdir, idx->n_procs - 1);
}

/* The first of the BPF records (sorted by pid) of @pid. */
static size_t
first_record (const struct lk_bpf_file *files, size_t n, pid_t pid)
{
  size_t lo = 0, hi = n;

  while (lo < hi)
    {
      size_t mid = lo + (hi - lo) / 2;
      if (files[mid].pid < (uint32_t) pid)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* What an outside fd must match to meet the container's objects: the
 * same open file description as a container fd (the struct file, which
 * BPF gives), or, where the checks compare inodes, the same (device,
 * inode): a pipe or fifo the container holds, an object it maps, a locked
 * file.  /dev/null or an eventfd's anonymous inode, shared by everybody,
 * only count as the same description. */
struct keep_set
{
  struct lk_hash by_obj, by_file;
  uint64_t (*keys)[2];
  uint64_t *files;
  size_t n_keys, n_files;
};

static void
keep_key (struct keep_set *k, uint64_t dev, uint64_t ino)
{
  k->keys[k->n_keys][0] = dev;
  k->keys[k->n_keys][1] = ino;
  lk_hash_add (&k->by_obj, lk_key (dev, ino), (uint32_t) k->n_keys++);
}

static void
keep_file (struct keep_set *k, uint64_t file)
{
  k->files[k->n_files] = file;
  lk_hash_add (&k->by_file, lk_key (file, 0), (uint32_t) k->n_files++);
}

static size_t
covered_records (const struct lk_index *idx, const struct lk_bpf_file *files, size_t n)
{
  size_t count = 0;

  for (uint32_t pi = 0; pi < idx->n_procs; pi++)
    for (size_t i = first_record (files, n, idx->procs[pi].pid);
         (idx->procs[pi].flags & LK_COVERED) && i < n && files[i].pid == (uint32_t) idx->procs[pi].pid; i++)
      count++;
  return count;
}

static void
keep_build (struct keep_set *k, const struct lk_index *idx, const struct lk_bpf_file *files, size_t n)
{
  size_t n_covered = covered_records (idx, files, n), cap = n_covered + idx->n_maps + idx->n_locks;

  lk_hash_init (&k->by_obj, cap);
  lk_hash_init (&k->by_file, n_covered);
  k->keys = xmalloc ((cap + 1) * sizeof (*k->keys));
  k->files = xmalloc ((n_covered + 1) * sizeof (*k->files));
  for (uint32_t pi = 0; pi < idx->n_procs; pi++)
    for (size_t i = first_record (files, n, idx->procs[pi].pid);
         (idx->procs[pi].flags & LK_COVERED) && i < n && files[i].pid == (uint32_t) idx->procs[pi].pid; i++)
      {
        keep_file (k, files[i].file);
        if (S_ISFIFO (files[i].mode))
          keep_key (k, lk_kdev (files[i].kdev), files[i].ino);
      }
  for (size_t i = 0; i < idx->n_maps; i++)
    if (idx->procs[idx->maps[i].proc].flags & LK_COVERED)
      keep_key (k, idx->maps[i].dev, idx->maps[i].ino);
  for (size_t i = 0; i < idx->n_locks; i++)
    keep_key (k, idx->locks[i].dev, idx->locks[i].ino);
}

static void
keep_free (struct keep_set *k)
{
  lk_hash_free (&k->by_obj);
  lk_hash_free (&k->by_file);
  free (k->keys);
  free (k->files);
}

/* Whether an outside fd can meet the container's objects: a socket may be
 * any container socket's partner (sock_diag names it by inode), an nsfs
 * file may name a container namespace; anything else must share a
 * container fd's description, or an inode the checks compare. */
static bool
keep_outside (const struct keep_set *k, const struct lk_index *idx, const struct lk_bpf_file *r)
{
  uint64_t dev = lk_kdev (r->kdev);

  if (S_ISSOCK (r->mode) || dev == idx->nsfs_dev)
    return true;
  for (uint32_t i = lk_hash_first (&k->by_file, lk_key (r->file, 0)); i != LK_NONE; i = lk_hash_next (&k->by_file, i))
    if (k->files[i] == r->file)
      return true;
  for (uint32_t i = lk_hash_first (&k->by_obj, lk_key (dev, r->ino)); i != LK_NONE; i = lk_hash_next (&k->by_obj, i))
    if (k->keys[i][0] == dev && k->keys[i][1] == r->ino)
      return true;
  return false;
}

/* The BPF records of each process found under /proc; of the outside
 * processes only what keep_outside() wants when @filter. */
static void
attach_files (struct lk_index *idx, const struct lk_bpf_file *files, size_t n, bool filter)
{
  struct keep_set k = { 0 };

  if (filter)
    keep_build (&k, idx, files, n);
  if (idx->fds == NULL)
    {
      idx->cap_fds = n + 1;
      idx->fds = lk_alloc_big (idx->cap_fds * sizeof (*idx->fds));
    }
  for (uint32_t pi = 0; pi < idx->n_procs; pi++)
    {
      struct lk_proc *p = &idx->procs[pi];
      bool all = !filter || (p->flags & LK_COVERED);
      p->fd_first = idx->n_fds;
      for (size_t i = first_record (files, n, p->pid); i < n && files[i].pid == (uint32_t) p->pid; i++)
        {
          struct lk_fd *f;
          if (!all && !keep_outside (&k, idx, &files[i]))
            {
              idx->n_fds_skipped++;
              continue;
            }
          f = new_fd (idx);
          f->proc = pi;
          f->fd = (int) files[i].fd;
          f->dev = lk_kdev (files[i].kdev);
          f->ino = files[i].ino;
          f->rdev = lk_kdev (files[i].krdev);
          f->mode = files[i].mode;
          f->file = files[i].file;
          f->mnt_id = files[i].mnt_id;
          if (S_ISSOCK (f->mode))
            idx->sockfs_dev = f->dev;
        }
      p->n_fds = idx->n_fds - p->fd_first;
    }
  if (filter)
    keep_free (&k);
}

#define PF_KTHREAD 0x00200000
#define EXIT_ZOMBIE 0x00000020

/* A process as the BPF task iterator saw it.  Deeper than 3 nested pid
 * namespaces, /proc tells the rest. */
static void
add_task (struct lk_index *idx, const struct lk_bpf_task *t)
{
  struct lk_proc *p;

  if (t->level > 3)
    {
      read_proc (idx, (pid_t) t->tgid, false);
      return;
    }
  p = new_proc (idx);
  p->pid = (pid_t) t->tgid;
  p->ppid = (pid_t) t->ppid;
  p->tracer = t->ptrace ? (pid_t) t->parent : 0;
  p->nspid = (pid_t) t->nspid;
  p->state = (t->exit_state & EXIT_ZOMBIE) ? 'Z' : 'S';
  memcpy (p->comm, t->comm, sizeof (t->comm));
  p->comm[sizeof (t->comm) - 1] = '\0';
  if (t->flags & PF_KTHREAD)
    p->flags |= LK_KTHREAD;
  /* /proc shows no namespaces for a zombie either; kernel threads are no
   * container's business */
  for (int i = 0; i < NS_MAX && p->state != 'Z' && !(p->flags & LK_KTHREAD); i++)
    p->ns[i] = t->ns[i];
  p->ns_held = t->ns_held;
  p->files_struct = t->files_struct;
  idx->n_procs++;
}

/* Every process: from the BPF task iterator, or /proc (@with_fds when the
 * fds do not come from BPF either). */
static int
read_processes (struct lk_index *idx, pid_t skip, const struct lk_bpf_task *tasks, size_t n, bool with_fds,
                cryo_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (tasks)
    {
      for (size_t i = 0; i < n; i++)
        if ((pid_t) tasks[i].tgid != skip)
          add_task (idx, &tasks[i]);
      return 0;
    }
  d = opendir ("/proc");
  if (d == NULL)
    return cryo_error (err, errno, "open `/proc`");
  while ((de = readdir (d)) != NULL)
    {
      int64_t pid;
      if (parse_int64 (de->d_name, &pid) < 0 || pid <= 0 || pid == skip)
        continue;
      read_proc (idx, (pid_t) pid, with_fds);
    }
  return 0;
}

void
lk_index_hash_maps (struct lk_index *idx)
{
  lk_hash_free (&idx->map_by_obj);
  lk_hash_init (&idx->map_by_obj, idx->n_maps);
  for (size_t i = 0; i < idx->n_maps; i++)
    lk_hash_add (&idx->map_by_obj, lk_key (idx->maps[i].dev, idx->maps[i].ino ^ idx->maps[i].sysv_ipcns), i);
}

static void
hash_pids (struct lk_index *idx)
{
  lk_hash_free (&idx->by_pid);
  lk_hash_init (&idx->by_pid, idx->n_procs);
  for (size_t i = 0; i < idx->n_procs; i++)
    lk_hash_add (&idx->by_pid, (uint64_t) idx->procs[i].pid, i);
}

static void
hash_fds (struct lk_index *idx)
{
  lk_hash_free (&idx->fd_by_obj);
  lk_hash_init (&idx->fd_by_obj, idx->n_fds);
  for (size_t i = 0; i < idx->n_fds; i++)
    lk_hash_add (&idx->fd_by_obj, lk_key (idx->fds[i].dev, idx->fds[i].ino), i);
}

static void
hash_locks (struct lk_index *idx)
{
  lk_hash_free (&idx->lock_by_obj);
  lk_hash_init (&idx->lock_by_obj, idx->n_locks);
  for (size_t i = 0; i < idx->n_locks; i++)
    lk_hash_add (&idx->lock_by_obj, lk_key (idx->locks[i].dev, idx->locks[i].ino), i);
}

void
lk_index_build (struct lk_index *idx)
{
  hash_pids (idx);
  hash_fds (idx);
  lk_index_hash_maps (idx);
  hash_locks (idx);
}

int
lk_index_scan_processes (struct lk_index *idx, pid_t skip, const struct lk_bpf *bpf, bool defer_fds,
                         cryo_error_t *err)
{
  cleanup_free struct lk_bpf_task *tasks = NULL;
  size_t n_tasks = 0;
  int p[2];
  struct stat st;
  bool fast;

  idx->cmp_file = lk_cmp_file;
  if (stat ("/proc/self/ns/net", &st) == 0)
    idx->nsfs_dev = st.st_dev;
  if (pipe2 (p, O_CLOEXEC) < 0)
    return cryo_error (err, errno, "pipe");
  if (fstat (p[0], &st) == 0)
    idx->pipefs_dev = st.st_dev;
  close (p[0]);
  close (p[1]);
  /* Fds first: a process started in between has no fds here and is looked
   * at without them, never the other way round (the filtered path takes
   * the processes that come after, lk_index_collect_fds). */
  idx->fds_deferred = defer_fds && lk_bpf_dump_tasks (bpf, &tasks, &n_tasks) == 0;
  fast = idx->fds_deferred || lk_bpf_dump (bpf, &idx->pending, &idx->n_pending, &tasks, &n_tasks) == 0;
  if (read_processes (idx, skip, tasks, n_tasks, !fast, err) < 0)
    return -1;
  log_debug ("processes from %s, fds from %s", tasks ? "BPF" : "/proc", fast ? "BPF" : "/proc");
  if (lk_index_read_locks (idx, err) < 0)
    return -1;
  hash_pids (idx);
  hash_locks (idx);
  return 0;
}

void
lk_index_attach_fds (struct lk_index *idx, bool filter)
{
  if (idx->pending)
    attach_files (idx, idx->pending, idx->n_pending, filter);
  free (idx->pending);
  idx->pending = NULL;
  idx->n_pending = 0;
  hash_fds (idx);
}

int
lk_index_scan (struct lk_index *idx, pid_t skip, const struct lk_bpf *bpf, cryo_error_t *err)
{
  if (lk_index_scan_processes (idx, skip, bpf, false, err) < 0)
    return -1;
  lk_index_attach_fds (idx, false);
  return 0;
}

static void
parse_fdinfo (const char *text, struct lk_fd *f)
{
  const char *s;

  if ((s = strstr (text, "flags:")) != NULL)
    f->flags = (unsigned int) strtoul (s + 6, NULL, 8);
  if ((s = strstr (text, "mnt_id:")) != NULL)
    f->mnt_id = atoi (s + 7);
}

/* Pipes, sockets and anonymous inodes have no path to check; the BPF path
 * gave the mount of the others already. */
static bool
needs_detail (const struct lk_index *idx, const struct lk_fd *f)
{
  if (S_ISSOCK (f->mode) || (f->mode & S_IFMT) == 0 || f->mnt_id >= 0)
    return false;
  return !(S_ISFIFO (f->mode) && f->dev == idx->pipefs_dev);
}

/* Links and fdinfo of a container process's fds on files: what the path,
 * device and lock checks need. */
int
lk_index_detail (struct lk_index *idx, uint32_t pi, cryo_error_t *err)
{
  struct lk_proc *p = &idx->procs[pi];
  char path[64], buf[4096];
  cleanup_close int fddir = -1, infodir = -1;

  if (p->flags & LK_DETAILED)
    return 0;
  p->flags |= LK_DETAILED;
  snprintf (path, sizeof (path), "/proc/%d/fd", p->pid);
  fddir = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  snprintf (path, sizeof (path), "/proc/%d/fdinfo", p->pid);
  infodir = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fddir < 0 || infodir < 0)
    return p->n_fds == 0 ? 0 : cryo_error (err, errno, "open `%s` of container process %d", path, p->pid);
  for (size_t i = p->fd_first; i < p->fd_first + p->n_fds; i++)
    {
      struct lk_fd *f = &idx->fds[i];
      char name[16];
      ssize_t n;
      if (!needs_detail (idx, f))
        continue;
      snprintf (name, sizeof (name), "%d", f->fd);
      n = readlinkat (fddir, name, buf, sizeof (buf) - 1);
      if (n >= 0)
        {
          buf[n] = '\0';
          f->link = xstrdup (buf);
        }
      if (read_small_at (infodir, name, buf, sizeof (buf)) == 0)
        parse_fdinfo (buf, f);
    }
  return 0;
}

/* "1: FLOCK  ADVISORY  WRITE 1234 fd:00:5678 0 EOF", waiters with "->";
 * the device is printed as hex major:minor. */
int
lk_index_parse_locks (struct lk_index *idx, const char *text)
{
  cleanup_free char *copy = xstrdup (text);
  char *save = NULL;

  for (char *line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      struct lk_lock l = { 0 };
      char type[16];
      unsigned int maj, min;
      unsigned long long ino;
      int pid;
      char *s = strchr (line, ':');
      if (s == NULL)
        continue;
      s += 1 + strspn (s + 1, " ");
      if (strncmp (s, "->", 2) == 0)
        {
          l.blocked = true;
          s += 2;
        }
      if (sscanf (s, " %15s %*s %*s %d %x:%x:%llu", type, &pid, &maj, &min, &ino) != 5)
        continue;
      snprintf (l.type, sizeof (l.type), "%s", type);
      l.pid = pid;
      l.dev = makedev (maj, min);
      l.ino = ino;
      if (idx->n_locks == idx->cap_locks)
        {
          idx->cap_locks = idx->cap_locks ? idx->cap_locks * 2 : 64;
          idx->locks = xreallocarray (idx->locks, idx->cap_locks, sizeof (*idx->locks));
        }
      idx->locks[idx->n_locks++] = l;
    }
  return 0;
}

int
lk_index_read_locks (struct lk_index *idx, cryo_error_t *err)
{
  cleanup_free char *text = NULL;

  if (read_all_file ("/proc/locks", &text, NULL, err) < 0)
    return -1;
  return lk_index_parse_locks (idx, text);
}

void
lk_index_clear (struct lk_index *idx)
{
  for (size_t i = 0; i < idx->n_fds; i++)
    free (idx->fds[i].link);
  for (size_t i = 0; i < idx->n_maps; i++)
    free (idx->maps[i].path);
  for (size_t i = 0; i < idx->n_nsmounts; i++)
    {
      free (idx->nsmounts[i].ns_name);
      free (idx->nsmounts[i].mountpoint);
    }
  free (idx->pending);
  free (idx->in);
  free (idx->procs);
  free (idx->fds);
  free (idx->maps);
  free (idx->locks);
  free (idx->nsmounts);
  lk_hash_free (&idx->by_pid);
  lk_hash_free (&idx->fd_by_obj);
  lk_hash_free (&idx->map_by_obj);
  lk_hash_free (&idx->lock_by_obj);
  memset (idx, 0, sizeof (*idx));
}

void
lk_index_add_process (struct lk_index *idx, pid_t pid)
{
  read_proc (idx, pid, false);
  hash_pids (idx);
}

void
lk_index_read_fds (struct lk_index *idx)
{
  char path[32];

  for (uint32_t pi = 0; pi < idx->n_procs; pi++)
    {
      cleanup_close int pdir = -1;
      snprintf (path, sizeof (path), "/proc/%d", idx->procs[pi].pid);
      if (!(idx->procs[pi].flags & LK_KTHREAD) && (pdir = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
        read_fds (idx, pdir, pi);
    }
}
