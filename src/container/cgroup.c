/* pause, resume, update and events: a container's state in the store, its
 * cgroup from the manager serialized there. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PREFIX "cgroup: "
#include "container/cgroup.h"
#include "cgroup/internal.h"
#include "container/container.h"
#include "lib/log.h"
#include "spec/spec.h"
#include "container/state.h"
#include "lib/util.h"

/* How often `events` looks for OOM kills and for the container's end
 * between two stats events. */
#define EVENTS_POLL_NS (200 * 1000000ULL)

static int
load_cgroup (const struct container_state *s, struct cgroup_manager **cg, cryo_error_t *err)
{
  if (s->cgroup == NULL)
    return cryo_error (err, 0, "container `%s` has no cgroup", s->id);
  if (cgroup_load (s->cgroup, cg, err) < 0)
    return cryo_error_wrap (err, "container `%s`", s->id);
  return 0;
}

/* Lock, load with the live status, and check it is one of @ok (a mask of
 * 1 << status); @what names the refusal as runc does. */
static int
lock_and_load (const char *root, const char *id, unsigned ok, const char *verb, const char *what, int *lock,
               struct container_state **s, cryo_error_t *err)
{
  if (state_lock (root, id, lock, err) < 0 || container_load (root, id, s, err) < 0)
    return -1;
  if ((*s)->status == CONTAINER_PAUSED && strcmp (verb, "pause") == 0)
    return cryo_error (err, 0, "cannot pause container `%s`: it is already paused", id);
  if (!(ok & (1u << (*s)->status)))
    return cryo_error (err, 0, "cannot %s container `%s`: %s (status %s)", verb, id, what,
                       container_status_name ((*s)->status));
  return 0;
}

static int
set_frozen (const char *root, const char *id, bool frozen, cryo_error_t *err)
{
  cleanup_container_state struct container_state *s = NULL;
  cleanup_cgroup struct cgroup_manager *cg = NULL;
  cleanup_close int lock = -1;
  unsigned ok = 1u << (frozen ? CONTAINER_RUNNING : CONTAINER_PAUSED);

  if (lock_and_load (root, id, ok, frozen ? "pause" : "resume",
                     frozen ? "container not running" : "container not paused", &lock, &s, err)
      < 0)
    return -1;
  if (load_cgroup (s, &cg, err) < 0 || cgroup_freeze (cg, frozen, err) < 0)
    return -1;
  /* The freezer is what `state` reads; the stored status follows it for
   * tools that read state.json directly. */
  s->status = frozen ? CONTAINER_PAUSED : CONTAINER_RUNNING;
  return state_write (s, err);
}

int
container_pause (const char *root, const char *id, cryo_error_t *err)
{
  return set_frozen (root, id, true, err);
}

int
container_resume (const char *root, const char *id, cryo_error_t *err)
{
  return set_frozen (root, id, false, err);
}

/* Into the stored config.json: checkpoint records it in the image and
 * restore applies its limits, so an update survives checkpoint/restore
 * (runc keeps updated resources in its state.json). */
static int
persist_resources (const struct container_state *s, const struct spec_resources *r, cryo_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/" STATE_CONFIG_FILE, s->dir);
  cleanup_free char *text = NULL;
  cleanup_free char *updated = NULL;

  if (read_all_file (path, &text, NULL, err) < 0
      || spec_text_update_resources (text, r, &updated, err) < 0
      || write_file_atomic_at (AT_FDCWD, path, updated, strlen (updated), err) < 0)
    return cryo_error_wrap (err, "container `%s`: the limits are set, but not saved for a restore", s->id);
  return 0;
}

