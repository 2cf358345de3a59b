/* Shared by the rootfs tests: a busybox rootfs in a temporary directory,
 * a child in new mount/pid/cgroup/ipc (and optionally user) namespaces that
 * runs rootfs_prepare/pivot/finalize from a config.json, and helpers that
 * look at the result from inside. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns/mount-plan.h"
#include "ns/rootfs.h"
#include "rootfs-fixture.h"
#include "spec/spec.h"
#include "lib/util.h"

char base[64]; /* the test's temporary directory, holds rootfs/ and vol/ */

/* ---- host side: fixtures ---- */

int
write_text (const char *path, const char *text)
{
  cleanup_error cryo_error_t err = NULL;
  return write_file_at (AT_FDCWD, path, text, strlen (text), &err);
}

static int
copy_file (const char *from, const char *to)
{
  cleanup_free char *buf = NULL;
  cleanup_error cryo_error_t err = NULL;
  size_t len;
  if (read_all_file (from, &buf, &len, &err) < 0 || write_file_at (AT_FDCWD, to, buf, len, &err) < 0)
    return -1;
  return chmod (to, 0755);
}

char *
bpath (const char *fmt, ...)
{
  cleanup_free char *rel = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&rel, fmt, ap) < 0)
    oom ();
  va_end (ap);
  return xasprintf ("%s/%s", base, rel);
}

/* A fresh busybox rootfs; a host volume vol/ with a file. */
static int
make_rootfs (void)
{
  static const char *const dirs[] = { "rootfs", "rootfs/bin", "rootfs/proc", "rootfs/sys",
                                      "rootfs/dev", "rootfs/tmp", "rootfs/secret", "vol" };
  size_t i;

  strcpy (base, "/tmp/cryo-test-rootfs-XXXXXX");
  if (mkdtemp (base) == NULL)
    return -1;
  for (i = 0; i < ARRAY_SIZE (dirs); i++)
    {
      cleanup_free char *p = bpath ("%s", dirs[i]);
      if (mkdir (p, 0755) < 0)
        return -1;
    }
  {
    cleanup_free char *bb = bpath ("rootfs/bin/busybox");
    cleanup_free char *vf = bpath ("vol/file");
    cleanup_free char *sf = bpath ("rootfs/secret/file");
    cleanup_free char *hf = bpath ("hostfile");
    if (copy_file ("/bin/busybox", bb) < 0 || write_text (vf, "volume\n") < 0
        || write_text (sf, "secret\n") < 0 || write_text (hf, "from the host\n") < 0)
      return -1;
  }
  return 0;
}

static int
remove_one (const char *path, const struct stat *st, int type, struct FTW *ftw)
{
  return type == FTW_DP ? rmdir (path) : unlink (path);
}

void
remove_rootfs (void)
{
  if (base[0])
    nftw (base, remove_one, 16, FTW_DEPTH | FTW_PHYS);
  base[0] = '\0';
}

/* ---- container side ---- */


/* The top-most mount at @mp in /proc/self/mountinfo. */
bool
find_mount (const char *mp, struct mnt *out)
{
  cleanup_file FILE *f = fopen ("/proc/self/mountinfo", "re");
  char line[2048];
  bool found = false;

  while (f && fgets (line, sizeof (line), f))
    {
      struct mnt m = { 0 };
      char *save = NULL, *tok;
      int field = 0;
      bool after_dash = false;
      for (tok = strtok_r (line, " \n", &save); tok; tok = strtok_r (NULL, " \n", &save), field++)
        {
          if (field == 3)
            snprintf (m.root, sizeof (m.root), "%s", tok);
          else if (field == 4)
            snprintf (m.mp, sizeof (m.mp), "%s", tok);
          else if (field == 5)
            snprintf (m.opts, sizeof (m.opts), "%s", tok);
          else if (field > 5 && !after_dash && strcmp (tok, "-") == 0)
            after_dash = true, field = 100;
          else if (field > 5 && !after_dash)
            strncat (m.optional, tok, sizeof (m.optional) - strlen (m.optional) - 2), strcat (m.optional, " ");
          else if (field == 101)
            snprintf (m.fstype, sizeof (m.fstype), "%s", tok);
          else if (field == 103)
            snprintf (m.super, sizeof (m.super), "%s", tok);
        }
      if (strcmp (m.mp, mp) == 0)
        {
          *out = m;
          found = true;
        }
    }
  return found;
}

bool
has_opt (const char *list, const char *opt)
{
  cleanup_free char *copy = xstrdup (list);
  char *save = NULL, *tok;
  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    if (strcmp (tok, opt) == 0)
      return true;
  return false;
}

bool
is_dev (const char *path, mode_t type, unsigned maj, unsigned min, mode_t perm)
{
  struct stat st;
  if (lstat (path, &st) < 0)
    return false;
  if ((st.st_mode & S_IFMT) != type || (st.st_mode & 07777) != perm)
    {
      printf ("# %s: mode %o\n", path, st.st_mode);
      return false;
    }
  return type == S_IFIFO || (major (st.st_rdev) == maj && minor (st.st_rdev) == min);
}

