/* CRIU's part of a restore: the process tree, restored as cryo's child
 * (restore-sibling) into the root, mounts, namespaces and cgroup cryo
 * prepared, with the container's stdio wired as restore-stdio.c picks and
 * its console (a new pty, from CRIU's orphan-pts-master notification) sent
 * to --console-socket. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_PREFIX "restore: "
#include "cgroup/cgroup.h"
#include "image/image.h"
#include "lib/log.h"
#include "ns/netconf.h"
#include "cr/restore-internal.h"
#include "container/terminal.h"
#include "lib/util.h"

static int
apply_netconf (void *arg, char **result UNUSED, cryo_error_t *err)
{
  return netconf_restore (arg, NULL, err);
}

static int
notify (const struct engine_notify *n, void *data, cryo_error_t *err)
{
  struct restore *r = data;
  int ret = 0;

  switch (n->event)
    {
    case ENGINE_EV_SETUP_NAMESPACES:
      /* CRIU made the network namespace empty: cryo rebuilds it now,
       * before any socket is restored in it. */
      if (r->x.empty_netns && r->netconf
          && cr_in_namespaces (n->pid, CLONE_NEWNET, apply_netconf, r->netconf, NULL, err) < 0)
        return cryo_error_wrap (err, "rebuild the network namespace");
      return 0;
    case ENGINE_EV_ORPHAN_PTS_MASTER:
      if (r->console_fd >= 0)
        ret = terminal_send_master (r->console_fd, n->fd, err);
      close (n->fd);
      return ret < 0 ? cryo_error_wrap (err, "send the console to --console-socket") : 0;
    case ENGINE_EV_POST_RESTORE:
      /* The tree exists and has not run: the last point to refuse. */
      if (cr_fault ("restore-engine", err) < 0)
        return -1;
      return cr_restore_fixups (r, n->pid, err);
    default:
      return 0;
    }
}

static void
add_join (struct engine_join_ns *j, size_t *n, const char *ns, const char *path)
{
  if (path)
    j[(*n)++] = (struct engine_join_ns){ .ns = ns, .path = path };
}

/* Namespaces the container joined by path, and those cryo made. */
static void
add_joins (struct restore *r, struct engine_join_ns *j, size_t *n)
{
  static const struct
  {
    enum cryo_ns ns;
    const char *name;
  } which[] = { { NS_UTS, "uts" }, { NS_IPC, "ipc" } };

  for (size_t i = 0; i < ARRAY_SIZE (which); i++)
    {
      const char *path = spec_ns_path (r->spec, which[i].ns);
      add_join (j, n, which[i].name, path ? path : r->nsh.paths[which[i].ns]);
    }
}

/* The cgroup path in the hierarchies (CRIU's --cgroup-root): cgroupsPath
 * when absolute; a relative one hangs below cryo's own cgroup, read back
 * from the memory (or any) hierarchy's directory. */
static char *
cgroup_root (struct cgroup_manager *cg)
{
  static const char *const probe[] = { "memory", "pids", "freezer" };
  const char *path = cgroup_path (cg);

  if (path && path[0] == '/')
    return xstrdup (path);
  for (size_t i = 0; i < ARRAY_SIZE (probe); i++)
    {
      const char *dir = cgroup_dir (cg, probe[i]);
      const char *p = dir ? strstr (dir, "/sys/fs/cgroup/") : NULL;
      if (p == dir && p && (p = strchr (p + strlen ("/sys/fs/cgroup/"), '/')) != NULL)
        return xstrdup (p);
    }
  return xstrdup (path ? path : "/");
}

/* CRIU's root task opens some images (timens-0.img, tty-info.img) from
 * inside the container's user namespace: first with no id maps yet (still
 * the host's root as owner), later as the container's root (a stranger to
 * the host's root files).  Only "other" permissions serve both, through
 * the fd CRIU holds: criu/ must be searchable and its files readable by
 * others (CRIU writes them 0644; an unpacked image has 0600).  The image's
 * top directory stays 0700, so nobody else reaches them by path; contents
 * and checksums are untouched. */
