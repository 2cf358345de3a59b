/* The container-level operations that are only about its cgroup: pause,
 * resume, update, and the statistics of `cryo events`.  They work on the
 * state store (container/state.h) and the cgroup driver (cgroup/cgroup.h). */
#ifndef CRYO_CGROUP_CONTAINER_H
#define CRYO_CGROUP_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/error.h"
#include "spec/spec.h"

/* Freeze a running container ("paused"); "container not running" otherwise. */
int container_pause (const char *root, const char *id, cryo_error_t *err);
/* Thaw a paused container; "container not paused" otherwise. */
int container_resume (const char *root, const char *id, cryo_error_t *err);

/* Write the limits that are set in @r into a created, running or paused
 * container's cgroup (device rules are not changed). */
int container_update (const char *root, const char *id, const struct spec_resources *r, cryo_error_t *err);

/* runc's stats event, one line: {"type":"stats","id":ID,"data":{...}}. */
int container_stats_event (const char *root, const char *id, char **out, cryo_error_t *err);

/**
 * container_events - print a stats event every @interval_ns, and an
 * {"type":"oom","id":ID} event when the OOM killer strikes, one JSON object
 * per line on @out, until the container stops (then returns 0).
 */
int container_events (const char *root, const char *id, uint64_t interval_ns, FILE *out, cryo_error_t *err);

#endif
