#!/bin/sh
# cryo hook (any kind): one JSON line per checkpoint or restore in a log,
# with what cryo tells hooks: the kind, the container, its init's pid, the
# image, and the state cryo passes on stdin.
#
#   "org.cryo.hooks.post-dump":    "/usr/libexec/cryo/hooks/log.sh",
#   "org.cryo.hooks.post-restore": "/usr/libexec/cryo/hooks/log.sh"
#
# The log is $CRYO_HOOK_LOG, /var/log/cryo-checkpoints.log by default.
set -eu

log=${CRYO_HOOK_LOG:-/var/log/cryo-checkpoints.log}
state=$(cat)
printf '{"time": "%s", "hook": "%s", "id": "%s", "pid": %s, "image": "%s", "state": %s}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${CRYO_HOOK:?not run by cryo}" "$CRYO_CONTAINER_ID" \
    "${CRYO_PID:-0}" "$CRYO_IMAGE_PATH" "${state:-null}" >>"$log"
