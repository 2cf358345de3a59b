/* Capabilities: names, validation errors, and the sets a real process ends
 * up with (children apply them and read their own /proc/self/status). */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spec/caps.h"
#include "tap.h"
#include "lib/util.h"

#define BIT(c) (UINT64_C (1) << (c))

/* A set as the spec holds it: a NULL-terminated vector of names. */
static char **
names (const char *first, ...)
{
  char **v = xzalloc (sizeof (char *));
  va_list ap;

  va_start (ap, first);
  for (const char *n = first; n; n = va_arg (ap, const char *))
    strv_append (&v, n);
  va_end (ap);
  return v;
}

static void
caps_clear (struct spec_capabilities *c)
{
  for (int s = 0; s < CAP_SET_MAX; s++)
    strv_free (c->sets[s]);
  memset (c, 0, sizeof (*c));
}

/* The value of "Field:" in /proc/self/status, as a number. */
static uint64_t
status_hex (const char *field)
{
  cleanup_free char *buf = NULL;
  cleanup_free char *key = xasprintf ("\n%s:", field);
  char *p;

  if (read_all_file ("/proc/self/status", &buf, NULL, NULL) < 0 || (p = strstr (buf, key)) == NULL)
    return UINT64_MAX;
  return strtoull (p + strlen (key), NULL, 16);
}

struct expect
{
  uint64_t bnd, eff, prm, inh, amb;
};

/* In a child: compare the five sets; print what differs as TAP comments. */
static int
check_sets (const struct expect *e)
{
  static const char *const fields[] = { "CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb" };
  uint64_t want[] = { e->bnd, e->eff, e->prm, e->inh, e->amb };
  int bad = 0;

  for (size_t i = 0; i < ARRAY_SIZE (fields); i++)
    {
      uint64_t got = status_hex (fields[i]);
      if (got != want[i])
        {
          printf ("# %s is %016" PRIx64 ", expected %016" PRIx64 "\n", fields[i], got, want[i]);
          bad = 1;
        }
    }
  return bad;
}

/* Run fn in a forked child; 0 when it exited 0. */
static int
in_child (int (*fn) (void *), void *arg)
{
  int status;
  pid_t pid;

  fflush (stdout);
  pid = fork ();
  if (pid < 0)
    return -1;
  if (pid == 0)
    {
      int r = fn (arg);
      fflush (stdout);
      _exit (r);
    }
  if (waitpid (pid, &status, 0) != pid)
    return -1;
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static int
test_names (void)
{
  cleanup_strv char **known = caps_known_names ();
  cleanup_strv char **from_mask = caps_mask_names (BIT (CAP_CHOWN) | BIT (CAP_NET_ADMIN));

  CHECK (caps_from_name ("CAP_CHOWN") == 0);
  CHECK (caps_from_name ("CAP_NET_ADMIN") == 12);
  CHECK (caps_from_name ("CAP_CHECKPOINT_RESTORE") == 40);
  CHECK (caps_from_name ("CAP_FOO") < 0);
  /* libcap alone would accept these spellings; the OCI spec does not. */
  CHECK (caps_from_name ("cap_chown") < 0);
  CHECK (caps_from_name ("12") < 0);
  CHECK (caps_from_name ("CAP_12") < 0);
  CHECK (caps_from_name ("CAP_") < 0);
  CHECK (strv_contains (known, "CAP_BPF"));
  CHECK (strv_contains (known, "CAP_SYS_ADMIN"));
  CHECK (strv_len (known) >= 41);
  CHECK (strv_len (from_mask) == 2);
  CHECK_STR (from_mask[0], "CAP_CHOWN");
  CHECK_STR (from_mask[1], "CAP_NET_ADMIN");
  CHECK (caps_last_cap () >= 40);
  return 0;
}

static int
test_unknown_names (void)
{
  struct spec_capabilities c = { 0 };
  cleanup_error cryo_error_t err = NULL;

  c.sets[CAP_SET_BOUNDING] = names ("CAP_CHOWN", "CAP_FOO", NULL);
  CHECK (caps_validate (&c, &err) < 0);
  CHECK_STR (err->msg, "process.capabilities.bounding: unknown capability `CAP_FOO`");
  caps_clear (&c);
  cryo_error_release (&err);

  c.sets[CAP_SET_AMBIENT] = names ("net_admin", NULL);
  CHECK (caps_validate (&c, &err) < 0);
  CHECK_STR (err->msg, "process.capabilities.ambient: unknown capability `net_admin`");
  caps_clear (&c);
  cryo_error_release (&err);

  CHECK (caps_validate (NULL, &err) == 0);
  return 0;
}

/* Configs the kernel would refuse with a bare EPERM in the container's
 * init are refused up front, naming the field. */
static int
test_impossible_sets (void)
{
  struct spec_capabilities c = { 0 };
  cleanup_error cryo_error_t err = NULL;

  c.sets[CAP_SET_EFFECTIVE] = names ("CAP_KILL", NULL);
  CHECK (caps_validate (&c, &err) < 0);
  CHECK_ERR_CONTAINS (err, "process.capabilities.effective: `CAP_KILL` is not in the permitted set");
  caps_clear (&c);
  cryo_error_release (&err);

  c.sets[CAP_SET_PERMITTED] = names ("CAP_KILL", NULL);
  c.sets[CAP_SET_INHERITABLE] = names ("CAP_KILL", NULL);
  CHECK (caps_validate (&c, &err) < 0);
  CHECK_ERR_CONTAINS (err, "process.capabilities.inheritable: `CAP_KILL` is not in the bounding set");
  caps_clear (&c);
  cryo_error_release (&err);

  /* Ambient but not inheritable (what `runc spec` writes): accepted, the
   * capability is left out of the ambient set when applied. */
  c.sets[CAP_SET_PERMITTED] = names ("CAP_KILL", NULL);
  c.sets[CAP_SET_AMBIENT] = names ("CAP_KILL", NULL);
  CHECK (caps_validate (&c, &err) == 0);
  caps_clear (&c);
  return 0;
}

struct apply_case
{
  struct spec_capabilities *caps;
  uid_t uid; /* 0: stay root */
  struct expect want;
};

static int
apply_child (void *arg)
{
  struct apply_case *a = arg;
  cleanup_error cryo_error_t err = NULL;

  if (a->uid != 0)
    {
      if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setresgid (a->uid, a->uid, a->uid) < 0
          || setresuid (a->uid, a->uid, a->uid) < 0)
        return printf ("# cannot become uid %u\n", (unsigned) a->uid), 1;
    }
  if (caps_apply (a->caps, &err) < 0)
    return printf ("# caps_apply: %s\n", err->msg), 1;
  if (prctl (PR_GET_KEEPCAPS, 0, 0, 0, 0) != 0)
    return printf ("# KEEPCAPS still set\n"), 1;
  if (getuid () != a->uid)
    return printf ("# uid changed\n"), 1;
  return check_sets (&a->want);
}

