#!/bin/sh
# cryo hook (pre-dump, post-dump, post-restore): keep the network of a
# container quiet while it is checkpointed, as CRIU's own network lock does.
#
# cryo skips CRIU's lock without --tcp-established (it costs ~100 ms of
# frozen time and only established connections need it); a container that
# must not see, or answer, any packet while it is frozen gets this hook:
#
#   "org.cryo.hooks.pre-dump":     "/usr/libexec/cryo/hooks/network-lock.sh",
#   "org.cryo.hooks.post-dump":    "/usr/libexec/cryo/hooks/network-lock.sh",
#   "org.cryo.hooks.post-restore": "/usr/libexec/cryo/hooks/network-lock.sh"
#
# pre-dump drops every packet in the container's network namespace;
# post-dump lifts that again (after --leave-running the container goes on;
# otherwise its namespace is gone anyway); post-restore lifts it in the
# restored namespace, in case the rule was checkpointed with it.
set -eu

rule="INPUT -m comment --comment cryo-network-lock -j DROP"
in_netns() {
    nsenter --target "$CRYO_PID" --net "$@"
}

case "${CRYO_HOOK:?not run by cryo}" in
pre-dump)
    in_netns iptables -I $rule
    ;;
post-dump | post-restore)
    # without --leave-running the container is gone after the dump: no CRYO_PID
    if [ -n "${CRYO_PID:-}" ] && [ -d "/proc/$CRYO_PID" ]; then
        while in_netns iptables -D $rule 2>/dev/null; do :; done
    fi
    ;;
*)
    echo "network-lock.sh: nothing to do for $CRYO_HOOK" >&2
    ;;
esac
