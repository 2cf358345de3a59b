/* seccomp: errors name the field; filters loaded in children really deny,
 * kill, compare arguments and cover the architectures they list. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/json.h"
#include "spec/seccomp-filter.h"
#include "tap.h"
#include "lib/util.h"

/* Prepare from JSON text; the filter (or NULL) in *out. */
static int
prepare (const char *text, struct cryo_seccomp **out, cryo_error_t *err)
{
  cleanup_json json_value_t *v = NULL;

  if (json_parse (text, &v, err) < 0)
    return -2;
  return cryo_seccomp_prepare (v, out, err);
}

/* The error prepare gives for @text contains @want. */
static int
fails_with (const char *text, const char *want)
{
  cleanup_seccomp struct cryo_seccomp *s = NULL;
  cleanup_error cryo_error_t err = NULL;

  if (prepare (text, &s, &err) != -1 && err == NULL)
    {
      printf ("# accepted: %s\n", text);
      return 0;
    }
  if (err == NULL || strstr (err->msg, want) == NULL)
    {
      printf ("# error \"%s\", expected \"%s\"\n", err ? err->msg : "(none)", want);
      return 0;
    }
  return 1;
}

static int
test_parse_errors (void)
{
  CHECK (fails_with ("[]", "linux.seccomp: must be an object"));
  CHECK (fails_with ("{}", "linux.seccomp.defaultAction: must be a string, found"));
  CHECK (fails_with ("{\"defaultAction\":\"SCMP_ACT_NOPE\"}", "linux.seccomp.defaultAction: unknown action `SCMP_ACT_NOPE`"));
  CHECK (fails_with ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":1}",
                     "linux.seccomp.defaultErrnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE"));
  CHECK (fails_with ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":-1}",
                     "linux.seccomp.defaultErrnoRet: must be an unsigned integer"));
  CHECK (fails_with ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ERRNO\"},"
                     "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_FOO\"}]}",
                     "linux.seccomp.syscalls[1].action: unknown action `SCMP_ACT_FOO`"));
  CHECK (fails_with ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":\"getpid\",\"action\":\"SCMP_ACT_ERRNO\"}]}",
                     "linux.seccomp.syscalls[0].names: must be an array of strings"));
  CHECK (fails_with ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ERRNO\","
                     "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_SAME\"}]}]}",
                     "linux.seccomp.syscalls[0].args[0].op: unknown operator `SCMP_CMP_SAME`"));
  CHECK (fails_with ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ERRNO\","
                     "\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                     "linux.seccomp.syscalls[0].args[0].index: 6 is out of range (at most 5)"));
  CHECK (fails_with ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\","
                     "\"errnoRet\":5}]}",
                     "linux.seccomp.syscalls[0].errnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE"));
  CHECK (fails_with ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_VAX\"]}",
                     "linux.seccomp.architectures[0]: unknown architecture `SCMP_ARCH_VAX`"));
  CHECK (fails_with ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_TSYNC\",\"SECCOMP_FILTER_FLAG_X\"]}",
                     "linux.seccomp.flags[1]: unknown flag `SECCOMP_FILTER_FLAG_X`"));
  return 0;
}

static int
test_notify_parse (void)
{
  static const char agent[] = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/agent.sock\"";
  cleanup_seccomp struct cryo_seccomp *s = NULL, *unused = NULL, *skipped = NULL;
  cleanup_error cryo_error_t err = NULL;
  char buf[512];

  CHECK (fails_with ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mount\"],\"action\":"
                     "\"SCMP_ACT_NOTIFY\"}]}",
                     "linux.seccomp.listenerPath: SCMP_ACT_NOTIFY rules need a seccomp agent"));
  CHECK (fails_with ("{\"defaultAction\":\"SCMP_ACT_NOTIFY\",\"listenerPath\":\"/a\"}",
                     "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be used as default action"));
  snprintf (buf, sizeof (buf),
            "%s,\"syscalls\":[{\"names\":[\"getpid\",\"write\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}", agent);
  CHECK (fails_with (buf, "linux.seccomp.syscalls[0]: SCMP_ACT_NOTIFY cannot be used for the write syscall"));
  snprintf (buf, sizeof (buf), "%s,\"syscalls\":[{\"names\":[\"sendmsg\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
            agent);
  CHECK (fails_with (buf, "SCMP_ACT_NOTIFY cannot be used for the sendmsg syscall"));
  CHECK (fails_with ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":7}",
                     "linux.seccomp.listenerPath: must be a string, found number"));

  snprintf (buf, sizeof (buf),
            "%s,\"listenerMetadata\":\"bar\",\"syscalls\":[{\"names\":[\"mkdir\"],"
            "\"action\":\"SCMP_ACT_NOTIFY\"}]}",
            agent);
  CHECK (prepare (buf, &s, &err) == 0);
  CHECK (cryo_seccomp_has_notify (s));
  CHECK (strcmp (cryo_seccomp_listener_path (s), "/run/agent.sock") == 0);
  CHECK (strcmp (cryo_seccomp_listener_metadata (s), "bar") == 0);
  CHECK (cryo_seccomp_take_notify_fd (s) == -1); /* not loaded */
  /* A listener without NOTIFY rules is unused (runc runs such a config). */
  snprintf (buf, sizeof (buf), "%s}", agent);
  CHECK (prepare (buf, &unused, &err) == 0 && !cryo_seccomp_has_notify (unused));
  CHECK (strcmp (cryo_seccomp_listener_metadata (unused), "") == 0);
  /* A NOTIFY rule only on names this architecture lacks adds nothing. */
  snprintf (buf, sizeof (buf),
            "%s,\"syscalls\":[{\"names\":[\"no_such_call\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}", agent);
  CHECK (prepare (buf, &skipped, &err) == 0 && !cryo_seccomp_has_notify (skipped));
  CHECK (!cryo_seccomp_has_notify (NULL));
  return 0;
}

