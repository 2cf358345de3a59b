#!/usr/bin/env bats
# cryo events: runc's stats event (--stats) and the event stream (stats
# every --interval, oom when the OOM killer strikes).

load helpers

setup() {
    bundle="$BATS_TEST_TMPDIR/bundle"
    make_bundle "$bundle"
    bundle_edit "$bundle" '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 40}'
}

@test "events --stats prints one stats event like runc" {
    id=$(new_id)
    cryo run -d -b "$bundle" "$id"
    run cryo events --stats "$id"
    [ "$status" -eq 0 ]
    [ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
    [ "$(jq -r .type <<<"$output")" = stats ]
    [ "$(jq -r .id <<<"$output")" = "$id" ]
    [ "$(jq -r .data.memory.usage.limit <<<"$output")" = 67108864 ]
    [ "$(jq -r .data.memory.usage.usage <<<"$output")" -gt 0 ]
    [ "$(jq -r .data.pids.current <<<"$output")" -ge 1 ]
    [ "$(jq -r .data.pids.limit <<<"$output")" = 40 ]
    [ "$(jq -r '.data.cpu.usage | has("kernel") and has("user")' <<<"$output")" = true ]
    [ "$(jq -r '.data | has("blkio") and has("hugetlb")' <<<"$output")" = true ]
}

@test "events streams stats every interval and ends with the container" {
    id=$(new_id)
    cryo run -d -b "$bundle" "$id"
    out="$BATS_TEST_TMPDIR/events.out"
    cryo events --interval 100ms "$id" >"$out" 2>&1 &
    epid=$!
    track_pid "$epid"
    wait_for 20 bash -c "[ \$(wc -l <'$out') -ge 3 ]"
    cryo kill "$id" KILL
    wait "$epid"
    [ "$(jq -r .type "$out" | sort -u)" = stats ]
    [ "$(jq -r .id "$out" | sort -u)" = "$id" ]
}

@test "events reports an OOM kill" {
    bundle="$BATS_TEST_TMPDIR/b2"
    make_bundle "$bundle" sh -c 'until [ -e /tmp/go ]; do sleep 0.1; done; dd if=/dev/zero of=/dev/null bs=200M count=1; sleep 1000'
    bundle_edit "$bundle" '.root.readonly = false | .linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
    id=$(new_id)
    cryo run -d -b "$bundle" "$id"
    out="$BATS_TEST_TMPDIR/events.out"
    cryo events --interval 10s "$id" >"$out" 2>&1 &
    track_pid $!
    wait_for 10 grep -q '"type":"stats"' "$out"
    touch "$bundle/rootfs/tmp/go"
    wait_for 20 grep -q "{\"type\":\"oom\",\"id\":\"$id\"}" "$out"
}

@test "events refuses a stopped container and a bad interval" {
    id=$(new_id)
    cryo run -d -b "$bundle" "$id"
    run cryo events --interval 5x "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *'--interval `5x`'* ]]
    run cryo events --interval 0s "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *"greater than 0"* ]]
    cryo kill "$id" KILL
    wait_for_status "$id" stopped
    run cryo events --stats "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *"container \`$id\` is not running (status stopped)"* ]]
    run cryo events --stats "no-such-container-$$"
    [ "$status" -ne 0 ]
    [[ "$output" == *"does not exist"* ]]
}
