/* Leak detection internals: the host index (one /proc pass), the context a
 * scan classifies against, and the classifiers, one file per job:
 *
 *   leak-index.c   the /proc pass: processes, fds, shared mappings, locks
 *   leak-collect.c the filtered BPF path: the container's fds, then the
 *                  outside's that can meet them, or none (reference counts)
 *   leak-bpf*.c    the iterator programs (leak-bpf-prog.c), loading, reading
 *   leak-btf.c     the kernel's BTF: the offsets the programs read
 *   leak-hash.c    hash tables and big arrays
 *   leak-proc.c    processes the dump would not cover, cgroup, ptrace
 *   leak-ns.c      namespaces: shared, foreign, joined, bind-mounted, held
 *   leak-fd.c      file descriptions, pipes, devices, paths, locks
 *   leak-mem.c     shared mappings
 *   leak-sock.c    unix and inet sockets (sock_diag)
 *   leak-report.c  the report: add, declared externals, sort, text, JSON
 *   leak.c         targets, the scan, freeze/scan/thaw
 *
 * The classifiers work on plain data (struct lk_index, struct lk_ctx) so the
 * unit tests can build a host by hand. */
#ifndef CRYO_LEAK_INTERNAL_H
#define CRYO_LEAK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "leak/leak.h"
#include "ns/namespaces.h"

#define LK_NONE UINT32_MAX

/* A multimap from a 64-bit key to item indices; the caller keeps the items
 * and compares their real keys (different keys may hash alike). */
struct lk_hash
{
  size_t mask;
  uint32_t *head; /* bucket -> item + 1, 0 empty */
  uint32_t *next; /* item -> next item + 1 */
  size_t cap;     /* items that may be added */
};

void lk_hash_init (struct lk_hash *h, size_t cap);
void lk_hash_free (struct lk_hash *h);
void lk_hash_add (struct lk_hash *h, uint64_t key, uint32_t item);
uint32_t lk_hash_first (const struct lk_hash *h, uint64_t key);
uint32_t lk_hash_next (const struct lk_hash *h, uint32_t item);
uint64_t lk_key (uint64_t a, uint64_t b);

/* lk_proc.flags */
enum
{
  LK_COVERED = 1 << 0,  /* init or a descendant: what the dump takes */
  LK_IN_CGROUP = 1 << 1,
  LK_IN_PIDNS = 1 << 2,
  LK_KTHREAD = 1 << 3,
  LK_DETAILED = 1 << 4, /* fds have link, fdinfo */
  LK_MAPS_READ = 1 << 5,
};

struct lk_proc
{
  pid_t pid;
  pid_t ppid;
  pid_t tracer;         /* TracerPid, 0 none */
  pid_t nspid;          /* innermost NSpid */
  char state;           /* 'R', 'S', 'Z', ... */
  char comm[32];
  uint64_t ns[NS_MAX];  /* ns inodes, 0 unknown (zombie, gone) */
  uint32_t ns_held;     /* from BPF: lk_bpf_task.ns_held; else every bit */
  uint64_t files_struct; /* from BPF, 0 unknown */
  uint32_t flags;
  size_t fd_first, n_fds;   /* in lk_index.fds */
  size_t map_first, n_maps; /* in lk_index.maps */
};

struct lk_fd
{
  uint32_t proc;        /* index in lk_index.procs */
  int fd;
  uint64_t dev, ino;    /* of what the fd refers to */
  uint64_t rdev;
  uint32_t mode;        /* st_mode */
  /* Read for the container's fds on files only (LK_DETAILED): not for
   * pipes, sockets and anonymous inodes, which have no path. */
  char *link;           /* readlink: "/path", "net:[4026531840]", "/memfd:x (deleted)" */
  int mnt_id;           /* the mount it was opened on (BPF, fdinfo); -1 unknown */
  unsigned int flags;   /* fdinfo flags (octal O_*) */
  uint64_t file;        /* the open file description (BPF path), 0 unknown */
};

struct lk_map
{
  uint32_t proc;
  uint64_t start, end;
  uint64_t dev, ino;
  uint64_t sysv_ipcns;  /* SysV segments: ids are per ipc namespace; else 0 */
  char *path;           /* as in maps, may be NULL */
};

