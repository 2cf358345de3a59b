#!/usr/bin/env bash
# The cryo demo: run a container, look at its isolation, checkpoint it,
# restore it, and show that it carried on from where it was.
#
# The container counts in a shell variable (memory, not a file) and writes
# the value to /tmp/count every 200 ms, so the count after restore can only
# continue if the process's memory came back.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cryo=${CRYO_BIN:-$top/build/cryo}
work=$(mktemp -d /var/tmp/cryo-demo.XXXXXX)
id="cryo-demo-$$"
restored=false

cleanup() {
    "$cryo" delete --force "$id" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
count() { cat "$work/bundle/rootfs/tmp/count" 2>/dev/null || echo "?"; }
wait_count_above() {
    local floor=$1 deadline=$((SECONDS + 10))
    while [ "$(count)" = "?" ] || [ "$(count)" -le "$floor" ]; do
        [ "$SECONDS" -lt "$deadline" ] || { echo "the counter did not move" >&2; return 1; }
        sleep 0.1
    done
}

step "a bundle: busybox rootfs + config.json from \`cryo spec\`"
mkdir -p "$work/bundle/rootfs"/{bin,proc,sys,dev,tmp,etc}
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
for applet in sh sleep cat hostname ps ls; do ln -s busybox "$work/bundle/rootfs/bin/$applet"; done
(cd "$work/bundle" && "$cryo" spec)
script='hostname > /tmp/hostname; ps -o pid,comm > /tmp/ps; i=0;
        while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.2; done'
jq --arg s "$script" '.process.args = ["sh", "-c", $s] | .process.terminal = false
    | .hostname = "frozen-in-time" | .root.readonly = false' "$work/bundle/config.json" >"$work/config.json"
mv "$work/config.json" "$work/bundle/config.json"
echo "bundle: $work/bundle"

step "run it detached"
"$cryo" run --detach --bundle "$work/bundle" "$id" </dev/null >/dev/null 2>&1
wait_count_above 3
"$cryo" list
echo "hostname inside:  $(cat "$work/bundle/rootfs/tmp/hostname")   (the host is $(hostname))"
echo "processes inside (its own pid namespace):"
sed 's/^/    /' "$work/bundle/rootfs/tmp/ps"
echo "host pid of the container's init: $("$cryo" state "$id" | jq .pid)"

step "checkpoint: leak detection, freeze, dump, stop"
echo "the counter is at $(count) and still running"
"$cryo" checkpoint --image-path "$work/image" "$id"
# The last value the counter wrote before the freeze is the one in the
# image's memory too: the checkpoint froze it, dumped it and killed it.
frozen=$(count)
echo "the counter's last value, written just before the freeze: $frozen"
if "$cryo" state "$id" >/dev/null 2>&1; then
    echo "state: $("$cryo" state "$id" | jq -r .status)"
else
    echo "the container is gone, as with runc: only the image holds it now"
fi
sleep 1
echo "one second later the file still says $(count): nothing runs"

step "the image"
"$cryo" image verify "$work/image"
"$cryo" image inspect "$work/image" | sed 's/^/    /'

step "restore: cryo rebuilds namespaces and mounts, CRIU the processes"
"$cryo" restore --detach --image-path "$work/image" --bundle "$work/bundle" "$id" </dev/null >/dev/null 2>&1
restored=true
wait_count_above "$frozen"
first=$(count)
sleep 1
after=$(count)
echo "state: $("$cryo" state "$id" | jq -r .status)"
echo "first value after the restore: $first, one second later: $after (frozen at $frozen)"
# A fresh start would count from 1 again; the restored shell's variable
# (memory, not the file) goes on from the value it had when frozen.
if [ "$first" -le $((frozen + 2)) ] && [ "$after" -gt "$first" ]; then
    echo "the container carried on from where it was frozen"
else
    echo "the count did not carry on from $frozen" >&2
    exit 1
fi

step "clean up"
"$cryo" kill "$id" KILL
"$cryo" delete --force "$id"
"$cryo" list
$restored && echo "demo done"
