/* OCI hooks (config.json `hooks`): run each hook program with the container
 * state JSON on its stdin, its output captured, and its timeout enforced. */
#ifndef CRYO_HOOKS_H
#define CRYO_HOOKS_H

#include <stddef.h>

#include "lib/error.h"
#include "spec/spec.h"

/**
 * hook_run - run one hook and wait for it
 * @hook: path (absolute), args (args[0] is argv[0]; NULL: just the path),
 *        env (NULL: cryo's own environment, as runc does), timeout (0: none)
 * @what: how errors name it, e.g. "createRuntime"
 * @stdin_data: written to the hook's stdin, which is then closed; may be NULL
 *
 * The hook gets no file descriptor of cryo besides stdin, stdout and stderr,
 * runs in its own process group, and on timeout that whole group is killed:
 * "hook createRuntime `/bin/x` timed out after 5s".  A non-zero exit fails
 * with the status and the first line of the hook's stderr.  The hook's
 * output is logged at debug level.
 */
int hook_run (const struct spec_hook *hook, const char *what, const char *stdin_data, cryo_error_t *err);

/**
 * hooks_run - run every hook of @kind in config order, stop at the first failure
 * @state_json: the container state (runtime-spec state.md) given on stdin
 */
int hooks_run (const struct spec *spec, enum spec_hook_kind kind, const char *state_json, cryo_error_t *err);

/**
 * hooks_run_warn - run every hook of @kind; failures are logged as warnings
 * and the next hook still runs (the runtime-spec's semantics for poststart
 * and poststop).  Returns the number of hooks that failed.
 */
size_t hooks_run_warn (const struct spec *spec, enum spec_hook_kind kind, const char *state_json);

#endif
