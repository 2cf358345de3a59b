#!/usr/bin/env bash
# Checkpoint/restore, cryo against runc in the same run (same CRIU).
#
#   tests/bench/checkpoint.sh [ITERATIONS] [SIZES...]   (default 5; 0 256 1024 MiB; as root)
#
# For each memory size the container runs tests/helpers/cr-bench, which
# holds that much touched memory and measures the longest pause it sees
# (the application's downtime).  Per iteration, alternating the runtimes:
#   checkpoint --leave-running   wall time, image size, app-seen pause
#   checkpoint (kill), restore   wall time of each
# Prints medians per runtime and the median ratio cryo/runc (below 1: cryo
# is faster or smaller).  Environment: CRYO_BUILDDIR (default build/),
# CRYO_BIN, RUNC (default runc), BENCH_DIR (where images go, default /tmp).
# A measurement, not a test: it never fails on a slow result.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
iterations=${1:-5}
shift || true
sizes=("${@:-0 256 1024}")
read -ra sizes <<<"${sizes[*]}"

bench_require
[ -x "$builddir/tests/helpers/cr-bench" ] || { echo "checkpoint.sh: build the helpers (make check TESTS=)" >&2; exit 2; }

bench_workdir "${BENCH_DIR:-/tmp}/cryo-bench-cr.XXXXXX"

# One bundle per runtime: both write into the rootfs (results, the gap file).
make_bundle() {
    local b=$1 mib=$2
    mkdir -p "$b/rootfs"/{bin,proc,dev,sys,tmp}
    cp "${BUSYBOX:-/bin/busybox}" "$b/rootfs/bin/busybox"
    cp "$builddir/tests/helpers/cr-bench" "$b/rootfs/bin/"
    (cd "$b" && "$cryo_bin" spec)
    jq ".process.args = [\"/bin/cr-bench\", \"$mib\"] | .process.terminal = false | .root.readonly = false" \
        "$b/config.json" >"$b/config.new"
    mv "$b/config.new" "$b/config.json"
}

wait_file() {
    local i
    for i in $(seq 1 600); do
        [ -e "$1" ] && return 0
        sleep 0.05
    done
    echo "checkpoint.sh: $1 did not appear" >&2
    return 1
}

# The longest pause the program saw since the last report (µs).
app_gap() {
    local b=$1
    rm -f "$b/rootfs/tmp/bench-gap"
    touch "$b/rootfs/tmp/bench-report"
    wait_file "$b/rootfs/tmp/bench-gap"
    cat "$b/rootfs/tmp/bench-gap"
}

run_container() {
    local rt=$1 b=$2 id=$3
    rm -f "$b/rootfs/tmp/crt-ready"
    (cd "$b" && "${bins[$rt]}" --root "${roots[$rt]}" run -d "$id" </dev/null >/dev/null 2>&1)
    wait_file "$b/rootfs/tmp/crt-ready"
}

# One iteration for one runtime; appends "leave_ms size_kib gap_ms dump_ms restore_ms".
iteration() {
    local rt=$1 b=$2 id=$3 out=$4 img t0 t1 leave size gap dump restore
    img=$work/img-$rt
    rm -rf "$img" "$img-k"
    # Write back what the other runtime left dirty (runc does not fsync its
    # images): otherwise the next fsync of the image pays for it.
    sync
    app_gap "$b" >/dev/null
    t0=$(now_us)
    "${bins[$rt]}" --root "${roots[$rt]}" checkpoint --leave-running --image-path "$img" "$id" >/dev/null
    t1=$(now_us)
    leave=$(((t1 - t0) / 1000))
    size=$(du -sk "$img" | cut -f1)
    gap=$(($(app_gap "$b") / 1000))
    sync
    t0=$(now_us)
    "${bins[$rt]}" --root "${roots[$rt]}" checkpoint --image-path "$img-k" "$id" >/dev/null
    t1=$(now_us)
    dump=$(((t1 - t0) / 1000))
    sync
    t0=$(now_us)
    (cd "$b" && "${bins[$rt]}" --root "${roots[$rt]}" restore -d --image-path "$img-k" "$id" </dev/null >/dev/null 2>&1)
    t1=$(now_us)
    restore=$(((t1 - t0) / 1000))
    echo "$leave $size $gap $dump $restore" >>"$out"
}

column_median() {
    awk -v c="$2" '{print $c}' "$1" | median
}

printf "%-6s %-28s %10s %10s %8s\n" "MiB" "measure" "cryo" "runc" "ratio"
for mib in "${sizes[@]}"; do
    for rt in cryo runc; do
        make_bundle "$work/bundle-$rt-$mib" "$mib"
        run_container "$rt" "$work/bundle-$rt-$mib" "b-$mib"
        : >"$work/res-$rt-$mib"
    done
    for i in $(seq 1 "$iterations"); do
        for rt in cryo runc; do
            iteration "$rt" "$work/bundle-$rt-$mib" "b-$mib" "$work/res-$rt-$mib"
        done
    done
    col=1
    for measure in "checkpoint --leave-running ms" "image size KiB" "app-seen pause ms" "checkpoint (kill) ms" "restore ms"; do
        c=$(column_median "$work/res-cryo-$mib" $col)
        r=$(column_median "$work/res-runc-$mib" $col)
        printf "%-6s %-28s %10s %10s %8s\n" "$mib" "$measure" "$c" "$r" "$(awk -v c="$c" -v r="$r" 'BEGIN {if (r > 0) printf "%.2f", c / r; else print "-"}')"
        col=$((col + 1))
    done
    for rt in cryo runc; do
        "${bins[$rt]}" --root "${roots[$rt]}" delete --force "b-$mib" >/dev/null 2>&1 || true
    done
done