static int
test_absent_is_no_filter (void)
{
  struct cryo_seccomp *s = (struct cryo_seccomp *) 1;
  cleanup_error cryo_error_t err = NULL;

  CHECK (cryo_seccomp_prepare (NULL, &s, &err) == 0);
  CHECK (s == NULL);
  CHECK (cryo_seccomp_load (NULL, &err) == 0);
  return 0;
}

struct child
{
  const char *profile;
  uid_t uid;                 /* 0: stay root */
  int (*after) (void);       /* runs with the filter loaded; its result is the exit code */
};

/* Fork; the child prepares and loads the profile and runs after().
 * Returns the wait status. */
static int
run_filtered (const struct child *c)
{
  int status;
  pid_t pid;

  fflush (stdout);
  pid = fork ();
  if (pid < 0)
    return -1;
  if (pid == 0)
    {
      cleanup_error cryo_error_t err = NULL;
      struct cryo_seccomp *s = NULL;

      if (prepare (c->profile, &s, &err) < 0)
        {
          printf ("# prepare: %s\n", err->msg);
          fflush (stdout);
          _exit (100);
        }
      if (c->uid && (setresgid (c->uid, c->uid, c->uid) < 0 || setresuid (c->uid, c->uid, c->uid) < 0))
        _exit (101);
      if (cryo_seccomp_load (s, &err) < 0)
        {
          printf ("# load: %s\n", err->msg);
          fflush (stdout);
          _exit (c->uid && strstr (err->msg, "set process.noNewPrivileges") ? 42 : 102);
        }
      _exit (c->after ());
    }
  if (waitpid (pid, &status, 0) != pid)
    return -1;
  return status;
}

static int
exited (int status, int code)
{
  if (WIFEXITED (status) && WEXITSTATUS (status) == code)
    return 1;
  printf ("# child: %s %d, expected exit %d\n", WIFEXITED (status) ? "exit" : "signal",
          WIFEXITED (status) ? WEXITSTATUS (status) : WTERMSIG (status), code);
  return 0;
}

/* In a child: getppid is notified; a grandchild calls it and we, holding
 * the notify fd the load made, answer ENOMEDIUM.  Exits 42 when it came. */
