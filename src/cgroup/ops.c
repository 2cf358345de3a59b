/* What callers do with a container's cgroup: join it, list and signal its
 * processes, freeze it, set its limits and read its statistics.  The version
 * specific parts are in cgroup-v1.c and cgroup-v2.c. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_PREFIX "cgroup: "
#include "cgroup/internal.h"
#include "lib/log.h"
#include "lib/util.h"

int
cgroup_add_pid (struct cgroup_manager *cg, pid_t pid, cryo_error_t *err)
{
  char buf[32];

  snprintf (buf, sizeof (buf), "%d", pid);
  for (size_t i = 0; i < cg->n; i++)
    if (cg_write (cg->h[i].dir, "cgroup.procs", buf, err) < 0)
      return cryo_error_wrap (err, "move pid %d into cgroup `%s`", pid, cg->path);
  return 0;
}

static int
cmp_pid (const void *a, const void *b)
{
  pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
  return (x > y) - (x < y);
}

/* Every hierarchy is read: a process counts as the container's if it is in
 * the container's cgroup anywhere (a tool may have moved it in one). */
int
cgroup_pids (struct cgroup_manager *cg, pid_t **pids, size_t *n, cryo_error_t *err)
{
  cleanup_free pid_t *all = NULL;
  size_t count = 0, j = 0;

  for (size_t i = 0; i < cg->n; i++)
    {
      /* A cgroup removed already (by a previous delete) holds nobody. */
      if (access (cg->h[i].dir, F_OK) < 0 && errno == ENOENT)
        continue;
      if (cg_collect_pids (cg->h[i].dir, &all, &count, err) < 0)
        return -1;
    }
  if (count > 0)
    qsort (all, count, sizeof (pid_t), cmp_pid);
  for (size_t i = 0; i < count; i++)
    if (j == 0 || all[j - 1] != all[i])
      all[j++] = all[i];
  *n = j;
  *pids = steal_pointer (&all);
  return 0;
}

/* The v1 freezer, or the cgroup2 tree's cgroup.freeze; *v2 says which. */
static struct cgroup_hier *
freezer_hier (struct cgroup_manager *cg, bool *v2)
{
  struct cgroup_hier *h;

  if (cg->mode != CGROUP_MODE_V2 && (h = cgroup_hier_find (cg, "freezer")) != NULL)
    {
      *v2 = false;
      return h;
    }
  h = cgroup_hier_find (cg, CGROUP2_NAME);
  *v2 = true;
  return h && cg_exists (h->dir, "cgroup.freeze") ? h : NULL;
}

const char *
cgroup_freezer_path (struct cgroup_manager *cg)
{
  bool v2;
  struct cgroup_hier *h = freezer_hier (cg, &v2);
  return h ? h->dir : NULL;
}

int
cgroup_freeze (struct cgroup_manager *cg, bool frozen, cryo_error_t *err)
{
  bool v2;
  struct cgroup_hier *h = freezer_hier (cg, &v2);

  if (h == NULL)
    return cryo_error (err, 0, "cgroup `%s` has no freezer (no v1 freezer hierarchy, no cgroup.freeze)",
                       cg->path);
  return v2 ? cgroup_v2_freeze (h->dir, frozen, err) : cgroup_v1_freeze (h->dir, frozen, err);
}

int
cgroup_is_frozen (struct cgroup_manager *cg, bool *frozen, cryo_error_t *err)
{
  bool v2;
  struct cgroup_hier *h = freezer_hier (cg, &v2);

  if (h == NULL)
    {
      *frozen = false;
      return 0;
    }
  return v2 ? cgroup_v2_is_frozen (h->dir, frozen, err) : cgroup_v1_is_frozen (h->dir, frozen, err);
}

/* Every freezer the cgroup is under (the v1 freezer and, on the hybrid
 * layout, the cgroup2 tree too): a task moved into a frozen cgroup stops
 * there, before it can answer.  A state inherited from a frozen parent
 * counts (v1 freezer.state and v2 cgroup.events show it). */
int
cgroup_refuse_frozen (struct cgroup_manager *cg, cryo_error_t *err)
{
  for (size_t i = 0; i < cg->n; i++)
    {
      struct cgroup_hier *h = &cg->h[i];
      bool v2 = strcmp (h->name, CGROUP2_NAME) == 0, frozen = false;
      cleanup_free char *state = NULL;
      if (v2 && cg_exists (h->dir, "cgroup.freeze"))
        {
          if (cgroup_v2_is_frozen (h->dir, &frozen, err) < 0)
            return -1;
        }
      else if (!v2 && cgroup_hier_find (cg, "freezer") == h)
        {
          if (cg_read (h->dir, "freezer.state", &state, err) < 0)
            return -1;
          frozen = strcmp (state, "THAWED") != 0;
        }
      if (frozen)
        return cryo_error (
            err, 0, "container's cgroup unexpectedly frozen: `%s` (%s); thaw it or use another cgroupsPath",
            h->dir, v2 ? "cgroup.events: frozen 1" : "freezer.state");
    }
  return 0;
}

