/* Leak detection, from a container's state to a report: the target, the
 * context a scan classifies against, and freeze -> scan -> thaw. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define LOG_PREFIX "leaks: "
#include "cgroup/cgroup.h"
#include "container/internal.h"
#include "leak/internal.h"
#include "lib/log.h"
#include "spec/spec.h"
#include "lib/util.h"

struct leak_target
{
  char *id;
  pid_t init_pid;
  unsigned long long init_start_time;
  struct cgroup_manager *cg; /* NULL without a cgroup */
  struct spec *spec;
  enum leak_mode mode;
  bool tcp_established;
  int *external_fds;
  size_t n_external_fds;
  char *cache;               /* <state root>/.leaks-bpf: the kernel's offsets this boot */
  struct lk_bpf *bpf;        /* the iterators, loaded before the freeze; NULL: /proc */
};

void
leak_target_free (struct leak_target *t)
{
  if (t == NULL)
    return;
  free (t->id);
  cgroup_manager_free (t->cg);
  spec_free (t->spec);
  free (t->external_fds);
  free (t->cache);
  lk_bpf_free (t->bpf);
  free (t);
}

void
cleanup_leak_targetp (struct leak_target **t)
{
  leak_target_free (*t);
  *t = NULL;
}

static uint64_t
cpu_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

/* Load the iterator programs now: the target is made before the container
 * is frozen, and the verifier's work has nothing to do with the container's
 * state (the iterators walk the tasks when they are read, in leak_scan). */
static void
prepare_bpf (struct leak_target *t)
{
  uint64_t t0 = now_ns (), c0 = cpu_ns ();

  t->bpf = lk_bpf_prepare (t->cache);
  log_debug ("BPF iterators %s in %.1f ms (%.1f ms CPU), before the freeze", t->bpf ? "loaded" : "not available",
             (now_ns () - t0) / 1e6, (cpu_ns () - c0) / 1e6);
}

int
leak_target_new (const struct container_state *s, const struct leak_options *o, struct leak_target **out,
                 cryo_error_t *err)
{
  cleanup_leak_target struct leak_target *t = xzalloc (sizeof (*t));

  if (!state_init_alive (s))
    return cryo_error (err, 0, "container `%s` is not running", s->id);
  t->id = xstrdup (s->id);
  if (s->dir && strrchr (s->dir, '/'))
    t->cache = xasprintf ("%.*s/.leaks-bpf", (int) (strrchr (s->dir, '/') - s->dir), s->dir);
  t->init_pid = s->pid;
  t->init_start_time = s->pid_start_time;
  t->mode = o->mode;
  t->tcp_established = o->tcp_established;
  if (o->n_external_fds)
    {
      t->external_fds = xmalloc (o->n_external_fds * sizeof (int));
      memcpy (t->external_fds, o->external_fds, o->n_external_fds * sizeof (int));
      t->n_external_fds = o->n_external_fds;
    }
  if (s->cgroup && cgroup_load (s->cgroup, &t->cg, err) < 0)
    return cryo_error_wrap (err, "container `%s`", s->id);
  if (container_load_spec (s, &t->spec, err) < 0)
    return -1;
  prepare_bpf (t);
  *out = steal_pointer (&t);
  return 0;
}

static void
ctx_clear (struct lk_ctx *c)
{
  for (size_t i = 0; i < c->n_mounts; i++)
    {
      free (c->mounts[i].fstype);
      free (c->mounts[i].mountpoint);
    }
  free (c->mounts);
  free (c->devices);
  free (c->cgroup_pids);
  free (c->declared);
  free (c->socks);
  lk_hash_free (&c->sock_by_ino);
  for (size_t i = 0; i < c->n_leaks; i++)
    leak_clear (&c->leaks[i]);
  free (c->leaks);
  memset (c, 0, sizeof (*c));
}

