#!/usr/bin/env bash
# Run every test of cryo: the C unit tests (TAP), then the bats integration
# tests (as root, with real namespaces, cgroups and CRIU).  Prints the TAP
# stream and ends with one line: "N passed, N failed, N skipped".
#
#   tests/run.sh                 everything
#   tests/run.sh unit            unit tests only
#   tests/run.sh tests/bats/x.bats ...   these bats files only
#   tests/run.sh compat          runc's own integration tests, on runc and on
#                                cryo (tests/compat/run.sh; not part of "all")
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${CRYO_BUILDDIR:-$top/build}
export CRYO_BUILDDIR=$builddir
# A single bats file may not run longer than this (a hung engine call must
# not eat the whole CI budget; cryo's own deadlines should fire long before).
file_timeout=${CRYO_TEST_FILE_TIMEOUT:-900}

passed=0 failed=0 skipped=0

# The containers' state root, this run's own: what a test program killed by
# the timeout could not clean up is found there and removed.
if [ -z "${CRYO_ROOT:-}" ]; then
    export CRYO_ROOT=/run/cryo-tests.$$
    own_root=true
fi
# This run's own TMPDIR for the tests (helpers.bash sets it): the work
# directories (and logs) that cryo keeps after the failures the tests
# provoke go there, and it goes at the end.  Not bats' own: longer paths
# under its temporary directory make podman's sockets too long (podman then
# waits 45 s for each container it removes).
run_tmp=$(mktemp -d /tmp/cryo-tests.XXXXXX)
export CRYO_TESTS_TMPDIR=$run_tmp
# The parent cgroups cryo makes ("/cryo" in each hierarchy) that were not
# there before the run, removed at its end when empty.
cgroups_before=$(ls -d /sys/fs/cgroup/cryo /sys/fs/cgroup/*/cryo 2>/dev/null)

# Count one TAP stream; a program that ends early fails what it did not run.
tally() {
    local name=$1 rc=$2 out=$3 planned=0 seen=0 line
    while IFS= read -r line; do
        case "$line" in
        1..*) planned=${line#1..} ;;
        "ok "*"# skip"* | "ok "*"# SKIP"*) skipped=$((skipped + 1)); seen=$((seen + 1)) ;;
        "ok "*) passed=$((passed + 1)); seen=$((seen + 1)) ;;
        "not ok "*) failed=$((failed + 1)); seen=$((seen + 1)) ;;
        esac
    done <"$out"
    if [ "$seen" -lt "$planned" ]; then
        echo "not ok - $name stopped after $seen of $planned tests (exit $rc)"
        failed=$((failed + planned - seen))
    elif [ "$seen" -eq 0 ] && [ "$rc" -ne 0 ]; then
        echo "not ok - $name failed to run (exit $rc)"
        failed=$((failed + 1))
    fi
}

run_tap() {
    local name=$1 out rc
    shift
    out=$(mktemp)
    local start=$SECONDS
    echo "# $name"
    timeout --kill-after=30 "$file_timeout" "$@" 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    echo "# $name: $((SECONDS - start)) s"
    [ "$rc" -eq 124 ] && echo "not ok - $name timed out after ${file_timeout}s"
    tally "$name" "$rc" "$out"
    [ "$rc" -eq 124 ] && failed=$((failed + 1))
    rm -f "$out"
}

run_unit() {
    local t
    for t in "$builddir"/tests/unit/test_*; do
        [ -x "$t" ] || continue
        run_tap "unit/$(basename "$t")" "$t"
    done
}

# After each bats file: a container still in the state root was left behind
# (the file's teardown did not run, or missed it): a failure.
sweep_root() {
    local name=$1 id
    for id in $(ls "$CRYO_ROOT" 2>/dev/null); do
        echo "not ok - $name left container $id behind (deleted now)"
        failed=$((failed + 1))
        "$builddir/cryo" --root "$CRYO_ROOT" delete --force "$id" >/dev/null 2>&1
    done
}

sweep_end() {
    local cg
    [ "${own_root:-}" = true ] && rm -rf "$CRYO_ROOT"
    rm -rf --one-file-system "$run_tmp"
    for cg in /sys/fs/cgroup/cryo /sys/fs/cgroup/*/cryo; do
        [ -d "$cg" ] && ! grep -qxF "$cg" <<<"$cgroups_before" && rmdir "$cg" 2>/dev/null
    done
    return 0
}

run_bats() {
    local f
    if [ "$(id -u)" -ne 0 ]; then
        echo "# integration tests need root: skipped"
        return
    fi
    for f in "$@"; do
        run_tap "bats/$(basename "$f")" bats --tap "$f"
        sweep_root "bats/$(basename "$f")"
    done
}

if [ ! -x "$builddir/cryo" ]; then
    echo "no cryo binary in $builddir: run contrib/setup.sh first" >&2
    exit 2
fi

case "${1:-all}" in
all)
    run_unit
    run_bats "$top"/tests/bats/*.bats
    ;;
unit) run_unit ;;
compat)
    # Both halves of runc's suite in one TAP stream: its failures are the
    # tests runc passes and cryo fails.
    file_timeout=${CRYO_COMPAT_TIMEOUT:-5400}
    run_tap compat "$top/tests/compat/run.sh"
    ;;
*) run_bats "$@" ;;
esac

sweep_end
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
