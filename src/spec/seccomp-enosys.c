/* The -ENOSYS stub (see seccomp-enosys.h): a few classic BPF instructions
 * before libseccomp's program, loaded with seccomp(2) ourselves since
 * libseccomp cannot prepend anything. */
#include "config.h"

#define LOG_PREFIX "seccomp: "

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "spec/seccomp-enosys.h"

#define X32_BIT 0x40000000u

void
enosys_stub_note (struct enosys_stub *st, const uint32_t *tokens, size_t n_tokens, const char *name)
{
  for (size_t i = 0; i < n_tokens; i++)
    {
      int nr = seccomp_syscall_resolve_name_arch (tokens[i], name);
      size_t k;

      if (nr < 0)
        continue;
      for (k = 0; k < st->n && st->archs[k].token != tokens[i]; k++)
        ;
      if (k == st->n)
        {
          if (st->n == ENOSYS_MAX_ARCHS)
            continue;
          st->archs[st->n++] = (struct enosys_arch){ tokens[i], 0 };
        }
      if ((uint32_t)nr > st->archs[k].last_nr)
        st->archs[k].last_nr = (uint32_t)nr;
    }
}

/* The audit architecture the kernel reports in seccomp_data.arch. */
static uint32_t
audit_arch (uint32_t token)
{
  return token == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : token;
}

/* One block per architecture: if seccomp_data.arch is this one (and the
 * x32 bit says the same ABI), a number above the last jumps to @enosys (an
 * index of @prog); else on to the next block.  Returns the new length. */
static size_t
emit_arch (struct sock_filter *prog, size_t n, const struct enosys_arch *a, size_t enosys)
{
  bool x86_64 = a->token == SCMP_ARCH_X86_64, x32 = a->token == SCMP_ARCH_X32;
  uint8_t rest = (x86_64 || x32) ? 3 : 2; /* what follows the arch check */

  prog[n++] = (struct sock_filter)BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch));
  prog[n++] = (struct sock_filter)BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, audit_arch (a->token), 0, rest);
  prog[n++] = (struct sock_filter)BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr));
  if (x86_64)
    prog[n++] = (struct sock_filter)BPF_JUMP (BPF_JMP | BPF_JSET | BPF_K, X32_BIT, 1, 0);
  if (x32)
    prog[n++] = (struct sock_filter)BPF_JUMP (BPF_JMP | BPF_JSET | BPF_K, X32_BIT, 0, 1);
  prog[n]
      = (struct sock_filter)BPF_JUMP (BPF_JMP | BPF_JGT | BPF_K, a->last_nr, (uint8_t)(enosys - n - 1), 0);
  return n + 1;
}

/* libseccomp's program, as it would load it. */
static int
export_filter (scmp_filter_ctx ctx, struct sock_filter **out, size_t *len, cryo_error_t *err)
{
  cleanup_close int fd = memfd_create ("cryo-seccomp", MFD_CLOEXEC);
  cleanup_free char *data = NULL;
  size_t size;
  int ret;

  if (fd < 0)
    return cryo_error (err, errno, "seccomp: memfd for the filter");
  if ((ret = seccomp_export_bpf (ctx, fd)) < 0)
    return cryo_error (err, -ret, "seccomp: export the filter");
  if (lseek (fd, 0, SEEK_SET) < 0)
    return cryo_error (err, errno, "seccomp: rewind the exported filter");
  if (read_all_fd (fd, "the exported seccomp filter", &data, &size, err) < 0)
    return -1;
  if (size == 0 || size % sizeof (struct sock_filter) != 0)
    return cryo_error (err, 0, "seccomp: the exported filter has %zu bytes", size);
  *out = (struct sock_filter *)steal_pointer (&data);
  *len = size / sizeof (struct sock_filter);
  return 0;
}

int
enosys_stub_load (const struct enosys_stub *st, scmp_filter_ctx ctx, unsigned flags, int *notify_fd,
                  cryo_error_t *err)
{
  cleanup_free struct sock_filter *filter = NULL, *prog = NULL;
  size_t filter_len = 0, n = 0, stub_len = 0, enosys;
  struct sock_fprog fprog;
  long ret;

  *notify_fd = -1;
  if (export_filter (ctx, &filter, &filter_len, err) < 0)
    return -1;
  for (size_t i = 0; i < st->n; i++)
    stub_len += 4 + (st->archs[i].token == SCMP_ARCH_X86_64 || st->archs[i].token == SCMP_ARCH_X32);
  stub_len += 2; /* ja over the return, the return */
  if (stub_len + filter_len > BPF_MAXINSNS)
    return cryo_error (err, E2BIG, "seccomp: the filter with its -ENOSYS stub");
  prog = xmalloc ((stub_len + filter_len) * sizeof (*prog));
  enosys = stub_len - 1;
  for (size_t i = 0; i < st->n; i++)
    n = emit_arch (prog, n, &st->archs[i], enosys);
  if (n + 2 != stub_len)
    return cryo_error (err, 0, "seccomp: the -ENOSYS stub is %zu instructions, not %zu", n + 2, stub_len);
  prog[n++] = (struct sock_filter)BPF_STMT (BPF_JMP | BPF_JA, 1);
  prog[n++] = (struct sock_filter)BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
  memcpy (prog + n, filter, filter_len * sizeof (*prog));
  fprog.len = (unsigned short)(n + filter_len);
  fprog.filter = prog;
  ret = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
  if (ret < 0)
    return cryo_error (err, errno, "load the seccomp filter");
  if (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)
    *notify_fd = (int)ret;
  log_debug ("loaded with a -ENOSYS stub of %zu instructions for %zu architectures", n, st->n);
  return 0;
}
