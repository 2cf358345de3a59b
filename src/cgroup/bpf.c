/* The device controller of cgroup v2 is an eBPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup: the kernel calls it
 * with (type, access, major, minor) and it returns 1 to allow, 0 to deny.
 *
 * The program is generated from the rule list with v1's meaning: the last
 * rule that matches decides; an allow rule matches when it grants every
 * requested access, a deny rule when it refuses any of them; nothing
 * matched is a denial.  It is loaded with the bpf(2) syscall directly (no
 * libbpf): a few dozen instructions do not need a compiler. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LOG_PREFIX "cgroup: "
#include "cgroup/internal.h"
#include "lib/log.h"
#include "lib/util.h"

#define INSN(c, d, s, o, i)                                                                                  \
  ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(dst, src, off) INSN (BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define MOV_REG(dst, src) INSN (BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV_IMM(dst, imm) INSN (BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define AND_IMM(dst, imm) INSN (BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH_IMM(dst, imm) INSN (BPF_ALU64 | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, off) INSN (BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define JEQ_IMM(dst, imm, off) INSN (BPF_JMP | BPF_JEQ | BPF_K, dst, 0, off, imm)
#define EXIT() INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Registers holding the request: r3 type, r4 access, r5 major, r6 minor. */
enum
{
  R0,
  R1,
  R2,
  R3,
  R4,
  R5,
  R6,
  R7
};

struct prog
{
  struct bpf_insn *insn;
  size_t n;
};

static void
emit (struct prog *p, struct bpf_insn i)
{
  p->insn = xreallocarray (p->insn, p->n + 1, sizeof (i));
  p->insn[p->n++] = i;
}

static int
access_bits (const char *access)
{
  int bits = 0;
  for (const char *a = access; *a; a++)
    bits |= *a == 'r'   ? BPF_DEVCG_ACC_READ
            : *a == 'w' ? BPF_DEVCG_ACC_WRITE
            : *a == 'm' ? BPF_DEVCG_ACC_MKNOD
                        : 0;
  return bits;
}

#define ALL_ACCESS (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

/* One rule: conditions that jump to the end of the block when they do not
 * hold, then "return allow".  Returns whether the rule matches every request
 * (the rules before it can then never decide). */
static bool
emit_rule (struct prog *p, const struct cgroup_devrule *r)
{
  size_t start = p->n;
  int bits = access_bits (r->access);

  if (r->type != 'a')
    emit (p, JNE_IMM (R3, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0));
  if (r->allow && bits != ALL_ACCESS)
    {
      /* Allow only when no requested bit is outside the rule's. */
      emit (p, MOV_REG (R7, R4));
      emit (p, AND_IMM (R7, ~bits & ALL_ACCESS));
      emit (p, JNE_IMM (R7, 0, 0));
    }
  else if (!r->allow && bits != ALL_ACCESS)
    {
      emit (p, MOV_REG (R7, R4));
      emit (p, AND_IMM (R7, bits));
      emit (p, JEQ_IMM (R7, 0, 0));
    }
  if (r->major >= 0)
    emit (p, JNE_IMM (R5, (int32_t)r->major, 0));
  if (r->minor >= 0)
    emit (p, JNE_IMM (R6, (int32_t)r->minor, 0));
  emit (p, MOV_IMM (R0, r->allow ? 1 : 0));
  emit (p, EXIT ());
  /* Point every conditional jump of the block past its end. */
  for (size_t i = start; i < p->n; i++)
    if (BPF_CLASS (p->insn[i].code) == BPF_JMP && BPF_OP (p->insn[i].code) != BPF_EXIT)
      p->insn[i].off = (int16_t)(p->n - i - 1);
  return r->type == 'a' && r->major < 0 && r->minor < 0 && bits == ALL_ACCESS;
}

static void
build (struct prog *p, const struct cgroup_devrule *rules, size_t n)
{
  emit (p, LDX_W (R2, R1, 0)); /* access_type: access << 16 | type */
  emit (p, MOV_REG (R3, R2));
  emit (p, AND_IMM (R3, 0xffff));
  emit (p, MOV_REG (R4, R2));
  emit (p, RSH_IMM (R4, 16));
  emit (p, LDX_W (R5, R1, 4));
  emit (p, LDX_W (R6, R1, 8));
  for (size_t i = n; i > 0; i--)
    if (emit_rule (p, &rules[i - 1]))
      return;
  emit (p, MOV_IMM (R0, 0));
  emit (p, EXIT ());
}

