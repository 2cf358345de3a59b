/* The BPF iterator programs of leak detection (leak-bpf-prog.c writes
 * them, leak-bpf.c loads and runs them): what the two share. */
#ifndef CRYO_LEAK_BPF_H
#define CRYO_LEAK_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/bpf.h>

#include "ns/namespaces.h"

/* Offsets (bytes) of what the programs read, from the kernel's BTF. */
struct lk_bpf_offsets
{
  uint32_t file_iter, task_iter; /* BTF ids of bpf_iter_task_file, bpf_iter_task */
  int fctx_meta, fctx_task, fctx_fd, fctx_file, tctx_meta, tctx_task, meta_seq;
  int f_inode, i_ino, i_mode, i_rdev, i_sb, s_dev;
  int f_path_mnt, mount_mnt, mount_id; /* -1 when unknown: no mount ids */
  int tgid, pid, real_parent, parent, ptrace, flags, exit_state, comm, thread_pid, real_cred, nsproxy;
  int pid_level, pid_numbers, upid_size, upid_nr, upid_ns, cred_user_ns;
  int nsproxy_member[NS_MAX]; /* -1: not in nsproxy (user, pid) */
  int ns_inum[NS_MAX];        /* ns.inum in each namespace's struct */
  /* For the reference counts (lk_bpf_file.refs...); -1 when unknown: the
   * outside's fds are then always walked. */
  int f_count, f_count_bias; /* file_ref_t (6.13) counts from 0 for one reference */
  int i_pipe, pipe_files, task_files;
  int ns_stashed[NS_MAX];     /* ns.stashed: the nsfs dentry, NULL when nobody holds one */
};

#define MAX_INSNS 512

struct lk_bpf_prog
{
  struct bpf_insn i[MAX_INSNS];
  size_t n;
};

/* What the filtered program lets through: an nsfs file, and an fd whose
 * description or (sockets, pipes, fifos, regular files) inode has its bit
 * set in the filter's bitmap (lk_bpf_filter_set).  One bit per key, no
 * helper call: a false positive costs a record that user space drops. */
struct lk_bpf_map_filter
{
  int map; /* one value: struct lk_bpf_filter */
  uint32_t nsfs_kdev;
};

/* 1: both programs can be built, 0: only the task_file one, -1: none.
 * @cache (may be NULL) keeps them for the rest of the boot. */
int lk_bpf_find_offsets (struct lk_bpf_offsets *o, const char *cache);
/* One struct lk_bpf_file per open file; with @f, unless its pass_all is
 * set, only for the fds that can meet the container's objects. */
void lk_bpf_file_program (const struct lk_bpf_offsets *o, const struct lk_bpf_map_filter *f, struct lk_bpf_prog *p);
/* One struct lk_bpf_task per thread group leader. */
void lk_bpf_task_program (const struct lk_bpf_offsets *o, struct lk_bpf_prog *p);


/* bpf-pin.c: the programs pinned in bpffs for the next commands. */
struct lk_pin_want
{
  uint32_t file_target, task_target; /* BTF ids; task_target 0: no task program */
  bool map;                          /* the filter map */
};
struct lk_pins
{
  int dir; /* locked for this process: the pins are ours while it is open */
  int file_prog, task_prog, map;
};
enum
{
  LK_PIN_MISSING = -1, /* nothing usable pinned: load, then publish */
  LK_PIN_BUSY = -2,    /* another command holds the pins, or no bpffs: load, do not publish */
};
/* "cryo-<version>-<kind><hash of the programs and the boot>"; @kind a
 * letter for the set of programs (see bpf.c). */
char *lk_pin_name (char kind, const struct lk_bpf_prog *file, const struct lk_bpf_prog *task);
/* 0 with @out filled from the pins of @name, else LK_PIN_*. */
int lk_pin_reuse (const char *name, const struct lk_pin_want *want, struct lk_pins *out);
/* Pin @objs (fds of -1 are skipped) as @name: the locked directory's fd, or -1. */
int lk_pin_publish (const char *name, const struct lk_pins *objs);
void lk_pins_release (struct lk_pins *p);
#endif