static int
test_apply_root (void)
{
  struct spec_capabilities c = { 0 };
  struct apply_case a = { &c, 0, { 0 } };
  int r;

  if (geteuid () != 0)
    return 77;
  c.sets[CAP_SET_BOUNDING] = names ("CAP_CHOWN", "CAP_NET_ADMIN", "CAP_KILL", "CAP_SYS_ADMIN", NULL);
  c.sets[CAP_SET_PERMITTED] = names ("CAP_CHOWN", "CAP_NET_ADMIN", "CAP_KILL", NULL);
  c.sets[CAP_SET_EFFECTIVE] = names ("CAP_CHOWN", "CAP_NET_ADMIN", NULL);
  c.sets[CAP_SET_INHERITABLE] = names ("CAP_NET_ADMIN", "CAP_SYS_ADMIN", NULL);
  c.sets[CAP_SET_AMBIENT] = names ("CAP_NET_ADMIN", NULL);
  a.want.bnd = BIT (CAP_CHOWN) | BIT (CAP_NET_ADMIN) | BIT (CAP_KILL) | BIT (CAP_SYS_ADMIN);
  a.want.prm = BIT (CAP_CHOWN) | BIT (CAP_NET_ADMIN) | BIT (CAP_KILL);
  a.want.eff = BIT (CAP_CHOWN) | BIT (CAP_NET_ADMIN);
  a.want.inh = BIT (CAP_NET_ADMIN) | BIT (CAP_SYS_ADMIN);
  a.want.amb = BIT (CAP_NET_ADMIN);
  r = in_child (apply_child, &a);
  caps_clear (&c);
  CHECK (r == 0);
  return 0;
}

/* The common case of a container run as a user: it keeps exactly the
 * configured capabilities after setresuid. */
