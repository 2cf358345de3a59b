/* cryo run: create + start, and in the foreground wait for the container
 * (container-wait.c: signals forwarded to init, terminal proxied, its exit
 * status returned), then delete it. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOG_PREFIX "run: "
#include "container/internal.h"
#include "lib/log.h"
#include "lib/util.h"

/* Wait in the foreground; the lock is released while the container runs. */
static int
run_foreground (const struct container_create_options *o, struct container_creation *c,
                int sigfd, int *exit_status, cryo_error_t *err)
{
  struct foreground f = { .pid = c->init_pid, .sigfd = sigfd };
  int ret;

  cleanup_closep (&c->lock_fd);
  f.pty_master = move_fd (&c->pty_master);
  f.sync_fd = move_fd (&c->sync_fd);
  ret = foreground_wait (&f, exit_status, err);
  if (o->keep)
    return ret;
  return container_delete (o->root, o->id, true, ret < 0 ? NULL : err) < 0 ? -1 : ret;
}

int
container_run (const struct container_create_options *o, int *exit_status, cryo_error_t *err)
{
  struct container_creation c;
  cleanup_close int sigfd = -1;
  sigset_t old;
  int ret;

  *exit_status = 0;
  if (container_create_locked (o, !o->detach, &c, err) < 0)
    return -1;
  if (!o->detach)
    {
      sigfd = foreground_block_signals (&old, err);
      if (sigfd < 0)
        {
          container_destroy (o->root, c.state, NULL, NULL);
          container_creation_clear (&c);
          return -1;
        }
    }
  /* Our end of the exec fifo: start waits until init's is the last. */
  cleanup_closep (&c.ctx.fifo_fd);
  ret = container_start_locked (c.state, c.spec, err);
  if (ret < 0)
    container_destroy (o->root, c.state, NULL, NULL);
  else if (!o->detach)
    ret = run_foreground (o, &c, sigfd, exit_status, err);
  if (!o->detach)
    sigprocmask (SIG_SETMASK, &old, NULL);
  container_creation_clear (&c);
  return ret;
}