int
container_update (const char *root, const char *id, const struct spec_resources *r, cryo_error_t *err)
{
  cleanup_container_state struct container_state *s = NULL;
  cleanup_cgroup struct cgroup_manager *cg = NULL;
  cleanup_close int lock = -1;
  unsigned ok = 1u << CONTAINER_CREATED | 1u << CONTAINER_RUNNING | 1u << CONTAINER_PAUSED;

  if (lock_and_load (root, id, ok, "update", "container not running", &lock, &s, err) < 0)
    return -1;
  if (r->n_devices > 0)
    log_warning ("update does not change device rules: linux.resources.devices ignored");
  if (load_cgroup (s, &cg, err) < 0)
    return -1;
  if (cgroup_update (cg, r, err) < 0)
    return cryo_error_wrap (err, "update container `%s`", id);
  return persist_resources (s, r, err);
}

static int
stats_of (const struct container_state *s, char **out, cryo_error_t *err)
{
  cleanup_cgroup struct cgroup_manager *cg = NULL;
  cleanup_json_gen json_gen_t *gen = json_gen_new (false);

  if (load_cgroup (s, &cg, err) < 0)
    return -1;
  jg_open_map (gen);
  jg_kv_str (gen, "type", "stats");
  jg_kv_str (gen, "id", s->id);
  jg_key (gen, "data");
  if (cgroup_stats (cg, gen, err) < 0)
    return -1;
  jg_close_map (gen);
  return json_gen_finish (gen, out, NULL, err);
}

static bool
is_live (const struct container_state *s)
{
  return s->status == CONTAINER_CREATED || s->status == CONTAINER_RUNNING || s->status == CONTAINER_PAUSED;
}

int
container_stats_event (const char *root, const char *id, char **out, cryo_error_t *err)
{
  cleanup_container_state struct container_state *s = NULL;

  if (container_load (root, id, &s, err) < 0)
    return -1;
  if (!is_live (s))
    return cryo_error (err, 0, "container `%s` is not running (status %s)", id,
                       container_status_name (s->status));
  return stats_of (s, out, err);
}

static void
emit (FILE *out, const char *line)
{
  fprintf (out, "%s\n", line);
  fflush (out);
}

/* Sleep up to @ns, watching for OOM kills; false when the container ended. */
static bool
watch (const char *root, const char *id, uint64_t ns, uint64_t *ooms, FILE *out)
{
  uint64_t end = now_ns () + ns;

  for (;;)
    {
      cleanup_container_state struct container_state *s = NULL;
      cleanup_cgroup struct cgroup_manager *cg = NULL;
      uint64_t n = 0, left;
      if (container_load (root, id, &s, NULL) < 0 || !is_live (s) || load_cgroup (s, &cg, NULL) < 0)
        return false;
      if (cgroup_oom_kills (cg, &n, NULL) == 0 && n > *ooms)
        {
          cleanup_free char *line = xasprintf ("{\"type\":\"oom\",\"id\":\"%s\"}", id);
          *ooms = n;
          emit (out, line);
        }
      if (now_ns () >= end)
        return true;
      left = end - now_ns ();
      cg_sleep_ms ((unsigned)((left < EVENTS_POLL_NS ? left : EVENTS_POLL_NS) / 1000000ULL) + 1);
    }
}

int
container_events (const char *root, const char *id, uint64_t interval_ns, FILE *out, cryo_error_t *err)
{
  cleanup_container_state struct container_state *s = NULL;
  cleanup_cgroup struct cgroup_manager *cg = NULL;
  uint64_t ooms = 0;

  if (container_load (root, id, &s, err) < 0)
    return -1;
  if (!is_live (s))
    return cryo_error (err, 0, "container `%s` is not running (status %s)", id,
                       container_status_name (s->status));
  if (load_cgroup (s, &cg, err) < 0 || cgroup_oom_kills (cg, &ooms, err) < 0)
    return -1;
  for (;;)
    {
      cleanup_free char *line = NULL;
      cleanup_error cryo_error_t e = NULL;
      if (stats_of (s, &line, &e) < 0)
        {
          /* The container went away between two looks: the stream ends. */
          if (!watch (root, id, 0, &ooms, out))
            return 0;
          if (err)
            {
              cryo_error_release (err);
              *err = cryo_error_steal (&e);
            }
          return -1;
        }
      emit (out, line);
      if (!watch (root, id, interval_ns, &ooms, out))
        return 0;
    }
}
