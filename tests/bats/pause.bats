#!/usr/bin/env bats
# cryo pause / resume: the cgroup freezer stops every process of a real
# container, the state says "paused", and resume lets them go on.

load helpers

setup() {
    bundle="$BATS_TEST_TMPDIR/bundle"
    # A counter the host can watch: it moves only while the container runs.
    make_bundle "$bundle" sh -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/counter.new; mv /tmp/counter.new /tmp/counter; done'
    bundle_edit "$bundle" '.root.readonly = false'
}

counter() {
    cat "$bundle/rootfs/tmp/counter" 2>/dev/null
}

counter_moves() {
    local a b
    a=$(counter)
    sleep 0.2
    b=$(counter)
    [ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ]
}

@test "pause freezes every process and resume thaws them" {
    id=$(new_id)
    cryo run -d -b "$bundle" "$id"
    wait_for 10 counter_moves
    pid=$(container_pid "$id")

    cryo pause "$id"
    [ "$(container_status "$id")" = paused ]
    # Frozen: the counter stands still and the process is not runnable.
    a=$(counter)
    sleep 0.5
    [ "$(counter)" = "$a" ]
    state=$(awk '{ print $3 }' "/proc/$pid/stat")
    [ "$state" != R ]
    [ "$(freezer_state "$id")" = FROZEN ]

    cryo resume "$id"
    [ "$(container_status "$id")" = running ]
    wait_for 10 counter_moves
    [ "$(jq -r .status "$CRYO_ROOT/$id/state.json")" = running ]
}

@test "pause and resume refuse the wrong states, like runc" {
    id=$(new_id)
    cryo create -b "$bundle" "$id"
    run cryo pause "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *"cannot pause container \`$id\`: container not running (status created)"* ]]
    run cryo resume "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *"container not paused (status created)"* ]]

    cryo start "$id"
    run cryo resume "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *"container not paused (status running)"* ]]
    cryo pause "$id"
    run cryo pause "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *"already paused"* ]]
    [ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]

    run cryo pause "no-such-container-$$"
    [ "$status" -ne 0 ]
    [[ "$output" == *"does not exist"* ]]
}

@test "a stopped container cannot be paused" {
    make_bundle "$BATS_TEST_TMPDIR/short" true
    id=$(new_id)
    cryo run -d -b "$BATS_TEST_TMPDIR/short" "$id"
    wait_for_status "$id" stopped
    run cryo pause "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *"container not running (status stopped)"* ]]
}

@test "a paused container can be killed and deleted" {
    id=$(new_id)
    cryo run -d -b "$bundle" "$id"
    dir=$(cgroup_dir "$id" freezer)
    cryo pause "$id"
    cryo kill "$id" KILL
    wait_for_status "$id" stopped
    cryo delete "$id"
    [ ! -d "$dir" ]
    run cryo state "$id"
    [ "$status" -ne 0 ]

    id2=$(new_id)
    cryo run -d -b "$bundle" "$id2"
    dir=$(cgroup_dir "$id2" freezer)
    cryo pause "$id2"
    cryo delete --force "$id2"
    [ ! -d "$dir" ]
}