static int
sys_bpf (int cmd, union bpf_attr *attr)
{
  return (int)syscall (SYS_bpf, cmd, attr, sizeof (*attr));
}

static int
load_with_log (const struct prog *p, char *log, size_t log_size)
{
  union bpf_attr attr;

  memset (&attr, 0, sizeof (attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)p->insn;
  attr.insn_cnt = p->n;
  attr.license = (uint64_t)(uintptr_t) "GPL";
  if (log)
    {
      attr.log_buf = (uint64_t)(uintptr_t)log;
      attr.log_size = log_size;
      attr.log_level = 1;
    }
  return sys_bpf (BPF_PROG_LOAD, &attr);
}

static int
load (const struct prog *p, cryo_error_t *err)
{
  cleanup_free char *log = NULL;
  int fd, saved;

  fd = load_with_log (p, NULL, 0);
  if (fd >= 0)
    return fd;
  saved = errno;
  /* Ask again with the verifier's log to say why (a log that does not fit
   * makes the load fail with ENOSPC, so only on failure). */
  log = xzalloc (1 << 16);
  load_with_log (p, log, 1 << 16);
  log[strcspn (log, "\n")] = '\0';
  return cryo_error (err, saved, "load the device cgroup eBPF program (%zu instructions%s%s)", p->n,
                     *log ? ", verifier: " : "", log);
}

/* The programs attached to @dirfd itself (not inherited), and their flags. */
static int
query (int dirfd, uint32_t *ids, uint32_t *n, uint32_t *flags, cryo_error_t *err)
{
  union bpf_attr attr;

  memset (&attr, 0, sizeof (attr));
  attr.query.target_fd = dirfd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
  attr.query.prog_cnt = *n;
  if (sys_bpf (BPF_PROG_QUERY, &attr) < 0)
    return cryo_error (err, errno, "query the device eBPF programs of the cgroup");
  *n = attr.query.prog_cnt;
  *flags = attr.query.attach_flags;
  return 0;
}

static int
detach_id (int dirfd, uint32_t id, cryo_error_t *err)
{
  union bpf_attr attr;
  cleanup_close int prog = -1;

  memset (&attr, 0, sizeof (attr));
  attr.prog_id = id;
  prog = sys_bpf (BPF_PROG_GET_FD_BY_ID, &attr);
  if (prog < 0)
    return errno == ENOENT ? 0 : cryo_error (err, errno, "open device eBPF program %u", id);
  memset (&attr, 0, sizeof (attr));
  attr.target_fd = dirfd;
  attr.attach_bpf_fd = prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  if (sys_bpf (BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
    return cryo_error (err, errno, "detach device eBPF program %u", id);
  return 0;
}

int
cgroup_bpf_devices (const char *dir, const struct cgroup_devrule *rules, size_t n, cryo_error_t *err)
{
  struct prog p = { NULL, 0 };
  cleanup_close int dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int prog = -1;
  uint32_t ids[64], n_old = ARRAY_SIZE (ids), flags = 0;
  union bpf_attr attr;

  if (dirfd < 0)
    return cryo_error (err, errno, "open cgroup `%s`", dir);
  if (query (dirfd, ids, &n_old, &flags, err) < 0)
    return -1;
  build (&p, rules, n);
  prog = load (&p, err);
  free (p.insn);
  if (prog < 0)
    return -1;
  memset (&attr, 0, sizeof (attr));
  attr.target_fd = dirfd;
  attr.attach_bpf_fd = prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  /* A single program attached without ALLOW_MULTI is replaced by attaching
   * the same way; otherwise add ours, then remove the old ones, so that
   * the cgroup is never without a filter. */
  attr.attach_flags = n_old > 0 && !(flags & BPF_F_ALLOW_MULTI) ? 0 : BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &attr) < 0)
    return cryo_error (err, errno, "attach the device eBPF program to `%s`", dir);
  if (attr.attach_flags == 0)
    return 0;
  for (uint32_t i = 0; i < n_old && i < ARRAY_SIZE (ids); i++)
    if (detach_id (dirfd, ids[i], err) < 0)
      return -1;
  log_debug ("device eBPF program with %zu rules attached to `%s`", n, dir);
  return 0;
}
