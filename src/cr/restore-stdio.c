/* Which fd stands in, at restore, for each file the checkpointed init had on
 * fds 0-2 (CRIU's inherit-fd, one per key).  restore's own fd of the same
 * number when it is a file of the dumped type (the restored container then
 * writes where restore's caller wants); otherwise what runc's restore ends
 * with, CRIU reopening the dumped file: a stateless device (/dev/null...)
 * is reopened whatever the caller holds, a regular file by its path. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define LOG_PREFIX "restore: "
#include "cr/restore-internal.h"
#include "lib/log.h"
#include "lib/util.h"

static const char *const stdio_names[] = { "stdin", "stdout", "stderr" };

static char
mode_type (mode_t m)
{
  return S_ISREG (m) ? 'f' : S_ISCHR (m) ? 'c' : S_ISBLK (m) ? 'b' : S_ISDIR (m) ? 'd' : '?';
}

static char
fd_type (int fd)
{
  struct stat st;

  return fstat (fd, &st) < 0 ? 0 : mode_type (st.st_mode);
}

/* /dev/null, zero, full, random, urandom: memory devices (major 1) whose
 * open file holds no state worth keeping. */
static bool
stateless_device (const struct cr_stdio *s)
{
  static const char *const paths[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom" };
  struct stat st;
  bool listed = false;

  for (size_t i = 0; i < ARRAY_SIZE (paths); i++)
    listed |= s->path && strcmp (s->path, paths[i]) == 0;
  if (!listed || s->type != 'c' || stat (s->path, &st) < 0 || !S_ISCHR (st.st_mode))
    return false;
  return major (st.st_rdev) == 1 && (minor (st.st_rdev) == 3 || minor (st.st_rdev) >= 5);
}

/* Open @path as a stand-in, above fd 2 (restore's 0-2 may be closed). */
static int
reopen (const char *path, int flags, int *out, cryo_error_t *err)
{
  cleanup_close int fd = open (path, flags | O_CLOEXEC | O_NOCTTY);

  if (fd < 0)
    return -1;
  *out = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  if (*out < 0)
    return cryo_error (err, errno, "duplicate the fd of `%s`", path);
  return 0;
}

/* The stand-in for the file of stdio @i (and of the later fds sharing its
 * key): @fd is restore's own or one opened here (then also in @opened). */
static int
pick (const struct cr_externals *x, int i, int *fd, int *opened, cryo_error_t *err)
{
  const struct cr_stdio *s = &x->stdio[i];
  bool written = false;

  *opened = -1;
  if (stateless_device (s))
    {
      if (reopen (s->path, O_RDWR, opened, err) < 0)
        return cryo_error (err, errno, "reopen the checkpointed container's %s `%s`", stdio_names[i],
                           s->path);
      return *fd = *opened, 0;
    }
  for (int j = i; j < 3; j++)
    if (x->stdio[j].key && strcmp (x->stdio[j].key, s->key) == 0)
      {
        if (fcntl (j, F_GETFD) >= 0 && fd_type (j) == s->type)
          return *fd = j, 0;
        written |= j > 0;
      }
  /* A log file is reopened where it was, append-only as at the checkpoint. */
  if (s->type == 'f' && reopen (s->path, written ? O_WRONLY | O_APPEND : O_RDONLY, opened, err) == 0)
    return *fd = *opened, 0;
  return cryo_error (err, 0,
                     "the checkpointed container's %s was %s `%s`: restore needs %s on fd %d too "
                     "(CRIU keeps the file's type)",
                     stdio_names[i], s->type == 'f' ? "the regular file" : "the device", s->path,
                     s->type == 'f' ? "a regular file (or the file itself)" : "the same kind of device", i);
}

static bool
keyed (const struct cr_stdio *s)
{
  return s->key && s->kind && strcmp (s->kind, "file") == 0 && s->type != 0;
}

int
cr_restore_stdio_pick (const struct cr_externals *x, struct cr_restore_stdio *st, cryo_error_t *err)
{
  memset (st, 0, sizeof *st);
  for (int i = 0; i < 3; i++)
    st->opened[i] = -1;
  for (int i = 0; i < 3; i++)
    {
      const struct cr_stdio *s = &x->stdio[i];
      bool seen = false;
      int fd = -1;
      if (s->key == NULL)
        continue;
      for (size_t j = 0; j < st->n; j++)
        seen |= strcmp (st->fds[j].key, s->key) == 0;
      if (seen)
        continue;
      if (!keyed (s))
        {
          /* A pipe or a socket: restore's own fd, whatever it is (runc). */
          if (fcntl (i, F_GETFD) >= 0)
            st->fds[st->n++] = (struct engine_inherit_fd){ .fd = i, .key = s->key };
          continue;
        }
      if (pick (x, i, &fd, &st->opened[i], err) < 0)
        return -1;
      st->fds[st->n++] = (struct engine_inherit_fd){ .fd = fd, .key = s->key };
    }
  return 0;
}

void
cr_restore_stdio_release (struct cr_restore_stdio *st)
{
  for (int i = 0; i < 3; i++)
    if (st->opened[i] >= 0)
      close (st->opened[i]);
  memset (st, 0, sizeof *st);
  for (int i = 0; i < 3; i++)
    st->opened[i] = -1;
}

int
cr_restore_check_stdio (const struct cr_externals *x, cryo_error_t *err)
{
  struct cr_restore_stdio st;
  int ret = cr_restore_stdio_pick (x, &st, err);

  cr_restore_stdio_release (&st);
  return ret;
}
