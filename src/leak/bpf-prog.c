/* The BPF iterator programs of leak detection, written here as a few dozen
 * instructions each (no libbpf, no BPF compiler in the build), with the
 * offsets of the kernel fields they read from the kernel's own BTF
 * (leak-btf.c), cached for the boot.  leak-bpf.c loads and runs them. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_PREFIX "leaks: "
#include "leak/bpf.h"
#include "leak/internal.h"
#include "lib/util.h"

enum
{
  T_FILE_ITER, T_TASK_ITER, T_FCTX, T_TCTX, T_META, T_TASK, T_FILE, T_INODE, T_SB, T_PID, T_UPID, T_CRED,
  T_NSPROXY, T_NS_COMMON, T_PATH, T_MOUNT, T_PIPE, T_NS_FIRST, /* then one per enum cryo_ns */
  T_MAX = T_NS_FIRST + NS_MAX,
};

static const struct lk_btf_name type_names[T_MAX] = {
  [T_FILE_ITER] = { "bpf_iter_task_file", true }, [T_TASK_ITER] = { "bpf_iter_task", true },
  [T_FCTX] = { "bpf_iter__task_file" }, [T_TCTX] = { "bpf_iter__task" }, [T_META] = { "bpf_iter_meta" },
  [T_TASK] = { "task_struct" }, [T_FILE] = { "file" }, [T_INODE] = { "inode" }, [T_SB] = { "super_block" },
  [T_PID] = { "pid" }, [T_UPID] = { "upid" }, [T_CRED] = { "cred" }, [T_NSPROXY] = { "nsproxy" },
  [T_NS_COMMON] = { "ns_common" }, [T_PATH] = { "path" }, [T_MOUNT] = { "mount" },
  [T_PIPE] = { "pipe_inode_info" },
  [T_NS_FIRST + NS_USER] = { "user_namespace" }, [T_NS_FIRST + NS_MNT] = { "mnt_namespace" },
  [T_NS_FIRST + NS_PID] = { "pid_namespace" }, [T_NS_FIRST + NS_NET] = { "net" },
  [T_NS_FIRST + NS_IPC] = { "ipc_namespace" }, [T_NS_FIRST + NS_UTS] = { "uts_namespace" },
  [T_NS_FIRST + NS_CGROUP] = { "cgroup_namespace" }, [T_NS_FIRST + NS_TIME] = { "time_namespace" },
};

static const char *const nsproxy_names[NS_MAX] = {
  [NS_MNT] = "mnt_ns", [NS_NET] = "net_ns", [NS_IPC] = "ipc_ns", [NS_UTS] = "uts_ns",
  [NS_CGROUP] = "cgroup_ns", [NS_TIME] = "time_ns",
};

static bool
all_found (const int *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (v[i] < 0)
      return false;
  return true;
}

static bool
file_offsets (const struct lk_btf *b, const uint32_t *id, struct lk_bpf_offsets *o)
{
  o->file_iter = id[T_FILE_ITER];
  o->fctx_meta = lk_btf_member (b, id[T_FCTX], "meta");
  o->fctx_task = lk_btf_member (b, id[T_FCTX], "task");
  o->fctx_fd = lk_btf_member (b, id[T_FCTX], "fd");
  o->fctx_file = lk_btf_member (b, id[T_FCTX], "file");
  o->meta_seq = lk_btf_member (b, id[T_META], "seq");
  o->tgid = lk_btf_member (b, id[T_TASK], "tgid");
  o->f_inode = lk_btf_member (b, id[T_FILE], "f_inode");
  o->i_ino = lk_btf_member (b, id[T_INODE], "i_ino");
  o->i_mode = lk_btf_member (b, id[T_INODE], "i_mode");
  o->i_rdev = lk_btf_member (b, id[T_INODE], "i_rdev");
  o->i_sb = lk_btf_member (b, id[T_INODE], "i_sb");
  o->s_dev = lk_btf_member (b, id[T_SB], "s_dev");
  {
    int f_path = lk_btf_member (b, id[T_FILE], "f_path"), mnt = lk_btf_member (b, id[T_PATH], "mnt");
    o->f_path_mnt = f_path < 0 || mnt < 0 ? -1 : f_path + mnt;
    o->mount_mnt = lk_btf_member (b, id[T_MOUNT], "mnt");
    o->mount_id = lk_btf_member (b, id[T_MOUNT], "mnt_id");
  }
  return o->file_iter && all_found (&o->fctx_meta, 4) && o->meta_seq >= 0 && all_found (&o->f_inode, 6) && o->tgid >= 0;
}

