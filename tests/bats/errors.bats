#!/usr/bin/env bats
# Error paths: each gives one line naming the problem, exits 1, and leaves
# nothing behind (state directory, cgroups, mounts, processes).

load helpers
load lifecycle-helpers

# fails_cleanly ID BUNDLE PATTERN: `cryo run` fails with one line matching
# PATTERN and leaves nothing.
fails_cleanly() {
    local id=$1 b=$2 pattern=$3
    run -1 cryo run --bundle "$b" "$id"
    echo "$output"
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == cryo:\ * ]]
    [[ "$output" == $pattern ]]
    assert_no_leftovers "$id" "$b"
}

@test "malformed config.json: a syntax error" {
    id=$(new_id)
    b=$(bundle_for syntax)
    echo '{"ociVersion": "1.0.2", "process": ' >"$b/config.json"
    fails_cleanly "$id" "$b" "*config.json*"
}

@test "malformed config.json: the error names the field" {
    id=$(new_id)
    b=$(bundle_for field)
    bundle_edit "$b" '.process.args = "sh"'
    fails_cleanly "$id" "$b" "*process.args*"
    bundle_edit "$b" '.process.args = ["true"] | .linux.namespaces += [{"type": "bogus"}]'
    fails_cleanly "$id" "$b" "*linux.namespaces*"
}

@test "missing rootfs and missing bundle" {
    id=$(new_id)
    b=$(bundle_for norootfs)
    rm -rf "$b/rootfs"
    fails_cleanly "$id" "$b" "*rootfs*"
    run -1 cryo create --bundle "$BATS_TEST_TMPDIR/no-such-bundle" "$id"
    [[ "$output" == *no-such-bundle* ]]
    [ ! -e "$CRYO_ROOT/$id" ]
}

@test "duplicate id: refused, the first container is untouched" {
    id=$(new_id)
    b=$(bundle_for dup1)
    b2=$(bundle_for dup2)
    create_detached "$id" "$b"
    pid=$(container_pid "$id")
    run -1 cryo create --bundle "$b2" "$id"
    [ "$output" = "cryo: container with id \`$id\` already exists" ]
    [ "$(container_status "$id")" = created ]
    [ "$(container_pid "$id")" = "$pid" ]
    [ "$(jq -r .bundle "$CRYO_ROOT/$id/state.json")" = "$b" ]
    [ -z "$(pids_rooted_at "$b2/rootfs")" ]
}

@test "unknown id: every command says it does not exist" {
    id=$(new_id)
    for cmd in state start kill delete ps; do
        run -1 cryo $cmd "$id"
        [ "$output" = "cryo: container \`$id\` does not exist" ]
    done
}

@test "invalid ids are refused" {
    for bad in 'a/b' '..' '.' 'a b' 'x@y'; do
        run -1 cryo state "$bad"
        [[ "$output" == "cryo: invalid container id"* ]]
    done
    b=$(bundle_for badid)
    run -1 cryo create --bundle "$b" '../escape'
    [[ "$output" == "cryo: invalid container id"* ]]
    [ ! -e "$CRYO_ROOT/../escape" ]
}

@test "kill with a bad signal" {
    id=$(new_id)
    b=$(bundle_for sig)
    create_detached "$id" "$b"
    run -1 cryo kill "$id" FOO
    [ "$output" = "cryo: unknown signal \`FOO\` (see \`kill -l\`)" ]
    run -1 cryo kill "$id" 99
    [[ "$output" == *"invalid signal number \`99\`"* ]]
    run -1 cryo kill "$id" SIGKILLX
    [[ "$output" == *"unknown signal"* ]]
    [ "$(container_status "$id")" = created ]
}

@test "start of a running container, of a stopped one" {
    id=$(new_id)
    b=$(bundle_for start sh -c 'while [ ! -e /tmp/go ]; do sleep 0.1; done')
    create_detached "$id" "$b"
    cryo start "$id"
    run -1 cryo start "$id"
    [ "$output" = "cryo: cannot start an already running container" ]
    touch "$b/rootfs/tmp/go"
    wait_for_status "$id" stopped
    run -1 cryo start "$id"
    [ "$output" = "cryo: cannot start a container that has stopped" ]
}

@test "executable not found" {
    id=$(new_id)
    b=$(bundle_for noexec no-such-program)
    fails_cleanly "$id" "$b" '*`no-such-program`: executable file not found in $PATH'
}

@test "an rlimit above the hard limit fails clearly (no CAP_SYS_RESOURCE)" {
    hard=$(ulimit -Hn)
    id=$(new_id)
    b=$(bundle_for rlimit)
    bundle_edit "$b" ".process.rlimits = [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1024, \"hard\": $((hard + 1))}]"
    fails_cleanly "$id" "$b" "*RLIMIT_NOFILE hard limit $((hard + 1)) is above the current hard limit $hard*"
}

