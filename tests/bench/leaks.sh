#!/usr/bin/env bash
# Leak detection cost: `cryo leaks` on a container holding 1,000 open fds
# while host processes hold 20,000 more, and the share of leak detection in
# a whole checkpoint (`cryo checkpoint --leave-running`).
#
#   tests/bench/leaks.sh [ITERATIONS]        (default 20; as root)
#
# The container runs tests/helpers/leak-hold with 1,000 fds (pipes, /dev/null,
# socketpairs, eventfds); four host processes hold 5,000 each (the hard
# nofile limit is 20,000 per process).  Prints the median, minimum and
# maximum time of `cryo leaks`, what it scanned, and the median share of the
# "leak detection" step in the checkpoint's total (from `--debug` step
# timings; target: under 5 %).  runc has no leak detection to compare with.
# Environment: CRYO_BUILDDIR (default build/), CRYO_BIN, BUSYBOX.
# This is a measurement, not a test: it never fails on a slow result.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${CRYO_BUILDDIR:-$top/build}
cryo_bin=${CRYO_BIN:-$builddir/cryo}
hold=$builddir/tests/helpers/leak-hold
iterations=${1:-20}
container_fds=1000
host_procs=4
host_fds_each=5000

[ "$(id -u)" -eq 0 ] || { echo "leaks.sh: run as root" >&2; exit 2; }
[ -x "$cryo_bin" ] || { echo "leaks.sh: no cryo binary at $cryo_bin (set CRYO_BUILDDIR)" >&2; exit 2; }
[ -x "$hold" ] || { echo "leaks.sh: $hold is not built (make check TESTS=)" >&2; exit 2; }

work=$(mktemp -d /tmp/cryo-bench-leaks.XXXXXX)
root=$work/state
id=bench-leaks-$$
holders=()

cryo() {
    "$cryo_bin" --root "$root" "$@"
}