bool
link_is (const char *path, const char *target)
{
  char buf[256];
  ssize_t n = readlink (path, buf, sizeof (buf) - 1);
  if (n < 0)
    return false;
  buf[n] = '\0';
  return strcmp (buf, target) == 0;
}

int
write_errno (const char *path)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0)
    {
      close (fd);
      return 0;
    }
  return errno;
}


static int
container_main (const struct run *r)
{
  cleanup_error cryo_error_t err = NULL;
  cleanup_spec struct spec *spec = NULL;
  cleanup_mount_plan struct mount_plan *plan = NULL;

  if (spec_parse (r->json, base, &spec, &err) < 0 || mount_plan_build (spec, &plan, &err) < 0)
    {
      printf ("# setup: %s\n", err->msg);
      return 1;
    }
  if (rootfs_prepare (spec, plan, &err) < 0)
    {
      if (r->expect_error && strstr (err->msg, r->expect_error))
        return 0;
      printf ("# rootfs_prepare: %s\n", err->msg);
      return 1;
    }
  if (r->expect_error)
    {
      printf ("# rootfs_prepare succeeded, expected `%s`\n", r->expect_error);
      return 1;
    }
  if (rootfs_pivot (spec->rootfs, r->no_pivot, &err) < 0 || rootfs_finalize (spec, &err) < 0)
    {
      printf ("# pivot/finalize: %s\n", err->msg);
      return 1;
    }
  return r->check ? r->check () : 0;
}

/* The child half of the user namespace handshake: unshare, let the
 * parent write the maps, wait for it. */
static void
enter_userns (int ready, int go)
{
  char c;
  if (unshare (CLONE_NEWUSER) < 0 || write (ready, "u", 1) != 1 || read (go, &c, 1) != 1 || c != 'g')
    _exit (1);
}

static int
write_identity_maps (pid_t pid)
{
  static const char map[] = "0 0 4294967295\n";
  const char *files[] = { "uid_map", "gid_map" };
  size_t i;
  for (i = 0; i < 2; i++)
    {
      cleanup_free char *p = xasprintf ("/proc/%d/%s", pid, files[i]);
      if (write_text (p, map) < 0)
        return -1;
    }
  return 0;
}

static void
container_child (const struct run *r, int ready, int go)
{
  pid_t inner;
  int status;

  if (r->cgroup_procs && write_text (r->cgroup_procs, "0") < 0)
    {
      printf ("# join %s: %s\n", r->cgroup_procs, strerror (errno));
      _exit (1);
    }
  if (r->userns)
    enter_userns (ready, go);
  if (unshare (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | (r->host_cgroupns ? 0 : CLONE_NEWCGROUP)) < 0)
    {
      printf ("# unshare: %s\n", strerror (errno));
      _exit (1);
    }
  inner = fork ();
  if (inner == 0)
    {
      int ret = container_main (r);
      fflush (stdout);
      _exit (ret);
    }
  if (inner < 0 || waitpid (inner, &status, 0) < 0)
    _exit (1);
  _exit (WIFEXITED (status) ? WEXITSTATUS (status) : 1);
}

/* Child: new namespaces; grandchild: pid 1 there, does the work. */
int
run_container (const struct run *r)
{
  int ready[2], go[2], status;
  char c = 0;
  pid_t pid;

  if (pipe2 (ready, O_CLOEXEC) < 0 || pipe2 (go, O_CLOEXEC) < 0)
    return 1;
  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    container_child (r, ready[1], go[0]);
  close (ready[1]);
  close (go[0]);
  if (pid > 0 && r->userns)
    {
      if (read (ready[0], &c, 1) != 1 || write_identity_maps (pid) < 0)
        c = 0;
      if (write (go[1], c ? "g" : "x", 1) != 1)
        c = 0;
    }
  close (ready[0]);
  close (go[1]);
  if (pid < 0 || waitpid (pid, &status, 0) < 0 || (r->userns && !c))
    return 1;
  return WIFEXITED (status) ? WEXITSTATUS (status) : 1;
}

/* config.json with the rootfs and volume of this test; @body is the
 * mounts and the rest, printf-style with %1$s for the base directory. */
char *
config (const char *fmt)
{
  char *body = NULL;
  if (asprintf (&body, fmt, base) < 0)
    oom ();
  return body;
}

int
root_only (void)
{
  if (geteuid () != 0)
    {
      printf ("# not root\n");
      return 77;
    }
  if (access ("/bin/busybox", X_OK) < 0)
    {
      printf ("# no /bin/busybox (install busybox-static)\n");
      return 77;
    }
  return make_rootfs () < 0 ? 1 : 0;
}
