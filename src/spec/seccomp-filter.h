/* The OCI linux.seccomp object turned into a libseccomp filter.
 *
 * Named seccomp-filter.h, and its functions cryo_seccomp_*, because
 * libseccomp owns both <seccomp.h> (a src/seccomp.h would hide it: src/ is on
 * the include path) and the symbol seccomp_load().
 *
 * The filter is built in the runtime before the container starts, so a bad
 * profile fails `cryo create` with one line naming the field; the child,
 * which inherits the built filter through fork, only loads it.
 *
 * Behaviour follows runc: a syscall name this architecture does not know is
 * skipped (logged at debug level); a rule whose action equals the default
 * action is skipped; several conditions on the same argument become one rule
 * per condition.  NOTIFY is refused (cryo has no listenerPath support).
 * Loading never sets no_new_privs itself: the config decides that. */
#ifndef CRYO_SECCOMP_FILTER_H
#define CRYO_SECCOMP_FILTER_H

#include "lib/error.h"
#include "lib/json.h"

struct cryo_seccomp;

/**
 * cryo_seccomp_prepare - build the filter from linux.seccomp
 * @seccomp: the parsed object (spec->linux_->seccomp); NULL gives *out NULL
 *
 * Errors name the field: "linux.seccomp.syscalls[3].action: unknown action
 * `SCMP_ACT_FOO`".
 */
int cryo_seccomp_prepare (json_value_t *seccomp, struct cryo_seccomp **out, cryo_error_t *err);

/**
 * cryo_seccomp_load - load the filter into the calling process
 * @s: NULL does nothing
 *
 * Without no_new_privs the kernel requires CAP_SYS_ADMIN, so when
 * process.noNewPrivileges is false the caller loads the filter while it still
 * has that capability, before caps_apply() (runc does the same); with
 * no_new_privs set, load it after caps_apply(), just before execve, so the
 * filter does not restrict the runtime's own last steps.
 */
int cryo_seccomp_load (struct cryo_seccomp *s, cryo_error_t *err);

void cryo_seccomp_free (struct cryo_seccomp *s);
void cleanup_cryo_seccompp (struct cryo_seccomp **s);
#define cleanup_seccomp __attribute__ ((cleanup (cleanup_cryo_seccompp)))

/* What `cryo features` reports under linux.seccomp, NULL-terminated,
 * static: the actions, the argument operators, the architectures this
 * libseccomp supports, and the filter flags. */
const char *const *cryo_seccomp_actions (void);
const char *const *cryo_seccomp_operators (void);
char **cryo_seccomp_archs (void); /* free with strv_free() */
const char *const *cryo_seccomp_flags (void);

/* The "seccomp" member of features.linux: enabled, actions, operators,
 * archs, knownFlags, and supportedFlags (those this kernel and libseccomp
 * can set). */
void cryo_seccomp_features (json_gen_t *g);

#endif
