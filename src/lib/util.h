/* Small helpers every file uses: cleanup attributes, ownership transfer,
 * allocation that treats OOM as fatal, whole-file I/O. */
#ifndef CRYO_UTIL_H
#define CRYO_UTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "lib/error.h"

#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))
#define UNUSED __attribute__ ((unused))

/* Allocation failures end the process: an OOM branch at every call site
 * would be code that never runs and is never tested. */
_Noreturn void oom (void);
void *xmalloc (size_t size);
void *xzalloc (size_t size);
void *xrealloc (void *ptr, size_t size);
void *xreallocarray (void *ptr, size_t n, size_t size);
char *xstrdup (const char *s);   /* NULL in, NULL out */
char *xstrndup (const char *s, size_t n);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Cleanup attributes.  Every cleanup function accepts "nothing to do"
 * (NULL, -1) and is idempotent. */
void cleanup_freep (void *p);
void cleanup_closep (int *fd);
void cleanup_dirp (DIR **d);
void cleanup_filep (FILE **f);
void cleanup_strvp (char ***v);
void cleanup_pidp (pid_t *pid); /* SIGKILL then reap; for children we own */

#define cleanup_free __attribute__ ((cleanup (cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))
#define cleanup_dir __attribute__ ((cleanup (cleanup_dirp)))
#define cleanup_file __attribute__ ((cleanup (cleanup_filep)))
#define cleanup_strv __attribute__ ((cleanup (cleanup_strvp)))
#define cleanup_pid __attribute__ ((cleanup (cleanup_pidp)))

/* Take ownership: returns *pp and sets it to NULL, type-checked. */
#define steal_pointer(pp) \
  (0 ? (*(pp)) : (steal_pointer_impl) ((void **) (pp)))
static inline void *
steal_pointer_impl (void **pp)
{
  void *p = *pp;
  *pp = NULL;
  return p;
}

static inline int
move_fd (int *fd)
{
  int ret = *fd;
  *fd = -1;
  return ret;
}

/* NULL-terminated string vectors. */
size_t strv_len (char *const *v);
void strv_free (char **v);
char **strv_dup (char *const *v);
void strv_append (char ***v, const char *s); /* copies s */
bool strv_contains (char *const *v, const char *s);

/* Whole-file I/O.  read_* NUL-terminate the buffer (len excludes the NUL). */
int read_all_fd (int fd, const char *what, char **out, size_t *len, cryo_error_t *err);
int read_all_file (const char *path, char **out, size_t *len, cryo_error_t *err);
int read_all_file_at (int dirfd, const char *path, char **out, size_t *len, cryo_error_t *err);
int write_all (int fd, const void *buf, size_t len); /* -1 with errno */
int write_file_at (int dirfd, const char *path, const void *buf, size_t len, cryo_error_t *err);
/* Write to "<name>.tmp" and rename it over name: readers, and a cryo killed
 * halfway, never see a partial file.  No fsync: this is for runtime state
 * under the state root (/run), which does not outlive a reboot anyway, and
 * an fsync per state change cost 18 % of `cryo run` (tests/bench/README.md).
 * Checkpoint images are made durable by src/image/writer.c. */
int write_file_atomic_at (int dirfd, const char *name, const void *buf, size_t len, cryo_error_t *err);

int mkdir_p (const char *path, mode_t mode, cryo_error_t *err);

/* Parse decimal numbers strictly: the whole string, no sign surprises. */
int parse_int64 (const char *s, int64_t *out);
int parse_uint64 (const char *s, uint64_t *out);

/* Seconds since the epoch in RFC 3339 with nanoseconds, UTC (state "created"). */
char *format_rfc3339_now (void);
/* Monotonic clock in nanoseconds, for step timings. */
uint64_t now_ns (void);

/* Start time of a process (field 22 of /proc/PID/stat, clock ticks since boot).
 * Returns 0 on success, -1 if the process does not exist. */
int process_start_time (pid_t pid, unsigned long long *start);

/* A wait status as a shell reports it: the exit code, 128+N for signal N. */
int wait_status_exit_code (int status);
/* Process state letter from /proc/PID/stat ('R', 'S', 'Z', ...), 0 if gone. */
char process_state (pid_t pid);

#endif