struct lk_lock
{
  pid_t pid;            /* -1 for OFD locks */
  uint64_t dev, ino;
  bool blocked;         /* a waiter ("->") */
  char type[16];        /* POSIX, FLOCK, OFDLCK, LEASE... */
};

/* An nsfs bind mount seen in some mount namespace. */
struct lk_nsmount
{
  uint32_t proc;        /* a process of that mount namespace */
  uint64_t ino;         /* the namespace */
  char *ns_name;        /* "net" */
  char *mountpoint;
};

/* Order open file descriptions with kcmp(KCMP_FILE)'s results: 0 the same
 * description, 1 less, 2 greater, -1 error. */
struct lk_index;
typedef int (*lk_cmp_file_fn) (const struct lk_index *idx, const struct lk_fd *a, const struct lk_fd *b);

struct lk_index
{
  struct lk_proc *procs;
  size_t n_procs;
  struct lk_fd *fds;
  size_t n_fds;
  struct lk_map *maps;  /* shared mappings only */
  size_t n_maps;
  struct lk_lock *locks;
  size_t n_locks;
  struct lk_nsmount *nsmounts;
  size_t n_nsmounts;
  uint64_t nsfs_dev;    /* st_dev of the files in /proc/PID/ns */
  uint64_t sockfs_dev;  /* st_dev of sockets, 0 until one is seen */
  uint64_t pipefs_dev;  /* st_dev of anonymous pipes */
  struct lk_hash by_pid;
  struct lk_hash fd_by_obj;   /* key (dev, ino) */
  struct lk_hash map_by_obj;  /* key (dev, ino ^ sysv_ipcns) */
  struct lk_hash lock_by_obj; /* key (dev, ino) */
  lk_cmp_file_fn cmp_file;
  struct lk_bpf_file *pending; /* BPF records until lk_index_attach_fds() */
  size_t n_pending;
  size_t n_fds_skipped;        /* outside fds left out: they cannot meet the container */
  bool fds_deferred;           /* the filtered path: lk_index_container_fds() reads them */
  struct lk_bpf_file *in;      /* the container's records, sorted, until lk_index_outside_fds() */
  size_t n_in;
  bool host_walk_skipped;      /* the reference counts left no outside holder possible */
  size_t cap_procs, cap_fds, cap_maps, cap_locks; /* allocated */
};

/* leak-index.c */
struct lk_bpf;
/* The whole host but @skip (ourselves), through @bpf (lk_bpf_prepare) or
 * /proc when it is NULL: lk_index_scan_processes() then
 * lk_index_attach_fds (idx, false). */
int lk_index_scan (struct lk_index *idx, pid_t skip, const struct lk_bpf *bpf, cryo_error_t *err);
/* In steps: the processes and locks (the fds too without BPF; only the
 * processes with @defer_fds where the filtered path works); then, with the
 * container's processes flagged LK_COVERED and their shared mappings read,
 * lk_index_container_fds() and lk_index_outside_fds() for the filtered
 * path; then the fds from BPF: all of them, or (@filter) all of the
 * container's and the outside ones that can meet them (sockets, nsfs, the
 * same descriptions, and the pipes the container holds, what it maps, what
 * someone locks).  The fd hash last. */
int lk_index_scan_processes (struct lk_index *idx, pid_t skip, const struct lk_bpf *bpf, bool defer_fds,
                             cryo_error_t *err);
void lk_index_attach_fds (struct lk_index *idx, bool filter);
/* leak-collect.c, the filtered path in two steps.  First the container's
 * fds, into idx->in (true), or every fd of the host when the filtered path
 * does not work (false: nothing for lk_index_outside_fds to do). */
bool lk_index_container_fds (struct lk_index *idx, const struct lk_bpf *bpf);
/* Then the outside's fds that can meet them: the same descriptions, the
 * inodes the checks compare by, nsfs files, and the sockets in @partners
 * (inodes of the sockets at the other end of the container's, from
 * lk_socks_partners()).  All of them when the filtered walk fails. */
