/* state.json: reading, writing, the runtime-spec state object, and the
 * live status of a container. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_PREFIX "state: "
#include "lib/log.h"
#include "container/state.h"
#include "lib/util.h"

static void
gen_annotations (json_gen_t *gen, const struct container_state *s)
{
  jg_key (gen, "annotations");
  jg_open_map (gen);
  for (size_t i = 0; s->annotation_keys && s->annotation_keys[i]; i++)
    jg_kv_str (gen, s->annotation_keys[i], s->annotation_values[i]);
  jg_close_map (gen);
}

int
state_write (const struct container_state *s, cryo_error_t *err)
{
  cleanup_json_gen json_gen_t *gen = json_gen_new (false);
  cleanup_close int dirfd = -1;
  cleanup_free char *text = NULL;
  size_t len;

  jg_open_map (gen);
  jg_kv_str (gen, "id", s->id);
  jg_kv_str (gen, "status", container_status_name (s->status));
  jg_kv_str (gen, "ociVersion", s->oci_version);
  jg_kv_str (gen, "bundle", s->bundle);
  jg_kv_str (gen, "rootfs", s->rootfs);
  jg_kv_int (gen, "pid", s->pid);
  jg_kv_uint (gen, "pidStartTime", s->pid_start_time);
  jg_kv_str (gen, "created", s->created);
  jg_kv_str (gen, "owner", s->owner);
  jg_kv_str (gen, "cgroup", s->cgroup);
  jg_kv_bool (gen, "systemdCgroup", s->systemd_cgroup);
  jg_kv_bool (gen, "noPivot", s->no_pivot);
  jg_kv_bool (gen, "noNewKeyring", s->no_new_keyring);
  jg_kv_bool (gen, "terminal", s->terminal);
  jg_kv_int (gen, "creatorPid", s->creator_pid);
  jg_kv_uint (gen, "creatorStartTime", s->creator_start_time);
  gen_annotations (gen, s);
  jg_close_map (gen);
  if (json_gen_finish (gen, &text, &len, err) < 0)
    return -1;
  dirfd = open (s->dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dirfd < 0)
    return cryo_error (err, errno, "open `%s`", s->dir);
  return write_file_atomic_at (dirfd, STATE_FILE, text, len, err);
}

static char *
dup_field (json_value_t *root, const char *key)
{
  return xstrdup (json_string (json_get (root, key)));
}

static void
read_annotations (json_value_t *obj, struct container_state *s)
{
  size_t n = json_len (obj);

  if (!json_is_object (obj) || n == 0)
    return;
  s->annotation_keys = xzalloc ((n + 1) * sizeof (char *));
  s->annotation_values = xzalloc ((n + 1) * sizeof (char *));
  for (size_t i = 0; i < n; i++)
    {
      s->annotation_keys[i] = xstrdup (json_key_at (obj, i));
      s->annotation_values[i] = xstrdup (json_string (json_at (obj, i)) ?: "");
    }
}

static bool
bad_pid (json_value_t *v)
{
  return v != NULL
         && (!json_is_integer (v) || json_integer_is_unsigned_only (v) || json_integer (v) < 0
             || json_integer (v) > INT_MAX);
}

static int
parse_state (json_value_t *root, struct container_state *s, const char *path, cryo_error_t *err)
{
  int status = container_status_from_name (json_string (json_get (root, "status")));

  if (!json_is_object (root) || status < 0 || json_string (json_get (root, "id")) == NULL)
    return cryo_error (err, 0, "`%s` is not a cryo state file (no id or status)", path);
  /* A pid that does not fit pid_t would wrap to another process (or to -1,
   * every process, for kill). */
  if (bad_pid (json_get (root, "pid")) || bad_pid (json_get (root, "creatorPid")))
    return cryo_error (err, 0, "`%s`: `pid` and `creatorPid` must be process ids (0 to %d)", path, INT_MAX);
  s->status = status;
  s->oci_version = dup_field (root, "ociVersion");
  s->bundle = dup_field (root, "bundle");
  s->rootfs = dup_field (root, "rootfs");
  s->pid = json_integer (json_get (root, "pid"));
  s->pid_start_time = json_uinteger (json_get (root, "pidStartTime"));
  s->created = dup_field (root, "created");
  s->owner = dup_field (root, "owner");
  s->cgroup = dup_field (root, "cgroup");
  s->systemd_cgroup = json_bool (json_get (root, "systemdCgroup"));
  s->no_pivot = json_bool (json_get (root, "noPivot"));
  s->no_new_keyring = json_bool (json_get (root, "noNewKeyring"));
  s->terminal = json_bool (json_get (root, "terminal"));
  s->creator_pid = json_integer (json_get (root, "creatorPid"));
  s->creator_start_time = json_uinteger (json_get (root, "creatorStartTime"));
  read_annotations (json_get (root, "annotations"), s);
  return 0;
}

