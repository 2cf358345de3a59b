/* CVE-2019-5736: a process inside a container must never be able to write
 * the runtime's binary.
 *
 * Every cryo process that enters a container (create, run, exec, restore)
 * first re-executes itself from a sealed in-memory copy of its binary: a
 * memfd with F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW and F_SEAL_WRITE,
 * executed with fexecve.  /proc/PID/exe of that process (and of every child
 * it forks into the container, and of anything that execs /proc/self/exe
 * from there) is then the copy, which no one can modify: opening it for
 * writing gives a file whose writes fail with EPERM.  This is runc's fix
 * (libcontainer/nsenter/cloned_binary.c in runc 1.0-1.1). */
#ifndef CRYO_SEALED_EXE_H
#define CRYO_SEALED_EXE_H

#include <stdbool.h>

#include "lib/error.h"

/* The seals the copy carries; a binary with all of them is the copy. */
#define SEALED_EXE_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* Whether the running binary is already a sealed copy. */
bool sealed_exe_is_sealed (void);

/**
 * sealed_exe_reexec - make sure we run from a sealed copy of our binary
 * @argv: our argv (NULL-terminated), passed on unchanged, as is environ
 *
 * Returns 0 when the running binary is already the sealed copy.  Otherwise
 * copies /proc/self/exe into a new memfd, seals it and fexecve()s it, so on
 * success it does not return.  On failure returns < 0: the caller must not
 * enter a container unprotected.  Fds without close-on-exec stay open
 * across the re-exec (--preserve-fds, LISTEN_FDS, stdio).
 */
int sealed_exe_reexec (char **argv, cryo_error_t *err);

#endif
