/* The state store on a real (temporary) directory: ids, exclusive create,
 * locks, state.json round trip, live status, list, remove; signal names. */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/container.h"
#include "container/state.h"
#include "tap.h"
#include "lib/util.h"

static char root[] = "/tmp/cryo-test-state-XXXXXX";

static int
test_id_rules (void)
{
  static const char *const good[] = { "a", "A-b_c.d+e,f", "123", ".hidden", "x..y" };
  static const char *const bad[] = { "", ".", "..", "a/b", "a b", "x@y", "é", "a\nb" };
  char long_id[1100];

  for (size_t i = 0; i < ARRAY_SIZE (good); i++)
    CHECK (container_id_validate (good[i], NULL) == 0);
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    CHECK (container_id_validate (bad[i], NULL) < 0);
  memset (long_id, 'a', sizeof (long_id) - 1);
  long_id[sizeof (long_id) - 1] = '\0';
  CHECK (container_id_validate (long_id, NULL) < 0);
  return 0;
}

static int
test_create_is_exclusive (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_close int lock = -1, lock2 = -1;
  cleanup_free char *lockpath = state_path (root, "excl", STATE_LOCK_FILE);

  CHECK (state_create (root, "excl", &lock, &err) == 0);
  CHECK (access (lockpath, F_OK) == 0);
  CHECK (state_create (root, "excl", &lock2, &err) < 0);
  CHECK_STR (err->msg, "container with id `excl` already exists");
  /* held: a non-blocking lock from another open file description fails */
  {
    cleanup_close int fd = open (lockpath, O_RDWR | O_CLOEXEC);
    CHECK (fd >= 0 && flock (fd, LOCK_EX | LOCK_NB) < 0);
  }
  /* no "@creating-" directory is left and none is listed */
  {
    cleanup_strv char **ids = NULL;
    CHECK (state_list (root, &ids, &err) == 0);
    CHECK (strv_len (ids) == 0); /* no state.json yet */
  }
  return 0;
}

static int
test_write_read_round_trip (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_close int lock = -1;
  cleanup_container_state struct container_state *s = NULL;
  cleanup_container_state struct container_state *r = NULL;
  char *keys[] = { (char *) "k1", (char *) "k2", NULL };
  char *values[] = { (char *) "v1", (char *) "v\"2", NULL };

  CHECK (state_create (root, "rt", &lock, &err) == 0);
  s = state_new (root, "rt");
  s->bundle = xstrdup ("/b");
  s->rootfs = xstrdup ("/b/rootfs");
  s->oci_version = xstrdup ("1.2.0");
  s->pid = 4242;
  s->pid_start_time = 18446744073709551615ULL;
  s->status = CONTAINER_CHECKPOINTED;
  s->created = xstrdup ("2026-01-01T00:00:00.000000000Z");
  s->owner = xstrdup ("root");
  s->cgroup = xstrdup ("{\"path\": \"/cryo/rt\"}");
  s->annotation_keys = strv_dup (keys);
  s->annotation_values = strv_dup (values);
  s->no_pivot = true;
  s->terminal = true;
  CHECK (state_write (s, &err) == 0);
  CHECK (state_read (root, "rt", &r, &err) == 0);
  CHECK_STR (r->bundle, "/b");
  CHECK_STR (r->rootfs, "/b/rootfs");
  CHECK (r->pid == 4242 && r->pid_start_time == 18446744073709551615ULL);
  CHECK (r->status == CONTAINER_CHECKPOINTED);
  CHECK_STR (r->cgroup, "{\"path\": \"/cryo/rt\"}");
  CHECK_STR (r->annotation_values[1], "v\"2");
  CHECK (r->no_pivot && r->terminal && !r->no_new_keyring);
  /* checkpointed stays as stored */
  CHECK (state_refresh_status (r, &err) == 0 && r->status == CONTAINER_CHECKPOINTED);
  return 0;
}

static int
test_live_status (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_close int lock = -1;
  cleanup_container_state struct container_state *s = NULL;
  cleanup_free char *fifo = state_path (root, "live", STATE_EXEC_FIFO);
  pid_t child;

  CHECK (state_create (root, "live", &lock, &err) == 0);
  s = state_new (root, "live");
  child = fork ();
  if (child == 0)
    {
      pause ();
      _exit (0);
    }
  s->pid = child;
  CHECK (process_start_time (child, &s->pid_start_time) == 0);
  CHECK (mkfifo (fifo, 0600) == 0);
  s->status = CONTAINER_RUNNING;
  CHECK (state_refresh_status (s, &err) == 0 && s->status == CONTAINER_CREATED);
  unlink (fifo);
  CHECK (state_refresh_status (s, &err) == 0 && s->status == CONTAINER_RUNNING);
  /* a recycled pid: same pid, another start time */
  s->pid_start_time++;
  CHECK (state_refresh_status (s, &err) == 0 && s->status == CONTAINER_STOPPED && s->pid == 0);
  /* a zombie is stopped */
  s->pid = child;
  s->pid_start_time--;
  kill (child, SIGKILL);
  while (process_state (child) != 'Z')
    usleep (1000);
  CHECK (state_refresh_status (s, &err) == 0 && s->status == CONTAINER_STOPPED);
  waitpid (child, NULL, 0);
  /* "creating" holds while the creator lives */
  s->status = CONTAINER_CREATING;
  s->creator_pid = getpid ();
  CHECK (process_start_time (getpid (), &s->creator_start_time) == 0);
  CHECK (state_refresh_status (s, &err) == 0 && s->status == CONTAINER_CREATING);
  s->creator_start_time++;
  CHECK (state_refresh_status (s, &err) == 0 && s->status == CONTAINER_STOPPED);
  return 0;
}

