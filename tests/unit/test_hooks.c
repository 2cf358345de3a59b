/* hooks_run and hook_run against real hook scripts in a temporary directory. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/hooks.h"
#include "spec/spec.h"
#include "tap.h"
#include "lib/util.h"

static char tmpdir[] = "/tmp/cryo-test-hooks-XXXXXX";

static char *
script (const char *name, const char *body)
{
  char *path = xasprintf ("%s/%s", tmpdir, name);
  cleanup_free char *text = xasprintf ("#!/bin/sh\n%s\n", body);
  cleanup_error cryo_error_t err = NULL;

  if (write_file_at (AT_FDCWD, path, text, strlen (text), &err) < 0 || chmod (path, 0755) < 0)
    abort ();
  return path;
}

static char *
slurp (const char *name)
{
  cleanup_free char *path = xasprintf ("%s/%s", tmpdir, name);
  char *text = NULL;
  if (read_all_file (path, &text, NULL, NULL) < 0)
    return NULL;
  return text;
}

static bool
process_gone (pid_t pid)
{
  /* reparented to init, which reaps it soon after it dies */
  for (int i = 0; i < 200; i++)
    {
      char s = process_state (pid);
      if (s == 0 || s == 'Z')
        return true;
      usleep (10000);
    }
  return false;
}

static int
test_success_stdin_args_env (void)
{
  cleanup_free char *path = script ("ok", "cat > \"$(dirname \"$0\")/stdin\"; echo \"$0 $1 $FOO\" > "
                                          "\"$(dirname \"$0\")/argv\"");
  char *args[] = { "ok-hook", "first", NULL };
  char *env[] = { "FOO=bar", NULL };
  struct spec_hook h = { .path = path, .args = args, .env = env, .timeout = 10 };
  cleanup_error cryo_error_t err = NULL;
  cleanup_free char *in = NULL;
  cleanup_free char *argv = NULL;
  cleanup_free char *expected = NULL;

  CHECK (hook_run (&h, "createRuntime", "{\"ociVersion\":\"1.2.0\",\"id\":\"x\"}", &err) == 0);
  in = slurp ("stdin");
  argv = slurp ("argv");
  CHECK_STR (in, "{\"ociVersion\":\"1.2.0\",\"id\":\"x\"}");
  /* $0 is the script path (the kernel runs the interpreter with it), $1 args[1] */
  expected = xasprintf ("%s first bar\n", path);
  CHECK_STR (argv, expected);
  return 0;
}

static int
test_failure_reports_status_and_stderr (void)
{
  cleanup_free char *path = script ("fail", "echo 'boom: network not ready' >&2; echo second >&2; exit 3");
  struct spec_hook h = { .path = path };
  cleanup_error cryo_error_t err = NULL;
  cleanup_free char *expected = NULL;

  CHECK (hook_run (&h, "prestart", "{}", &err) < 0);
  expected = xasprintf ("hook prestart `%s` failed with exit status 3: boom: network not ready", path);
  CHECK_STR (err->msg, expected);
  return 0;
}

static int
test_signal_and_missing_program (void)
{
  cleanup_free char *path = script ("killself", "kill -TERM $$");
  struct spec_hook h = { .path = path };
  struct spec_hook missing = { .path = "/nonexistent/hook" };
  cleanup_error cryo_error_t err = NULL;

  CHECK (hook_run (&h, "poststop", NULL, &err) < 0);
  CHECK_ERR_CONTAINS (err, "killed by signal 15 (signal: terminated)");
  CHECK (hook_run (&missing, "poststart", NULL, &err) < 0);
  CHECK_ERR_CONTAINS (err, "hook poststart `/nonexistent/hook` failed with exit status 127");
  CHECK_ERR_CONTAINS (err, "No such file or directory");
  return 0;
}

static int
test_timeout_kills_the_hook_group (void)
{
  cleanup_free char *path = script ("slow", "sleep 60 & echo $! > \"$(dirname \"$0\")/slow.pid\"; wait");
  struct spec_hook h = { .path = path, .timeout = 1 };
  cleanup_error cryo_error_t err = NULL;
  cleanup_free char *expected = NULL;
  cleanup_free char *pid_text = NULL;

  CHECK (hook_run (&h, "createRuntime", "{}", &err) < 0);
  expected = xasprintf ("hook createRuntime `%s` timed out after 1s", path);
  CHECK_STR (err->msg, expected);
  pid_text = slurp ("slow.pid");
  CHECK (pid_text != NULL);
  CHECK (process_gone (atoi (pid_text)));
  return 0;
}