static int
notify_child (void)
{
  static const char profile[] = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/a\","
                                "\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}";
  cleanup_error cryo_error_t err = NULL;
  struct cryo_seccomp *s = NULL;
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  int fd, status;
  pid_t pid;

  if (prepare (profile, &s, &err) < 0 || prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0
      || cryo_seccomp_load (s, &err) < 0)
    return 100;
  fd = cryo_seccomp_take_notify_fd (s);
  if (fd < 0 || cryo_seccomp_take_notify_fd (s) != -1 || !(fcntl (fd, F_GETFD) & FD_CLOEXEC))
    return 101;
  /* Loaded once: a second load is a no-op and makes no second fd. */
  if (cryo_seccomp_load (s, &err) < 0 || cryo_seccomp_take_notify_fd (s) != -1)
    return 102;
  pid = fork ();
  if (pid == 0)
    _exit (syscall (SYS_getppid) < 0 && errno == ENOMEDIUM ? 42 : 1);
  memset (&req, 0, sizeof (req));
  if (pid < 0 || ioctl (fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0 || req.data.nr != SYS_getppid
      || (pid_t)req.pid != pid)
    return 103;
  memset (&resp, 0, sizeof (resp));
  resp.id = req.id;
  resp.error = -ENOMEDIUM;
  if (ioctl (fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0)
    return 104;
  if (waitpid (pid, &status, 0) != pid || !WIFEXITED (status))
    return 105;
  return WEXITSTATUS (status);
}

static int
test_notify_load (void)
{
  int status;
  pid_t pid;

  if (seccomp_api_get () < 6)
    return 77;
  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    _exit (notify_child ());
  CHECK (pid > 0 && waitpid (pid, &status, 0) == pid);
  CHECK (exited (status, 42));
  return 0;
}

/* getppid cannot fail on its own: any error is the filter's. */
static int
getppid_errno (void)
{
  errno = 0;
  return syscall (SYS_getppid) == -1 ? errno : 0;
}

static int
test_errno_ret (void)
{
  struct child c = { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],"
                     "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":42}]}",
                     0, getppid_errno };

  CHECK (exited (run_filtered (&c), 42));
  /* ERRNO without errnoRet is EPERM, as runc does. */
  c.profile = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\"}]}";
  CHECK (exited (run_filtered (&c), EPERM));
  return 0;
}

/* Everything not allowed fails with defaultErrnoRet.  (sigaltstack and
 * gettid: AddressSanitizer's syscall() interceptor needs them.) */
static int
test_default_errno (void)
{
  struct child c = { "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":61,\"syscalls\":["
                     "{\"names\":[\"exit_group\",\"exit\",\"sigaltstack\",\"gettid\"],"
                     "\"action\":\"SCMP_ACT_ALLOW\"}]}",
                     0, getppid_errno };

  CHECK (exited (run_filtered (&c), 61));
  return 0;
}

static int
test_kill_process (void)
{
  struct child c = { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],"
                     "\"action\":\"SCMP_ACT_KILL_PROCESS\"}]}",
                     0, getppid_errno };
  int status = run_filtered (&c);

  CHECK (WIFSIGNALED (status) && WTERMSIG (status) == SIGSYS);
  c.profile = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_TRAP\"}]}";
  status = run_filtered (&c);
  CHECK (WIFSIGNALED (status) && WTERMSIG (status) == SIGSYS);
  return 0;
}

/* getpriority (PRIO_PROCESS, who): who is the argument under test.  The
 * filter answers 77; the kernel itself answers 0 or ESRCH. */
static int
prio_bits (void)
{
  static const long who[] = { 0, 5, 10 };
  int bits = 0;

  for (size_t i = 0; i < ARRAY_SIZE (who); i++)
    {
      errno = 0;
      if (syscall (SYS_getpriority, PRIO_PROCESS, who[i]) == -1 && errno == 77)
        bits |= 1 << i;
    }
  return bits;
}

static int
test_arg_operators (void)
{
  /* bit i of want: the call with who[i] (0, 5, 10) is denied. */
  static const struct
  {
    const char *cond;
    int want;
  } cases[] = {
    { "{\"index\":1,\"value\":5,\"op\":\"SCMP_CMP_NE\"}", 0x5 },
    { "{\"index\":1,\"value\":5,\"op\":\"SCMP_CMP_LT\"}", 0x1 },
    { "{\"index\":1,\"value\":5,\"op\":\"SCMP_CMP_LE\"}", 0x3 },
    { "{\"index\":1,\"value\":5,\"op\":\"SCMP_CMP_EQ\"}", 0x2 },
    { "{\"index\":1,\"value\":5,\"op\":\"SCMP_CMP_GE\"}", 0x6 },
    { "{\"index\":1,\"value\":5,\"op\":\"SCMP_CMP_GT\"}", 0x4 },
    /* (who & 4) == 4: 5 = 0b101 matches, 10 = 0b1010 and 0 do not */
    { "{\"index\":1,\"value\":4,\"valueTwo\":4,\"op\":\"SCMP_CMP_MASKED_EQ\"}", 0x2 },
    /* two conditions on one argument: either matches (runc's behaviour) */
    { "{\"index\":1,\"value\":5,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":10,\"op\":\"SCMP_CMP_EQ\"}", 0x6 },
    /* conditions on different arguments: all must match */
    { "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":5,\"op\":\"SCMP_CMP_EQ\"}", 0x0 },
    { "{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":5,\"op\":\"SCMP_CMP_GE\"}", 0x6 },
  };

  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      cleanup_free char *profile = xasprintf ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                                              "[\"getpriority\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":77,"
                                              "\"args\":[%s]}]}",
                                              cases[i].cond);
      struct child c = { profile, 0, prio_bits };
      if (!exited (run_filtered (&c), cases[i].want))
        {
          printf ("# case %zu: %s\n", i, cases[i].cond);
          return 1;
        }
    }
  return 0;
}