static int
images_for_userns (struct restore *r, cryo_error_t *err)
{
  int dirfd = image_criu_dirfd (r->img);
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  struct stat st;

  if (fstat (dirfd, &st) < 0
      || ((st.st_mode & 0011) != 0011 && fchmod (dirfd, (st.st_mode & 07777) | 0711) < 0))
    return cryo_error (err, errno, "image `%s`: make criu/ searchable for the container's root",
                       image_path (r->img));
  d = fdopendir (dup (dirfd));
  if (d == NULL)
    return cryo_error (err, errno, "image `%s`: list criu/", image_path (r->img));
  while ((de = readdir (d)) != NULL)
    {
      if (fstatat (dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG (st.st_mode)
          || (st.st_mode & 0004))
        continue;
      if (fchmodat (dirfd, de->d_name, (st.st_mode & 07777) | 0444, 0) < 0)
        return cryo_error (err, errno, "image `%s`: make criu/%s readable for the container's root",
                           image_path (r->img), de->d_name);
    }
  return 0;
}

static bool
host_id_of_root (json_value_t *maps, unsigned *id)
{
  for (size_t i = 0; i < json_len (maps); i++)
    {
      json_value_t *m = json_at (maps, i);
      if (json_uinteger (json_get (m, "containerID")) == 0 && json_uinteger (json_get (m, "size")) > 0)
        {
          *id = (unsigned)json_uinteger (json_get (m, "hostID"));
          return true;
        }
    }
  return false;
}

/* CRIU reopens the inherited stdio through /proc, as the container's root:
 * give it the regular files of ours (runc chowns stdio the same way). */
static int
stdio_for_userns (struct restore *r, const struct cr_restore_stdio *stdio, cryo_error_t *err)
{
  unsigned uid, gid;
  struct stat st;

  if (!host_id_of_root (json_get (r->ns, "uidMappings"), &uid)
      || !host_id_of_root (json_get (r->ns, "gidMappings"), &gid))
    return 0;
  for (size_t i = 0; i < stdio->n; i++)
    {
      int fd = stdio->fds[i].fd;
      if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_uid != geteuid ())
        continue;
      if (fchown (fd, uid, gid) < 0)
        return cryo_error (err, errno, "give fd %d to the container's root (uid %u)", fd, uid);
    }
  return 0;
}

int
cr_restore_engine (struct restore *r, cryo_error_t *err)
{
  const struct cr_common_options *co = &r->o->c;
  cleanup_cr_restore_stdio struct cr_restore_stdio stdio = { .opened = { -1, -1, -1 } };
  struct engine_inherit_fd fds[4];
  struct engine_join_ns joins[2];
  cleanup_free char *cg_root = cgroup_root (r->cg);
  const char *cg_roots[1] = { cg_root };
  struct engine_restore_opts o;
  size_t n_fds = 0, n_joins = 0;

  if (cr_engine_open (co, &r->engine, err) < 0
      || cr_work_dir_open (&r->work, co->work_path, "restore", co->id, err) < 0)
    return -1;
  if (cr_restore_stdio_pick (&r->x, &stdio, err) < 0)
    return -1;
  if (json_get (r->ns, "uidMappings")
      && (images_for_userns (r, err) < 0 || stdio_for_userns (r, &stdio, err) < 0))
    return -1;
  engine_restore_opts_init (&o);
  o.c.images_fd = image_criu_dirfd (r->img);
  o.c.images_path = image_criu_dir (r->img);
  o.c.work_fd = r->work.fd;
  o.c.work_path = r->work.path;
  o.c.shell_job = co->shell_job;
  o.c.tcp_established = co->tcp_established;
  o.c.ext_unix_sk = co->ext_unix_sk;
  o.c.file_locks = co->file_locks;
  o.c.external = r->mounts.external;
  o.c.empty_ns = r->x.empty_netns ? CLONE_NEWNET : 0;
  o.c.skip_network_lock = !co->tcp_established;
  o.c.config_file = cr_criu_config_file (r->spec);
  o.c.notify = notify;
  o.c.notify_data = r;
  if (cr_cg_mode (co->manage_cgroups_mode, &o.c.manage_cgroups_mode, err) < 0)
    return -1;
  o.root = r->mounts.root;
  o.rst_sibling = true;
  o.orphan_pts_master = r->x.terminal;
  o.lazy_pages = co->lazy_pages;
  for (size_t i = 0; i < stdio.n; i++)
    fds[n_fds++] = stdio.fds[i];
  if (r->net_fd >= 0)
    fds[n_fds++] = (struct engine_inherit_fd){ .fd = r->net_fd, .key = CR_NETNS_KEY };
  o.inherit_fds = fds;
  o.n_inherit_fds = n_fds;
  add_joins (r, joins, &n_joins);
  o.join_ns = joins;
  o.n_join_ns = n_joins;
  o.cg_root_paths = cg_roots;
  o.n_cg_roots = 1;
  if (engine_restore (r->engine, &o, &r->pid, err) < 0)
    return -1;
  cr_timer_step (&r->t, "criu restore");
  return 0;
}
