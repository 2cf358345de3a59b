/* Capabilities of the container's process, with libcap.
 *
 * Names are looked up in cryo's own table first (every capability up to the
 * newest kernel cryo knows), then in libcap (a newer libcap may know more),
 * so a capability is never refused only because the libcap of the build
 * machine predates it.  A name that neither knows is an error naming the set
 * and the capability.  A known capability that this kernel lacks (above
 * /proc/sys/kernel/cap_last_cap) is left out with a warning, as runc does:
 * the same config must run on an older kernel.
 *
 * Absent sets (and an absent process.capabilities) are empty: the process
 * gets no capability that the config does not name. */
#ifndef CRYO_CAPS_H
#define CRYO_CAPS_H

#include <stdint.h>

#include "lib/error.h"
#include "spec/spec.h"

/* JSON names of the sets, indexed by enum spec_cap_set ("bounding", ...). */
extern const char *const caps_set_names[CAP_SET_MAX];

/**
 * caps_validate - check every name of every set, before the container starts
 *
 * Fails with "process.capabilities.bounding: unknown capability `CAP_FOO`".
 * A NULL @caps is valid (no capability at all).
 */
int caps_validate (const struct spec_capabilities *caps, cryo_error_t *err);

/**
 * caps_apply - give the calling process exactly the configured sets
 *
 * Call it last before seccomp and execve, after setresuid(): when the uid is
 * not 0 the caller must have set prctl(PR_SET_KEEPCAPS, 1) before setresuid()
 * so the permitted set survives.  Raises the effective set from the permitted
 * one (setresuid cleared it), drops the bounding set (up to the kernel's last
 * capability, not only those cryo knows), sets effective, permitted and
 * inheritable in one capset, then the ambient set (only the capabilities
 * that are also permitted and inheritable, as runc does), and clears KEEPCAPS.
 * A NULL @caps drops everything.
 */
int caps_apply (const struct spec_capabilities *caps, cryo_error_t *err);

/**
 * caps_from_name - the number of a capability name ("CAP_NET_ADMIN")
 *
 * Returns the number, or -1 when neither cryo nor libcap knows the name.
 * The number may be above what the running kernel supports.
 */
int caps_from_name (const char *name);

/* The highest capability number the running kernel supports. */
int caps_last_cap (void);

/**
 * caps_set_mask - resolve one set to a bit mask (bit N = capability N)
 * @field: JSON path named in errors ("process.capabilities.ambient")
 *
 * Capabilities the kernel lacks are left out with a warning.
 */
int caps_set_mask (char *const *names, const char *field, uint64_t *mask, cryo_error_t *err);

/**
 * caps_mask_names - the names of the capabilities in @mask, in number order
 *
 * A number without a name is written "CAP_<N>" (a kernel newer than cryo
 * and libcap).  NULL-terminated; free with strv_free().
 */
char **caps_mask_names (uint64_t mask);

/* Every capability cryo knows, in number order, for `cryo features`
 * (runc lists the capabilities it knows too).  Free with strv_free(). */
char **caps_known_names (void);

/**
 * caps_add - `cryo exec --cap NAME`: add capabilities to a process
 * @caps: the process's capabilities; allocated when *caps is NULL
 *
 * Adds each name to the bounding, effective and permitted sets, and to the
 * ambient set only when it is already inheritable (runc >= 1.1.2 no longer
 * makes --cap inheritable: CVE-2022-29162).  Unknown names are an error
 * naming "--cap".
 */
int caps_add (struct spec_capabilities **caps, char *const *names, cryo_error_t *err);

#endif