/* The offset of ns_common member @common (its offset in ns_common) in the
 * struct of namespace type @t, -1 when unknown. */
static int
ns_member (const struct lk_btf *b, const uint32_t *id, int t, int common)
{
  int ns = lk_btf_member (b, id[T_NS_FIRST + t], "ns");

  return ns < 0 || common < 0 ? -1 : ns + common;
}

/* What the reference counts need; any of them missing: no counts. */
static void
count_offsets (const struct lk_btf *b, const uint32_t *id, struct lk_bpf_offsets *o)
{
  int stashed = lk_btf_member (b, id[T_NS_COMMON], "stashed");

  o->f_count = lk_btf_member (b, id[T_FILE], "f_ref");
  o->f_count_bias = 1;
  if (o->f_count < 0)
    {
      o->f_count = lk_btf_member (b, id[T_FILE], "f_count");
      o->f_count_bias = 0;
    }
  o->i_pipe = lk_btf_member (b, id[T_INODE], "i_pipe");
  o->pipe_files = lk_btf_member (b, id[T_PIPE], "files");
  o->task_files = lk_btf_member (b, id[T_TASK], "files");
  for (int t = 0; t < NS_MAX; t++)
    if ((o->ns_stashed[t] = ns_member (b, id, t, stashed)) < 0)
      o->f_count = -1;
  if (o->i_pipe < 0 || o->pipe_files < 0 || o->task_files < 0)
    o->f_count = -1;
}

static bool
task_offsets (const struct lk_btf *b, const uint32_t *id, struct lk_bpf_offsets *o)
{
  int inum = lk_btf_member (b, id[T_NS_COMMON], "inum");

  o->task_iter = id[T_TASK_ITER];
  o->tctx_meta = lk_btf_member (b, id[T_TCTX], "meta");
  o->tctx_task = lk_btf_member (b, id[T_TCTX], "task");
  o->pid = lk_btf_member (b, id[T_TASK], "pid");
  o->real_parent = lk_btf_member (b, id[T_TASK], "real_parent");
  o->parent = lk_btf_member (b, id[T_TASK], "parent");
  o->ptrace = lk_btf_member (b, id[T_TASK], "ptrace");
  o->flags = lk_btf_member (b, id[T_TASK], "flags");
  o->exit_state = lk_btf_member (b, id[T_TASK], "exit_state");
  o->comm = lk_btf_member (b, id[T_TASK], "comm");
  o->thread_pid = lk_btf_member (b, id[T_TASK], "thread_pid");
  o->real_cred = lk_btf_member (b, id[T_TASK], "real_cred");
  o->nsproxy = lk_btf_member (b, id[T_TASK], "nsproxy");
  o->pid_level = lk_btf_member (b, id[T_PID], "level");
  o->pid_numbers = lk_btf_member (b, id[T_PID], "numbers");
  o->upid_size = lk_btf_size (b, id[T_UPID]);
  o->upid_nr = lk_btf_member (b, id[T_UPID], "nr");
  o->upid_ns = lk_btf_member (b, id[T_UPID], "ns");
  o->cred_user_ns = lk_btf_member (b, id[T_CRED], "user_ns");
  for (int t = 0; t < NS_MAX; t++)
    {
      o->ns_inum[t] = ns_member (b, id, t, inum);
      o->nsproxy_member[t] = nsproxy_names[t] ? lk_btf_member (b, id[T_NSPROXY], nsproxy_names[t]) : -1;
      if (o->ns_inum[t] < 0 || (nsproxy_names[t] && o->nsproxy_member[t] < 0))
        return false;
    }
  return o->task_iter && all_found (&o->tctx_meta, 2) && all_found (&o->pid, 10) && all_found (&o->pid_level, 6);
}