/* The container's mounts: "id parent maj:min root mountpoint opts - fstype ...". */
static int
read_mounts (struct lk_ctx *c, pid_t init, cryo_error_t *err)
{
  cleanup_free char *path = xasprintf ("/proc/%d/mountinfo", init);
  cleanup_free char *text = NULL;
  char *save = NULL;

  if (read_all_file (path, &text, NULL, err) < 0)
    return -1;
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char mountpoint[4096], fstype[64];
      unsigned int maj, min;
      int id;
      char *dash = strstr (line, " - ");
      struct lk_mount *m;
      if (dash == NULL || sscanf (line, "%d %*d %u:%u %*s %4095s", &id, &maj, &min, mountpoint) != 4
          || sscanf (dash, " - %63s", fstype) != 1)
        continue;
      c->mounts = xreallocarray (c->mounts, c->n_mounts + 1, sizeof (*c->mounts));
      m = &c->mounts[c->n_mounts++];
      m->id = id;
      m->dev = makedev (maj, min);
      m->fstype = xstrdup (fstype);
      m->mountpoint = xstrdup (mountpoint);
      if (strcmp (mountpoint, "/dev/pts") == 0 && strcmp (fstype, "devpts") == 0)
        c->devpts_dev = m->dev;
    }
  return 0;
}

static void
read_devices (struct lk_ctx *c, const struct spec *spec)
{
  if (spec->linux_ == NULL || spec->linux_->n_devices == 0)
    return;
  c->devices = xreallocarray (NULL, spec->linux_->n_devices, sizeof (*c->devices));
  for (size_t i = 0; i < spec->linux_->n_devices; i++)
    {
      const struct spec_device *d = &spec->linux_->devices[i];
      c->devices[c->n_devices++] = (struct lk_devnum) { d->type == 'b' ? 'b' : 'c', (uint32_t) d->major,
                                                        (uint32_t) d->minor };
    }
}

static void
declare (struct lk_ctx *c, const struct leak_target *t, int fd, uint64_t dev, uint64_t ino)
{
  bool declared = fd <= 2;

  for (size_t k = 0; k < t->n_external_fds && !declared; k++)
    declared = t->external_fds[k] == fd;
  if (!declared)
    return;
  c->declared = xreallocarray (c->declared, c->n_declared + 1, sizeof (*c->declared));
  c->declared[c->n_declared][0] = dev;
  c->declared[c->n_declared][1] = ino;
  c->n_declared++;
}

/* The container's stdio and console (init's fds 0-2, whatever they are) and
 * the fds the caller declared external: from the container's records on
 * the filtered path (the reference counts leave them out), else from the
 * fd index. */
static void
read_declared (struct lk_ctx *c, const struct leak_target *t)
{
  const struct lk_index *idx = c->idx;
  const struct lk_proc *init = &idx->procs[c->init];

  for (size_t i = 0; idx->in && i < idx->n_in; i++)
    if (idx->in[i].pid == (uint32_t) init->pid)
      declare (c, t, (int) idx->in[i].fd, lk_kdev (idx->in[i].kdev), idx->in[i].ino);
  for (size_t i = init->fd_first; !idx->in && i < init->fd_first + init->n_fds; i++)
    declare (c, t, idx->fds[i].fd, idx->fds[i].dev, idx->fds[i].ino);
}

static int
read_host_ns (struct lk_ctx *c, cryo_error_t *err)
{
  for (int t = 0; t < NS_MAX; t++)
    {
      ino_t ino;
      if (ns_inode (getpid (), t, &ino, err) < 0)
        {
          if (cryo_error_status (*err) != ENOENT)
            return -1;
          cryo_error_release (err);
          continue;
        }
      c->host_ns[t] = ino;
    }
  return 0;
}