int
state_read (const char *root, const char *id, struct container_state **out, cryo_error_t *err)
{
  cleanup_container_state struct container_state *s = NULL;
  cleanup_json json_value_t *tree = NULL;
  cleanup_free char *path = NULL;
  cleanup_free char *text = NULL;

  if (container_id_validate (id, err) < 0)
    return -1;
  path = state_path (root, id, STATE_FILE);
  if (read_all_file (path, &text, NULL, err) < 0)
    {
      if (cryo_error_status (*err) == ENOENT || cryo_error_status (*err) == ENOTDIR)
        return cryo_error (err, 0, "container `%s` does not exist", id);
      return -1;
    }
  if (json_parse (text, &tree, err) < 0)
    return cryo_error_wrap (err, "parse `%s`", path);
  s = state_new (root, id);
  if (parse_state (tree, s, path, err) < 0)
    return -1;
  *out = steal_pointer (&s);
  return 0;
}

static bool
pid_alive (pid_t pid, unsigned long long start_time)
{
  unsigned long long now;
  char st;

  if (pid <= 0 || process_start_time (pid, &now) < 0 || now != start_time)
    return false;
  st = process_state (pid);
  return st != 0 && st != 'Z' && st != 'X' && st != 'x';
}

bool
state_init_alive (const struct container_state *s)
{
  return pid_alive (s->pid, s->pid_start_time);
}

int
state_refresh_status (struct container_state *s, cryo_error_t *err)
{
  cleanup_free char *fifo = NULL;

  switch (s->status)
    {
    case CONTAINER_CHECKPOINTED:
      return 0;
    case CONTAINER_CREATING:
      if (!pid_alive (s->creator_pid, s->creator_start_time))
        s->status = CONTAINER_STOPPED;
      return 0;
    default:
      break;
    }
  if (!state_init_alive (s))
    {
      s->status = CONTAINER_STOPPED;
      s->pid = 0;
      return 0;
    }
  fifo = xasprintf ("%s/" STATE_EXEC_FIFO, s->dir);
  if (access (fifo, F_OK) == 0)
    s->status = CONTAINER_CREATED;
  else
    s->status = CONTAINER_RUNNING;
  return 0;
}

void
state_to_oci_json (const struct container_state *s, json_gen_t *gen)
{
  jg_open_map (gen);
  jg_kv_str (gen, "ociVersion", s->oci_version ? s->oci_version : "1.2.0");
  jg_kv_str (gen, "id", s->id);
  jg_kv_int (gen, "pid", s->status == CONTAINER_STOPPED ? 0 : s->pid);
  jg_kv_str (gen, "status", container_status_name (s->status));
  jg_kv_str (gen, "bundle", s->bundle);
  jg_kv_str (gen, "rootfs", s->rootfs);
  jg_kv_str (gen, "created", s->created);
  jg_kv_str (gen, "owner", s->owner ? s->owner : "");
  if (s->annotation_keys && s->annotation_keys[0])
    gen_annotations (gen, s);
  jg_close_map (gen);
}

char *
state_oci_json_string (const struct container_state *s, bool pretty)
{
  cleanup_json_gen json_gen_t *gen = json_gen_new (pretty);
  char *out = NULL;

  state_to_oci_json (s, gen);
  /* Only strings and numbers we made: generation cannot fail. */
  if (json_gen_finish (gen, &out, NULL, NULL) < 0)
    return xstrdup ("{}");
  return out;
}
