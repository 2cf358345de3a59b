/* linux.sysctl: which keys are accepted with which namespaces, values that
 * really land in the container's namespaces and never in the host's; and
 * linux.personality. */
#include "config.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spec/spec.h"
#include "spec/sysctl.h"
#include "tap.h"
#include "lib/util.h"

/* A config with these linux.namespaces and linux.sysctl (JSON fragments). */
static struct spec *
make_spec (const char *namespaces, const char *sysctl)
{
  cleanup_free char *text = xasprintf ("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
                                       "\"linux\":{\"namespaces\":[%s],\"sysctl\":{%s}}}",
                                       namespaces, sysctl);
  cleanup_error cryo_error_t err = NULL;
  struct spec *spec = NULL;

  if (spec_parse (text, NULL, &spec, &err) < 0)
    printf ("# spec_parse: %s\n", err->msg);
  return spec;
}

/* sysctl_validate's error for this config, or "" when accepted. */
static char *
validate (const char *namespaces, const char *sysctl)
{
  cleanup_spec struct spec *spec = make_spec (namespaces, sysctl);
  cleanup_error cryo_error_t err = NULL;

  if (spec == NULL)
    return xstrdup ("(no spec)");
  if (sysctl_validate (spec, &err) == 0)
    return xstrdup ("");
  return xstrdup (err->msg);
}

#define ALL_NS "{\"type\":\"ipc\"},{\"type\":\"network\"},{\"type\":\"uts\"},{\"type\":\"mount\"}"

static int
accepted (const char *namespaces, const char *sysctl)
{
  cleanup_free char *e = validate (namespaces, sysctl);
  if (*e)
    printf ("# refused %s: %s\n", sysctl, e);
  return *e == '\0';
}

static int
refused (const char *namespaces, const char *sysctl, const char *want)
{
  cleanup_free char *e = validate (namespaces, sysctl);
  if (strstr (e, want) == NULL || *want == '\0')
    printf ("# %s: error \"%s\", expected \"%s\"\n", sysctl, e, want);
  return *want && strstr (e, want) != NULL;
}

static int
test_namespaced_keys_accepted (void)
{
  CHECK (accepted (ALL_NS, "\"kernel.msgmax\":\"8192\",\"kernel.msgmnb\":\"16384\",\"kernel.msgmni\":\"32\""));
  CHECK (accepted (ALL_NS, "\"kernel.sem\":\"250 32000 32 128\",\"kernel.shmmax\":\"1\",\"kernel.shmall\":\"1\""));
  CHECK (accepted (ALL_NS, "\"kernel.shm_rmid_forced\":\"1\",\"fs.mqueue.msg_max\":\"20\""));
  CHECK (accepted (ALL_NS, "\"net.ipv4.ip_forward\":\"1\",\"net.core.somaxconn\":\"1024\""));
  CHECK (accepted (ALL_NS, "\"kernel.hostname\":\"box\",\"kernel.domainname\":\"example\""));
  CHECK (accepted (ALL_NS, "\"net/ipv4/conf/eth0.100/forwarding\":\"1\""));
  CHECK (accepted ("", ""));
  return 0;
}

static int
test_host_namespaces_refused (void)
{
  CHECK (refused ("{\"type\":\"network\"}", "\"kernel.shmmax\":\"1\"",
                  "linux.sysctl: `kernel.shmmax` needs the container's own ipc namespace"));
  CHECK (refused ("{\"type\":\"network\"}", "\"fs.mqueue.queues_max\":\"1\"",
                  "`fs.mqueue.queues_max` needs the container's own ipc namespace"));
  CHECK (refused ("{\"type\":\"ipc\"}", "\"net.ipv4.ip_forward\":\"1\"",
                  "`net.ipv4.ip_forward` needs the container's own network namespace"));
  CHECK (refused ("{\"type\":\"ipc\"}", "\"kernel.hostname\":\"x\"", "`kernel.hostname` needs the container's own uts"));
  /* Joining the runtime's own network namespace by path is the host's. */
  CHECK (refused ("{\"type\":\"network\",\"path\":\"/proc/self/ns/net\"}", "\"net.ipv4.ip_forward\":\"1\"",
                  "`net.ipv4.ip_forward` needs the container's own network namespace"));
  CHECK (refused ("{\"type\":\"network\",\"path\":\"/nonexistent/netns\"}", "\"net.ipv4.ip_forward\":\"1\"",
                  "linux.namespaces: network namespace `/nonexistent/netns`"));
  return 0;
}

static int
test_not_namespaced_refused (void)
{
  CHECK (refused (ALL_NS, "\"kernel.pid_max\":\"4096\"",
                  "linux.sysctl: `kernel.pid_max` is not namespaced: setting it would change the host"));
  CHECK (refused (ALL_NS, "\"vm.overcommit_memory\":\"1\"", "`vm.overcommit_memory` is not namespaced"));
  CHECK (refused (ALL_NS, "\"fs.file-max\":\"1\"", "`fs.file-max` is not namespaced"));
  CHECK (refused (ALL_NS, "\"net/../kernel/pid_max\":\"1\"", "linux.sysctl: invalid key `net/../kernel/pid_max`"));
  CHECK (refused (ALL_NS, "\"net..ipv4\":\"1\"", "invalid key `net..ipv4`"));
  CHECK (refused (ALL_NS, "\"/net/ipv4\":\"1\"", "invalid key `/net/ipv4`"));
  return 0;
}

