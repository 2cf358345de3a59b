/* linux.sysctl and linux.personality: kernel settings of the container.
 *
 * /proc/sys is only partly namespaced, so a sysctl is accepted only when the
 * namespace that owns it is private to the container (runc's rules):
 *   kernel.msg*, kernel.sem*, kernel.shm*, fs.mqueue.*  a new ipc namespace
 *   net.*                     a net namespace that is not the runtime's own
 *   kernel.hostname, kernel.domainname   a new uts namespace
 * Everything else would change the host and is refused. */
#ifndef CRYO_SYSCTL_H
#define CRYO_SYSCTL_H

#include "lib/error.h"
#include "spec/spec.h"

/**
 * sysctl_validate - check every key against the container's namespaces
 *
 * In the runtime, before the container starts.  Errors name the key:
 * "linux.sysctl: `kernel.pid_max` is not namespaced: it would change the
 * host".  Keys are dotted ("net.ipv4.ip_forward") or slashed
 * ("net/ipv4/conf/eth0.100/forwarding", for names with dots).
 */
int sysctl_validate (const struct spec *spec, cryo_error_t *err);

/**
 * sysctl_apply - write every value to /proc/sys/... in the container
 *
 * In the container's init, in its namespaces, with its /proc mounted and
 * still writable: before rootfs_finalize() makes /proc/sys read-only (the
 * default readonlyPaths list it), as runc does.
 */
int sysctl_apply (const struct spec *spec, cryo_error_t *err);

/**
 * personality_validate - linux.personality: domain LINUX or LINUX32, no flags
 *
 * The runtime spec defines no flag value, so any flag is refused rather
 * than ignored.
 */
int personality_validate (const struct spec *spec, cryo_error_t *err);

/* personality(2) in the container's init; nothing when the field is absent. */
int personality_apply (const struct spec *spec, cryo_error_t *err);

#endif