static int
test_lock_after_delete (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_close int lock = -1, again = -1;
  cleanup_container_state struct container_state *s = NULL;

  CHECK (state_create (root, "del", &lock, &err) == 0);
  s = state_new (root, "del");
  CHECK (state_write (s, &err) == 0);
  CHECK (state_remove (root, "del", &err) == 0);
  CHECK (state_lock (root, "del", &again, &err) < 0);
  CHECK_STR (err->msg, "container `del` does not exist");
  CHECK (state_read (root, "del", &s, &err) < 0);
  CHECK_STR (err->msg, "container `del` does not exist");
  CHECK (state_lock (root, "../x", &again, &err) < 0);
  return 0;
}

static int
test_list_sorted (void)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_strv char **ids = NULL;
  static const char *const names[] = { "zeta", "alpha", "mid" };

  for (size_t i = 0; i < ARRAY_SIZE (names); i++)
    {
      cleanup_close int lock = -1;
      cleanup_container_state struct container_state *s = NULL;
      CHECK (state_create (root, names[i], &lock, &err) == 0);
      s = state_new (root, names[i]);
      CHECK (state_write (s, &err) == 0);
    }
  CHECK (state_list (root, &ids, &err) == 0);
  /* "rt" from the round-trip test too; "excl" and "live" have no state.json */
  CHECK_STR (ids[0], "alpha");
  CHECK_STR (ids[1], "mid");
  CHECK_STR (ids[2], "rt");
  CHECK_STR (ids[3], "zeta");
  CHECK (ids[4] == NULL);
  return 0;
}

static int
test_oci_json (void)
{
  cleanup_container_state struct container_state *s = state_new (root, "j");
  cleanup_free char *json = NULL;

  s->status = CONTAINER_STOPPED;
  s->pid = 99;
  s->bundle = xstrdup ("/b");
  json = state_oci_json_string (s, false);
  CHECK (strstr (json, "\"pid\":0") != NULL);
  CHECK (strstr (json, "\"status\":\"stopped\"") != NULL);
  CHECK (strstr (json, "\"annotations\"") == NULL);
  return 0;
}

static int
test_signal_names (void)
{
  int sig = 0;

  CHECK (signal_parse ("KILL", &sig, NULL) == 0 && sig == SIGKILL);
  CHECK (signal_parse ("SIGTERM", &sig, NULL) == 0 && sig == SIGTERM);
  CHECK (signal_parse ("usr1", &sig, NULL) == 0 && sig == SIGUSR1);
  CHECK (signal_parse ("9", &sig, NULL) == 0 && sig == 9);
  CHECK (signal_parse ("RTMIN+2", &sig, NULL) == 0 && sig == SIGRTMIN + 2);
  CHECK (signal_parse ("SIGRTMAX-1", &sig, NULL) == 0 && sig == SIGRTMAX - 1);
  CHECK (signal_parse ("RTMIN+99", &sig, NULL) < 0);
  /* 0 is a check, not a signal (kill(2)); runc accepts it */
  CHECK (signal_parse ("0", &sig, NULL) == 0 && sig == 0);
  CHECK (signal_parse ("-1", &sig, NULL) < 0);
  CHECK (signal_parse ("99", &sig, NULL) < 0);
  CHECK (signal_parse ("FOO", &sig, NULL) < 0);
  CHECK (signal_parse ("", &sig, NULL) < 0);
  return 0;
}

int
main (void)
{
  if (mkdtemp (root) == NULL)
    return 1;
  TAP_PLAN (8);
  RUN_TEST (test_id_rules);
  RUN_TEST (test_create_is_exclusive);
  RUN_TEST (test_write_read_round_trip);
  RUN_TEST (test_live_status);
  RUN_TEST (test_lock_after_delete);
  RUN_TEST (test_list_sorted);
  RUN_TEST (test_oci_json);
  RUN_TEST (test_signal_names);
  /* state_remove takes any directory name: the whole temporary root */
  state_remove ("/tmp", root + strlen ("/tmp/"), NULL);
  return tap_exit ();
}
