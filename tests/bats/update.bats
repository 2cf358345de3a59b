#!/usr/bin/env bats
# cryo update: new limits reach the container's cgroup files and the kernel
# enforces them; bad values get one-line errors.

load helpers

setup() {
    bundle="$BATS_TEST_TMPDIR/bundle"
    make_bundle "$bundle"
}

@test "update: flags reach the cgroup files" {
    id=$(new_id)
    cryo run -d -b "$bundle" "$id"
    cryo update --memory 64m --memory-swap 128M --memory-reservation 32m --cpu-shares 512 \
        --cpu-period 100000 --cpu-quota 20000 --cpuset-cpus 0 --cpuset-mems 0 --pids-limit 30 "$id"
    mem=$(cgroup_dir "$id" memory) cpu=$(cgroup_dir "$id" cpu) pids=$(cgroup_dir "$id" pids) cpuset=$(cgroup_dir "$id" cpuset)
    [ "$(cat "$pids/pids.max")" = 30 ]
    [ "$(cat "$cpuset/cpuset.cpus")" = 0 ]
    if ! cgroup_v2; then
        [ "$(cat "$mem/memory.limit_in_bytes")" = 67108864 ]
        [ "$(cat "$mem/memory.memsw.limit_in_bytes")" = 134217728 ]
        [ "$(cat "$mem/memory.soft_limit_in_bytes")" = 33554432 ]
        [ "$(cat "$cpu/cpu.shares")" = 512 ]
        [ "$(cat "$cpu/cpu.cfs_quota_us")" = 20000 ]
        [ "$(cat "$cpu/cpu.cfs_period_us")" = 100000 ]
    else
        [ "$(cat "$mem/memory.max")" = 67108864 ]
        [ "$(cat "$mem/memory.swap.max")" = 67108864 ]
        [ "$(cat "$cpu/cpu.max")" = "20000 100000" ]
        [ "$(cat "$cpu/cpu.weight")" = 20 ]
    fi
    # runc's spelling of the shares flag, and unlimited memory
    cryo update --cpu-share 256 --memory -1 "$id"
    if ! cgroup_v2; then
        [ "$(cat "$cpu/cpu.shares")" = 256 ]
        [ "$(cat "$mem/memory.limit_in_bytes")" -gt 1000000000000 ]
    else
        [ "$(cat "$mem/memory.max")" = max ]
    fi
}

@test "update: -r FILE and -r - take a linux.resources object" {
    id=$(new_id)
    cryo run -d -b "$bundle" "$id"
    pids=$(cgroup_dir "$id" pids) mem=$(cgroup_dir "$id" memory)
    echo '{"pids": {"limit": 12}, "memory": {"limit": 50331648}}' >"$BATS_TEST_TMPDIR/r.json"
    cryo update -r "$BATS_TEST_TMPDIR/r.json" "$id"
    [ "$(cat "$pids/pids.max")" = 12 ]
    [ "$(memory_limit "$mem")" = 50331648 ]
    echo '{"pids": {"limit": 13}}' | cryo update -r - "$id"
    [ "$(cat "$pids/pids.max")" = 13 ]
    # a flag wins over the same field of the file
    cryo update -r "$BATS_TEST_TMPDIR/r.json" --pids-limit 14 "$id"
    [ "$(cat "$pids/pids.max")" = 14 ]
}

@test "update: the kernel enforces a lowered pids limit" {
    bundle="$BATS_TEST_TMPDIR/b2"
    make_bundle "$bundle" sh -c 'until [ -e /tmp/go ]; do sleep 0.1; done; for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1000 & done; sleep 1000'
    bundle_edit "$bundle" '.root.readonly = false'
    id=$(new_id)
    cryo run -d -b "$bundle" "$id"
    pids=$(cgroup_dir "$id" pids)
    [ "$(cat "$pids/pids.events")" = "max 0" ]
    cryo update --pids-limit 4 "$id"
    touch "$bundle/rootfs/tmp/go"
    # forks beyond the limit fail (counted in pids.events), never more than 4 processes
    wait_for 10 bash -c "[ \"\$(cat '$pids/pids.events')\" != 'max 0' ]"
    [ "$(cat "$pids/pids.current")" -le 4 ]
}

@test "update: bad values are refused with one line naming them" {
    id=$(new_id)
    cryo run -d -b "$bundle" "$id"
    run cryo update --memory 12x "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *'--memory `12x`: not a size in bytes'* ]]
    run cryo update --blkio-weight 5 "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *"--blkio-weight 5: out of range 10-1000"* ]]
    run cryo update --cpu-shares -3 "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *'--cpu-shares `-3`'* ]]
    run cryo update "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *"nothing to update"* ]]
    run cryo update -r "$BATS_TEST_TMPDIR/missing.json" "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *"missing.json"* ]]
    echo '{"memory": {"limit": "lots"}}' >"$BATS_TEST_TMPDIR/bad.json"
    run cryo update -r "$BATS_TEST_TMPDIR/bad.json" "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *"resources.memory.limit"* ]]
    [ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
    run cryo update --cpuset-cpus 4096 "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *'write `4096` to `'*'cpuset.cpus`'* ]]
    # the container is unharmed by the refusals
    [ "$(container_status "$id")" = running ]
}

@test "update: a stopped or unknown container is refused" {
    bundle="$BATS_TEST_TMPDIR/b2"
    make_bundle "$bundle" true
    id=$(new_id)
    cryo run -d -b "$bundle" "$id"
    wait_for_status "$id" stopped
    run cryo update --pids-limit 10 "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *"cannot update container \`$id\`: container not running (status stopped)"* ]]
    run cryo update --pids-limit 10 "no-such-container-$$"
    [ "$status" -ne 0 ]
    [[ "$output" == *"does not exist"* ]]
}

@test "update: a paused container takes new limits and stays paused" {
    id=$(new_id)
    cryo run -d -b "$bundle" "$id"
    cryo pause "$id"
    cryo update --pids-limit 9 "$id"
    [ "$(cat "$(cgroup_dir "$id" pids)/pids.max")" = 9 ]
    [ "$(container_status "$id")" = paused ]
}