/* The offsets of a boot's kernel, saved for the next scans: reading and
 * searching 5 MB of BTF costs more than the scan it serves. */
struct offsets_cache
{
  char magic[8];
  char boot_id[40];
  uint32_t size;
  int found;
  struct lk_bpf_offsets o;
};

#define CACHE_MAGIC "cryoBTF3"

static bool
boot_id (char out[40])
{
  char buf[64];
  cleanup_close int fd = open ("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);

  memset (out, 0, 40);
  if (fd < 0 || read (fd, buf, sizeof (buf)) < 36)
    return false;
  memcpy (out, buf, 36);
  return true;
}

static int find_offsets_btf (struct lk_bpf_offsets *o);

int
lk_bpf_find_offsets (struct lk_bpf_offsets *o, const char *cache)
{
  struct offsets_cache c;
  cleanup_free char *text = NULL;
  size_t len = 0;
  char id[40];
  bool have_id = boot_id (id);

  if (cache && have_id && read_all_file (cache, &text, &len, NULL) == 0 && len == sizeof (c))
    {
      memcpy (&c, text, sizeof (c));
      if (memcmp (c.magic, CACHE_MAGIC, 8) == 0 && memcmp (c.boot_id, id, 40) == 0 && c.size == sizeof (c))
        {
          *o = c.o;
          return c.found;
        }
    }
  memset (&c, 0, sizeof (c));
  c.found = find_offsets_btf (&c.o);
  if (cache && have_id && c.found >= 0)
    {
      memcpy (c.magic, CACHE_MAGIC, 8);
      memcpy (c.boot_id, id, 40);
      c.size = sizeof (c);
      write_file_atomic_at (AT_FDCWD, cache, &c, sizeof (c), NULL);
    }
  *o = c.o;
  return c.found;
}

static int
find_offsets_btf (struct lk_bpf_offsets *o)
{
  struct lk_btf *b = NULL;
  uint32_t id[T_MAX] = { 0 };
  int ret = -1;

  if (lk_btf_open (&b) < 0)
    return -1;
  lk_btf_find (b, type_names, id, T_MAX);
  count_offsets (b, id, o);
  if (file_offsets (b, id, o))
    ret = task_offsets (b, id, o) ? 1 : 0;
  lk_btf_free (b);
  return ret;
}

#define INSN(c, d, s, o, i) ((struct bpf_insn) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX(size, d, s, o) INSN (BPF_LDX | BPF_MEM | (size), d, s, o, 0)
#define STX(size, d, s, o) INSN (BPF_STX | BPF_MEM | (size), d, s, o, 0)
#define ST(size, d, o, i) INSN (BPF_ST | BPF_MEM | (size), d, 0, o, i)
#define MOV(d, s) INSN (BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOVI(d, i) INSN (BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ADDI(d, i) INSN (BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define JEQI(d, i, o) INSN (BPF_JMP | BPF_JEQ | BPF_K, d, 0, o, i)
#define JNE(d, s, o) INSN (BPF_JMP | BPF_JNE | BPF_X, d, s, o, 0)
#define JNEI(d, i, o) INSN (BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
#define JEQI32(d, i, o) INSN (BPF_JMP32 | BPF_JEQ | BPF_K, d, 0, o, i)
#define ANDI(d, i) INSN (BPF_ALU64 | BPF_AND | BPF_K, d, 0, 0, i)
#define ADD(d, s) INSN (BPF_ALU64 | BPF_ADD | BPF_X, d, s, 0, 0)
#define MULI(d, i) INSN (BPF_ALU64 | BPF_MUL | BPF_K, d, 0, 0, i)
#define CALL(f) INSN (BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT() INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Jumps with this offset go to the final "return 0", patched by finish(). */
#define TO_EXIT 0x7fff
static void
emit (struct lk_bpf_prog *p, struct bpf_insn insn)
{
  if (p->n < MAX_INSNS)
    p->i[p->n++] = insn;
}

/* r10[@dst] = @size bytes at @src + @off, with bpf_probe_read_kernel: a
 * bad address reads as zeros, and the verifier has no pointer types to
 * check (each typed load through a trusted pointer costs it a search of
 * the whole BTF by name, milliseconds each). */
static void
probe (struct lk_bpf_prog *p, int src, int off, int dst, int size)
{
  emit (p, MOV (BPF_REG_3, src));
  emit (p, ADDI (BPF_REG_3, off));
  emit (p, MOV (BPF_REG_1, BPF_REG_10));
  emit (p, ADDI (BPF_REG_1, dst));
  emit (p, MOVI (BPF_REG_2, size));
  emit (p, CALL (BPF_FUNC_probe_read_kernel));
}

/* r10[@dst] = (u32) *(...*(*(@src + offs[0]) + offs[1])... + offs[n-1]),
 * through the 8-byte scratch slot at r10 + @scratch. */
static void
chain (struct lk_bpf_prog *p, int src, const int *offs, size_t n, int dst, int scratch)
{
  for (size_t k = 0; k + 1 < n; k++)
    {
      probe (p, src, offs[k], scratch, 8);
      emit (p, LDX (BPF_DW, BPF_REG_0, BPF_REG_10, scratch));
      src = BPF_REG_0;
    }
  probe (p, src, offs[n - 1], dst, 4);
}

/* seq_write (meta->seq, r10 + @rec, @size) with the ctx in r6, then exit. */
static void
finish (struct lk_bpf_prog *p, int meta, int meta_seq, int rec, int size)
{
  emit (p, LDX (BPF_DW, BPF_REG_1, BPF_REG_6, meta));
  emit (p, LDX (BPF_DW, BPF_REG_1, BPF_REG_1, meta_seq));
  emit (p, MOV (BPF_REG_2, BPF_REG_10));
  emit (p, ADDI (BPF_REG_2, rec));
  emit (p, MOVI (BPF_REG_3, size));
  emit (p, CALL (BPF_FUNC_seq_write));
  for (size_t i = 0; i < p->n; i++)
    if (p->i[i].off == TO_EXIT)
      p->i[i].off = (int16_t) (p->n - i - 1);
  emit (p, MOVI (BPF_REG_0, 0));
  emit (p, EXIT ());
}

#define GOLDEN 0x9E3779B97F4A7C15ULL

static void
load_imm64 (struct lk_bpf_prog *p, int dst, int src, uint64_t imm)
{
  emit (p, INSN (BPF_LD | BPF_DW | BPF_IMM, dst, src, 0, (int32_t) (uint32_t) imm));
  emit (p, INSN (0, 0, 0, 0, (int32_t) (uint32_t) (imm >> 32)));
}

/* Jump (@jump, patched by the caller) when the bit of the key in r3 is
 * set; r1 holds the filter, r4 and r5 are scratch. */
static void
test_bit (struct lk_bpf_prog *p, size_t *jump)
{
  load_imm64 (p, BPF_REG_4, 0, GOLDEN);
  emit (p, INSN (BPF_ALU64 | BPF_MUL | BPF_X, BPF_REG_3, BPF_REG_4, 0, 0));
  emit (p, INSN (BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 64 - LK_BPF_FILTER_ORDER));
  emit (p, MOV (BPF_REG_5, BPF_REG_3));
  emit (p, INSN (BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_5, 0, 0, 3));
  emit (p, MOV (BPF_REG_4, BPF_REG_1));
  emit (p, ADD (BPF_REG_4, BPF_REG_5));
  emit (p, LDX (BPF_B, BPF_REG_4, BPF_REG_4, (int) offsetof (struct lk_bpf_filter, bits)));
  emit (p, ANDI (BPF_REG_3, 7));
  emit (p, INSN (BPF_ALU64 | BPF_RSH | BPF_X, BPF_REG_4, BPF_REG_3, 0, 0));
  emit (p, ANDI (BPF_REG_4, 1));
  *jump = p->n;
  emit (p, JNEI (BPF_REG_4, 0, 0));
}

/* r6 the context, r7 the task, r8 the file, or exit. */
static void
file_prologue (const struct lk_bpf_offsets *o, struct lk_bpf_prog *p)
{
  emit (p, MOV (BPF_REG_6, BPF_REG_1));
  emit (p, LDX (BPF_DW, BPF_REG_7, BPF_REG_6, o->fctx_task));
  emit (p, JEQI (BPF_REG_7, 0, TO_EXIT));
  emit (p, LDX (BPF_DW, BPF_REG_8, BPF_REG_6, o->fctx_file));
  emit (p, JEQI (BPF_REG_8, 0, TO_EXIT));
}

/* Exit unless the fd can meet the container's objects, touching as little
 * of the kernel's memory as it can: most fds of the host are decided by
 * their struct file's address, or their inode's mode. */
static void
filter_checks (const struct lk_bpf_offsets *o, const struct lk_bpf_map_filter *f, struct lk_bpf_prog *p, int rec)
{
  size_t jumps[4];

  load_imm64 (p, BPF_REG_1, BPF_PSEUDO_MAP_VALUE, (uint32_t) f->map);
  emit (p, LDX (BPF_DW, BPF_REG_2, BPF_REG_1, (int) offsetof (struct lk_bpf_filter, seen)));
  emit (p, ADDI (BPF_REG_2, 1));
  emit (p, STX (BPF_DW, BPF_REG_1, BPF_REG_2, (int) offsetof (struct lk_bpf_filter, seen)));
  emit (p, LDX (BPF_W, BPF_REG_2, BPF_REG_1, (int) offsetof (struct lk_bpf_filter, pass_all)));
  jumps[3] = p->n;
  emit (p, JNEI (BPF_REG_2, 0, 0));
  /* the description: its address as a number, read back from the map
   * (the verifier allows no arithmetic on a pointer, nor reading a stored
   * one in parts; through the map costs no helper call) */
  emit (p, STX (BPF_DW, BPF_REG_1, BPF_REG_8, (int) offsetof (struct lk_bpf_filter, scratch)));
  emit (p, LDX (BPF_DW, BPF_REG_3, BPF_REG_1, (int) offsetof (struct lk_bpf_filter, scratch)));
  test_bit (p, &jumps[0]);
  /* only a socket, pipe, fifo or regular file (nsfs files are) */
  emit (p, LDX (BPF_DW, BPF_REG_9, BPF_REG_8, o->f_inode));
  emit (p, JEQI (BPF_REG_9, 0, TO_EXIT));
  emit (p, LDX (BPF_H, BPF_REG_2, BPF_REG_9, o->i_mode));
  emit (p, ANDI (BPF_REG_2, S_IFMT));
  emit (p, JEQI (BPF_REG_2, S_IFSOCK, 2));
  emit (p, JEQI (BPF_REG_2, S_IFIFO, 1));
  emit (p, INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, TO_EXIT, S_IFREG));
  emit (p, LDX (BPF_DW, BPF_REG_3, BPF_REG_9, o->i_sb));
  emit (p, JEQI (BPF_REG_3, 0, TO_EXIT));
  emit (p, LDX (BPF_W, BPF_REG_3, BPF_REG_3, o->s_dev));
  jumps[1] = p->n;
  emit (p, JEQI32 (BPF_REG_3, (int32_t) f->nsfs_kdev, 0));
  /* the inode */
  emit (p, INSN (BPF_ALU64 | BPF_LSH | BPF_K, BPF_REG_3, 0, 0, 40));
  emit (p, LDX (BPF_DW, BPF_REG_4, BPF_REG_9, o->i_ino));
  emit (p, INSN (BPF_ALU64 | BPF_XOR | BPF_X, BPF_REG_3, BPF_REG_4, 0, 0));
  load_imm64 (p, BPF_REG_1, BPF_PSEUDO_MAP_VALUE, (uint32_t) f->map);
  test_bit (p, &jumps[2]);
  emit (p, INSN (BPF_JMP | BPF_JA, 0, 0, TO_EXIT, 0));
  for (int j = 0; j < 4; j++)
    p->i[jumps[j]].off = (int16_t) (p->n - jumps[j] - 1);
}

