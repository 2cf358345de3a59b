/* The frame of cryo's checkpoint/restore test programs (one per kind of
 * state, run as a container's process by tests/bats/checkpoint-kinds.bats),
 * in the shape of CRIU's zdtm tests:
 *
 *   set up the state, crt_ready ()        -> /tmp/crt-ready appears
 *   crt_wait ()                            the test checkpoints and restores,
 *                                          as often as it likes, then makes
 *                                          /tmp/crt-go
 *   check the state is the same, that it still works, then
 *   crt_pass () or crt_fail ("...")        -> /tmp/crt-result: "PASS" or
 *                                          "FAIL: why", and the exit status
 *
 * Static, no library beyond libc (and libpthread/librt where named). */
#ifndef CRT_H
#define CRT_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CRT_READY "/tmp/crt-ready"
#define CRT_GO "/tmp/crt-go"
#define CRT_RESULT "/tmp/crt-result"

static inline void
crt_write_file (const char *path, const char *text)
{
  char tmp[256];
  int fd;

  snprintf (tmp, sizeof tmp, "%s.tmp", path);
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      perror (tmp);
      _exit (2);
    }
  if (write (fd, text, strlen (text)) < 0 || close (fd) < 0 || rename (tmp, path) < 0)
    {
      perror (path);
      _exit (2);
    }
}

static inline _Noreturn void
crt_fail (const char *fmt, ...)
{
  char msg[1024], line[1100];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  snprintf (line, sizeof line, "FAIL: %s\n", msg);
  crt_write_file (CRT_RESULT, line);
  fputs (line, stdout);
  fflush (stdout);
  exit (1);
}

/* Fail with errno's text when @cond is false. */
#define CRT_CHECK(cond, ...)                                                                                 \
  do                                                                                                         \
    {                                                                                                        \
      if (!(cond))                                                                                           \
        {                                                                                                    \
          char _w[512];                                                                                      \
          int _e = errno;                                                                                    \
          snprintf (_w, sizeof _w, __VA_ARGS__);                                                             \
          crt_fail ("%s:%d: %s (%s; errno %s)", __FILE__, __LINE__, _w, #cond, _e ? strerror (_e) : "0");    \
        }                                                                                                    \
    }                                                                                                        \
  while (0)

static inline _Noreturn void
crt_pass (void)
{
  crt_write_file (CRT_RESULT, "PASS\n");
  fputs ("PASS\n", stdout);
  fflush (stdout);
  exit (0);
}

static inline void
crt_sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

static inline void
crt_ready (void)
{
  unlink (CRT_GO);
  unlink (CRT_RESULT);
  crt_write_file (CRT_READY, "ready\n");
}

/* Until the test says go; signals may interrupt the sleeps, that is fine. */
static inline void
crt_wait (void)
{
  while (access (CRT_GO, F_OK) < 0)
    crt_sleep_ms (50);
}

#endif
