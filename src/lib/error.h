/* The one error-handling idiom of cryo.
 *
 * Every function that can fail takes a `cryo_error_t *err` last and returns a
 * negative number on failure.  The error is made where the failure happens
 * (with errno when there is one), callers may add context with
 * cryo_error_wrap(), and main() prints it once, on one line. */
#ifndef CRYO_ERROR_H
#define CRYO_ERROR_H

#include <stdbool.h>

struct cryo_error_s
{
  int status;  /* errno of the cause, or 0 */
  char *msg;   /* the full message, context first */
};
typedef struct cryo_error_s *cryo_error_t;

/**
 * cryo_error - record an error and return a negative value to propagate
 * @err: where to store it; an error already stored there is freed and replaced;
 *       NULL when the caller does not want the message
 * @status: errno of the cause, or 0; when non-zero ": strerror" is appended
 *
 * Returns -status - 1, always negative, so `return cryo_error (...)` works.
 */
int cryo_error (cryo_error_t *err, int status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/**
 * cryo_error_wrap - prefix the stored error with context: "context: cause"
 * Returns the same negative value as cryo_error().  Without a stored error it
 * creates one from the context alone.
 */
int cryo_error_wrap (cryo_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Free the error and set *err to NULL; NULL-safe and idempotent. */
void cryo_error_release (cryo_error_t *err);

/* The errno stored with the error (0 when none or no error). */
int cryo_error_status (cryo_error_t err);

/* Move an error out, leaving *from NULL: for functions that return a
 * secondary error after cleanup without losing the first one. */
cryo_error_t cryo_error_steal (cryo_error_t *from);

#define cleanup_error __attribute__ ((cleanup (cryo_error_release)))

#endif
