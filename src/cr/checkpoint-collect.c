/* What a checkpoint declares external to CRIU, read from the frozen
 * container: its mounts (init's mountinfo matched against the mount plan)
 * and init's stdio. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define LOG_PREFIX "checkpoint: "
#include "cr/internal.h"
#include "lib/log.h"
#include "ns/mount-plan.h"
#include "ns/safe-path.h"
#include "lib/util.h"

struct mountinfo
{
  int id;
  char *root;       /* the mount's root in its filesystem */
  char *mountpoint; /* unescaped */
  char *options;    /* the mount's own */
  char *fstype;
  char *super_opts;
};

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void
unescape (char *s)
{
  char *out = s;

  for (; *s; s++)
    {
      if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0'
          && s[3] <= '7')
        {
          *out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
          s += 3;
        }
      else
        *out++ = *s;
    }
  *out = '\0';
}

/* "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue" */
static int
parse_mountinfo_line (char *line, struct mountinfo *mi)
{
  char *save = NULL, *tok, *fields[5];
  int i;

  for (i = 0, tok = strtok_r (line, " ", &save); tok && i < 5; tok = strtok_r (NULL, " ", &save))
    fields[i++] = tok;
  if (i < 5 || tok == NULL)
    return -1;
  mi->options = tok; /* the sixth field */
  while (tok && strcmp (tok, "-") != 0)
    tok = strtok_r (NULL, " ", &save);
  if (tok == NULL)
    return -1;
  mi->fstype = strtok_r (NULL, " ", &save);
  (void)strtok_r (NULL, " ", &save); /* source */
  mi->super_opts = strtok_r (NULL, " ", &save);
  if (mi->fstype == NULL || mi->super_opts == NULL)
    return -1;
  mi->id = atoi (fields[0]);
  mi->root = fields[3];
  mi->mountpoint = fields[4];
  unescape (mi->mountpoint);
  return 0;
}

/* The mount's options without rw, with strictatime made explicit (the
 * kernel's default is relatime, mountinfo shows none for strictatime). */
static char *
mount_options (const char *opts)
{
  bool atime = strstr (opts, "atime") != NULL;
  const char *rest = strncmp (opts, "rw", 2) == 0 ? opts + 2 : opts;

  if (*rest == ',')
    rest++;
  return xasprintf ("%s%s%s", rest, *rest && !atime ? "," : "", atime ? "" : "strictatime");
}

/* The superblock options without rw/ro (CRIU reapplies the mount flags). */
static char *
tmpfs_data (const char *super_opts)
{
  cleanup_free char *copy = xstrdup (super_opts);
  char *save = NULL, *out = xzalloc (strlen (super_opts) + 1);

  for (char *t = strtok_r (copy, ",", &save); t; t = strtok_r (NULL, ",", &save))
    {
      if (strcmp (t, "rw") == 0 || strcmp (t, "ro") == 0)
        continue;
      if (*out)
        strcat (out, ",");
      strcat (out, t);
    }
  if (*out == '\0')
    {
      free (out);
      return NULL;
    }
  return out;
}

/* The hierarchy of a cgroup v1 mount: "memory", "name=systemd", "cpu" for
 * "cpu,cpuacct"; "" for cgroup2. */
static char *
cgroup_controller (const struct mountinfo *mi)
{
  static const char *const not_controllers[]
      = { "rw", "ro", "xattr", "noprefix", "clone_children", "cpuset_v2_mode", "nsdelegate", "none" };
  cleanup_free char *copy = NULL;
  char *save = NULL;

  if (strcmp (mi->fstype, "cgroup2") == 0)
    return xstrdup ("");
  copy = xstrdup (mi->super_opts);
  for (char *t = strtok_r (copy, ",", &save); t; t = strtok_r (NULL, ",", &save))
    {
      bool skip = strncmp (t, "release_agent=", 14) == 0;
      for (size_t i = 0; i < ARRAY_SIZE (not_controllers) && !skip; i++)
        skip = strcmp (t, not_controllers[i]) == 0;
      if (!skip)
        return xstrdup (t);
    }
  return NULL;
}