void lk_index_outside_fds (struct lk_index *idx, const struct lk_bpf *bpf, pid_t skip, const uint64_t *partners,
                           size_t n_partners, bool walk);
/* Whether an outside process may hold one of the container's objects, so
 * that lk_index_outside_fds() must walk: false only when the reference
 * counts (lk_bpf_file.refs, pipe_files; lk_proc.ns_held, files_struct)
 * account for every holder, there is no partner socket outside
 * (@n_partners), and no shared mapping or lock whose checks look for the
 * outside's fds on an inode. */
struct lk_ctx;
bool lk_outside_may_hold (const struct lk_ctx *c, size_t n_partners);
/* A process found after the process pass (from /proc). */
void lk_index_add_process (struct lk_index *idx, pid_t pid);
/* Every process's fds from /proc: when BPF fails after the process pass. */
void lk_index_read_fds (struct lk_index *idx);
/* Build the hash tables; also used by unit tests after filling by hand. */
void lk_index_build (struct lk_index *idx);
/* The shared mappings are read per process, on demand (lk_read_maps):
 * lk_index_hash_maps() after the last one. */
void lk_index_read_maps (struct lk_index *idx, uint32_t p);
void lk_index_hash_maps (struct lk_index *idx);
int lk_index_detail (struct lk_index *idx, uint32_t p, cryo_error_t *err);
int lk_index_read_locks (struct lk_index *idx, cryo_error_t *err);
int lk_index_parse_locks (struct lk_index *idx, const char *text);
void lk_index_clear (struct lk_index *idx);
uint32_t lk_proc_find (const struct lk_index *idx, pid_t pid);
/* The description given by the BPF path when both have one, else kcmp(2). */
int lk_cmp_file (const struct lk_index *idx, const struct lk_fd *a, const struct lk_fd *b);
int lk_kcmp_file (pid_t p1, int fd1, pid_t p2, int fd2);

/* leak-bpf.c: every open file of the host in one read, one record per fd
 * as the iterator program writes it. */
struct lk_bpf_file
{
  uint32_t pid;
  uint32_t fd;
  uint64_t ino;
  uint64_t file;  /* the open file description */
  uint32_t kdev;  /* kernel dev_t (major << 20 | minor) of the superblock */
  uint32_t mode;
  uint32_t krdev;
  int32_t mnt_id; /* of the mount the file was opened on; -1 unknown */
  /* What tells whether an outside process can hold it (lk_index_outside_fds):
   * its fd table, the description's reference count (0 unknown; the
   * iterator holds one too), and the files open on a pipe or fifo. */
  uint64_t files_struct;
  uint64_t refs;
  uint32_t pipe_files;
  uint32_t pad;
};
/* One record per process (thread group leader), as the task iterator
 * program writes it. */
struct lk_bpf_task
{
  uint32_t tgid, pid, ppid;
  uint32_t parent;      /* the tracer when ptrace != 0 */
  uint32_t ptrace, flags, exit_state;
  uint32_t level;       /* of its pid namespace; nspid and ns[NS_PID] only up to 3 */
  uint32_t nspid;
  uint32_t ns_held;     /* bit 1 << enum cryo_ns: its nsfs dentry exists (an fd, a mount holds it) */
  uint32_t ns[NS_MAX];  /* namespace inodes, indexed by enum cryo_ns */
  char comm[16];
  uint64_t files_struct;
};

/* The iterator programs, loaded and linked: what can be done before the
 * container is frozen.  NULL when the BPF path is not available here (no
 * BTF, not allowed, CRYO_LEAKS_NO_BPF set): the index reads /proc then.
 * @cache (may be NULL) keeps the kernel's field offsets for the rest of the
 * boot. */
struct lk_bpf *lk_bpf_prepare (const char *cache);
void lk_bpf_free (struct lk_bpf *b);
/* Every open file of the host sorted by (pid, fd), and every process when
 * the task program works here too (*tasks NULL otherwise).  Returns 1 when
 * the BPF path is not available: the caller falls back to /proc. */
int lk_bpf_dump (const struct lk_bpf *b, struct lk_bpf_file **files, size_t *n_files, struct lk_bpf_task **tasks,
                 size_t *n_tasks);

