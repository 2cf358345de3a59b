/* Credentials across a checkpoint: supplementary groups, the five
 * capability sets, the bounding set, securebits, no_new_privs; with
 * "ids" as argument also real/effective/saved uids and gids (CRIU then
 * needs CAP_SYS_RESOURCE to read the rlimits of a process of another
 * uid). */
#include "crt.h" /* first: it defines _GNU_SOURCE */
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static void
caps (struct __user_cap_data_struct d[2], int set)
{
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

  CRT_CHECK (syscall (set ? SYS_capset : SYS_capget, &h, d) == 0, "cap%s", set ? "set" : "get");
}

#define BIT(c) (1u << (c))

int
main (int argc, char **argv)
{
  int ids = argc > 1 && strcmp (argv[1], "ids") == 0;
  uid_t u[3] = { 0, 0, 0 };
  gid_t g[3] = { 0, 0, 0 };
  gid_t groups[] = { 5, 6, 7 }, gg[8];
  struct __user_cap_data_struct d[2] = { { 0 } };
  uid_t r, e, s;
  gid_t gr, ge, gs;
  int n;

  CRT_CHECK (prctl (PR_CAPBSET_DROP, CAP_SYS_TIME) == 0, "drop CAP_SYS_TIME from the bounding set");
  CRT_CHECK (setgroups (3, groups) == 0, "setgroups");
  CRT_CHECK (prctl (PR_SET_KEEPCAPS, 1) == 0, "keepcaps");
  if (ids)
    {
      g[0] = 1000, g[1] = 1001, g[2] = 1002;
      u[0] = 2000, u[1] = 2001, u[2] = 2002;
    }
  CRT_CHECK (setresgid (g[0], g[1], g[2]) == 0, "setresgid");
  CRT_CHECK (setresuid (u[0], u[1], u[2]) == 0, "setresuid");
  d[0].permitted = BIT (CAP_KILL) | BIT (CAP_NET_BIND_SERVICE) | BIT (CAP_CHOWN);
  d[0].effective = BIT (CAP_KILL);
  d[0].inheritable = BIT (CAP_NET_BIND_SERVICE);
  caps (d, 1);
  CRT_CHECK (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0) == 0, "ambient");
  CRT_CHECK (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "no_new_privs");
  crt_ready ();
  crt_wait ();

  CRT_CHECK (getresuid (&r, &e, &s) == 0 && r == u[0] && e == u[1] && s == u[2], "uids %u %u %u", r, e, s);
  CRT_CHECK (getresgid (&gr, &ge, &gs) == 0 && gr == g[0] && ge == g[1] && gs == g[2], "gids %u %u %u", gr,
             ge, gs);
  n = getgroups (8, gg);
  CRT_CHECK (n == 3 && gg[0] == 5 && gg[1] == 6 && gg[2] == 7, "groups (%d)", n);
  memset (d, 0, sizeof d);
  caps (d, 0);
  CRT_CHECK (d[0].permitted == (BIT (CAP_KILL) | BIT (CAP_NET_BIND_SERVICE) | BIT (CAP_CHOWN)),
             "permitted %#x", d[0].permitted);
  CRT_CHECK (d[0].effective == BIT (CAP_KILL), "effective %#x", d[0].effective);
  CRT_CHECK (d[0].inheritable == BIT (CAP_NET_BIND_SERVICE), "inheritable %#x", d[0].inheritable);
  CRT_CHECK (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0) == 1, "ambient");
  CRT_CHECK (prctl (PR_CAPBSET_READ, CAP_SYS_TIME) == 0 && prctl (PR_CAPBSET_READ, CAP_KILL) == 1,
             "bounding set");
  CRT_CHECK ((prctl (PR_GET_SECUREBITS) & SECBIT_KEEP_CAPS) != 0, "securebits %#x",
             prctl (PR_GET_SECUREBITS));
  CRT_CHECK (prctl (PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "no_new_privs");
  crt_pass ();
}
