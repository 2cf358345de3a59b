/* Small things checkpoint and restore share: fault injection, step timing,
 * option names, the engine. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cr/internal.h"
#include "lib/log.h"
#include "lib/util.h"

bool
cr_fault_set (const char *point)
{
  const char *v = getenv ("CRYO_FAULT");
  size_t n = strlen (point);

  for (const char *p = v; p && *p;)
    {
      const char *end = strchr (p, ',');
      size_t len = end ? (size_t)(end - p) : strlen (p);
      if (len == n && strncmp (p, point, n) == 0)
        return true;
      p = end ? end + 1 : NULL;
    }
  return false;
}

int
cr_fault (const char *point, cryo_error_t *err)
{
  if (cr_fault_set (point))
    return cryo_error (err, 0, "fault injected at `%s` (CRYO_FAULT)", point);
  return 0;
}

void
cr_timer_start (struct cr_timer *t, const char *what)
{
  t->what = what;
  t->start = t->step = now_ns ();
}

void
cr_timer_step (struct cr_timer *t, const char *step)
{
  uint64_t now = now_ns ();

  log_msg (LOG_LEVEL_DEBUG, "", "%s: %s: %.1f ms", t->what, step, (now - t->step) / 1e6);
  t->step = now;
}

void
cr_timer_done (struct cr_timer *t)
{
  log_msg (LOG_LEVEL_DEBUG, "", "%s: total: %.1f ms", t->what, (now_ns () - t->start) / 1e6);
}

int
cr_cg_mode (const char *name, enum engine_cg_mode *mode, cryo_error_t *err)
{
  static const struct
  {
    const char *name;
    enum engine_cg_mode mode;
  } modes[] = {
    { "soft", ENGINE_CG_SOFT },
    { "full", ENGINE_CG_FULL },
    { "strict", ENGINE_CG_STRICT },
    { "ignore", ENGINE_CG_IGNORE },
  };

  if (name == NULL || *name == '\0')
    name = "soft"; /* runc's default */
  for (size_t i = 0; i < ARRAY_SIZE (modes); i++)
    if (strcmp (modes[i].name, name) == 0)
      {
        *mode = modes[i].mode;
        return 0;
      }
  return cryo_error (err, 0, "--manage-cgroups-mode `%s`: must be soft, full, strict or ignore", name);
}

int
cr_cg_mode_check (const char *name, bool cgroupns, cryo_error_t *err)
{
  enum engine_cg_mode mode;

  if (cr_cg_mode (name, &mode, err) < 0)
    return -1;
  if (mode == ENGINE_CG_IGNORE && cgroupns)
    return cryo_error (err, 0,
                       "--manage-cgroups-mode ignore: CRIU then neither dumps nor restores the "
                       "container's cgroup namespace; use soft, full or strict");
  return 0;
}

int
cr_empty_ns (char *const *names, bool *network, cryo_error_t *err)
{
  *network = false;
  for (char *const *n = names; n && *n; n++)
    {
      if (strcmp (*n, "network") == 0 || strcmp (*n, "net") == 0)
        *network = true;
      else
        return cryo_error (err, 0, "--empty-ns `%s`: only the network namespace can be left empty", *n);
    }
  return 0;
}

int
cr_engine_open (const struct cr_common_options *c, struct engine **out, cryo_error_t *err)
{
  struct engine_config cfg = { .binary = c->criu, .state_root = c->root };

  return engine_open (NULL, &cfg, out, err);
}