static const struct mount_op *
plan_op_at (const struct mount_plan *plan, const char *destination)
{
  const struct mount_op *found = NULL;

  for (size_t i = 0; i < mount_plan_len (plan); i++)
    {
      const struct mount_op *op = mount_plan_op (plan, i);
      if (op->kind != MOUNT_OP_SYMLINK && strcmp (op->destination, destination) == 0)
        found = op;
    }
  return found;
}

/* Below a cgroup mount of the plan (the v1 tmpfs holds one mount per hierarchy). */
static bool
under_cgroup_op (const struct mount_plan *plan, const char *mountpoint)
{
  for (size_t i = 0; i < mount_plan_len (plan); i++)
    {
      const struct mount_op *op = mount_plan_op (plan, i);
      size_t n = strlen (op->destination);
      if (op->kind == MOUNT_OP_MOUNT && op->type && strncmp (op->type, "cgroup", 6) == 0
          && strncmp (mountpoint, op->destination, n) == 0 && (mountpoint[n] == '/' || mountpoint[n] == '\0'))
        return true;
    }
  return false;
}

static int fd_mnt_id (pid_t pid, int fd);

/* A destination under a symlink of the rootfs ("/conf" -> "/real/conf") is
 * mounted where the symlink leads, and mountinfo shows that path: such a
 * mount is the op whose destination, opened in the container's root,
 * lands on it (the same mount id).  Only for mounts no destination names. */
static const struct mount_op *
plan_op_resolved (pid_t pid, const struct mount_plan *plan, int id)
{
  cleanup_free char *root = xasprintf ("/proc/%d/root", pid);
  cleanup_close int rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  const struct mount_op *found = NULL;

  for (size_t i = 0; rootfd >= 0 && i < mount_plan_len (plan); i++)
    {
      const struct mount_op *op = mount_plan_op (plan, i);
      cleanup_close int fd = -1;

      if (op->kind == MOUNT_OP_SYMLINK || plan_op_at (plan, op->destination) != op)
        continue;
      fd = safe_open_in_root (rootfd, op->destination, O_PATH | O_CLOEXEC, NULL);
      if (fd >= 0 && fd_mnt_id (getpid (), fd) == id)
        found = op;
    }
  return found;
}

static void
classify (pid_t pid, const struct mount_plan *plan, const struct mountinfo *mi, struct cr_externals *x)
{
  const struct mount_op *op = plan_op_at (plan, mi->mountpoint);
  bool tmpfs = strcmp (mi->fstype, "tmpfs") == 0;
  bool cgroupfs = strcmp (mi->fstype, "cgroup") == 0 || strcmp (mi->fstype, "cgroup2") == 0;
  struct cr_mount *m;

  if (cgroupfs && under_cgroup_op (plan, mi->mountpoint))
    {
      cleanup_free char *ctrl = cgroup_controller (mi);
      if (ctrl == NULL)
        return;
      m = cr_externals_add_mount (x, CR_EXT_CGROUP, mi->mountpoint);
      m->source = steal_pointer (&ctrl);
      return;
    }
  if (op == NULL)
    op = plan_op_resolved (pid, plan, mi->id);
  if (op == NULL)
    return; /* made by the container: CRIU's */
  if (op->kind == MOUNT_OP_MASK)
    {
      /* A directory gets a tmpfs of its own, a file the container's
       * /dev/null (a bind of a file of the /dev tmpfs: not its root). */
      bool dir = tmpfs && strcmp (mi->root, "/") == 0;
      m = cr_externals_add_mount (x, dir ? CR_EXT_MASK_DIR : CR_EXT_MASK_FILE, mi->mountpoint);
      m->options = dir ? mount_options (mi->options) : NULL;
    }
  else if (op->kind == MOUNT_OP_DEVICE)
    /* In a user namespace devices are binds of the host's nodes. */
    cr_externals_add_mount (x, CR_EXT_BIND, mi->mountpoint)->source = xstrdup (op->destination);
  else if (op->kind == MOUNT_OP_MOUNT && mount_op_is_bind (op))
    cr_externals_add_mount (x, CR_EXT_BIND, mi->mountpoint)->source = xstrdup (op->source);
  else if (op->kind == MOUNT_OP_MOUNT && tmpfs)
    {
      m = cr_externals_add_mount (x, CR_EXT_TMPFS, mi->mountpoint);
      m->data = tmpfs_data (mi->super_opts);
      m->options = mount_options (mi->options);
    }
}