#define FREC(field) (rec + (int) offsetof (struct lk_bpf_file, field))

/* What lk_index_outside_fds() compares, with r7 the task, r8 the file, r9
 * its inode: the fd table, the description's references, the files open
 * on a pipe or fifo. */
static void
file_counts (const struct lk_bpf_offsets *o, struct lk_bpf_prog *p, int rec)
{
  emit (p, ST (BPF_DW, BPF_REG_10, FREC (files_struct), 0));
  emit (p, ST (BPF_DW, BPF_REG_10, FREC (refs), 0));
  emit (p, ST (BPF_DW, BPF_REG_10, FREC (pipe_files), 0));
  if (o->f_count < 0)
    return;
  emit (p, LDX (BPF_DW, BPF_REG_1, BPF_REG_7, o->task_files));
  emit (p, STX (BPF_DW, BPF_REG_10, BPF_REG_1, FREC (files_struct)));
  emit (p, LDX (BPF_DW, BPF_REG_1, BPF_REG_8, o->f_count));
  emit (p, ADDI (BPF_REG_1, o->f_count_bias));
  emit (p, STX (BPF_DW, BPF_REG_10, BPF_REG_1, FREC (refs)));
  emit (p, LDX (BPF_H, BPF_REG_2, BPF_REG_9, o->i_mode));
  emit (p, ANDI (BPF_REG_2, S_IFMT));
  emit (p, JNEI (BPF_REG_2, S_IFIFO, 4));
  emit (p, LDX (BPF_DW, BPF_REG_1, BPF_REG_9, o->i_pipe));
  emit (p, JEQI (BPF_REG_1, 0, 2));
  emit (p, LDX (BPF_W, BPF_REG_1, BPF_REG_1, o->pipe_files));
  emit (p, STX (BPF_W, BPF_REG_10, BPF_REG_1, FREC (pipe_files)));
}

