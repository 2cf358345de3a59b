#!/bin/sh
# cryo hook (pre-dump): ask the application to reach a quiet point before
# it is frozen, and wait until it says it did.
#
#   "org.cryo.hooks.pre-dump": "[{\"path\": \"/usr/libexec/cryo/hooks/quiesce.sh\",
#                                 \"args\": [\"quiesce.sh\", \"USR1\", \"/run/app.quiet\"],
#                                 \"timeout\": 30}]"
#
# Sends SIGNAL (default USR1) to the container's init and waits for FILE
# (a path inside the container, default /run/quiesced) to appear; the
# application removes it when it resumes.  A hook that fails or times out
# refuses the checkpoint, and the container goes on untouched.
set -eu

sig=${1:-USR1}
file=${2:-/run/quiesced}
pid=${CRYO_PID:?not run by cryo}

kill -s "$sig" "$pid"
while [ ! -e "/proc/$pid/root$file" ]; do
    [ -d "/proc/$pid" ] || { echo "quiesce.sh: the container's init is gone" >&2; exit 1; }
    sleep 0.05
done