static int
collect_mounts (pid_t pid, const struct mount_plan *plan, struct cr_externals *x, cryo_error_t *err)
{
  cleanup_free char *path = xasprintf ("/proc/%d/mountinfo", pid);
  cleanup_free char *buf = NULL;
  char *save = NULL;

  if (read_all_file (path, &buf, NULL, err) < 0)
    return -1;
  for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      struct mountinfo mi;
      if (parse_mountinfo_line (line, &mi) < 0)
        return cryo_error (err, 0, "`%s`: cannot parse a line", path);
      if (strcmp (mi.mountpoint, "/") != 0)
        classify (pid, plan, &mi, x);
    }
  return 0;
}

/* Whether mount @id is one of the container's (its mountinfo lists it). */
static bool
container_has_mount (pid_t pid, int id)
{
  cleanup_free char *path = xasprintf ("/proc/%d/mountinfo", pid);
  cleanup_free char *buf = NULL;
  char *save = NULL;

  if (read_all_file (path, &buf, NULL, NULL) < 0)
    return false;
  for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    if (atoi (line) == id)
      return true;
  return false;
}

static int
fd_mnt_id (pid_t pid, int fd)
{
  cleanup_free char *path = xasprintf ("/proc/%d/fdinfo/%d", pid, fd);
  cleanup_free char *buf = NULL;
  char *p;

  if (read_all_file (path, &buf, NULL, NULL) < 0 || (p = strstr (buf, "mnt_id:")) == NULL)
    return -1;
  return atoi (p + 7);
}

static int
fd_flags (pid_t pid, int fd)
{
  cleanup_free char *path = xasprintf ("/proc/%d/fdinfo/%d", pid, fd);
  cleanup_free char *buf = NULL;
  char *p;

  if (read_all_file (path, &buf, NULL, NULL) < 0 || (p = strstr (buf, "flags:")) == NULL)
    return -1;
  return (int)strtol (p + 6, NULL, 8);
}

/* CRIU checks, at restore, that a regular file has the size it had at the
 * dump, unless it is open O_WRONLY|O_APPEND (a log).  The file restore
 * hands over as stdout is a new one: make the container's open file
 * description append-only (runc's containers' logs are), through a copy of
 * it (pidfd_getfd shares the description). */
static int
make_append_only (pid_t pid, int fd, cryo_error_t *err)
{
  cleanup_close int pidfd = -1, copy = -1;
  int flags = fd_flags (pid, fd);

  if (flags < 0 || (flags & O_ACCMODE) != O_WRONLY || (flags & O_APPEND))
    return 0;
  pidfd = syscall (SYS_pidfd_open, pid, 0);
  if (pidfd >= 0)
    copy = syscall (SYS_pidfd_getfd, pidfd, fd, 0);
  if (copy < 0 || fcntl (copy, F_SETFL, (fcntl (copy, F_GETFL) | O_APPEND)) < 0)
    return cryo_error (err, errno, "make fd %d of the container's init append-only", fd);
  return 0;
}