/* One struct lk_bpf_file per open file; with @f, unless its pass_all is
 * set, only for the fds that can meet the container's objects. */
void
lk_bpf_file_program (const struct lk_bpf_offsets *o, const struct lk_bpf_map_filter *f, struct lk_bpf_prog *p)
{
  const int rec = -(int) sizeof (struct lk_bpf_file);

  file_prologue (o, p);
  if (f)
    filter_checks (o, f, p, rec);
  emit (p, LDX (BPF_W, BPF_REG_1, BPF_REG_7, o->tgid));
  emit (p, STX (BPF_W, BPF_REG_10, BPF_REG_1, rec + 0));
  emit (p, LDX (BPF_W, BPF_REG_1, BPF_REG_6, o->fctx_fd));
  emit (p, STX (BPF_W, BPF_REG_10, BPF_REG_1, rec + 4));
  emit (p, STX (BPF_DW, BPF_REG_10, BPF_REG_8, rec + 16)); /* the struct file itself */
  emit (p, LDX (BPF_DW, BPF_REG_9, BPF_REG_8, o->f_inode));
  emit (p, JEQI (BPF_REG_9, 0, TO_EXIT));
  emit (p, LDX (BPF_DW, BPF_REG_1, BPF_REG_9, o->i_ino));
  emit (p, STX (BPF_DW, BPF_REG_10, BPF_REG_1, rec + 8));
  emit (p, LDX (BPF_H, BPF_REG_1, BPF_REG_9, o->i_mode));
  emit (p, STX (BPF_W, BPF_REG_10, BPF_REG_1, rec + 28));
  emit (p, LDX (BPF_W, BPF_REG_1, BPF_REG_9, o->i_rdev));
  emit (p, STX (BPF_W, BPF_REG_10, BPF_REG_1, rec + 32));
  emit (p, LDX (BPF_DW, BPF_REG_2, BPF_REG_9, o->i_sb));
  emit (p, JEQI (BPF_REG_2, 0, TO_EXIT));
  emit (p, LDX (BPF_W, BPF_REG_1, BPF_REG_2, o->s_dev));
  emit (p, STX (BPF_W, BPF_REG_10, BPF_REG_1, rec + 24));
  /* mnt_id: container_of (file->f_path.mnt, struct mount, mnt)->mnt_id */
  emit (p, ST (BPF_W, BPF_REG_10, rec + 36, -1));
  if (o->f_path_mnt >= 0 && o->mount_mnt >= 0 && o->mount_id >= 0)
    {
      probe (p, BPF_REG_8, o->f_path_mnt, rec - 8, 8);
      emit (p, LDX (BPF_DW, BPF_REG_0, BPF_REG_10, rec - 8));
      probe (p, BPF_REG_0, o->mount_id - o->mount_mnt, rec + 36, 4);
    }
  file_counts (o, p, rec);
  finish (p, o->fctx_meta, o->meta_seq, rec, sizeof (struct lk_bpf_file));
}

