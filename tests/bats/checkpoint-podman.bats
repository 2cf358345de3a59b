#!/usr/bin/env bats
# podman's checkpoint and restore through cryo: in place, --leave-running,
# --export / --import under a new name; conmon's stdio pipes carry the
# container's output on after the restore.
#
# The same private podman set-up as podman.bats (podman-helpers.bash).

load helpers
load podman-helpers

setup_file() {
    command -v criu >/dev/null || skip "criu is not installed"
    podman_setup_file
}

teardown_file() {
    podman_teardown_file
}

teardown() {
    podman_teardown
}

# The last number the counting container logged.
last_count() {
    pm logs --tail 1 "$1" | tr -dc 0-9
}

counts_on() {
    local before
    before=$(last_count "$1")
    wait_for 10 bash -c "[ \"\$(podman logs --tail 1 '$1' | tr -dc 0-9)\" -gt '$before' ]"
}

start_counting() {
    pm run -d --name "$1" "$IMAGE" sh -c 'i=0; while true; do i=$((i+1)); echo $i; sleep 0.1; done' >/dev/null
    wait_for 10 bash -c "[ -n \"\$(podman logs --tail 1 '$1')\" ]"
}

@test "podman container checkpoint / restore in place, twice; the log goes on" {
    start_counting pc1
    id=$(pm inspect --format '{{.Id}}' pc1)
    for round in 1 2; do
        run -0 pm container checkpoint pc1
        [ "$(pm inspect --format '{{.State.Status}}' pc1)" = exited ]
        # destroyed by the checkpoint, as runc does: podman restores it anew
        run "$CRYO_BIN" state "$id"
        [ "$status" -eq 1 ]
        before=$(last_count pc1)
        run -0 pm container restore pc1
        [ "$(pm inspect --format '{{.State.Status}}' pc1)" = running ]
        [ "$("$CRYO_BIN" state "$id" | jq -r .status)" = running ]
        counts_on pc1
        # the same shell: it counts on from where it was, it did not start over
        [ "$(last_count pc1)" -gt "$before" ]
    done
    pm rm -f -t 0 pc1
}

@test "podman checkpoint --leave-running, and --export / restore --import under a new name" {
    start_counting pc2
    run -0 pm container checkpoint --leave-running pc2
    [ "$(pm inspect --format '{{.State.Status}}' pc2)" = running ]
    counts_on pc2
    run -0 pm container checkpoint --export "$BATS_TEST_TMPDIR/pc2.tar.gz" pc2
    before=$(last_count pc2)
    pm rm -f -t 0 pc2
    run pm container restore --import "$BATS_TEST_TMPDIR/pc2.tar.gz" --name pc3
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(pm inspect --format '{{.State.Status}}' pc3)" = running ]
    counts_on pc3
    [ "$(last_count pc3)" -gt "$before" ]
    pm rm -f -t 0 pc3
}
