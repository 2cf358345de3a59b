#!/usr/bin/env bash
# cryo as a drop-in for runc, measured with runc's own integration tests
# (tests/integration of Debian's runc 1.1.5 source package): the suite runs
# twice in the same run, with RUNC=runc and with RUNC=cryo, and the results
# are compared test by test.  See tests/compat/README.md.
#
#   tests/compat/run.sh                 the whole suite on both runtimes
#   tests/compat/run.sh FILE.bats ...   these files of runc's suite only
#   tests/compat/run.sh --report        the report of the last run, from its logs
#
# Output: both figures, the tests whose result differs, the not-applicable
# tests, then a TAP stream over the applicable tests (a test fails when runc
# passes it and cryo fails it) and one last line "N passed, N failed, N
# skipped".  The per-runtime TAP is kept under $CRYO_COMPAT_LOGS.
#
# Environment:
#   CRYO_BUILDDIR                 where cryo was built (default build/)
#   CRYO_COMPAT_CACHE             source, helpers, images (default /var/cache/cryo/runc-compat)
#   CRYO_COMPAT_LOGS              per-runtime TAP and the summary (default $CRYO_BUILDDIR/compat-logs)
#   CRYO_COMPAT_RUNC              the reference runtime (default /usr/sbin/runc)
#   CRYO_COMPAT_RUNTIMES          "runc cryo" (default); "cryo" reuses the runc TAP of an earlier run
#   CRYO_COMPAT_FILE_TIMEOUT      deadline of one bats file (default 900 s)
#   CRYO_COMPAT_TEST_TIMEOUT      deadline of one test (default 120 s)
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
builddir=${CRYO_BUILDDIR:-$top/build}
cache=${CRYO_COMPAT_CACHE:-/var/cache/cryo/runc-compat}
src=$cache/runc-1.1.5
logs=${CRYO_COMPAT_LOGS:-$builddir/compat-logs}
runtimes=${CRYO_COMPAT_RUNTIMES:-runc cryo}
file_timeout=${CRYO_COMPAT_FILE_TIMEOUT:-900}
test_timeout=${CRYO_COMPAT_TEST_TIMEOUT:-120}
declare -A binary=([runc]=${CRYO_COMPAT_RUNC:-/usr/sbin/runc} [cryo]=$builddir/cryo)

# shellcheck source=tests/compat/prepare.sh
. "$here/prepare.sh"
# shellcheck source=tests/compat/results.sh
. "$here/results.sh"

if [ "$(id -u)" -ne 0 ]; then
    echo "# runc's integration tests need root: skipped"
    echo "0 passed, 0 failed, 0 skipped"
    exit 0
fi
for rt in $runtimes; do
    [ -x "${binary[$rt]}" ] || { echo "no $rt binary at ${binary[$rt]}" >&2; exit 2; }
done
# One run at a time on a machine: runc's suite puts every test's cgroup
# under one parent (/runc-cgroups-integration-test), and two runs at once
# fail each other's real-time cgroup tests.
exec 9>/run/lock/cryo-compat.lock
flock -w 3600 9 || { echo "another tests/compat/run.sh holds /run/lock/cryo-compat.lock" >&2; exit 2; }
prepare_suite || exit 2

report_only=false
if [ "${1:-}" = --report ]; then
    report_only=true
    shift
fi
files=()
if [ $# -gt 0 ]; then
    for f in "$@"; do files+=("$src/tests/integration/$(basename "$f")"); done
else
    files=("$src"/tests/integration/*.bats)
fi

if $report_only; then
    report "${files[@]}"
    exit 0
fi

# The work directory of one half: bats' TMPDIR (the bundles, the state
# roots).  Tests in user namespaces need every parent to be searchable.
work=$(mktemp -d /tmp/cryo-compat.XXXXXX)
chmod 755 "$work"
trap 'rm -rf --one-file-system "$work"' EXIT
trap interrupted INT TERM

# The cgroups runc's suite names (container ids and its parent cgroups), in
# any hierarchy, directly (runc) or under cryo's own /cryo parent.
suite_cgroups() {
    ls -d /sys/fs/cgroup/{,*/}{,cryo/}{test*,ct[0-9]*,runc-cgroups-integration-test*} 2>/dev/null
}