static int
test_no_fd_leak (void)
{
  cleanup_free char *path = script ("fds", "for fd in 3 4 5 42; do [ -e /proc/$$/fd/$fd ] && exit 9; done; exit 0");
  struct spec_hook h = { .path = path };
  cleanup_error cryo_error_t err = NULL;
  int fd = open ("/dev/null", O_RDONLY); /* no O_CLOEXEC on purpose */

  CHECK (fd >= 0);
  CHECK (dup2 (fd, 42) == 42);
  CHECK (hook_run (&h, "startContainer", "{}", &err) == 0);
  close (42);
  close (fd);
  return 0;
}

static int
test_unread_stdin_and_leftover_daemon (void)
{
  /* 1 MiB of stdin the hook never reads: cryo must get EPIPE, not SIGPIPE. */
  cleanup_free char *quiet = script ("quiet", "exit 0");
  cleanup_free char *daemon = script ("daemon", "sleep 30 & echo $! > \"$(dirname \"$0\")/daemon.pid\"; exit 0");
  struct spec_hook h1 = { .path = quiet }, h2 = { .path = daemon, .timeout = 20 };
  cleanup_error cryo_error_t err = NULL;
  cleanup_free char *big = xmalloc (1 << 20);
  cleanup_free char *pid_text = NULL;
  pid_t pid;

  memset (big, 'x', (1 << 20) - 1);
  big[(1 << 20) - 1] = '\0';
  CHECK (hook_run (&h1, "createContainer", big, &err) == 0);
  /* The daemon holds the hook's stdout open: hook_run returns at the hook's
   * exit, while the daemon still runs. */
  CHECK (hook_run (&h2, "poststart", "{}", &err) == 0);
  pid_text = slurp ("daemon.pid");
  CHECK (pid_text != NULL);
  pid = atoi (pid_text);
  CHECK (process_state (pid) != 0 && process_state (pid) != 'Z');
  kill (pid, SIGKILL);
  return 0;
}

static int
test_hooks_run_order_and_warn (void)
{
  cleanup_free char *a = script ("a", "echo a >> \"$(dirname \"$0\")/order\"; exit 1");
  cleanup_free char *b = script ("b", "echo b >> \"$(dirname \"$0\")/order\"");
  cleanup_free char *json = xasprintf ("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"/\"},\"hooks\":{"
                                       "\"createRuntime\":[{\"path\":\"%s\"},{\"path\":\"%s\"}],"
                                       "\"poststop\":[{\"path\":\"%s\"},{\"path\":\"%s\"}]}}",
                                       a, b, a, b);
  cleanup_free char *order_path = xasprintf ("%s/order", tmpdir);
  cleanup_spec struct spec *spec = NULL;
  cleanup_error cryo_error_t err = NULL;
  cleanup_free char *order = NULL;

  CHECK (spec_parse (json, NULL, &spec, &err) == 0);
  unlink (order_path);
  CHECK (hooks_run (spec, HOOK_CREATE_RUNTIME, "{}", &err) < 0);
  CHECK_ERR_CONTAINS (err, "hook createRuntime");
  order = slurp ("order");
  CHECK_STR (order, "a\n"); /* stopped at the first failure */
  free (order);
  unlink (order_path);
  CHECK (hooks_run_warn (spec, HOOK_POSTSTOP, "{}") == 1);
  order = slurp ("order");
  CHECK_STR (order, "a\nb\n");
  CHECK (hooks_run (spec, HOOK_PRESTART, "{}", &err) == 0); /* none configured */
  return 0;
}

int
main (void)
{
  if (mkdtemp (tmpdir) == NULL)
    return 1;
  TAP_PLAN (7);
  RUN_TEST (test_success_stdin_args_env);
  RUN_TEST (test_failure_reports_status_and_stderr);
  RUN_TEST (test_signal_and_missing_program);
  RUN_TEST (test_timeout_kills_the_hook_group);
  RUN_TEST (test_no_fd_leak);
  RUN_TEST (test_unread_stdin_and_leftover_daemon);
  RUN_TEST (test_hooks_run_order_and_warn);
  {
    cleanup_free char *cmd = xasprintf ("rm -rf '%s'", tmpdir);
    if (system (cmd) != 0)
      return 1;
  }
  return tap_exit ();
}