static int
collect_stdio_fd (pid_t pid, int fd, const struct cr_common_options *c, struct cr_stdio *s, cryo_error_t *err)
{
  cleanup_free char *link = xasprintf ("/proc/%d/fd/%d", pid, fd);
  char target[4096];
  struct stat st;
  ssize_t n = readlink (link, target, sizeof target - 1);
  int mnt;

  if (n < 0)
    return errno == ENOENT ? 0 : cryo_error (err, errno, "readlink `%s`", link);
  target[n] = '\0';
  s->fd = fd;
  s->path = xstrdup (target);
  if (strncmp (target, "pipe:", 5) == 0 || strncmp (target, "socket:", 7) == 0)
    {
      s->kind = xstrdup (target[0] == 'p' ? "pipe" : "socket");
      s->key = xstrdup (target);
      return 0;
    }
  if (target[0] != '/' || stat (link, &st) < 0 || (mnt = fd_mnt_id (pid, fd)) < 0
      || container_has_mount (pid, mnt))
    {
      s->kind = xstrdup ("internal");
      return 0;
    }
  if (S_ISCHR (st.st_mode)
      && (major (st.st_rdev) == 136 || major (st.st_rdev) == 4 || major (st.st_rdev) == 5))
    {
      if (!c->shell_job)
        return cryo_error (err, 0,
                           "fd %d of the container's init is the terminal `%s` of the host: "
                           "checkpoint it with --shell-job",
                           fd, target);
      s->kind = xstrdup ("tty");
      return 0;
    }
  if (S_ISREG (st.st_mode) && make_append_only (pid, fd, err) < 0)
    return -1;
  s->kind = xstrdup ("file");
  s->type = S_ISREG (st.st_mode)   ? 'f'
            : S_ISCHR (st.st_mode) ? 'c'
            : S_ISBLK (st.st_mode) ? 'b'
            : S_ISDIR (st.st_mode) ? 'd'
                                   : '?';
  s->key = xasprintf ("file[%x:%" PRIx64 "]", (unsigned)mnt, (uint64_t)st.st_ino);
  return 0;
}

int
cr_collect_externals (pid_t pid, const struct spec *spec, const struct mount_plan *plan,
                      const struct cr_common_options *c, struct cr_externals *x, cryo_error_t *err)
{
  bool empty_net;

  if (cr_empty_ns (c->empty_ns, &empty_net, err) < 0 || collect_mounts (pid, plan, x, err) < 0)
    return -1;
  for (int fd = 0; fd < 3; fd++)
    if (collect_stdio_fd (pid, fd, c, &x->stdio[fd], err) < 0)
      return -1;
  x->terminal = spec->process && spec->process->terminal;
  if (spec_has_ns (spec, NS_NET))
    {
      /* A namespace the container joined is someone else's: CRIU only
       * needs to know it is external.  One it created is rebuilt by cryo:
       * made beforehand and handed to CRIU; in a user namespace (that CRIU
       * must create, see restore-ns.c) made empty by CRIU and configured
       * by cryo once it exists. */
      bool userns = spec_ns_is_new (spec, NS_USER);
      x->empty_netns = spec_ns_is_new (spec, NS_NET) && (empty_net || userns);
      x->netns = !x->empty_netns;
    }
  return 0;
}

char **
cr_dump_externals (const struct cr_externals *x, pid_t pid, cryo_error_t *err)
{
  cleanup_strv char **v = xzalloc (sizeof (char *));
  ino_t ino;

  for (size_t i = 0; i < x->n_mounts; i++)
    {
      cleanup_free char *s = xasprintf ("mnt[%s]:%s", x->mounts[i].destination, x->mounts[i].key);
      strv_append (&v, s);
    }
  for (size_t i = 0; i < ARRAY_SIZE (x->stdio); i++)
    {
      const struct cr_stdio *s = &x->stdio[i];
      if (s->kind && strcmp (s->kind, "file") == 0 && !strv_contains (v, s->key))
        strv_append (&v, s->key);
      else if (s->kind && strcmp (s->kind, "socket") == 0)
        {
          cleanup_free char *u = xasprintf ("unix[%s", s->key + strlen ("socket:["));
          if (!strv_contains (v, u))
            strv_append (&v, u);
        }
    }
  if (x->netns)
    {
      cleanup_free char *s = NULL;
      if (ns_inode (pid, NS_NET, &ino, err) < 0)
        return NULL;
      s = xasprintf ("net[%lu]:%s", (unsigned long)ino, CR_NETNS_KEY);
      strv_append (&v, s);
    }
  return steal_pointer (&v);
}