cleanup() {
    local pid
    for pid in "${holders[@]}"; do
        kill -9 "$pid" 2>/dev/null || true
    done
    cryo delete --force "$id" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

wait_file() {
    local deadline=$((SECONDS + 60))
    until [ -e "$1" ]; do
        [ "$SECONDS" -lt "$deadline" ] || { echo "leaks.sh: $1 never appeared" >&2; exit 1; }
        sleep 0.1
    done
}

now_us() {
    local t=${EPOCHREALTIME/./}
    echo "$((10#$t))"
}

# col_median N FILE: the median of column N.
col_median() {
    awk -v c="$1" '{ print $c }' "$2" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

median() {
    sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

make_container() {
    local bundle=$work/bundle applet
    mkdir -p "$bundle/rootfs"/{bin,proc,dev,sys,tmp,etc}
    cp "${BUSYBOX:-/bin/busybox}" "$bundle/rootfs/bin/busybox"
    for applet in sh sleep cat; do ln -s busybox "$bundle/rootfs/bin/$applet"; done
    cp "$hold" "$bundle/rootfs/bin/leak-hold"
    (cd "$bundle" && "$cryo_bin" spec)
    jq --argjson n "$container_fds" '.process.args = ["/bin/leak-hold", "--ready", "/tmp/ready", "fds", ($n | tostring)]
        | .process.terminal = false | .root.readonly = false
        | .process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 4096, "hard": 4096}]' \
        "$bundle/config.json" >"$work/config.json"
    mv "$work/config.json" "$bundle/config.json"
    cryo run --detach --bundle "$bundle" "$id" </dev/null >"$work/container.out" 2>&1
    wait_file "$bundle/rootfs/tmp/ready"
}

hold_host_fds() {
    local i
    ulimit -n "$((host_fds_each + 64))"
    for i in $(seq 1 "$host_procs"); do
        "$hold" --ready "$work/ready-$i" fds "$host_fds_each" </dev/null >/dev/null 2>&1 &
        holders+=("$!")
    done
    for i in $(seq 1 "$host_procs"); do wait_file "$work/ready-$i"; done
}

# The whole command (lock, freeze, scan, thaw) by the clock, and the scan
# alone from its --debug line "scanned N processes and N fds in N ms (N ms
# CPU...)": on a loaded machine the wall clock mostly says how long the scan
# waited for a CPU.
bench_leaks() {
    local i t0 t1
    : >"$work/leaks.us"
    : >"$work/scan.ms"
    : >"$work/scan-cpu.ms"
    for i in $(seq 1 "$iterations"); do
        rm -f "$work/leaks.log"
        t0=$(now_us)
        cryo --debug --log "$work/leaks.log" leaks --format json "$id" >"$work/report.json"
        t1=$(now_us)
        echo "$((t1 - t0))" >>"$work/leaks.us"
        grep -o 'scanned [0-9]* processes and [0-9]* fds in [0-9]* ms' "$work/leaks.log" | awk '{ print $(NF - 1) }' \
            >>"$work/scan.ms"
        grep -o 'fds in [0-9]* ms ([0-9.]* ms CPU' "$work/leaks.log" | tr -d '(' | awk '{ print int($5 * 10) }' >>"$work/scan-cpu.ms" || true
    done
    jq -e .clean "$work/report.json" >/dev/null || { echo "leaks.sh: the container is not clean:" >&2; cat "$work/report.json" >&2; exit 1; }
    echo "cryo leaks ($iterations runs): median $(($(median <"$work/leaks.us") / 1000)) ms," \
        "min $(($(sort -n "$work/leaks.us" | head -1) / 1000)) ms, max $(($(sort -n "$work/leaks.us" | tail -1) / 1000)) ms;" \
        "the scan alone (frozen): median $(median <"$work/scan.ms") ms, min $(sort -n "$work/scan.ms" | head -1) ms"
    if [ -s "$work/scan-cpu.ms" ]; then
        echo "the scan's CPU time: median $(median <"$work/scan-cpu.ms" | awk '{ printf "%.1f", $1 / 10 }') ms," \
            "min $(sort -n "$work/scan-cpu.ms" | head -1 | awk '{ printf "%.1f", $1 / 10 }') ms"
    fi
    grep -o 'processes from [A-Za-z/]*, fds from [A-Za-z/]*' "$work/leaks.log" || true
    jq -r '.scanned | "scanned: \(.processes) container processes with \(.fds) fds; \(.host_processes) host processes with \(if .host_fds_walked then "\(.host_fds) fds" else "their fds not walked (the reference counts allow no outside holder)" end)"' \
        "$work/report.json"
}

# Loading the iterator programs: fresh (CRYO_LEAKS_NO_PIN=1, as every call
# did before they were pinned in bpffs) against taken from the pins,
# alternating; their CPU time from --debug ("BPF iterators loaded in N ms
# (N ms CPU)") and that of the whole `cryo leaks` (user + system, from
# bash's time): CPU time says what the load costs on a busy machine too.
bench_programs() {
    local i kind TIMEFORMAT=%U+%S
    : >"$work/prog-fresh" && : >"$work/prog-pinned"
    for i in $(seq 1 "$iterations"); do
        for kind in fresh pinned; do
            rm -f "$work/leaks.log"
            { time if [ "$kind" = fresh ]; then CRYO_LEAKS_NO_PIN=1 cryo --debug --log "$work/leaks.log" leaks "$id"; else
                cryo --debug --log "$work/leaks.log" leaks "$id"; fi >/dev/null; } 2>"$work/time"
            echo "$(grep -o 'BPF iterators loaded in [0-9.]* ms ([0-9.]* ms CPU' "$work/leaks.log" | tr -d '(' | awk '{ print $5, $7 }')" \
                "$(awk -F+ '{ print ($1 + $2) * 1000 }' "$work/time")" >>"$work/prog-$kind"
        done
    done
    for kind in fresh pinned; do
        echo "BPF programs $kind ($iterations runs, medians): the load $(col_median 1 "$work/prog-$kind") ms" \
            "($(col_median 2 "$work/prog-$kind") ms CPU), the whole \`cryo leaks\` $(col_median 3 "$work/prog-$kind") ms CPU"
    done
}

# The "leak detection" and "total" step timings of `checkpoint --debug`; the
# iterator programs are loaded before the freeze (in the "prepare" step):
# their time counts as leak detection too.
bench_checkpoint_share() {
    local i runs=$(( iterations < 5 ? iterations : 5 )) leak prep total f fresh
    if ! cryo checkpoint --help >/dev/null 2>&1 || ! command -v criu >/dev/null; then
        echo "checkpoint share: not measured (no cryo checkpoint or no criu)"
        return
    fi
    : >"$work/share" && : >"$work/share-fresh"
    for i in $(seq 1 "$((2 * runs))"); do
        rm -rf "$work/image" "$work/cp.log"
        # odd runs load fresh programs, as before they were pinned
        if [ $((i % 2)) -eq 1 ]; then fresh=yes; else fresh=; fi
        if ! env ${fresh:+CRYO_LEAKS_NO_PIN=1} "$cryo_bin" --root "$root" --debug --log "$work/cp.log" checkpoint \
            --leave-running --image-path "$work/image" "$id" >/dev/null 2>&1; then
            echo "checkpoint share: not measured (the checkpoint failed: $(grep -m1 -i error "$work/cp.log" || true))"
            return
        fi
        leak=$(grep -o 'checkpoint: leak detection: [0-9.]* ms' "$work/cp.log" | grep -o '[0-9.]* ms' | tr -d ' ms')
        prep=$(grep -o 'BPF iterators [a-z ]* in [0-9.]* ms' "$work/cp.log" | grep -o '[0-9.]* ms' | tr -d ' ms' || true)
        [ -z "$leak" ] || leak=$(awk -v a="$leak" -v b="${prep:-0}" 'BEGIN { printf "%.1f", a + b }')
        total=$(grep -o 'checkpoint: total: [0-9.]* ms' "$work/cp.log" | grep -o '[0-9.]* ms' | tr -d ' ms')
        [ -n "$leak" ] && [ -n "$total" ] || { echo "checkpoint share: no step timings in the debug log"; return; }
        echo "$leak $total" >>"$work/share${fresh:+-fresh}"
    done
    for f in share-fresh share; do
        awk '{ printf "%d %.1f %.1f\n", $1 / $2 * 100000, $1, $2 }' "$work/$f" | sort -n >"$work/share.sorted"
        awk -v n="$runs" -v what="$([ $f = share ] && echo pinned || echo fresh)" 'NR == int((n + 1) / 2) { printf "checkpoint (%d runs, --leave-running, programs %s): leak detection %.1f ms of %.1f ms, median share %.1f %% (target: under 5 %%)\n", n, what, $2, $3, $1 / 1000 }' \
            "$work/share.sorted"
    done
}

make_container
hold_host_fds
bench_leaks
bench_programs
bench_checkpoint_share
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