int
cr_open_dir (const char *path, bool create, int *fd, cryo_error_t *err)
{
  if (create && mkdir (path, 0700) < 0 && errno != EEXIST)
    return cryo_error (err, errno, "create directory `%s`", path);
  *fd = open (path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (*fd < 0)
    return cryo_error (err, errno, "open directory `%s`", path);
  return 0;
}

/* In the forked child: join, run, report "0<result>" or "1<message>". */
static _Noreturn void
ns_child (pid_t pid, int nstypes, cr_ns_fn fn, void *arg, int out)
{
  static const struct
  {
    int flag;
    const char *name;
  } order[] = { { CLONE_NEWUSER, "user" },
                { CLONE_NEWNET, "net" },
                { CLONE_NEWUTS, "uts" },
                { CLONE_NEWIPC, "ipc" },
                { CLONE_NEWNS, "mnt" } };
  cleanup_error cryo_error_t err = NULL;
  cleanup_free char *result = NULL;
  char path[64];
  int fd;

  for (size_t i = 0; i < ARRAY_SIZE (order); i++)
    {
      if (!(nstypes & order[i].flag))
        continue;
      snprintf (path, sizeof path, "/proc/%d/ns/%s", pid, order[i].name);
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0 || setns (fd, order[i].flag) < 0)
        {
          cryo_error (&err, errno, "join `%s`", path);
          goto fail;
        }
      close (fd);
    }
  if (fn (arg, &result, &err) < 0)
    goto fail;
  if (write_all (out, "0", 1) < 0 || (result && write_all (out, result, strlen (result)) < 0))
    _exit (1);
  _exit (0);
fail:
  (void)!write (out, "1", 1);
  if (err && err->msg)
    (void)!write (out, err->msg, strlen (err->msg));
  _exit (1);
}

int
cr_in_namespaces (pid_t pid, int nstypes, cr_ns_fn fn, void *arg, char **result, cryo_error_t *err)
{
  cleanup_close int rd = -1, wr = -1;
  cleanup_free char *buf = NULL;
  int fds[2], status;
  size_t len = 0;
  pid_t child;

  if (pipe2 (fds, O_CLOEXEC) < 0)
    return cryo_error (err, errno, "pipe");
  rd = fds[0];
  wr = fds[1];
  fflush (NULL);
  child = fork ();
  if (child < 0)
    return cryo_error (err, errno, "fork");
  if (child == 0)
    {
      close (rd);
      ns_child (pid, nstypes, fn, arg, wr);
    }
  cleanup_closep (&wr);
  if (read_all_fd (rd, "a namespace helper", &buf, &len, err) < 0)
    len = 0;
  while (waitpid (child, &status, 0) < 0)
    if (errno != EINTR)
      return cryo_error (err, errno, "wait for the namespace helper");
  if (len > 0 && buf[0] == '0' && WIFEXITED (status) && WEXITSTATUS (status) == 0)
    {
      if (result)
        *result = xstrdup (buf + 1);
      return 0;
    }
  if (len > 1 && buf[0] == '1')
    return cryo_error (err, 0, "%s", buf + 1);
  return cryo_error (err, 0, "the helper in the namespaces of pid %d failed (status %#x)", pid, status);
}

int
cr_work_dir_open (struct cr_work_dir *w, const char *given, const char *what, const char *id,
                  cryo_error_t *err)
{
  memset (w, 0, sizeof *w);
  w->fd = -1;
  if (given)
    {
      w->path = realpath (given, NULL);
      if (w->path == NULL && (mkdir (given, 0700) < 0 || (w->path = realpath (given, NULL)) == NULL))
        return cryo_error (err, errno, "work path `%s`", given);
    }
  else
    {
      const char *tmp = getenv ("TMPDIR");
      w->path = xasprintf ("%s/cryo-%s-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", what, id);
      if (mkdtemp (w->path) == NULL)
        return cryo_error (err, errno, "create a work directory `%s`", w->path);
      w->temporary = true;
    }
  return cr_open_dir (w->path, false, &w->fd, err);
}

/* A temporary work directory goes away, unless @err names a file in it
 * (the engine's log, after a failure): what the message points to stays
 * for the user to read, nothing else is left behind. */
void
cr_work_dir_close (struct cr_work_dir *w, const cryo_error_t *err)
{
  bool named = err && *err && (*err)->msg && w->path && strstr ((*err)->msg, w->path);

  cleanup_closep (&w->fd);
  if (w->temporary && !named && w->path)
    {
      cleanup_dir DIR *d = opendir (w->path);
      struct dirent *de;
      while (d && (de = readdir (d)) != NULL)
        if (de->d_name[0] != '.')
          unlinkat (dirfd (d), de->d_name, 0);
      rmdir (w->path);
    }
  free (w->path);
  w->path = NULL;
}

const char *
cr_criu_config_file (const struct spec *spec)
{
  static const char runc_conf[] = "/etc/criu/runc.conf";
  const char *a = spec_annotation (spec, "org.criu.config");

  if (a)
    return *a ? a : NULL;
  return access (runc_conf, F_OK) == 0 ? runc_conf : NULL;
}