#define TREC(field) (rec + (int) offsetof (struct lk_bpf_task, field))

/* Set bit @t of the record's ns_held when the pointer at the end of the
 * chain @src + offs[0] -> ... + offs[n-1] (a namespace's stashed nsfs
 * dentry) is not NULL. */
static void
held_bit (struct lk_bpf_prog *p, int src, const int *offs, size_t n, int t, int rec, int scratch)
{
  for (size_t k = 0; k < n; k++)
    {
      probe (p, src, offs[k], scratch, 8);
      emit (p, LDX (BPF_DW, BPF_REG_0, BPF_REG_10, scratch));
      src = BPF_REG_0;
    }
  emit (p, JEQI (BPF_REG_0, 0, 3));
  emit (p, LDX (BPF_W, BPF_REG_1, BPF_REG_10, TREC (ns_held)));
  emit (p, INSN (BPF_ALU | BPF_OR | BPF_K, BPF_REG_1, 0, 0, 1 << t));
  emit (p, STX (BPF_W, BPF_REG_10, BPF_REG_1, TREC (ns_held)));
}

/* The pid and the pid namespace of the task in its own namespace:
 * thread_pid->numbers[thread_pid->level]. */
static void
task_pid_ns (const struct lk_bpf_offsets *o, struct lk_bpf_prog *p, int rec, int scratch)
{
  probe (p, BPF_REG_7, o->thread_pid, scratch, 8);
  emit (p, LDX (BPF_DW, BPF_REG_9, BPF_REG_10, scratch));
  probe (p, BPF_REG_9, o->pid_level, TREC (level), 4);
  emit (p, LDX (BPF_W, BPF_REG_1, BPF_REG_10, TREC (level)));
  emit (p, MULI (BPF_REG_1, o->upid_size));
  emit (p, ADD (BPF_REG_9, BPF_REG_1)); /* &numbers[level] - numbers */
  probe (p, BPF_REG_9, o->pid_numbers + o->upid_nr, TREC (nspid), 4);
  chain (p, BPF_REG_9, (const int[]) { o->pid_numbers + o->upid_ns, o->ns_inum[NS_PID] }, 2, TREC (ns[NS_PID]),
         scratch);
  if (o->f_count >= 0)
    held_bit (p, BPF_REG_9, (const int[]) { o->pid_numbers + o->upid_ns, o->ns_stashed[NS_PID] }, 2, NS_PID, rec,
              scratch);
}