static char *
read_sysctl (const char *rel)
{
  cleanup_free char *path = xasprintf ("/proc/sys/%s", rel);
  char *buf = NULL;

  if (read_all_file (path, &buf, NULL, NULL) < 0)
    return xstrdup ("(unreadable)");
  buf[strcspn (buf, "\n")] = '\0';
  return buf;
}

/* In a child with its own ipc, net and uts namespaces: apply, then read
 * every value back. */
static int
apply_child (struct spec *spec)
{
  static const char *const want[][2] = {
    { "kernel/shmmni", "1234" },
    { "net/ipv4/ip_default_ttl", "77" },
    { "kernel/domainname", "cryo.test" },
    { "fs/mqueue/msg_max", "17" },
  };
  cleanup_error cryo_error_t err = NULL;

  if (unshare (CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS) < 0)
    return printf ("# unshare failed\n"), 1;
  if (sysctl_apply (spec, &err) < 0)
    return printf ("# sysctl_apply: %s\n", err->msg), 1;
  for (size_t i = 0; i < ARRAY_SIZE (want); i++)
    {
      cleanup_free char *got = read_sysctl (want[i][0]);
      if (strcmp (got, want[i][1]) != 0)
        return printf ("# %s is %s, expected %s\n", want[i][0], got, want[i][1]), 1;
    }
  return 0;
}

static int
test_apply_in_namespaces_host_untouched (void)
{
  cleanup_spec struct spec *spec = make_spec (ALL_NS, "\"kernel.shmmni\":\"1234\",\"net.ipv4.ip_default_ttl\":\"77\","
                                                      "\"kernel.domainname\":\"cryo.test\",\"fs.mqueue.msg_max\":\"17\"");
  static const char *const keys[] = { "kernel/shmmni", "net/ipv4/ip_default_ttl", "kernel/domainname",
                                      "fs/mqueue/msg_max" };
  static const char *const values[] = { "1234", "77", "cryo.test", "17" };
  char *before[ARRAY_SIZE (keys)];
  int status, same = 1;
  pid_t pid;

  if (geteuid () != 0)
    return 77;
  CHECK (spec != NULL);
  for (size_t i = 0; i < ARRAY_SIZE (keys); i++)
    before[i] = read_sysctl (keys[i]);
  /* Otherwise "the host is untouched" would prove nothing. */
  for (size_t i = 0; i < ARRAY_SIZE (keys); i++)
    CHECK (strcmp (before[i], values[i]) != 0);
  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    {
      int r = apply_child (spec);
      fflush (stdout);
      _exit (r);
    }
  CHECK (pid > 0 && waitpid (pid, &status, 0) == pid);
  for (size_t i = 0; i < ARRAY_SIZE (keys); i++)
    {
      cleanup_free char *after = read_sysctl (keys[i]);
      if (strcmp (after, before[i]) != 0)
        {
          printf ("# host %s changed: %s -> %s\n", keys[i], before[i], after);
          same = 0;
        }
      free (before[i]);
    }
  CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  CHECK (same);
  return 0;
}

static int
test_apply_error_names_key (void)
{
  cleanup_spec struct spec *spec = make_spec (ALL_NS, "\"net.ipv4.no_such_knob\":\"1\"");
  cleanup_error cryo_error_t err = NULL;

  CHECK (spec != NULL);
  CHECK (sysctl_apply (spec, &err) < 0);
  CHECK_ERR_CONTAINS (err, "linux.sysctl: `net.ipv4.no_such_knob`: open `/proc/sys/net/ipv4/no_such_knob`");
  return 0;
}

static struct spec *
personality_spec (const char *personality)
{
  cleanup_free char *text = xasprintf ("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
                                       "\"linux\":{\"personality\":%s}}",
                                       personality);
  cleanup_error cryo_error_t err = NULL;
  struct spec *spec = NULL;

  if (spec_parse (text, NULL, &spec, &err) < 0)
    printf ("# spec_parse: %s\n", err->msg);
  return spec;
}

static int
test_personality (void)
{
  cleanup_spec struct spec *s32 = personality_spec ("{\"domain\":\"LINUX32\"}");
  cleanup_spec struct spec *flags = personality_spec ("{\"domain\":\"LINUX\",\"flags\":[\"ADDR_NO_RANDOMIZE\"]}");
  cleanup_error cryo_error_t err = NULL;
  int status;
  pid_t pid;

  CHECK (s32 != NULL && flags != NULL);
  CHECK (personality_validate (s32, &err) == 0);
  CHECK (personality_validate (flags, &err) < 0);
  CHECK_ERR_CONTAINS (err, "linux.personality.flags: `ADDR_NO_RANDOMIZE` is not supported");
#ifdef __x86_64__
  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    {
      struct utsname u;
      _exit (personality_apply (s32, NULL) == 0 && uname (&u) == 0 && strcmp (u.machine, "i686") == 0 ? 0 : 1);
    }
  CHECK (pid > 0 && waitpid (pid, &status, 0) == pid);
  CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 0);
#endif
  return 0;
}

int
main (void)
{
  TAP_PLAN (6);
  RUN_TEST (test_namespaced_keys_accepted);
  RUN_TEST (test_host_namespaces_refused);
  RUN_TEST (test_not_namespaced_refused);
  RUN_TEST (test_apply_in_namespaces_host_untouched);
  RUN_TEST (test_apply_error_names_key);
  RUN_TEST (test_personality);
  return tap_exit ();
}
