#!/usr/bin/env bash
# Container start-to-exit time, cryo against runc in the same run.
#
#   tests/bench/start.sh [ITERATIONS]        (default 50; as root)
#
# Two scenarios on one busybox bundle whose process is /bin/true:
#   run        `RUNTIME run ID` (create, start, wait, delete in one command)
#   lifecycle  `create`, `start`, wait until init is gone, `delete`
# Iterations alternate between the runtimes, so a slow phase of the machine
# hits both alike.  Prints each runtime's median and the median ratio
# cryo/runc per scenario (below 1: cryo is faster; crun's target is ~0.5).
# Environment: CRYO_BUILDDIR (default build/), CRYO_BIN, RUNC (default runc).
# This is a measurement, not a test: it never fails on a slow result.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
iterations=${1:-50}

bench_require

bench_workdir /tmp/cryo-bench.XXXXXX
bundle=$work/bundle

mkdir -p "$bundle/rootfs"/{bin,proc,dev,sys,tmp}
cp "${BUSYBOX:-/bin/busybox}" "$bundle/rootfs/bin/busybox"
ln -s busybox "$bundle/rootfs/bin/true"
(cd "$bundle" && "$cryo_bin" spec)
jq '.process.args = ["/bin/true"] | .process.terminal = false' "$bundle/config.json" >"$work/config.json"
mv "$work/config.json" "$bundle/config.json"

# Wait until pid $1 has exited, polling every 0.2 ms.  A zombie counts as
# exited: the orphaned init is reaped by the host's pid 1, which may be slow
# (seconds in some VMs) and is no part of either runtime.
wait_exited() {
    local _pid _comm state
    while read -r _pid _comm state _ 2>/dev/null <"/proc/$1/stat" && [ "$state" != Z ]; do
        read -rt 0.0002 <>"$work/never" || true
    done
}
mkfifo "$work/never"

# scenario RUNTIME ID: prints the elapsed microseconds.
run_once() {
    local rt=$1 id=$2 t0
    t0=$(now_us)
    "${bins[$rt]}" --root "${roots[$rt]}" run --bundle "$bundle" "$id" </dev/null >/dev/null 2>&1 \
        || { echo "start.sh: $rt run failed" >&2; return 1; }
    echo $(($(now_us) - t0))
}

lifecycle_once() {
    local rt=$1 id=$2 t0 pid b=${bins[$rt]} r=${roots[$rt]}
    t0=$(now_us)
    "$b" --root "$r" create --bundle "$bundle" --pid-file "$work/$id.pid" "$id" </dev/null >/dev/null 2>&1 \
        || { echo "start.sh: $rt create failed" >&2; return 1; }
    pid=$(<"$work/$id.pid")
    "$b" --root "$r" start "$id" || { echo "start.sh: $rt start failed" >&2; return 1; }
    wait_exited "$pid"
    "$b" --root "$r" delete "$id" || { echo "start.sh: $rt delete failed" >&2; return 1; }
    echo $(($(now_us) - t0))
}

measure() {
    local scenario=$1 i rt
    : >"$work/$scenario.cryo"
    : >"$work/$scenario.runc"
    # One warm-up round each (page cache, cgroup parents).
    for rt in cryo runc; do
        "${scenario}_once" "$rt" "w-$scenario-$rt" >/dev/null
    done
    for ((i = 0; i < iterations; i++)); do
        for rt in cryo runc; do
            "${scenario}_once" "$rt" "b$$-$scenario-$i" >>"$work/$scenario.$rt"
        done
    done
    local mc mr
    mc=$(median <"$work/$scenario.cryo")
    mr=$(median <"$work/$scenario.runc")
    awk -v s="$scenario" -v c="$mc" -v r="$mr" 'BEGIN {
        printf "%-10s median cryo %7.1f ms   runc %7.1f ms   ratio cryo/runc %.2f\n", s, c / 1000, r / 1000, c / r }'
}

echo "# $iterations iterations per runtime; cryo $("$cryo_bin" --version | head -1 | cut -d' ' -f3)," \
    "runc $("$runc_bin" --version | head -1 | cut -d' ' -f3)"
measure run
measure lifecycle