static int
ctx_init (struct lk_ctx *c, const struct leak_target *t, struct lk_index *idx, cryo_error_t *err)
{
  static const enum cryo_ns always[] = { NS_MNT, NS_PID, NS_NET, NS_IPC, NS_UTS };
  unsigned long long start;

  c->idx = idx;
  c->mode = t->mode;
  c->tcp_established = t->tcp_established;
  c->init = lk_proc_find (idx, t->init_pid);
  if (c->init == LK_NONE || process_start_time (t->init_pid, &start) < 0 || start != t->init_start_time)
    return cryo_error (err, 0, "container `%s` is not running (init %d is gone)", t->id, t->init_pid);
  memcpy (c->ns, idx->procs[c->init].ns, sizeof (c->ns));
  if (read_host_ns (c, err) < 0)
    return -1;
  for (size_t i = 0; i < ARRAY_SIZE (always); i++)
    c->ns_required[always[i]] = true;
  for (int k = 0; k < NS_MAX; k++)
    if (spec_has_ns (t->spec, k))
      c->ns_required[k] = true;
  /* A network namespace the config names (`ip netns add`) lives outside by
   * design: it is declared, as a bind mount is, and CRIU takes it as an
   * external one that restore joins again.  CRIU cannot inherit the
   * other kinds: they stay leaks. */
  c->ns_declared[NS_NET] = spec_ns_path (t->spec, NS_NET) != NULL;
  if (t->cg)
    {
      c->has_cgroup = true;
      if (cgroup_pids (t->cg, &c->cgroup_pids, &c->n_cgroup_pids, err) < 0)
        return cryo_error_wrap (err, "container `%s`", t->id);
    }
  if (read_mounts (c, t->init_pid, err) < 0)
    return cryo_error_wrap (err, "container `%s`", t->id);
  read_devices (c, t->spec);
  return 0;
}

static void
count_scanned (const struct lk_ctx *c, struct leak_report *r)
{
  for (uint32_t p = 0; p < c->idx->n_procs; p++)
    {
      if (lk_covered (c, p))
        {
          r->n_processes++;
          r->n_fds += c->idx->procs[p].n_fds;
        }
      else
        r->n_host_processes++;
    }
  r->n_host_fds = c->idx->n_fds - r->n_fds + c->idx->n_fds_skipped;
  r->host_fds_walked = !c->idx->host_walk_skipped;
}

/* Debug timings of the scan's steps: where the time goes on a big host.  The
 * CPU time too: on a loaded machine the wall clock mostly says how long
 * the scan waited for a CPU. */
static void
step (uint64_t t[2], const char *what)
{
  uint64_t now = now_ns (), cpu = cpu_ns ();

  log_debug ("%s: %.1f ms (%.1f ms CPU)", what, (now - t[0]) / 1e6, (cpu - t[1]) / 1e6);
  t[0] = now;
  t[1] = cpu;
}

static void
classify (struct lk_ctx *c, const struct lk_socks *socks)
{
  uint64_t t[2] = { now_ns (), cpu_ns () };

  lk_collect_nsmounts (c);
  lk_check_processes (c);
  lk_check_ptrace (c);
  lk_check_namespaces (c);
  step (t, "processes and namespaces");
  lk_check_fds (c);
  lk_check_locks (c);
  step (t, "fds and locks");
  lk_check_memory (c);
  step (t, "memory");
  lk_check_unix (c, socks);
  lk_check_inet (c, socks);
  step (t, "sockets");
}

/* The fds into the index, and the sockets from sock_diag in between: on
 * the filtered path the outside's sockets are read only where they are
 * the other end of the container's. */
static int
collect_fds (struct lk_ctx *c, const struct leak_target *t, struct lk_socks *socks, uint64_t t1[2],
             cryo_error_t *err)
{
  cleanup_free uint64_t *partners = NULL;
  bool filtered = lk_index_container_fds (c->idx, t->bpf);
  size_t n_partners;

  if (!filtered)
    lk_index_attach_fds (c->idx, true);
  read_declared (c, t);
  step (t1, filtered ? "shared mappings and container fds" : "shared mappings and fds");
  lk_socks_container (c);
  if (lk_socks_collect (c, socks, err) < 0)
    return -1;
  n_partners = lk_socks_partners (c, socks, &partners);
  step (t1, "sock_diag");
  if (!filtered)
    return 0;
  lk_index_outside_fds (c->idx, t->bpf, getpid (), partners, n_partners, lk_outside_may_hold (c, n_partners));
  lk_index_attach_fds (c->idx, true);
  step (t1, "outside fds");
  return 0;
}

