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
 * per condition.  Loading never sets no_new_privs itself: the config decides
 * that.
 *
 * SCMP_ACT_NOTIFY rules need linux.seccomp.listenerPath: the process that
 * loads the filter gets the notify fd and hands it to the runtime, which
 * sends it to the seccomp agent listening there (runc's order).  Not as a
 * default action, nor for write or sendmsg, which that hand-off needs. */
#ifndef CRYO_SECCOMP_FILTER_H
#define CRYO_SECCOMP_FILTER_H

#include <stdbool.h>

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
 * @s: NULL, or a filter loaded already, does nothing
 *
 * Without no_new_privs the kernel requires CAP_SYS_ADMIN, so when
 * process.noNewPrivileges is false the caller loads the filter while it still
 * has that capability, before caps_apply() (runc does the same); with
 * no_new_privs set, load it after caps_apply(), just before execve, so the
 * filter does not restrict the runtime's own last steps.
 */
int cryo_seccomp_load (struct cryo_seccomp *s, cryo_error_t *err);

/* True when the filter has a SCMP_ACT_NOTIFY rule: loading it makes a
 * notify fd that must reach the seccomp agent. */
bool cryo_seccomp_has_notify (const struct cryo_seccomp *s);

/* After cryo_seccomp_load: the notify fd, now the caller's (close-on-exec),
 * or -1 when there is none or it was taken already. */
int cryo_seccomp_take_notify_fd (struct cryo_seccomp *s);

/* linux.seccomp.listenerPath (NULL when not set) and listenerMetadata
 * ("" when not set), for the containerProcessState sent to the agent. */
const char *cryo_seccomp_listener_path (const struct cryo_seccomp *s);
const char *cryo_seccomp_listener_metadata (const struct cryo_seccomp *s);

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
