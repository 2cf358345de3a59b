#!/usr/bin/env bash
# Run every test of cryo: the C unit tests (TAP), then the bats integration
# tests (as root, with real namespaces, cgroups and CRIU).  Prints the TAP
# stream and ends with one line: "N passed, N failed, N skipped".
#
#   tests/run.sh                 everything
#   tests/run.sh unit            unit tests (and the layering check) only
#   tests/run.sh asan            unit tests in the ASan + UBSan build
#   tests/run.sh fuzz            the fuzz targets only
#   tests/run.sh tests/bats/x.bats ...   these bats files only
#
# "everything" also runs the unit tests once more in an AddressSanitizer +
# UBSan build (CRYO_ASAN_BUILDDIR, default build-asan/, configured and built
# here with clang) and each libFuzzer target of tests/fuzz/ for
# CRYO_FUZZ_SECONDS (default 60; 0 skips them) on its seed corpus; an input
# that crashes one is saved under CRYO_FUZZ_ARTIFACTS (default
# <builddir>/fuzz-artifacts/).  Both need clang's libFuzzer and sanitizer
# runtimes (contrib/setup.sh installs them) and are skipped without;
# CRYO_FUZZ_TARGETS="image pack" runs only those.
#   tests/run.sh vm [x.bats ...] the VM tier: the harness's own test, then bats
#                                files in a pure cgroup v2 guest (tests/vm/),
#                                one fresh guest per file
#   tests/run.sh compat          runc's own integration tests, on runc and on
#                                cryo (tests/compat/run.sh; also the last step of
#                                "everything" unless CRYO_COMPAT=0)
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
    run_tap "layout/check-includes.sh" "$top/tests/layout/check-includes.sh"
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

# The unit tests again, built with clang's AddressSanitizer and UBSan (any
# report fails the program, hence its test).  Its own build directory,
# configured here the first time; each run rebuilds what changed.
run_asan() {
    local asan=${CRYO_ASAN_BUILDDIR:-$top/build-asan} t start=$SECONDS log
    if ! have_clang_runtimes; then
        echo "ok - asan # SKIP clang with its sanitizer runtimes is not installed"
        skipped=$((skipped + 1))
        return
    fi
    log=$(mktemp)
    echo "# asan: building the unit tests in $asan"
    if ! { mkdir -p "$asan" && cd "$asan" &&
        { [ -f Makefile ] || "$top/configure" --quiet CC=clang --enable-sanitizers; } &&
        make -j"$(nproc)" check TESTS= 'check_PROGRAMS=$(UNIT_TESTS)'; } >"$log" 2>&1; then
        sed 's/^/# /' "$log" | tail -20
        echo "not ok - asan: the sanitizer build failed"
        failed=$((failed + 1))
        rm -f "$log"
        cd "$top" || return
        return
    fi
    rm -f "$log"
    cd "$top" || return
    echo "# asan: built in $((SECONDS - start)) s"
    for t in "$asan"/tests/unit/test_*; do
        [ -x "$t" ] || continue
        if [ "$(basename "$t")" = test_engine ]; then
            # It restores processes forked from itself: CRIU cannot restore
            # an ASan process (its shadow memory), the restored tree dies
            # of SIGSEGV.
            echo "ok - asan/test_engine # SKIP CRIU cannot restore a process built with ASan"
            skipped=$((skipped + 1))
            continue
        fi
        run_tap "asan/$(basename "$t")" env ASAN_OPTIONS=detect_leaks=0 \
            UBSAN_OPTIONS=print_stacktrace=1 "$t"
    done
}

have_clang_runtimes() {
    command -v clang >/dev/null &&
        echo 'int LLVMFuzzerTestOneInput (const char *d, long n) { return 0; }' |
        clang -fsanitize=fuzzer,address,undefined -x c - -o /dev/null 2>/dev/null
}

