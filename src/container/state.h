/* The state store: one directory per container under the state root
 * (/run/cryo/<id>, root from --root).
 *
 *   state.json   the container_state below, replaced atomically (tmp+rename)
 *   config.json  the config the container was created from
 *   exec.fifo    exists while the container is "created": start releases init
 *   lock         flock(2)ed by every command that changes the container
 *
 * `state` and `list` read without the lock (state.json is never seen half
 * written); create, start, kill, delete, checkpoint... hold it, so two
 * commands on one container never interleave. */
#ifndef CRYO_STATE_H
#define CRYO_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"
#include "lib/json.h"

#define STATE_FILE "state.json"
#define STATE_CONFIG_FILE "config.json"
#define STATE_EXEC_FIFO "exec.fifo"
#define STATE_LOCK_FILE "lock"

enum container_status
{
  CONTAINER_CREATING,
  CONTAINER_CREATED,
  CONTAINER_RUNNING,
  CONTAINER_PAUSED,
  CONTAINER_STOPPED,
  CONTAINER_CHECKPOINTED, /* only in state left by an older cryo: delete removes it */
  CONTAINER_STATUS_MAX,
};

/* "creating", "created", ... as in the runtime spec's state. */
const char *container_status_name (enum container_status s);
/* -1 for an unknown name. */
int container_status_from_name (const char *name);

struct container_state
{
  char *id;
  char *bundle;         /* absolute */
  char *rootfs;         /* absolute */
  char *oci_version;    /* of the config */
  pid_t pid;            /* init, in the runtime's pid namespace; 0 when none */
  unsigned long long pid_start_time; /* /proc/PID/stat field 22 of that pid */
  enum container_status status;      /* as stored; see state_refresh_status */
  char *created;        /* RFC 3339, UTC */
  char *cgroup;         /* cgroup_serialize() output; NULL without cgroup */
  char *owner;          /* user name of the creator */
  char **annotation_keys;   /* parallel NULL-terminated vectors, may be NULL */
  char **annotation_values;
  bool systemd_cgroup;
  bool no_pivot;
  bool no_new_keyring;
  bool terminal;
  /* The cryo process that is creating the container: while it lives the
   * status "creating" is true, after it died the container is "stopped". */
  pid_t creator_pid;
  unsigned long long creator_start_time;

  char *dir;            /* <root>/<id>; not stored, set by state_new/state_read */
};

/**
 * container_id_validate - runc's rules for ids: [A-Za-z0-9_+,.-]+, not "."
 * or "..", at most 1024 bytes.  Error: "invalid container id `x`: ...".
 */
int container_id_validate (const char *id, cryo_error_t *err);

/* A zeroed state for @id with dir set; the caller fills the rest. */
struct container_state *state_new (const char *root, const char *id);
void container_state_free (struct container_state *s);
void cleanup_container_statep (struct container_state **s);
#define cleanup_container_state __attribute__ ((cleanup (cleanup_container_statep)))

/* "<root>/<id>/<file>" (file may be NULL for the directory). */
char *state_path (const char *root, const char *id, const char *file);

/**
 * state_create - make <root>/<id> exclusively, its lock already held
 * @lock_fd: receives the held lock; closing it releases the lock
 *
 * The directory is prepared under a name no id can have and renamed into
 * place with RENAME_NOREPLACE, so a reader never sees it without its lock
 * file.  Fails with "container with id `x` already exists".
 */
int state_create (const char *root, const char *id, int *lock_fd, cryo_error_t *err);

/**
 * state_lock - take the container's lock (waits for a command holding it)
 * @lock_fd: receives the held lock
 *
 * Fails with "container `x` does not exist" when there is no such container,
 * also when it was deleted while we waited.
 */
int state_lock (const char *root, const char *id, int *lock_fd, cryo_error_t *err);

/* Write s->dir/state.json atomically. */
int state_write (const struct container_state *s, cryo_error_t *err);

/**
 * state_read - load <root>/<id>/state.json
 * "container `x` does not exist" when the directory or state.json is missing.
 * The status is the stored one: call state_refresh_status for the live one.
 */
int state_read (const char *root, const char *id, struct container_state **out, cryo_error_t *err);

/**
 * state_refresh_status - the live status into s->status
 *
 * created while the exec fifo exists, running while init lives (same start
 * time, not a zombie), paused when the cgroup freezer says so, stopped
 * otherwise (s->pid is then 0); "checkpointed" stays as stored.
 */
int state_refresh_status (struct container_state *s, cryo_error_t *err);

/* Whether init (pid + start time) is alive and not a zombie. */
bool state_init_alive (const struct container_state *s);

/* Remove <root>/<id> and everything in it (state.json first, so a
 * concurrent reader sees "does not exist", never a partial container). */
int state_remove (const char *root, const char *id, cryo_error_t *err);

/* Ids of the containers under root, sorted; an absent root is empty. */
int state_list (const char *root, char ***ids, cryo_error_t *err);

/* The runtime-spec state object (ociVersion, id, status, pid, bundle,
 * annotations) plus runc's rootfs, created and owner. */
void state_to_oci_json (const struct container_state *s, json_gen_t *gen);
/* The same as a compact string (what hooks read on stdin). */
char *state_oci_json_string (const struct container_state *s, bool pretty);

#endif