/* The fd table and which namespaces have an nsfs dentry: what the
 * reference counts need (lk_index_outside_fds); r8 is the nsproxy. */
static void
task_counts (const struct lk_bpf_offsets *o, struct lk_bpf_prog *p, int rec, int scratch)
{
  if (o->f_count < 0)
    return;
  probe (p, BPF_REG_7, o->task_files, TREC (files_struct), 8);
  held_bit (p, BPF_REG_7, (const int[]) { o->real_cred, o->cred_user_ns, o->ns_stashed[NS_USER] }, 3, NS_USER, rec,
            scratch);
  for (int t = 0; t < NS_MAX; t++)
    if (o->nsproxy_member[t] >= 0)
      held_bit (p, BPF_REG_8, (const int[]) { o->nsproxy_member[t], o->ns_stashed[t] }, 2, t, rec, scratch);
}

/* One struct lk_bpf_task per thread group leader. */
void
lk_bpf_task_program (const struct lk_bpf_offsets *o, struct lk_bpf_prog *p)
{
  const int rec = -(int) sizeof (struct lk_bpf_task), scratch = rec - 8;

  emit (p, MOV (BPF_REG_6, BPF_REG_1));
  emit (p, LDX (BPF_DW, BPF_REG_7, BPF_REG_6, o->tctx_task));
  emit (p, JEQI (BPF_REG_7, 0, TO_EXIT));
  for (int off = 0; off < (int) sizeof (struct lk_bpf_task); off += 8)
    emit (p, ST (BPF_DW, BPF_REG_10, rec + off, 0));
  emit (p, LDX (BPF_W, BPF_REG_1, BPF_REG_7, o->tgid));
  emit (p, LDX (BPF_W, BPF_REG_2, BPF_REG_7, o->pid));
  emit (p, JNE (BPF_REG_1, BPF_REG_2, TO_EXIT)); /* threads come with their leader */
  emit (p, STX (BPF_W, BPF_REG_10, BPF_REG_1, TREC (tgid)));
  emit (p, STX (BPF_W, BPF_REG_10, BPF_REG_2, TREC (pid)));
  emit (p, LDX (BPF_W, BPF_REG_1, BPF_REG_7, o->ptrace));
  emit (p, STX (BPF_W, BPF_REG_10, BPF_REG_1, TREC (ptrace)));
  emit (p, LDX (BPF_W, BPF_REG_1, BPF_REG_7, o->flags));
  emit (p, STX (BPF_W, BPF_REG_10, BPF_REG_1, TREC (flags)));
  emit (p, LDX (BPF_W, BPF_REG_1, BPF_REG_7, o->exit_state));
  emit (p, STX (BPF_W, BPF_REG_10, BPF_REG_1, TREC (exit_state)));
  emit (p, LDX (BPF_DW, BPF_REG_1, BPF_REG_7, o->comm));
  emit (p, STX (BPF_DW, BPF_REG_10, BPF_REG_1, TREC (comm)));
  emit (p, LDX (BPF_DW, BPF_REG_1, BPF_REG_7, o->comm + 8));
  emit (p, STX (BPF_DW, BPF_REG_10, BPF_REG_1, TREC (comm) + 8));
  chain (p, BPF_REG_7, (const int[]) { o->real_parent, o->tgid }, 2, TREC (ppid), scratch);
  chain (p, BPF_REG_7, (const int[]) { o->parent, o->tgid }, 2, TREC (parent), scratch);
  chain (p, BPF_REG_7, (const int[]) { o->real_cred, o->cred_user_ns, o->ns_inum[NS_USER] }, 3,
         TREC (ns[NS_USER]), scratch);
  task_pid_ns (o, p, rec, scratch);
  /* A zombie has no nsproxy: its namespaces read as zeros. */
  probe (p, BPF_REG_7, o->nsproxy, scratch, 8);
  emit (p, LDX (BPF_DW, BPF_REG_8, BPF_REG_10, scratch));
  for (int t = 0; t < NS_MAX; t++)
    if (o->nsproxy_member[t] >= 0)
      chain (p, BPF_REG_8, (const int[]) { o->nsproxy_member[t], o->ns_inum[t] }, 2, TREC (ns[t]), scratch);
  task_counts (o, p, rec, scratch);
  finish (p, o->tctx_meta, o->meta_seq, rec, sizeof (struct lk_bpf_task));
}

static void
set_bit (struct lk_bpf_filter *f, uint64_t key)
{
  uint64_t bit = (key * GOLDEN) >> (64 - LK_BPF_FILTER_ORDER);

  f->bits[bit >> 3] |= (uint8_t) (1 << (bit & 7));
}

void
lk_bpf_filter_file (struct lk_bpf_filter *f, uint64_t file)
{
  set_bit (f, file);
}

void
lk_bpf_filter_inode (struct lk_bpf_filter *f, uint32_t kdev, uint64_t ino)
{
  set_bit (f, (uint64_t) kdev << 40 ^ ino);
}