static int
test_apply_non_root_user (void)
{
  struct spec_capabilities c = { 0 };
  struct apply_case a = { &c, 1000, { 0 } };
  int r;

  if (geteuid () != 0)
    return 77;
  c.sets[CAP_SET_BOUNDING] = names ("CAP_NET_BIND_SERVICE", "CAP_KILL", NULL);
  c.sets[CAP_SET_PERMITTED] = names ("CAP_NET_BIND_SERVICE", "CAP_KILL", NULL);
  c.sets[CAP_SET_EFFECTIVE] = names ("CAP_NET_BIND_SERVICE", "CAP_KILL", NULL);
  c.sets[CAP_SET_INHERITABLE] = names ("CAP_NET_BIND_SERVICE", NULL);
  c.sets[CAP_SET_AMBIENT] = names ("CAP_NET_BIND_SERVICE", NULL);
  a.want.bnd = a.want.prm = a.want.eff = BIT (CAP_NET_BIND_SERVICE) | BIT (CAP_KILL);
  a.want.inh = a.want.amb = BIT (CAP_NET_BIND_SERVICE);
  r = in_child (apply_child, &a);
  caps_clear (&c);
  CHECK (r == 0);
  return 0;
}

/* No capabilities object: the process gets none at all. */
static int
test_apply_null_drops_all (void)
{
  struct apply_case a = { NULL, 0, { 0 } };

  if (geteuid () != 0)
    return 77;
  CHECK (in_child (apply_child, &a) == 0);
  a.uid = 1000;
  CHECK (in_child (apply_child, &a) == 0);
  return 0;
}

/* An unknown name fails caps_apply too, before anything is changed. */
static int
unknown_child (void *arg)
{
  struct spec_capabilities *c = arg;
  cleanup_error cryo_error_t err = NULL;
  struct expect untouched = { status_hex ("CapBnd"), status_hex ("CapEff"), status_hex ("CapPrm"),
                              status_hex ("CapInh"), status_hex ("CapAmb") };

  if (caps_apply (c, &err) == 0)
    return printf ("# caps_apply accepted an unknown capability\n"), 1;
  if (strstr (err->msg, "process.capabilities.permitted: unknown capability `CAP_NOPE`") == NULL)
    return printf ("# wrong error: %s\n", err->msg), 1;
  return check_sets (&untouched);
}

static int
test_apply_unknown_name (void)
{
  struct spec_capabilities c = { 0 };
  int r;

  c.sets[CAP_SET_BOUNDING] = names ("CAP_CHOWN", NULL);
  c.sets[CAP_SET_PERMITTED] = names ("CAP_NOPE", NULL);
  r = in_child (unknown_child, &c);
  caps_clear (&c);
  CHECK (r == 0);
  return 0;
}

static int
test_exec_cap (void)
{
  struct spec_capabilities *c = NULL;
  cleanup_error cryo_error_t err = NULL;
  cleanup_strv char **add = names ("CAP_NET_RAW", "CAP_KILL", NULL);
  cleanup_strv char **bad = names ("CAP_NOPE", NULL);

  CHECK (caps_add (&c, bad, &err) < 0);
  CHECK_STR (err->msg, "--cap: unknown capability `CAP_NOPE`");
  CHECK (c == NULL);

  CHECK (caps_add (&c, add, &err) == 0);
  CHECK (c != NULL);
  CHECK (strv_contains (c->sets[CAP_SET_BOUNDING], "CAP_NET_RAW"));
  CHECK (strv_contains (c->sets[CAP_SET_EFFECTIVE], "CAP_KILL"));
  CHECK (strv_contains (c->sets[CAP_SET_PERMITTED], "CAP_NET_RAW"));
  CHECK (strv_len (c->sets[CAP_SET_INHERITABLE]) == 0);
  CHECK (strv_len (c->sets[CAP_SET_AMBIENT]) == 0);

  /* Already inheritable: then it becomes ambient as well; no duplicates. */
  strv_append (&c->sets[CAP_SET_INHERITABLE], "CAP_KILL");
  CHECK (caps_add (&c, add, &err) == 0);
  CHECK (strv_len (c->sets[CAP_SET_BOUNDING]) == 2);
  CHECK (strv_len (c->sets[CAP_SET_AMBIENT]) == 1);
  CHECK_STR (c->sets[CAP_SET_AMBIENT][0], "CAP_KILL");
  CHECK (caps_validate (c, &err) == 0);
  caps_clear (c);
  free (c);
  return 0;
}

int
main (void)
{
  TAP_PLAN (8);
  RUN_TEST (test_names);
  RUN_TEST (test_unknown_names);
  RUN_TEST (test_impossible_sets);
  RUN_TEST (test_apply_root);
  RUN_TEST (test_apply_non_root_user);
  RUN_TEST (test_apply_null_drops_all);
  RUN_TEST (test_apply_unknown_name);
  RUN_TEST (test_exec_cap);
  return tap_exit ();
}