static int
signal_pids (struct cgroup_manager *cg, int sig, size_t *n_left, cryo_error_t *err)
{
  cleanup_free pid_t *pids = NULL;
  size_t n;

  if (cgroup_pids (cg, &pids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      return cryo_error (err, errno, "send signal %d to pid %d", sig, pids[i]);
  *n_left = n;
  return 0;
}

/* A v1-frozen task does not act on SIGKILL until thawed. */
static int
thaw_v1 (struct cgroup_manager *cg, cryo_error_t *err)
{
  struct cgroup_hier *h = cg->mode != CGROUP_MODE_V2 ? cgroup_hier_find (cg, "freezer") : NULL;
  return h ? cg_write (h->dir, "freezer.state", "THAWED", err) : 0;
}

/* SIGKILL without cgroup.kill: freeze so that nothing forks between the
 * listing and the signals, kill, thaw, until nothing is left. */
static int
kill_loop (struct cgroup_manager *cg, cryo_error_t *err)
{
  uint64_t deadline = now_ns () + CGROUP_WAIT_MS * 1000000ULL;
  bool freezer = cgroup_freezer_path (cg) != NULL;

  for (;;)
    {
      cleanup_error cryo_error_t e = NULL;
      bool froze = freezer && cgroup_freeze (cg, true, &e) == 0;
      size_t left;
      if (e)
        log_debug ("kill without freezing: %s", e->msg);
      if (signal_pids (cg, SIGKILL, &left, err) < 0)
        return -1;
      if (froze && cgroup_freeze (cg, false, err) < 0)
        return -1;
      if (left == 0)
        return 0;
      if (now_ns () > deadline)
        return cryo_error (err, 0, "%zu processes of cgroup `%s` survived SIGKILL for %d ms", left, cg->path,
                           CGROUP_WAIT_MS);
      cg_sleep_ms (10);
    }
}

/* After cgroup.kill: wait for the processes to go.  A process that is in
 * the container's v1 cgroups but was moved out of its cgroup2 directory
 * escapes cgroup.kill, so whatever is still listed gets SIGKILL too. */
static int
wait_empty (struct cgroup_manager *cg, cryo_error_t *err)
{
  uint64_t deadline = now_ns () + CGROUP_WAIT_MS * 1000000ULL;

  for (;;)
    {
      cleanup_free pid_t *pids = NULL;
      size_t n;
      if (cgroup_pids (cg, &pids, &n, err) < 0)
        return -1;
      if (n == 0)
        return 0;
      for (size_t i = 0; i < n; i++)
        kill (pids[i], SIGKILL);
      if (now_ns () > deadline)
        return cryo_error (err, 0, "pid %d of cgroup `%s` still alive %d ms after cgroup.kill", pids[0],
                           cg->path, CGROUP_WAIT_MS);
      cg_sleep_ms (5);
    }
}

int
cgroup_kill (struct cgroup_manager *cg, int sig, cryo_error_t *err)
{
  struct cgroup_hier *h2 = cgroup_hier_find (cg, CGROUP2_NAME);
  cleanup_free pid_t *pids = NULL;
  size_t left;

  if (sig != SIGKILL)
    return signal_pids (cg, sig, &left, err);
  /* Nothing to kill (the cgroup may even be gone): no freezer dance. */
  if (cgroup_pids (cg, &pids, &left, err) < 0)
    return -1;
  if (left == 0)
    return 0;
  if (h2 == NULL || !cg_exists (h2->dir, "cgroup.kill"))
    return kill_loop (cg, err);
  if (cg_write (h2->dir, "cgroup.kill", "1", err) < 0 || thaw_v1 (cg, err) < 0)
    return -1;
  return wait_empty (cg, err);
}

/* runc's default allowed devices (libcontainer/specconv AllowedDevices):
 * mknod of anything, the standard character devices, ptys, tun. */
static const struct cgroup_devrule default_devices[] = {
  { true, 'c', -1, -1, "m" }, { true, 'b', -1, -1, "m" },    { true, 'c', 1, 3, "rwm" },
  { true, 'c', 1, 8, "rwm" }, { true, 'c', 1, 7, "rwm" },    { true, 'c', 5, 0, "rwm" },
  { true, 'c', 1, 5, "rwm" }, { true, 'c', 1, 9, "rwm" },    { true, 'c', 136, -1, "rwm" },
  { true, 'c', 5, 2, "rwm" }, { true, 'c', 10, 200, "rwm" },
};

/* linux.devices are not allowed by themselves (runc): a node made for the
 * container is usable only if linux.resources.devices or the defaults
 * allow it (runc's dev.bats denies a listed /dev/kmsg). */
struct cgroup_devrule *
cgroup_device_rules (const struct spec_device_rule *rules, size_t n_rules, size_t *n)
{
  struct cgroup_devrule *out = xzalloc ((1 + n_rules + ARRAY_SIZE (default_devices)) * sizeof (*out));
  size_t k = 0;

  /* Start from "deny everything", as runc does: what is not listed is refused. */
  out[k++] = (struct cgroup_devrule){ false, 'a', -1, -1, "rwm" };
  for (size_t i = 0; i < n_rules; i++, k++)
    {
      out[k].allow = rules[i].allow;
      out[k].type = rules[i].type ? rules[i].type : 'a';
      out[k].major = rules[i].major.set ? rules[i].major.value : -1;
      out[k].minor = rules[i].minor.set ? rules[i].minor.value : -1;
      snprintf (out[k].access, sizeof (out[k].access), "%s", rules[i].access[0] ? rules[i].access : "rwm");
    }
  for (size_t i = 0; i < ARRAY_SIZE (default_devices); i++)
    out[k++] = default_devices[i];
  *n = k;
  return out;
}

static int
apply (struct cgroup_manager *cg, const struct spec_resources *r, const struct cgroup_devrule *rules,
       size_t n_rules, cryo_error_t *err)
{
  static const struct spec_resources none;
  json_value_t *unified = r ? r->unified : NULL;

  if (r == NULL)
    r = &none;
  if (cg->mode == CGROUP_MODE_V2)
    return cgroup_v2_apply (cg, r, rules, n_rules, err);
  if (cgroup_v1_apply (cg, r, rules, n_rules, err) < 0)
    return -1;
  if (unified == NULL || json_len (unified) == 0)
    return 0;
  /* Hybrid too, as runc: its cgroup2 tree holds no controller the keys
   * could set, and callers look for "invalid configuration". */
  return cryo_error (err, 0,
                     "invalid configuration: linux.resources.unified needs cgroup v2, and this machine "
                     "uses cgroup v1%s: remove it from config.json",
                     cg->mode == CGROUP_MODE_HYBRID ? " (hybrid)" : "");
}

int
cgroup_apply (struct cgroup_manager *cg, const struct spec_resources *r, cryo_error_t *err)
{
  cleanup_free struct cgroup_devrule *rules = NULL;
  size_t n;

  rules = cgroup_device_rules (r ? r->devices : NULL, r ? r->n_devices : 0, &n);
  return apply (cg, r, rules, n, err);
}

int
cgroup_apply_spec (struct cgroup_manager *cg, const struct spec *spec, cryo_error_t *err)
{
  const struct spec_linux *l = spec->linux_;
  const struct spec_resources *r = l ? &l->resources : NULL;
  cleanup_free struct cgroup_devrule *rules = NULL;
  size_t n;

  rules = cgroup_device_rules (r ? r->devices : NULL, r ? r->n_devices : 0, &n);
  return apply (cg, r, rules, n, err);
}

int
cgroup_update (struct cgroup_manager *cg, const struct spec_resources *r, cryo_error_t *err)
{
  return apply (cg, r, NULL, 0, err);
}

int
cgroup_oom_kills (struct cgroup_manager *cg, uint64_t *n, cryo_error_t *err)
{
  struct cgroup_hier *h = cgroup_hier_find (cg, "memory");
  const char *file = cg->mode == CGROUP_MODE_V2 ? "memory.events" : "memory.oom_control";
  cleanup_free char *text = NULL;

  *n = 0;
  if (h == NULL || !cg_exists (h->dir, file))
    return 0;
  if (cg_read (h->dir, file, &text, err) < 0)
    return -1;
  cg_keyed_u64 (text, "oom_kill", n);
  return 0;
}

int
cgroup_stats (struct cgroup_manager *cg, json_gen_t *gen, cryo_error_t *err)
{
  if (cg->mode == CGROUP_MODE_V2)
    return cgroup_v2_stats (cg, gen, err);
  return cgroup_v1_stats (cg, gen, err);
}
