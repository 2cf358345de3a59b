/* cryo's cgroup driver: one interface over cgroup v1, pure cgroup v2 and the
 * hybrid layout (v1 controllers plus a controller-less cgroup2 mounted at
 * /sys/fs/cgroup/unified).
 *
 * A container's cgroup is created in every hierarchy (every v1 hierarchy,
 * including named ones such as name=systemd, and the unified tree), limits
 * go to the controllers that hold them, and everything created is removed
 * again by cgroup_destroy().  The manager is serialized into state.json so
 * that later commands (pause, kill, delete, checkpoint) find the same
 * directories without guessing. */
#ifndef CRYO_CGROUP_H
#define CRYO_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "lib/json.h"
#include "spec/spec.h"

struct cgroup_manager;

enum cgroup_mode
{
  CGROUP_MODE_V1,     /* only v1 hierarchies */
  CGROUP_MODE_HYBRID, /* v1 controllers plus a cgroup2 tree (usually without controllers) */
  CGROUP_MODE_V2,     /* /sys/fs/cgroup is cgroup2 */
};

/**
 * cgroup_mode_detect - the cgroup layout of this machine
 * Returns 0 and sets @mode, <0 when no cgroup filesystem is mounted.
 */
int cgroup_mode_detect (enum cgroup_mode *mode, cryo_error_t *err);
const char *cgroup_mode_name (enum cgroup_mode mode); /* "v1", "hybrid", "v2" */

/**
 * cgroup_create - make the container's cgroup in every hierarchy
 * @cgroups_path: linux.cgroupsPath.  Absolute paths start at each hierarchy's
 *     root, relative ones at cryo's own cgroup in that hierarchy (as runc);
 *     NULL gives "/cryo/<id>".
 * @id: the container id
 * @systemd: --systemd-cgroup; refused when systemd is not running as init
 *
 * A cgroup that already holds processes gets a warning (runc).  On failure
 * nothing that this call created is left behind.
 */
int cgroup_create (const char *cgroups_path, const char *id, bool systemd, struct cgroup_manager **out,
                   cryo_error_t *err);

/* Rebuild a manager from cgroup_serialize()'s text (state.json). */
int cgroup_load (const char *serialized, struct cgroup_manager **out, cryo_error_t *err);
/* A JSON document describing the manager; owned by the caller. */
char *cgroup_serialize (const struct cgroup_manager *cg);

/* Move @pid into the container's cgroup in every hierarchy. */
int cgroup_add_pid (struct cgroup_manager *cg, pid_t pid, cryo_error_t *err);
/**
 * cgroup_add_pid_sub - move @pid into sub-cgroups of the container's cgroup
 * @args: exec --cgroup values, "[CONTROLLER[,CONTROLLER]:]PATH" (a PATH
 *     alone only when it is the one value: every hierarchy); NULL or empty
 *     is cgroup_add_pid.  Hierarchies not named keep the container's cgroup.
 */
int cgroup_add_pid_sub (struct cgroup_manager *cg, pid_t pid, char *const *args, cryo_error_t *err);

/**
 * cgroup_apply - write linux.resources into the controllers
 *
 * Device rules start from "deny all", then the config's rules, then runc's
 * default allowed devices (null, zero, full, random, urandom, tty, ptmx,
 * pts, tun, mknod of any); on v2 they become an eBPF program.  A value a
 * controller refuses gives an error naming the file and the value.
 */
int cgroup_apply (struct cgroup_manager *cg, const struct spec_resources *r, cryo_error_t *err);

/**
 * cgroup_apply_spec - cgroup_apply() on linux.resources, plus "rwm" allow
 * rules for every device listed in linux.devices (as runc does), so the
 * devices created in the container can be used.
 */
int cgroup_apply_spec (struct cgroup_manager *cg, const struct spec *spec, cryo_error_t *err);

/* cgroup_apply() for `cryo update`: only the limits that are set are written,
 * and device rules are left as they are. */
int cgroup_update (struct cgroup_manager *cg, const struct spec_resources *r, cryo_error_t *err);

/**
 * cgroup_freeze - freeze or thaw every process of the cgroup
 * Waits until the kernel reports the state as reached (v1 freezer.state
 * FROZEN/THAWED, v2 cgroup.events "frozen 1/0"), for a bounded time: on
 * timeout a freeze request is undone and an error returned.
 */
int cgroup_freeze (struct cgroup_manager *cg, bool frozen, cryo_error_t *err);
int cgroup_is_frozen (struct cgroup_manager *cg, bool *frozen, cryo_error_t *err);

/**
 * cgroup_refuse_frozen - fail when any freezer of @cg is frozen (or freezing)
 *
 * A process moved into it would stop before it could answer: runc refuses
 * such a cgroup too ("container's cgroup unexpectedly frozen").
 */
int cgroup_refuse_frozen (struct cgroup_manager *cg, cryo_error_t *err);

/* Every process in the cgroup and its descendants (sorted, no duplicates);
 * *pids is owned by the caller. */
int cgroup_pids (struct cgroup_manager *cg, pid_t **pids, size_t *n, cryo_error_t *err);

/**
 * cgroup_kill - send @sig to every process of the cgroup
 * SIGKILL uses cgroup.kill where the kernel has it (v2, and the unified tree
 * of the hybrid layout), otherwise every pid is signalled until the cgroup is
 * empty (bounded).  Other signals are sent once to every pid.
 */
int cgroup_kill (struct cgroup_manager *cg, int sig, cryo_error_t *err);

/* Write runc's `events --stats` "data" object (cpu, memory, pids, blkio...)
 * as one JSON value into @gen. */
int cgroup_stats (struct cgroup_manager *cg, json_gen_t *gen, cryo_error_t *err);

/* How many processes of the cgroup the OOM killer has killed so far (v1
 * memory.oom_control, v2 memory.events "oom_kill"); 0 without a memory
 * controller. */
int cgroup_oom_kills (struct cgroup_manager *cg, uint64_t *n, cryo_error_t *err);

/* Remove every directory cgroup_create() made (deepest first), including an
 * empty "/cryo" parent.  The cgroup must be empty (kill first). */
int cgroup_destroy (struct cgroup_manager *cg, cryo_error_t *err);

void cgroup_manager_free (struct cgroup_manager *cg);
void cleanup_cgroupp (struct cgroup_manager **cg);
#define cleanup_cgroup __attribute__ ((cleanup (cleanup_cgroupp)))

/* For CRIU's freeze-cgroup option: the v1 freezer directory (v1, hybrid) or
 * the cgroup2 directory (v2); NULL when there is no freezer. */
const char *cgroup_freezer_path (struct cgroup_manager *cg);

/* The cgroupsPath the manager was made for ("/cryo/<id>"), and its mode. */
const char *cgroup_path (const struct cgroup_manager *cg);
enum cgroup_mode cgroup_manager_mode (const struct cgroup_manager *cg);

/* The directory of the container's cgroup in the hierarchy holding
 * @controller ("memory", "name=systemd", or "" for the cgroup2 tree);
 * NULL when there is none. */
const char *cgroup_dir (const struct cgroup_manager *cg, const char *controller);

#endif