/* The filtered path: the processes first, then the container's fds
 * process by process, then only the outside fds that can meet them (the
 * same description as a container fd, an inode the checks compare by, a
 * socket at the other end of the container's, an nsfs file: a bitmap of
 * their hashes, tested in the kernel), so
 * that the outside costs the kernel's walk over its fds and not a record
 * each.  Not available without the task program, outside the initial pid
 * namespace, or without a mappable BPF array. */
#define LK_BPF_FILTER_ORDER 19 /* 2^19 bits: 0.2 % false positives for 1,000 keys */
struct lk_bpf_filter
{
  uint64_t seen;     /* the fds the last walk went through */
  uint32_t pass_all; /* a record for every fd */
  uint32_t pad;
  uint64_t scratch;  /* the program's */
  uint8_t bits[1 << (LK_BPF_FILTER_ORDER - 3)];
};
/* The filter to fill before lk_bpf_dump_filtered(), NULL when there is no
 * filtered path here. */
struct lk_bpf_filter *lk_bpf_filter (const struct lk_bpf *b);
int lk_bpf_dump_tasks (const struct lk_bpf *b, struct lk_bpf_task **tasks, size_t *n);
int lk_bpf_dump_process (const struct lk_bpf *b, pid_t pid, struct lk_bpf_file **files, size_t *n);
void lk_bpf_filter_file (struct lk_bpf_filter *f, uint64_t file);
void lk_bpf_filter_inode (struct lk_bpf_filter *f, uint32_t kdev, uint64_t ino);
int lk_bpf_dump_filtered (const struct lk_bpf *b, struct lk_bpf_file **files, size_t *n, size_t *n_seen);
uint32_t lk_kdev_of (uint64_t dev); /* the kernel's dev_t of a user-space one */
int lk_bpf_file_cmp (const void *a, const void *b); /* qsort: by pid, then fd */

/* leak-btf.c: the kernel's BTF, for the iterator programs. */
union bpf_attr;
int lk_sys_bpf (int cmd, union bpf_attr *attr);
struct lk_btf;
struct lk_btf_name
{
  const char *name;
  bool func;            /* a function (the iterator targets); a struct otherwise */
};
int lk_btf_open (struct lk_btf **out);
void lk_btf_free (struct lk_btf *b);
/* The ids of @names (0 when absent), in one pass over the types. */
void lk_btf_find (const struct lk_btf *b, const struct lk_btf_name *names, uint32_t *ids, size_t n);
/* The byte offset of member @name in struct or union @id, -1 when absent. */
int lk_btf_member (const struct lk_btf *b, uint32_t id, const char *name);
int lk_btf_size (const struct lk_btf *b, uint32_t id);
uint64_t lk_kdev (uint32_t kdev);
/* leak-hash.c: fault a fresh buffer in with one call: page faults one by
 * one cost tens of microseconds each in some VMs, more than the scan itself. */
void lk_prefault (void *p, size_t len);
/* A big array the scan fills at once (freed with free()), faulted in, on
 * 2 MiB pages where the kernel gives them: in a VM with shadow page tables
 * going through megabytes of 4 KiB pages costs milliseconds of TLB misses
 * (2 MiB written: 2.4-7.9 ms on 4 KiB pages, 0.03 ms on a huge page here). */
void *lk_alloc_big (size_t size);
/* Parse one /proc/PID/maps line; false when malformed. */
bool lk_parse_maps_line (const char *line, struct lk_map *m, bool *shared);

/* A mount of the container's mount namespace. */
struct lk_mount
{
  int id;
  uint64_t dev;
  char *fstype;
  char *mountpoint;
};

/* A device the container may use: its default ones and linux.devices. */
struct lk_devnum
{
  char type;            /* 'c' or 'b' */
  uint32_t major, minor;
};

