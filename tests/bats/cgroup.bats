#!/usr/bin/env bats
# A real container's cgroup: where it is (every hierarchy, cgroupsPath
# rules), what it enforces (devices), and that delete removes it all.

load helpers

setup() {
    bundle="$BATS_TEST_TMPDIR/bundle"
    make_bundle "$bundle"
}

cg_json() {
    jq -r .cgroup "$CRYO_ROOT/$1/state.json"
}

@test "the container is in its cgroup in every hierarchy, and delete removes every directory" {
    id=$(new_id)
    cryo run -d -b "$bundle" "$id"
    pid=$(container_pid "$id")
    [ "$(cg_json "$id" | jq -r .path)" = "/cryo/$id" ]
    # every hierarchy this host mounts, named ones and cgroup2 included
    while IFS=: read -r _ ctrl path; do
        mount=$(cg_json "$id" | jq -r --arg n "$ctrl" '.hierarchies[] | select(.name == $n) | .mount')
        [ -n "$mount" ] || { echo "no hierarchy $ctrl"; false; }
        [ "$path" = "/cryo/$id" ] || { echo "$ctrl: $path"; false; }
    done <"/proc/$pid/cgroup"
    dirs=$(cg_json "$id" | jq -r '.hierarchies[].dir')
    [ "$(printf '%s\n' "$dirs" | wc -l)" -eq "$(grep -c . "/proc/$pid/cgroup")" ]
    cryo delete --force "$id"
    for d in $dirs; do
        [ ! -d "$d" ]
    done
}

@test "cgroupsPath: absolute from the root, relative from cryo's own cgroup" {
    id=$(new_id)
    bundle_edit "$bundle" ".linux.cgroupsPath = \"/cryo-bats-$$/$id\""
    cryo run -d -b "$bundle" "$id"
    pid=$(container_pid "$id")
    [ "$(cgroup_of "$pid" freezer)" = "/cryo-bats-$$/$id" ]
    dir=$(cgroup_dir "$id" freezer "/cryo-bats-$$/$id")
    [ -d "$dir" ]
    cryo delete --force "$id"
    [ ! -d "$dir" ] && [ ! -d "$(dirname "$dir")" ]

    id2=$(new_id)
    bundle_edit "$bundle" ".linux.cgroupsPath = \"rel-$id2\""
    cryo run -d -b "$bundle" "$id2"
    own=$(cgroup_of self freezer)
    [ "$(cgroup_of "$(container_pid "$id2")" freezer)" = "${own%/}/rel-$id2" ]
}

@test "a cgroupsPath that already holds processes gets a warning, and both containers share it (runc)" {
    id=$(new_id)
    bundle_edit "$bundle" ".linux.cgroupsPath = \"/cryo-bats-busy-$$\""
    cryo run -d -b "$bundle" "$id" </dev/null >/dev/null 2>&1
    id2=$(new_id)
    cryo run -d -b "$bundle" "$id2" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err2"
    cat "$BATS_TEST_TMPDIR/err2"
    grep -q "container's cgroup is not empty: \`/cryo-bats-busy-$$\` already holds 1 process" "$BATS_TEST_TMPDIR/err2"
    # create too
    id3=$(new_id)
    cryo create -b "$bundle" "$id3" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err3"
    grep -q "container's cgroup is not empty.*2 processes" "$BATS_TEST_TMPDIR/err3"
    [ "$(container_status "$id")" = running ]
    [ "$(container_status "$id2")" = running ]
    for c in "$id" "$id2" "$id3"; do
        [ "$(cgroup_of "$(container_pid "$c")" freezer)" = "/cryo-bats-busy-$$" ]
    done
}

@test "--systemd-cgroup is refused with one line when systemd is not init" {
    [ "$(cat /proc/1/comm)" != systemd ] || skip "systemd is init here"
    id=$(new_id)
    bundle_edit "$bundle" '.linux.cgroupsPath = "system.slice:cryo:x"'
    run "$CRYO_BIN" --root "$CRYO_ROOT" --systemd-cgroup run -d -b "$bundle" "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *"--systemd-cgroup: systemd is not running as init"* ]]
    [ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
    run cryo state "$id"
    [ "$status" -ne 0 ]
}

@test "the device cgroup allows the standard devices and denies the rest" {
    make_bundle "$BATS_TEST_TMPDIR/dev" sh -c 'echo ok >/dev/null && head -c1 /dev/zero >/dev/null && echo standard-ok; mknod /tmp/kmsg c 1 11 && cat /tmp/kmsg; echo rc=$?'
    bundle_edit "$BATS_TEST_TMPDIR/dev" '.root.readonly = false'
    id=$(new_id)
    run cryo run -b "$BATS_TEST_TMPDIR/dev" "$id"
    [[ "$output" == *standard-ok* ]]
    [[ "$output" == *"Operation not permitted"* ]]
    [[ "$output" == *rc=1* ]]
}

@test "a device of linux.devices is made but usable only if the device rules allow it (runc's dev.bats)" {
    b="$BATS_TEST_TMPDIR/kmsg"
    make_bundle "$b" sh -c 'ls -l /dev/kmsg; echo cryo-test-kmsg >/dev/kmsg && echo wrote'
    bundle_edit "$b" '.linux.devices = [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11}]
        | .linux.resources.devices = [{"allow": false, "access": "rwm"}]'
    id=$(new_id)
    run cryo run -b "$b" "$id"
    echo "$output"
    [[ "$output" == *"/dev/kmsg"* ]]
    [[ "$output" == *"Operation not permitted"* ]]
    [[ "$output" != *wrote* ]]

    # allowed by a rule: "rwa" is "rw" (runc ignores the letters it does not know)
    bundle_edit "$b" '.linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "rwa"}]'
    id=$(new_id)
    run cryo run -b "$b" "$id"
    [ "$status" -eq 0 ]
    [[ "$output" == *wrote* ]]
}
