#!/usr/bin/env bats
# cryo spec: writes runc's default config.json into a bundle, never over one.

load helpers

setup() {
    dir="$BATS_TEST_TMPDIR/bundle"
    mkdir -p "$dir"
}

@test "spec writes a config.json that jq reads, with runc's defaults" {
    cd "$dir"
    run cryo spec
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    [ "$(jq -r .ociVersion config.json)" = "1.2.0" ]
    [ "$(jq -r '.process.args | join(" ")' config.json)" = "sh" ]
    [ "$(jq -r .process.terminal config.json)" = "true" ]
    [ "$(jq -r .root.path config.json)" = "rootfs" ]
    [ "$(jq -c '.process.rlimits' config.json)" = '[{"type":"RLIMIT_NOFILE","hard":1024,"soft":1024}]' ]
    [ "$(jq -r '[.linux.namespaces[].type] | join(",")' config.json)" = "pid,network,ipc,uts,mount" ]
    [ "$(jq -r '.linux.maskedPaths | index("/proc/kcore") != null' config.json)" = "true" ]
    [ "$(jq -r '.linux.resources.devices[0].access' config.json)" = "rwm" ]
    # pretty printed, as runc writes it
    [ "$(wc -l <config.json)" -gt 50 ]
}

@test "spec mounts and paths are runc's" {
    command -v runc >/dev/null || skip "runc is not installed"
    mkdir "$dir/runc"
    runc spec --bundle "$dir/runc"
    cryo spec --bundle "$dir"
    [ "$(jq -c .mounts "$dir/config.json")" = "$(jq -c .mounts "$dir/runc/config.json")" ]
    [ "$(jq -c .linux.readonlyPaths "$dir/config.json")" = "$(jq -c .linux.readonlyPaths "$dir/runc/config.json")" ]
    [ "$(jq -c .process.env "$dir/config.json")" = "$(jq -c .process.env "$dir/runc/config.json")" ]
}

@test "spec refuses to overwrite an existing config.json" {
    echo '{"mine": true}' >"$dir/config.json"
    run cryo spec --bundle "$dir"
    [ "$status" -eq 1 ]
    [[ "$output" == *"file \`$dir/config.json\` exists. Remove it first"* ]]
    [ "$(cat "$dir/config.json")" = '{"mine": true}' ]
}

@test "spec --bundle, -b and --bundle=DIR write into that directory" {
    cryo spec --bundle "$dir"
    [ -f "$dir/config.json" ]
    mkdir "$dir/b2" "$dir/b3"
    cryo spec -b "$dir/b2"
    cryo spec --bundle="$dir/b3"
    jq -e .process "$dir/b2/config.json" >/dev/null
    jq -e .process "$dir/b3/config.json" >/dev/null
    # nothing written to the current directory
    [ ! -e "$BATS_TEST_TMPDIR/config.json" ]
}

@test "spec --bundle with a missing directory or a file fails" {
    run cryo spec --bundle "$dir/missing"
    [ "$status" -eq 1 ]
    [[ "$output" == *"bundle \`$dir/missing\`: no such directory"* ]]
    [ ! -e "$dir/missing" ]
    touch "$dir/file"
    run cryo spec --bundle "$dir/file"
    [ "$status" -eq 1 ]
    [[ "$output" == *"bundle \`$dir/file\`: not a directory"* ]]
}

@test "spec --rootless maps the caller and drops the network namespace" {
    cryo spec --rootless --bundle "$dir"
    [ "$(jq -r '[.linux.namespaces[].type] | join(",")' "$dir/config.json")" = "pid,ipc,uts,mount,user" ]
    [ "$(jq -r '.linux.uidMappings[0].hostID' "$dir/config.json")" = "$(id -u)" ]
    [ "$(jq -r '.linux.gidMappings[0].hostID' "$dir/config.json")" = "$(id -g)" ]
    [ "$(jq -r '.linux.resources' "$dir/config.json")" = "null" ]
    [ "$(jq -r '.mounts[] | select(.destination == "/sys") | .type' "$dir/config.json")" = "none" ]
}

@test "spec --rootless run by an unprivileged user maps that user" {
    command -v setpriv >/dev/null || skip "setpriv is not installed"
    local d
    d=$(mktemp -d /tmp/cryo-spec-XXXXXX)
    chown 65534:65534 "$d"
    run setpriv --reuid=65534 --regid=65534 --clear-groups "$CRYO_BIN" spec --rootless --bundle "$d"
    uid=$(jq -r '.linux.uidMappings[0].hostID' "$d/config.json" || true)
    gid=$(jq -r '.linux.gidMappings[0].hostID' "$d/config.json" || true)
    rm -rf "$d"
    [ "$status" -eq 0 ]
    [ "$uid" = 65534 ] && [ "$gid" = 65534 ]
}

@test "spec rejects unknown options and arguments" {
    run cryo spec --no-such-flag
    [ "$status" -ne 0 ]
    [[ "$output" == *"unknown option"* ]]
    run cryo spec --bundle "$dir" extra
    [ "$status" -ne 0 ]
    [ ! -e "$dir/config.json" ]
}