# One TAP line per fuzz target: how many inputs it ran, or where the input
# that crashed it (or hung, or leaked) was saved.
run_fuzz_target() {
    local name=$1 secs=$2 artifacts=$3 work="$run_tmp/fuzz-$1" log="$run_tmp/fuzz-$1.log"
    local rc done_line saved scratch
    if ! make -s -C "$builddir" "fuzz-$name" >"$log" 2>&1 || [ ! -x "$builddir/fuzz-$name" ]; then
        sed 's/^/# /' "$log" | tail -10
        echo "not ok - fuzz/$name: the target did not build"
        failed=$((failed + 1))
        return
    fi
    mkdir -p "$work"
    # The target's scratch files (in memory), removed even after a crash.
    scratch=$(mktemp -d /dev/shm/cryo-fuzz-run.XXXXXX)
    # New inputs go to the work directory: the committed seeds stay as they are.
    CRYO_FUZZ_TMPDIR=$scratch timeout --kill-after=30 $((secs + 300)) "$builddir/fuzz-$name" \
        -max_total_time="$secs" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="$artifacts/$name-" "$work" "$top/tests/fuzz/corpus/$name" >"$log" 2>&1
    rc=$?
    rm -rf --one-file-system "$scratch"
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
    if [ "$rc" -eq 0 ] && [ -n "$done_line" ]; then
        echo "ok - fuzz/$name: $(sed -E 's/^#([0-9]+).* cov: ([0-9]+).* exec\/s: ([0-9]+).*/\1 inputs, \3 exec\/s, \2 edges covered/' <<<"$done_line") in $secs s"
        passed=$((passed + 1))
        return
    fi
    saved=$(grep -o "Test unit written to .*" "$log" | tail -1)
    grep -E 'ERROR:|SUMMARY:|runtime error|^    #[0-9] ' "$log" | head -15 | sed 's/^/# /'
    echo "not ok - fuzz/$name: exit $rc; ${saved:-no input saved (see the log above)}"
    failed=$((failed + 1))
}

run_fuzz() {
    local secs=${CRYO_FUZZ_SECONDS:-60} artifacts=${CRYO_FUZZ_ARTIFACTS:-$builddir/fuzz-artifacts} t
    local targets=${CRYO_FUZZ_TARGETS:-spec image meta pack tree state}
    if [ "$secs" = 0 ] || ! have_clang_runtimes; then
        for t in $targets; do
            echo "ok - fuzz/$t # SKIP $([ "$secs" = 0 ] && echo CRYO_FUZZ_SECONDS=0 || echo "clang's libFuzzer is not installed")"
            skipped=$((skipped + 1))
        done
        return
    fi
    mkdir -p "$artifacts"
    for t in $targets; do
        local start=$SECONDS
        echo "# fuzz/$t"
        run_fuzz_target "$t" "$secs" "$artifacts"
        echo "# fuzz/$t: $((SECONDS - start)) s"
    done
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

# The bats files the VM tier runs by default: lifecycle, cgroups, pause,
# update, events, checkpoint/restore and leak detection on pure cgroup v2.
vm_default="lifecycle cgroup pause update events checkpoint leaks"

# Each file in its own guest, which runs this script on it (with the sweep
# of what the file left behind); the guest's deadline fires before ours, so
# a hung guest is reported with its console.
run_vm() {
    # under TCG a file takes 4-8 times as long as on the host
    local f name inner=$((file_timeout * 3))
    export CRYO_VM_TIMEOUT=$((inner + 120))
    local file_timeout=$((CRYO_VM_TIMEOUT + 60)) # run_tap's, for this tier
    if [ $# -eq 0 ]; then
        for name in $vm_default; do set -- "$@" "$top/tests/bats/$name.bats"; done
    fi
    run_bats "$top/tests/vm/vm.bats"
    # the guest's summary line becomes a comment: this run's is the last word
    for f in "$@"; do
        run_tap "vm/$(basename "$f")" "$top/tests/vm/vm.sh" run \
            "set -o pipefail; CRYO_BUILDDIR=$builddir CRYO_TEST_FILE_TIMEOUT=$inner \
            $top/tests/run.sh $f | sed -u 's/^[0-9]* passed, /# in the guest: &/'"
    done
}

if [ ! -x "$builddir/cryo" ]; then
    echo "no cryo binary in $builddir: run contrib/setup.sh first" >&2
    exit 2
fi

# runc's own integration suite on runc and on cryo (tests/compat/): both
# halves in one TAP stream, whose failures are the tests runc passes and
# cryo fails.
run_compat() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "# runc's integration tests need root: skipped"
        return
    fi
    file_timeout=${CRYO_COMPAT_TIMEOUT:-3600} run_tap compat "$top/tests/compat/run.sh"
}

case "${1:-all}" in
all)
    run_unit
    run_asan
    run_fuzz
    run_bats "$top"/tests/bats/*.bats
    # CRYO_COMPAT=0 leaves runc's suite out of "everything".
    [ "${CRYO_COMPAT:-1}" = 0 ] || run_compat
    ;;
unit) run_unit ;;
asan) run_asan ;;
fuzz) run_fuzz ;;
vm)
    shift
    run_vm "$@"
    ;;
compat) run_compat ;;
*) run_bats "$@" ;;
esac

sweep_end
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