# What a half left behind: processes whose root is in its bundles, mounts
# under its work directory, cgroups of the suite's names that were not there
# before (reported, not removed: another run on this machine may own them).
check_leftovers() {
    local rt=$1 dir=$2 before=$3 p cg
    for p in /proc/[0-9]*; do
        case "$(readlink "$p/root" 2>/dev/null)" in
        "$dir"/*) echo "# LEAK after $rt: process ${p#/proc/} ($(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)) still runs in a test bundle" ;;
        esac
    done
    grep -F " $dir/" /proc/self/mountinfo | awk '{print "# LEAK after '"$rt"': mount " $5}'
    for cg in $(suite_cgroups); do
        [ "${cg##*/}" = runc-cgroups-integration-test ] && continue
        grep -qxF "$cg" <<<"$before" ||
            echo "# LEAK after $rt?: cgroup $cg was not there before (unless another run on this machine made it)"
    done
}

# Containers a file left in its state roots (its teardown did not run, as
# after a timeout): reported, deleted, and the file's directories removed.
sweep_file() {
    local rt=$1 dir=$2 root id
    for root in "$dir"/bats-run-*/runc.*/state; do
        [ -d "$root" ] || continue
        for id in $("${binary[$rt]}" --root "$root" list -q 2>/dev/null); do
            echo "# LEAK after $rt: container $id in $root (deleted now)"
            "${binary[$rt]}" --root "$root" delete --force "$id" >/dev/null 2>&1
        done
    done
    rm -rf --one-file-system "$dir"/bats-run-*
    # The cgroups the thaw watchdog thawed: their test failed before its
    # own cleanup (rmdir), and they held this run's processes.
    local cg
    for cg in $(cat "$dir/thawed" 2>/dev/null); do
        rmdir "$cg" 2>/dev/null || echo "# LEAK after $rt: cgroup $cg (could not remove it)"
    done
    rm -f "$dir/thawed"
}

# A process of this run frozen by a cgroup a test froze (cgroups.bats'
# "pre-existing frozen cgroup") cannot be killed, so neither bats' per-test
# deadline nor the file's fire: a runtime that waits on it hangs the file.
# Every few seconds file_watchdog looks for such cgroups, and thaws one once it has
# held a process of this run for the per-test deadline: the test then fails
# instead of the whole file, and nothing stays frozen.
frozen_with() {
    local dir=$1 state p
    for state in /sys/fs/cgroup/freezer/runc-cgroups-integration-test/*/freezer.state \
        /sys/fs/cgroup/{,unified/}runc-cgroups-integration-test/*/cgroup.freeze; do
        [ -f "$state" ] || continue
        case "$(cat "$state" 2>/dev/null)" in FROZEN | FREEZING | 1) ;; *) continue ;; esac
        for p in $(cat "${state%/*}/cgroup.procs" 2>/dev/null); do
            if grep -qF "$dir/" "/proc/$p/cmdline" 2>/dev/null; then
                echo "$state"
                break
            fi
        done
    done
}

# All of a file's tests reported: a helper a failed test started and did
# not stop (update.bats' recvtty, killed only when the test passes) keeps
# bats waiting for its output; the session goes after a grace period.
file_done() {
    local tap=$1 planned
    planned=$(sed -n 's/^1\.\.//p' "$tap" 2>/dev/null | head -n 1)
    [ -n "$planned" ] && [ "$(grep -c '^\(not \)\{0,1\}ok ' "$tap")" -ge "$planned" ]
}

file_watchdog() {
    local dir=$1 tap=$2 log=$3 state since done_since=''
    declare -A first
    while sleep 5; do
        for state in $(frozen_with "$dir"); do
            since=${first[$state]:=$SECONDS}
            [ $((SECONDS - since)) -ge "$test_timeout" ] || continue
            echo "# compat: thawed ${state%/*}: it held a runtime process of this run frozen for ${test_timeout}s" >>"$log"
            echo "${state%/*}" >>"$dir/thawed"
            case "$state" in
            */freezer.state) echo THAWED >"$state" ;;
            *) echo 0 >"$state" ;;
            esac
            unset "first[$state]"
        done
        if file_done "$tap"; then
            done_since=${done_since:-$SECONDS}
            if [ $((SECONDS - done_since)) -ge 30 ]; then
                echo "# compat: ${tap##*/}: every test reported, the file's session lingered 30 s: ended" >>"$log"
                end_session "$dir"
                return
            fi
        fi
    done
}

