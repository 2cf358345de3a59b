#!/usr/bin/env bats
# cryo check: CRIU's versions and self-check, the host features checkpoint
# and restore depend on, and a verdict per feature.

load helpers

setup() {
    requires_criu
}

@test "check: text report names CRIU, its check and every verdict" {
    run cryo check
    [ "$status" -eq 0 ]
    criu_version=$(criu --version | awk '/^Version:/ {print $2}')
    [[ "$output" == *"criu:"*"$criu_version"* ]]
    [[ "$output" == *"criu check:           passed"* ]]
    for f in checkpoint/restore pre-dump lazy-pages hardware-breakpoints kdat-cache cgroups; do
        echo "$output" | grep -q "^$f " || { echo "no verdict for $f"; false; }
    done
}

@test "check: json agrees with the host" {
    run cryo check --format json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e . >/dev/null
    [ "$(echo "$output" | jq -r .criu.version)" = "$(criu --version | awk '/^Version:/ {print $2}')" ]
    [ "$(echo "$output" | jq -r .criu.checkPassed)" = true ]
    [ "$(echo "$output" | jq -r .host.pipeMaxSize)" = "$(cat /proc/sys/fs/pipe-max-size)" ]
    # The cgroup layout, seen independently of cryo.
    if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
        expected=v2
    elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
        expected=hybrid
    else
        expected=v1
    fi
    [ "$(echo "$output" | jq -r .host.cgroupLayout)" = "$expected" ]
}

@test "check: pre-dump verdict follows soft-dirty, as CRIU itself sees it" {
    run cryo check --format json
    [ "$status" -eq 0 ]
    soft=$(echo "$output" | jq -r .host.softDirty)
    [ "$soft" = "$(echo "$output" | jq -r .criu.memTrack)" ]
    verdict=$(echo "$output" | jq -r '.features[] | select(.name == "pre-dump") | .verdict')
    if [ "$soft" = true ]; then
        [ "$verdict" = supported ]
    else
        [ "$verdict" = unsupported ]
        echo "$output" | jq -r '.features[] | select(.name == "pre-dump") | .reason' | grep -q CONFIG_MEM_SOFT_DIRTY
    fi
}

@test "check: lazy-pages verdict follows fs.pipe-max-size" {
    run cryo check --format json
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq -r .host.userfaultfdNonCooperative)" = true ] || skip "no non-cooperative userfaultfd"
    verdict=$(echo "$output" | jq -r '.features[] | select(.name == "lazy-pages") | .verdict')
    if [ "$(cat /proc/sys/fs/pipe-max-size)" -lt 4194304 ]; then
        [ "$verdict" = needs-setup ]
        echo "$output" | grep -q 'sysctl -w fs.pipe-max-size=4194304'
    else
        [ "$verdict" = supported ]
    fi
}

@test "check: hardware breakpoints agree with CRIU's own probe" {
    run cryo check --format json
    [ "$status" -eq 0 ]
    ours=$(echo "$output" | jq -r .host.hardwareBreakpoints)
    criu=$(echo "$output" | jq -r .criu.hardwareBreakpoints)
    [ "$ours" = 0 ] || [ "$ours" = 1 ]
    [ "$criu" = -1 ] || [ "$criu" = "$ours" ]
    # CRIU >= 4.2 detects broken breakpoints itself: cryo sets no CRIU_FAULT.
    if [ "$(echo "$output" | jq -r .criu.versionCode)" -ge 40200 ]; then
        [ "$(echo "$output" | jq -r .criu.faultNoBreakpoints)" = false ]
    fi
}

@test "check: dumps and restores load the kdat cache; the host gets no mount of it" {
    # A state root of its own: a fresh cache, and a mount of it could only be ours.
    CRYO_ROOT=$BATS_TEST_TMPDIR/root
    run cryo check --format json
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq -r .criu.kdatCached)" = true ]
    kdat=$(echo "$output" | jq -r .criu.kdatCache)
    src=$(echo "$output" | jq -r '.criu.kdatSource // empty')
    # Bound from the cache in CRIU's own mount namespace, or CRIU's own file on a tmpfs.
    if [ -n "$src" ]; then [ -s "$src" ]; else [ -s "$kdat" ]; fi

    id=$(new_id)
    b=$BATS_TEST_TMPDIR/bundle
    make_bundle "$b"
    cryo run --detach --bundle "$b" "$id" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/run.err"
    work=$BATS_TEST_TMPDIR/work
    cryo checkpoint --image-path "$BATS_TEST_TMPDIR/img" --work-path "$work" "$id"
    grep -q "Loaded kdat cache from $kdat" "$work/dump.log"
    cryo restore --detach --image-path "$BATS_TEST_TMPDIR/img" --bundle "$b" --work-path "$work" "$id" \
        </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/restore.err"
    grep -q "Loaded kdat cache from $kdat" "$work/restore.log"
    [ "$(container_status "$id")" = running ]
    if grep -F "$CRYO_ROOT/.engine-cache" /proc/self/mountinfo; then
        echo "a mount of the kdat cache was left on the host" >&2
        false
    fi
}

@test "check: a broken criu fails with one line, after the report" {
    run cryo --criu /nonexistent/criu check
    [ "$status" -eq 1 ]
    [[ "${lines[-1]}" == *"checkpoint/restore cannot work on this host"*"/nonexistent/criu"* ]]
    [ "$(echo "$output" | grep -c 'cannot work on this host')" -eq 1 ]
}

@test "check: an unknown format is refused" {
    run cryo check --format yaml
    [ "$status" -eq 1 ]
    [[ "$output" == *"unknown format \`yaml\`"* ]]
}