/* Names this architecture does not have are skipped, like runc; the rest
 * of the entry still applies. */
static int
test_unknown_syscall_skipped (void)
{
  struct child c = { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"no_such_syscall\","
                     "\"getppid\",\"socketcall\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":43}]}",
                     0, getppid_errno };

  CHECK (exited (run_filtered (&c), 43));
  return 0;
}

#ifdef __x86_64__
/* An x32 system call (the x86_64 number with bit 30 set): seccomp sees it
 * before the kernel refuses it, so the filter decides what happens. */
static int
x32_getppid_errno (void)
{
  errno = 0;
  return syscall (0x40000000L | SYS_getppid) == -1 ? errno : 0;
}
#endif

static int
test_architectures (void)
{
#ifdef __x86_64__
  struct child c = { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\","
                     "\"SCMP_ARCH_X32\"],\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\","
                     "\"errnoRet\":44}]}",
                     0, x32_getppid_errno };
  int status;

  CHECK (exited (run_filtered (&c), 44));
  c.after = getppid_errno;
  CHECK (exited (run_filtered (&c), 44));
  /* Without x32 in the list, an x32 call is a foreign architecture: killed. */
  c.profile = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"],"
              "\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":44}]}";
  c.after = x32_getppid_errno;
  status = run_filtered (&c);
  CHECK (WIFSIGNALED (status) && WTERMSIG (status) == SIGSYS);
  return 0;
#else
  return 77;
#endif
}

static int
seccomp_mode (void)
{
  cleanup_free char *buf = NULL;
  char *p;

  if (read_all_file ("/proc/self/status", &buf, NULL, NULL) < 0 || (p = strstr (buf, "\nSeccomp:")) == NULL)
    return 0;
  return atoi (p + strlen ("\nSeccomp:"));
}

static int
test_flags_and_log (void)
{
  struct child c = { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_TSYNC\","
                     "\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],\"syscalls\":[{\"names\":"
                     "[\"getppid\"],\"action\":\"SCMP_ACT_LOG\"}]}",
                     0, seccomp_mode };

  /* SCMP_ACT_LOG lets the call through; mode 2 is "filter". */
  CHECK (exited (run_filtered (&c), 2));
  c.after = getppid_errno;
  CHECK (exited (run_filtered (&c), 0));
  return 0;
}

/* Without no_new_privs only CAP_SYS_ADMIN may load a filter; the error
 * says what to change. */
static int
test_load_needs_nnp_or_admin (void)
{
  struct child c = { "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}", 1000, seccomp_mode };

  if (geteuid () != 0)
    return 77;
  CHECK (exited (run_filtered (&c), 42));
  return 0;
}

static int
test_features_lists (void)
{
  cleanup_strv char **archs = cryo_seccomp_archs ();

  CHECK (strv_contains ((char *const *) cryo_seccomp_actions (), "SCMP_ACT_KILL_PROCESS"));
  CHECK (strv_contains ((char *const *)cryo_seccomp_actions (), "SCMP_ACT_NOTIFY"));
  CHECK (strv_len ((char *const *) cryo_seccomp_operators ()) == 7);
  CHECK (strv_contains ((char *const *) cryo_seccomp_flags (), "SECCOMP_FILTER_FLAG_SPEC_ALLOW"));
  CHECK (strv_contains (archs, "SCMP_ARCH_X86_64"));
  CHECK (strv_contains (archs, "SCMP_ARCH_AARCH64"));
  return 0;
}

int
main (void)
{
  TAP_PLAN (13);
  RUN_TEST (test_parse_errors);
  RUN_TEST (test_notify_parse);
  RUN_TEST (test_notify_load);
  RUN_TEST (test_absent_is_no_filter);
  RUN_TEST (test_errno_ret);
  RUN_TEST (test_default_errno);
  RUN_TEST (test_kill_process);
  RUN_TEST (test_arg_operators);
  RUN_TEST (test_unknown_syscall_skipped);
  RUN_TEST (test_architectures);
  RUN_TEST (test_flags_and_log);
  RUN_TEST (test_load_needs_nnp_or_admin);
  RUN_TEST (test_features_lists);
  return tap_exit ();
}