/* Everything a classification needs, resolved from the target. */
struct lk_ctx
{
  struct lk_index *idx;
  enum leak_mode mode;
  bool tcp_established;
  uint32_t init;               /* index of init in idx->procs */
  uint64_t ns[NS_MAX];         /* init's namespaces */
  uint64_t host_ns[NS_MAX];    /* the runtime's */
  bool ns_required[NS_MAX];    /* must not be shared with the host (container mode) */
  bool ns_declared[NS_MAX];    /* joined by path from config.json: a declared external */
  struct lk_mount *mounts;     /* the container's mount namespace */
  size_t n_mounts;
  uint64_t devpts_dev;         /* the container's /dev/pts, 0 none */
  struct lk_devnum *devices;
  size_t n_devices;
  pid_t *cgroup_pids;          /* sorted; NULL without a cgroup */
  size_t n_cgroup_pids;
  bool has_cgroup;
  uint64_t (*declared)[2];     /* (dev, ino) of declared externals */
  uint64_t *socks;             /* inodes of the container's sockets (lk_socks_container) */
  size_t n_socks;
  struct lk_hash sock_by_ino;
  size_t n_declared;
  struct leak *leaks;          /* found so far */
  size_t n_leaks, cap_leaks;
};

static inline bool
lk_covered (const struct lk_ctx *c, uint32_t p)
{
  return p != LK_NONE && (c->idx->procs[p].flags & LK_COVERED);
}

/* leak-report.c */
/* Add a leak about container process @p (LK_NONE: the whole container),
 * held by outside process @holder (LK_NONE: none) or @holder_path. */
struct leak *lk_add (struct lk_ctx *c, enum leak_kind kind, uint32_t p, int fd, uint32_t holder,
                     const char *holder_path, const char *object, const char *detail);
void lk_report_finish (struct lk_ctx *c, struct leak_report *r);
void leak_clear (struct leak *l);
/* What the fd is, for the report: its link, read now if it was not. */
char *lk_fd_object (const struct lk_index *idx, const struct lk_fd *f);

/* The classifiers; each adds what it finds to c->leaks. */
void lk_mark_processes (struct lk_ctx *c);   /* sets LK_COVERED, LK_IN_PIDNS, LK_IN_CGROUP */
void lk_check_processes (struct lk_ctx *c);
void lk_check_ptrace (struct lk_ctx *c);
void lk_check_namespaces (struct lk_ctx *c);
void lk_check_ns_fd_held (struct lk_ctx *c, uint32_t fd_index);
void lk_parse_nsmounts (struct lk_index *idx, uint32_t proc, const char *text);
void lk_collect_nsmounts (struct lk_ctx *c);
void lk_check_fds (struct lk_ctx *c);
void lk_check_locks (struct lk_ctx *c);
void lk_check_memory (struct lk_ctx *c);
/* The shared mappings the memory check needs, into the index. */
void lk_read_maps (struct lk_ctx *c);

/* leak-sock.c: sockets as sock_diag reports them. */
struct lk_unix
{
  uint64_t ino, peer;
  uint64_t netns;
  uint8_t type, state;
  char *name;           /* bound path or "@abstract", NULL */
  uint64_t *icons;      /* pending connections of a listener */
  size_t n_icons;
};

struct lk_inet
{
  uint64_t ino;
  uint64_t netns;
  uint8_t family, protocol, state;
  uint8_t src[16], dst[16];
  uint16_t sport, dport;
};

struct lk_socks
{
  struct lk_unix *unix_;
  size_t n_unix;
  struct lk_inet *inet;
  size_t n_inet;
};

void lk_socks_clear (struct lk_socks *s);
/* The container's sockets, into c->socks: from idx->in on the filtered
 * path (before the outside's fds are read), else from the fd index. */
void lk_socks_container (struct lk_ctx *c);
/* The inodes of the sockets at the other end of the container's (peers,
 * pending connections, datagram senders, the inet reverse 4-tuples): the
 * only sockets of the outside the checks look for.  Returns how many. */
size_t lk_socks_partners (const struct lk_ctx *c, const struct lk_socks *s, uint64_t **inodes);
/* Dump the unix sockets of every network namespace on the host and the inet
 * sockets of the container's. */
int lk_socks_collect (struct lk_ctx *c, struct lk_socks *s, cryo_error_t *err);
void lk_check_unix (struct lk_ctx *c, const struct lk_socks *s);
void lk_check_inet (struct lk_ctx *c, const struct lk_socks *s);

#endif