# One file of the suite with RUNC=$rt.  script(1) gives the suite the
# controlling terminal it expects (Debian's autopkgtest and youki's CI run
# it so); the shell it starts leads a session of its own, which goes as a
# whole when the file's deadline passes or this script is interrupted.
run_file() {
    local rt=$1 dir=$2 f=$3 name rc per_test=$test_timeout
    name=$(basename "$f")
    # events.bats waits for all its children: bats' per-test watchdog is
    # one of them, so every test there would last the whole deadline.
    [ "$name" = events.bats ] && per_test=
    rm -f "$dir/sid"
    file_watchdog "$dir" "$logs/$rt/$name.tap" "$logs/$rt/leaks" &
    watchdog=$!
    TMPDIR=$dir RUNC=${binary[$rt]} BATS_TEST_TIMEOUT=$per_test \
        timeout --kill-after=30 "$file_timeout" \
        script -qec "echo \$\$ >'$dir/sid'; exec bats --tap '$f' >'$logs/$rt/$name.tap' 2>&1" \
        /dev/null </dev/null >/dev/null 2>&1 &
    running=$!
    wait "$running"
    rc=$?
    running=
    kill "$watchdog" 2>/dev/null
    wait "$watchdog" 2>/dev/null
    watchdog=
    end_session "$dir"
    [ "$rc" -eq 124 ] && echo "# $rt: $name timed out after ${file_timeout}s" | tee -a "$logs/$rt/$name.tap"
    sweep_file "$rt" "$dir" | tee -a "$logs/$rt/leaks"
}

end_session() {
    local sid
    sid=$(cat "$1/sid" 2>/dev/null)
    [ -n "$sid" ] && kill -KILL -- "-$sid" 2>/dev/null
    rm -f "$1/sid"
}

# shellcheck disable=SC2317 # a trap handler
interrupted() {
    [ -n "${running:-}" ] && kill -TERM "$running" 2>/dev/null
    [ -n "${watchdog:-}" ] && kill "$watchdog" 2>/dev/null
    for d in "$work"/*/; do end_session "$d"; done
    wait
    exit 130
}

# One half: every file with RUNC=$rt, TAP per file under $logs/$rt/.
run_half() {
    local rt=$1 f before start
    local dir=$work/$rt
    mkdir -p "$dir" "$logs/$rt"
    chmod 755 "$dir"
    rm -f "$logs/$rt"/*.tap "$logs/$rt/leaks"
    before=$(suite_cgroups)
    start=$SECONDS
    for f in "${files[@]}"; do
        run_file "$rt" "$dir" "$f"
    done
    echo "$((SECONDS - start))" >"$logs/$rt/seconds"
    check_leftovers "$rt" "$dir" "$before" | tee -a "$logs/$rt/leaks"
    grep -h '^# compat: ' "$logs/$rt/leaks"
}

# runc's suite makes the parent cgroup of its tests' cgroups and never
# removes it: removed at the end of the run when it is new and empty.
parents_before=$(ls -d /sys/fs/cgroup/{,*/}{,cryo/}runc-cgroups-integration-test 2>/dev/null)
remove_suite_parents() {
    local cg
    for cg in /sys/fs/cgroup/{,*/}{,cryo/}runc-cgroups-integration-test; do
        [ -d "$cg" ] && ! grep -qxF "$cg" <<<"$parents_before" && rmdir "$cg" 2>/dev/null
    done
    return 0
}

mkdir -p "$logs"
for rt in $runtimes; do
    echo "# compat: running runc's suite with RUNC=${binary[$rt]}"
    run_half "$rt"
    echo "# compat: $rt half took $(cat "$logs/$rt/seconds") s"
done

remove_suite_parents
report "${files[@]}" | tee "$logs/summary"
grep -q '^not ok' "$logs/summary" && exit 1
exit 0
