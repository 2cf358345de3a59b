/* The -ENOSYS stub runc puts in front of a seccomp filter: a syscall newer
 * than every syscall the profile names (per architecture) fails with
 * ENOSYS instead of getting the default action, so that a program probing
 * for a syscall this profile predates falls back as on an older kernel
 * (glibc's clone3 -> clone, for one) instead of seeing EPERM. */
#ifndef CRYO_SPEC_SECCOMP_ENOSYS_H
#define CRYO_SPEC_SECCOMP_ENOSYS_H

#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

#define ENOSYS_MAX_ARCHS 24

/* The largest syscall number the profile names, for one architecture of
 * the filter (a libseccomp token: SCMP_ARCH_X32 is x86_64 with bit 30). */
struct enosys_arch
{
  uint32_t token;
  uint32_t last_nr;
};

struct enosys_stub
{
  struct enosys_arch archs[ENOSYS_MAX_ARCHS];
  size_t n;
};

/* Record @name's number on each of @tokens where it is larger. */
void enosys_stub_note (struct enosys_stub *st, const uint32_t *tokens, size_t n_tokens, const char *name);

/**
 * enosys_stub_load - load @ctx's filter with the stub in front
 * @flags: SECCOMP_FILTER_FLAG_* for seccomp(2)
 * @notify_fd: set to the listener when @flags asks for one, else -1
 *
 * On failure @err's status is the kernel's errno (EACCES without
 * no_new_privs...).
 */
int enosys_stub_load (const struct enosys_stub *st, scmp_filter_ctx ctx, unsigned flags, int *notify_fd,
                      cryo_error_t *err);

#endif