@test "a failing prestart or createContainer hook removes everything" {
    id=$(new_id)
    b=$(bundle_for hook)
    bundle_edit "$b" '.hooks.prestart = [{"path": "/bin/false"}]'
    fails_cleanly "$id" "$b" '*prestart*/bin/false*'
    bundle_edit "$b" 'del(.hooks.prestart) | .hooks.createContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "exit 3"]}]'
    fails_cleanly "$id" "$b" '*createContainer*'
}

@test "a mount that cannot be made removes everything" {
    id=$(new_id)
    b=$(bundle_for mount)
    bundle_edit "$b" ".mounts += [{\"destination\": \"/data\", \"type\": \"bind\",
        \"source\": \"$BATS_TEST_TMPDIR/no-such-dir\", \"options\": [\"rbind\"]}]"
    fails_cleanly "$id" "$b" "*no-such-dir*"
}

@test "a namespace path that does not exist" {
    id=$(new_id)
    b=$(bundle_for nspath)
    bundle_edit "$b" '(.linux.namespaces[] | select(.type == "network")) |= {type: "network", path: "/run/netns/cryo-no-such-netns"}'
    fails_cleanly "$id" "$b" '*network namespace `/run/netns/cryo-no-such-netns`*'
}

@test "a user that is not mapped in the user namespace" {
    id=$(new_id)
    b=$(bundle_for unmapped)
    bundle_edit "$b" '.linux.namespaces += [{"type": "user"}]
        | .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 1000}]
        | .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 1000}]
        | .mounts |= map(select(.destination != "/sys/fs/cgroup"))
        | .process.user = {"uid": 5000, "gid": 0}'
    open_path_to "$b"
    fails_cleanly "$id" "$b" '*uid 5000 (not mapped in the user namespace)*'
}

@test "terminal without console socket for create; a console socket nobody listens on" {
    id=$(new_id)
    b=$(bundle_for tty)
    bundle_edit "$b" '.process.terminal = true'
    run -1 cryo create --bundle "$b" "$id"
    [[ "$output" == *"--console-socket"* ]]
    assert_no_leftovers "$id" "$b"
    run -1 cryo create --bundle "$b" --console-socket "$BATS_TEST_TMPDIR/nobody.sock" "$id"
    [[ "$output" == *"connect to \`$BATS_TEST_TMPDIR/nobody.sock\`"* ]]
    assert_no_leftovers "$id" "$b"
}

@test "wrong arguments" {
    run -1 cryo start
    [[ "$output" == *"requires exactly 1 argument"* ]]
    run -1 cryo kill a b c
    [[ "$output" == *"at most 2 arguments"* ]]
    run -1 cryo create --no-such-flag x
    [[ "$output" == *"unknown option \`--no-such-flag\`"* ]]
    run -1 cryo create --preserve-fds abc x
    [[ "$output" == *"--preserve-fds"* ]]
}

@test "a create killed midway is cleaned up by delete" {
    id=$(new_id)
    b=$(bundle_for killed)
    # the prestart hook kills `cryo create` (its parent) while the container is half made
    bundle_edit "$b" '.hooks.prestart = [{"path": "/bin/sh", "args": ["sh", "-c", "kill -9 $PPID; sleep 1"]}]'
    run cryo create --bundle "$b" "$id"
    [ "$status" -eq 137 ]
    wait_for_status "$id" stopped
    run -0 cryo delete "$id"
    assert_no_leftovers "$id" "$b"
}

@test "a corrupt state file: one line naming the file and what is wrong" {
    # Its own state root, made here: nothing of it outlives the test.
    local root="$BATS_TEST_TMPDIR/root" id=corrupt state
    mkdir -p "$root/$id"
    state="$root/$id/state.json"
    good='{"id":"corrupt","status":"stopped","ociVersion":"1.2.0","bundle":"/b","pid":0}'

    echo "$good" >"$state"
    run -0 "$CRYO_BIN" --root "$root" state "$id"
    [ "$(jq -r .status <<<"$output")" = stopped ]

    head -c 30 <<<"$good" >"$state"
    run -1 "$CRYO_BIN" --root "$root" state "$id"
    echo "$output"
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == "cryo: parse \`$state\`: "* ]]

    echo '{"id":"corrupt","pid":1}' >"$state"
    run -1 "$CRYO_BIN" --root "$root" kill "$id" KILL
    [ "$output" = "cryo: \`$state\` is not a cryo state file (no id or status)" ]

    # 2^32 + 1 would be pid 1 as a pid_t; -1 would be every process
    for pid in 4294967297 -1 '"1"'; do
        jq -c ".pid = $pid" <<<"$good" >"$state"
        run -1 "$CRYO_BIN" --root "$root" kill "$id" KILL
        echo "$output"
        [ "$output" = "cryo: \`$state\`: \`pid\` and \`creatorPid\` must be process ids (0 to 2147483647)" ]
    done
}
