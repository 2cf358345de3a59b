/* Linux security modules: process.apparmorProfile and process.selinuxLabel.
 *
 * The label is applied on the container's execve by writing the LSM's exec
 * attribute: "exec <profile>" to /proc/thread-self/attr/apparmor/exec (or
 * attr/exec on kernels without per-LSM directories) for AppArmor, the label
 * to attr/exec for SELinux.
 *
 * When the config asks for a label and the host does not have that LSM,
 * cryo refuses the config in lsm_validate(), before the container starts,
 * with an error naming the missing LSM.  runc 1.1.5 refuses too for SELinux
 * (at validation); for AppArmor it fails late, in the container's init, with
 * "write /proc/self/attr/exec: invalid argument" (measured here; newer
 * Docker-side code drops the profile when AppArmor is off, runc does not).
 * Ignoring a requested confinement silently would run the container less
 * confined than its author asked, so cryo never does. */
#ifndef CRYO_LSM_H
#define CRYO_LSM_H

#include <stdbool.h>

#include "lib/error.h"
#include "lib/json.h"
#include "spec/spec.h"

/* AppArmor is loaded and enabled (/sys/module/apparmor/parameters/enabled
 * is "Y"), as runc checks. */
bool lsm_apparmor_enabled (void);

/* SELinux is enabled: selinuxfs is mounted (where libselinux looks for it). */
bool lsm_selinux_enabled (void);

/**
 * lsm_validate - refuse labels the host cannot apply
 *
 * "process.apparmorProfile: AppArmor is not enabled on this host (profile
 * `foo`); remove the field or enable AppArmor".  A NULL @p is valid.
 */
int lsm_validate (const struct spec_process *p, cryo_error_t *err);

/**
 * lsm_apply_exec_label - set the label the next execve() gets
 *
 * In the container's init, before the seccomp filter is loaded (a profile
 * that denies openat/write would make it fail; runc sets the label before
 * dropping capabilities and loading seccomp).  It only takes effect at the
 * next execve.  Needs /proc mounted in the container.
 */
int lsm_apply_exec_label (const struct spec_process *p, cryo_error_t *err);

/* The "apparmor" and "selinux" members of features.linux. */
void lsm_features (json_gen_t *g);

#endif
