/* The named sync protocol between the runtime (parent), the stage-1 child
 * that joins and creates namespaces, and the container's init.
 *
 * Both children share one end of a SOCK_SEQPACKET socketpair, the parent
 * holds the other.  Each message is one packet: a step, a number, an
 * optional payload and optionally one fd (SCM_RIGHTS).  A child that fails
 * sends SYNC_ERROR with its one-line message and exits; the parent reports
 * that message as the command's error.  A peer that goes away is reported
 * with the step that was awaited, so a hang or a crash names where it was. */
#ifndef CRYO_SYNC_H
#define CRYO_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

enum sync_step
{
  SYNC_ERROR,          /* child -> parent: payload is the error message */
  SYNC_STAGE1_GO,      /* parent -> stage-1: it is in the cgroup, go on */
  SYNC_USERMAP,        /* stage-1 -> parent: new user ns made, write uid/gid maps */
  SYNC_USERMAP_DONE,   /* parent -> stage-1 */
  SYNC_INIT_PID,       /* stage-1 -> parent: value is init's pid (runtime pid ns) */
  SYNC_INIT_GO,        /* parent -> init: it has its pid and cgroup, go on */
  SYNC_PRESTART,       /* init -> parent: mounts done, run prestart + createRuntime */
  SYNC_HOOKS_DONE,     /* parent -> init: payload is the state JSON for createContainer */
  SYNC_STATE_CREATED,  /* parent -> init: payload is the state JSON for startContainer */
  SYNC_CONSOLE,        /* init -> parent: the pty master (fd), for a foreground run */
  SYNC_READY,          /* init -> parent: all set up, waiting on the exec fifo */
  SYNC_EXEC_PID,       /* exec stage-1 -> parent: value is the exec'd process's pid */
  SYNC_EXEC_GO,        /* parent -> exec'd process: it has its cgroup and limits, go on */
  SYNC_SECCOMP,        /* init or exec'd process -> parent: the seccomp notify fd (fd) */
  SYNC_SECCOMP_DONE,   /* parent -> init or exec'd process: the agent has it, go on */
  SYNC_MAX,
};

/* "prestart", "ready", ... for messages. */
const char *sync_step_name (enum sync_step step);

struct sync_msg
{
  enum sync_step step;
  int64_t value;
  char *data;   /* NUL-terminated payload, NULL when none */
  size_t len;
  int fd;       /* received fd or -1; the receiver owns it */
};

void sync_msg_clear (struct sync_msg *m);
#define cleanup_sync_msg __attribute__ ((cleanup (sync_msg_clear)))

/* Make the socketpair (both ends close-on-exec). */
int sync_pair (int fds[2], cryo_error_t *err);

/* Send one message; @fd < 0 sends none.  Never raises SIGPIPE. */
int sync_send (int sock, enum sync_step step, int64_t value, const char *data, size_t len,
               int fd, cryo_error_t *err);

/**
 * sync_expect - receive the next message, which must be @step
 *
 * SYNC_ERROR from the peer becomes our error (its message as is); the peer
 * closing its end gives "<who> exited before <step>".  @msg may be NULL.
 */
int sync_expect (int sock, enum sync_step step, const char *who, struct sync_msg *msg,
                 cryo_error_t *err);

/* Receive whatever comes next.  Returns 0, or 1 on end of file. */
int sync_recv (int sock, struct sync_msg *msg, cryo_error_t *err);

/**
 * sync_wait - wait until @sock has a message (or its end), for @timeout_ms
 *
 * The runtime's side: fails with "@who did not answer `@what` within N s".
 * A @timeout_ms of 0 waits without a deadline.
 */
int sync_wait (int sock, unsigned timeout_ms, const char *who, const char *what, cryo_error_t *err);

/* sync_expect within @timeout_ms (the runtime waiting for a child). */
int sync_expect_within (int sock, enum sync_step step, const char *who, unsigned timeout_ms,
                        struct sync_msg *msg, cryo_error_t *err);

/* From a child: send @e (or a fallback text) as SYNC_ERROR.  Best effort. */
void sync_send_error (int sock, cryo_error_t e);

#endif