int
leak_scan (const struct leak_target *t, struct leak_report **out, cryo_error_t *err)
{
  struct lk_index idx = { 0 };
  struct lk_ctx c = { 0 };
  struct lk_socks socks = { 0 };
  struct leak_report *r = NULL;
  uint64_t t0 = now_ns (), c0 = cpu_ns (), t1[2] = { t0, c0 };
  int ret = -1;

  if (lk_index_scan_processes (&idx, getpid (), t->bpf, true, err) < 0)
    goto out;
  step (t1, "host index");
  if (ctx_init (&c, t, &idx, err) < 0)
    goto out;
  lk_mark_processes (&c);
  lk_read_maps (&c);
  if (collect_fds (&c, t, &socks, t1, err) < 0)
    goto out;
  for (uint32_t p = 0; p < idx.n_procs; p++)
    if (lk_covered (&c, p) && idx.procs[p].state != 'Z' && lk_index_detail (&idx, p, err) < 0)
      goto out;
  step (t1, "container details");
  classify (&c, &socks);
  r = xzalloc (sizeof (*r));
  r->id = xstrdup (t->id);
  r->mode = t->mode;
  r->tcp_established = t->tcp_established;
  count_scanned (&c, r);
  lk_report_finish (&c, r);
  log_debug ("scanned %zu processes and %zu fds in %" PRIu64 " ms (%.1f ms CPU; %zu outside fds kept): %zu leaks",
             idx.n_procs, idx.n_fds + idx.n_fds_skipped, (now_ns () - t0) / 1000000, (cpu_ns () - c0) / 1e6,
             r->n_host_fds - idx.n_fds_skipped, r->n_leaks);
  *out = r;
  ret = 0;
out:
  lk_socks_clear (&socks);
  ctx_clear (&c);
  lk_index_clear (&idx);
  return ret;
}

static int
check_scannable (const struct container_state *s, cryo_error_t *err)
{
  if (s->status == CONTAINER_RUNNING || s->status == CONTAINER_PAUSED)
    return 0;
  return cryo_error (err, 0, "cannot look for leaks in container `%s`: it is %s (it must be running or paused)",
                     s->id, container_status_name (s->status));
}

int
container_leaks (const char *root, const char *id, const struct leak_options *o, struct leak_report **out,
                 cryo_error_t *err)
{
  cleanup_container_state struct container_state *s = NULL;
  cleanup_leak_target struct leak_target *t = NULL;
  cleanup_error cryo_error_t thaw_err = NULL;
  cleanup_close int lock = -1;
  bool froze = false;
  int ret;

  if (state_lock (root, id, &lock, err) < 0 || container_load (root, id, &s, err) < 0)
    return -1;
  if (check_scannable (s, err) < 0 || leak_target_new (s, o, &t, err) < 0)
    return -1;
  /* Freeze first, so that the picture cannot change under the scan; a
   * paused container stays as it is. */
  if (t->cg && s->status == CONTAINER_RUNNING)
    {
      if (cgroup_freeze (t->cg, true, err) < 0)
        return cryo_error_wrap (err, "freeze container `%s` for the leak scan", id);
      froze = true;
    }
  else if (t->cg == NULL)
    log_warning ("container `%s` has no cgroup: scanning it without freezing it", id);
  ret = leak_scan (t, out, err);
  if (froze && cgroup_freeze (t->cg, false, &thaw_err) < 0)
    {
      if (ret == 0)
        {
          leak_report_free (*out);
          *out = NULL;
          *err = cryo_error_steal (&thaw_err);
          return cryo_error_wrap (err, "thaw container `%s` after the leak scan", id);
        }
      log_warning ("thaw container `%s`: %s", id, thaw_err->msg);
    }
  return ret;
}
