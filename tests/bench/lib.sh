# Shared by the benchmarks that compare cryo with runc (start.sh,
# checkpoint.sh); source it first.  Sets top, builddir, cryo_bin and
# runc_bin from CRYO_BUILDDIR (default build/), CRYO_BIN and RUNC.
# shellcheck shell=bash

bench=$(basename "$0")
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
builddir=${CRYO_BUILDDIR:-$top/build}
cryo_bin=${CRYO_BIN:-$builddir/cryo}
runc_bin=${RUNC:-$(command -v runc || true)}

# Exit 2, with the reason, unless root with both runtimes.
bench_require() {
    [ "$(id -u)" -eq 0 ] || { echo "$bench: run as root" >&2; exit 2; }
    [ -x "$cryo_bin" ] || { echo "$bench: no cryo binary at $cryo_bin (set CRYO_BUILDDIR)" >&2; exit 2; }
    [ -x "$runc_bin" ] || { echo "$bench: runc is not installed (set RUNC)" >&2; exit 2; }
}

# bench_workdir TEMPLATE: $work, a new directory from the mktemp TEMPLATE,
# with a state root per runtime (roots[RT], the binary in bins[RT]); at
# exit every container left there is deleted and $work removed.
bench_workdir() {
    work=$(mktemp -d "$1")
    export TMPDIR=$work # where cryo keeps the work directory of a failure
    declare -gA roots=([cryo]=$work/state-cryo [runc]=$work/state-runc)
    declare -gA bins=([cryo]=$cryo_bin [runc]=$runc_bin)
    trap bench_cleanup EXIT
}

bench_cleanup() {
    local rt id
    for rt in cryo runc; do
        for id in $("${bins[$rt]}" --root "${roots[$rt]}" list -q 2>/dev/null); do
            "${bins[$rt]}" --root "${roots[$rt]}" delete --force "$id" >/dev/null 2>&1 || true
        done
    done
    rm -rf "$work"
}

now_us() {
    local t=${EPOCHREALTIME/./}
    echo "$((10#$t))"
}

# The median of the numbers on stdin, one a line.
median() {
    sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
