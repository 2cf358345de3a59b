/* cryo start: release a created container's init through the exec fifo. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_PREFIX "start: "
#include "container/internal.h"
#include "container/hooks.h"
#include "lib/log.h"
#include "lib/util.h"

int
container_load_spec (const struct container_state *s, struct spec **out, cryo_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/" STATE_CONFIG_FILE, s->dir);
  cleanup_free char *text = NULL;

  if (read_all_file (path, &text, NULL, err) < 0)
    return -1;
  if (spec_parse (text, s->bundle, out, err) < 0)
    return cryo_error_wrap (err, "the config stored in `%s`", path);
  return 0;
}

static int
check_startable (const struct container_state *s, cryo_error_t *err)
{
  switch (s->status)
    {
    case CONTAINER_CREATED:
      return 0;
    case CONTAINER_RUNNING:
    case CONTAINER_PAUSED:
      return cryo_error (err, 0, "cannot start an already running container");
    case CONTAINER_STOPPED:
      return cryo_error (err, 0, "cannot start a container that has stopped");
    case CONTAINER_CHECKPOINTED:
      return cryo_error (err, 0, "cannot start a checkpointed container: restore it instead");
    default:
      return cryo_error (err, 0, "cannot start a container in state `%s`",
                         container_status_name (s->status));
    }
}

/* Until init has exec'd the container's process: execve closes init's end
 * of the fifo (close-on-exec), and a fifo with no reader left shows POLLERR
 * to its writer.  Returning earlier lets a `kill` that follows at once
 * reach init before the process could set up its handlers (a signal without
 * a handler is dropped for a pid namespace's init).  A wait with a deadline:
 * the container has started either way. */
static void
wait_exec (int fd, const struct spec *spec)
{
  struct pollfd p = { fd, 0, 0 };
  unsigned ms;
  int r;

  if (setup_deadline_ms (NULL, &ms, NULL) < 0)
    return;
  for (size_t i = 0; i < spec->n_hooks[HOOK_START_CONTAINER]; i++)
    ms += (unsigned)spec->hooks[HOOK_START_CONTAINER][i].timeout * 1000U;
  do
    r = poll (&p, 1, (int)ms);
  while (r < 0 && errno == EINTR);
  if (r == 0)
    log_warning ("the container's init has not exec'd its process after %.1f s", ms / 1000.0);
}

int
container_start_locked (struct container_state *s, const struct spec *spec, cryo_error_t *err)
{
  cleanup_free char *fifo = xasprintf ("%s/" STATE_EXEC_FIFO, s->dir);
  cleanup_free char *json = NULL;
  cleanup_close int fd = -1;

  if (check_startable (s, err) < 0)
    return -1;
  /* Non-blocking: init holds the fifo open for reading, or is gone. */
  fd = open (fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 && errno == ENXIO)
    return cryo_error (err, 0, "cannot start a container that has stopped");
  if (fd < 0 && errno == ENOENT)
    return cryo_error (err, 0, "cannot start an already running container");
  if (fd < 0)
    return cryo_error (err, errno, "open the exec fifo `%s`", fifo);
  /* Unlinked before the write: from now on the container is not "created"
   * any more, even if we die before init reads the byte. */
  if (unlink (fifo) < 0)
    return cryo_error (err, errno, "remove the exec fifo `%s`", fifo);
  if (write (fd, "0", 1) != 1)
    return cryo_error (err, errno, "write the exec fifo `%s`", fifo);
  s->status = CONTAINER_RUNNING;
  if (state_write (s, err) < 0)
    return -1;
  wait_exec (fd, spec);
  json = state_oci_json_string (s, false);
  hooks_run_warn (spec, HOOK_POSTSTART, json);
  return 0;
}

int
container_start (const char *root, const char *id, cryo_error_t *err)
{
  cleanup_container_state struct container_state *s = NULL;
  cleanup_spec struct spec *spec = NULL;
  cleanup_close int lock = -1;

  if (state_lock (root, id, &lock, err) < 0 || container_load (root, id, &s, err) < 0)
    return -1;
  if (check_startable (s, err) < 0 || container_load_spec (s, &spec, err) < 0)
    return -1;
  return container_start_locked (s, spec, err);
}
