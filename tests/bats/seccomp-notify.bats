#!/usr/bin/env bats
# SCMP_ACT_NOTIFY with linux.seccomp.listenerPath: the notify fd reaches a
# real seccomp agent (tests/helpers/seccomp-agent.c, runc's test agent's
# policy: mkdir makes "<path>-<metadata>", chmod fails with ENOMEDIUM, the
# rest goes on) for run and exec; the cases runc's seccomp-notify.bats
# checks, and what cryo adds (the state the agent gets, a checkpoint).

load helpers

setup() {
    bundle="$BATS_TEST_TMPDIR/bundle"
    make_bundle "$bundle"
    agent_sock="$BATS_TEST_TMPDIR/agent.sock"
    agent_log="$BATS_TEST_TMPDIR/agent.log"
    start_agent
}

# The agent on $agent_sock; $agent_pid once it listens.
start_agent() {
    local pidf="$BATS_TEST_TMPDIR/agent.pid"
    rm -f "$pidf"
    "$CRYO_BUILDDIR/tests/helpers/seccomp-agent" "$agent_sock" "$pidf" "$agent_log" 3>&- &
    agent_pid=$!
    track_pid "$agent_pid"
    wait_for 10 test -s "$pidf"
}

stop_agent() {
    kill -9 "$agent_pid"
    wait "$agent_pid" 2>/dev/null || true
}

# notify_config SCRIPT NNP SYSCALLS: run `sh -c SCRIPT` with SYSCALLS (a
# JSON list's inside) notified to the agent, metadata "bar".
notify_config() {
    bundle_edit "$bundle" '.process.args = ["/bin/sh", "-c", "'"$1"'"]
        | .process.noNewPrivileges = '"$2"'
        | .linux.seccomp = {
            "defaultAction": "SCMP_ACT_ALLOW",
            "listenerPath": "'"$agent_sock"'",
            "listenerMetadata": "bar",
            "architectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_X86_64"],
            "syscalls": [{"names": ['"$3"'], "action": "SCMP_ACT_NOTIFY"}]}'
}

# The containerProcessState number $1 (0-based) the agent received.
agent_state() {
    sed -n "$(($1 + 1))p" "$agent_log"
}

# The container is gone: no state, no cgroup left to delete.
assert_no_container() {
    run cryo state "$1"
    [ "$status" -ne 0 ]
}

# run_mkdir_test NNP WANT: WANT is the NoNewPrivs the process must have.
run_mkdir_test() {
    notify_config "mkdir /dev/shm/foo && stat -c %F /dev/shm/foo-bar && ! test -e /dev/shm/foo \
        && grep NoNewPrivs /proc/self/status" "$1" '"mkdir"'
    id=$(new_id)
    run cryo run -b "$bundle" "$id"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = directory ]
    [[ "${lines[1]}" == "NoNewPrivs:"*"$2" ]]
    # run: init loaded the filter during create; the state says so
    [ "$(wc -l <"$agent_log")" -eq 1 ]
    agent_state 0 | jq -e --arg id "$id" '.ociVersion != null and .fds == ["seccompFd"] and .metadata == "bar"
        and .state.id == $id and .state.status == "creating" and .pid == .state.pid and .pid > 0'
}

@test "seccomp notify: run, the agent answers mkdir (noNewPrivileges false)" {
    run_mkdir_test false 0
}

@test "seccomp notify: run, the agent answers mkdir (noNewPrivileges true)" {
    run_mkdir_test true 1
}

# The agent has the fd when `create` returns: init loaded the filter then.
@test "seccomp notify: create hands the fd over before start, start runs under it" {
    notify_config "mkdir /dev/shm/foo && exec sleep 3600" false '"mkdir"'
    id=$(new_id)
    cryo create -b "$bundle" "$id" >/dev/null 2>&1 3>&-
    [ "$(container_status "$id")" = created ]
    [ "$(wc -l <"$agent_log")" -eq 1 ]
    agent_state 0 | jq -e '.state.status == "creating"'
    cryo start "$id"
    wait_for 10 cryo exec "$id" test -d /dev/shm/foo-bar
    run cryo exec "$id" test -e /dev/shm/foo
    [ "$status" -ne 0 ]
}

exec_mkdir_test() {
    notify_config "sleep 3600" "$1" '"mkdir"'
    id=$(new_id)
    cryo run -d -b "$bundle" "$id"
    [ "$(container_status "$id")" = running ]
    run cryo exec "$id" /bin/sh -c "mkdir /dev/shm/foo && stat -c %F /dev/shm/foo-bar"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$output" = directory ]
    # init's fd, then the exec'd process's own, with the running state
    [ "$(wc -l <"$agent_log")" -eq 2 ]
    agent_state 1 | jq -e --arg id "$id" --argjson init "$(container_pid "$id")" \
        '.state.status == "running" and .state.pid == $init and .pid != $init and .pid > 0 and .metadata == "bar"'
}

@test "seccomp notify: exec, the agent answers mkdir (noNewPrivileges false)" {
    exec_mkdir_test false
}

@test "seccomp notify: exec, the agent answers mkdir (noNewPrivileges true)" {
    exec_mkdir_test true
}

# The calls init makes after the filter is loaded (reading the sync socket,
# closing fds, exec...) wait for the agent, which lets them go on.
@test "seccomp notify: execve, openat, read and close notified still run (noNewPrivileges false and true)" {
    for nnp in false true; do
        notify_config "/bin/true" "$nnp" '"execve", "openat", "open", "read", "close"'
        id=$(new_id)
        run cryo run -b "$bundle" "$id"
        echo "$output"
        [ "$status" -eq 0 ]
    done
}

@test "seccomp notify: a listenerPath without NOTIFY rules is not used" {
    bundle_edit "$bundle" '.process.args = ["/bin/sh", "-c", "mkdir /dev/shm/foo && stat /dev/shm/foo"]
        | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "'"$agent_sock"'",
            "listenerMetadata": "bar"}'
    id=$(new_id)
    run cryo run -b "$bundle" "$id"
    [ "$status" -eq 0 ]
    [ ! -s "$agent_log" ]
}

@test "seccomp notify: NOTIFY rules without listenerPath fail create, naming the field" {
    notify_config "/bin/true" false '"mkdir"'
    bundle_edit "$bundle" '.linux.seccomp.listenerPath = ""'
    id=$(new_id)
    run cryo run -b "$bundle" "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *"linux.seccomp.listenerPath: SCMP_ACT_NOTIFY rules need a seccomp agent"* ]]
    assert_no_container "$id"
}

@test "seccomp notify: no agent at listenerPath (missing, abstract, stopped) fails create and leaves nothing" {
    notify_config "/bin/true" false '"mkdir"'
    for path in /some-non-existing-listener-path.sock @cryo-no-such-agent-$$ "$agent_sock"; do
        [ "$path" = "$agent_sock" ] && stop_agent
        bundle_edit "$bundle" ".linux.seccomp.listenerPath = \"$path\""
        id=$(new_id)
        run cryo run -b "$bundle" "$id"
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"failed to connect with seccomp agent specified in the seccomp profile"*"\`$path\`"* ]]
        assert_no_container "$id"
    done
}

# Once the agent is gone nobody holds the notify fd (not the runtime, not
# init): the notified calls fail with ENOSYS instead of hanging.
@test "seccomp notify: after the agent exits, notified calls fail with ENOSYS" {
    notify_config 'i=0; while [ ! -e /go ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; mkdir /dev/shm/foo' \
        false '"mkdir"'
    id=$(new_id)
    timeout 60 "$CRYO_BIN" --root "$CRYO_ROOT" run -b "$bundle" "$id" >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
    local runner=$!
    track_pid "$runner"
    wait_for 10 test -s "$agent_log"
    stop_agent
    touch "$bundle/rootfs/go"
    local rc=0
    wait "$runner" || rc=$?
    cat "$BATS_TEST_TMPDIR/out"
    # sh's status is mkdir's (1); 124 would be timeout's
    [ "$rc" -eq 1 ]
    grep -q "mkdir: can't create directory '/dev/shm/foo': Function not implemented" "$BATS_TEST_TMPDIR/out"
}

@test "seccomp notify: the agent's error comes back (chmod: ENOMEDIUM)" {
    notify_config "touch /dev/shm/foo && chmod 777 /dev/shm/foo" false '"chmod", "fchmod", "fchmodat"'
    id=$(new_id)
    run cryo run -b "$bundle" "$id"
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" == *"chmod: /dev/shm/foo: No medium found"* ]]
}

@test "seccomp notify: write and sendmsg cannot be notified, nor the default action" {
    for sc in write sendmsg; do
        notify_config "/bin/true" false "\"$sc\""
        id=$(new_id)
        run cryo run -b "$bundle" "$id"
        [ "$status" -ne 0 ]
        [[ "$output" == *"linux.seccomp.syscalls[0]: SCMP_ACT_NOTIFY cannot be used for the $sc syscall"* ]]
        assert_no_container "$id"
    done
    bundle_edit "$bundle" '.linux.seccomp.defaultAction = "SCMP_ACT_NOTIFY" | .linux.seccomp.syscalls = []'
    run cryo run -b "$bundle" "$(new_id)"
    [ "$status" -ne 0 ]
    [[ "$output" == *"linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be used as default action"* ]]
    [ ! -s "$agent_log" ]
}

@test "seccomp notify: a startContainer hook gets no extra fd" {
    notify_config "/bin/true" false '"mkdir"'
    bundle_edit "$bundle" '.hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c",
        "n=$(ls /proc/self/fd/ | wc -l); [ $n -eq 4 ] || { echo fds: $n; ls -l /proc/self/fd; exit 1; }"]}]'
    id=$(new_id)
    run cryo run -b "$bundle" "$id"
    echo "$output"
    [ "$status" -eq 0 ]
}

# CRIU would dump the filter and restore it without its listener (the
# notified calls then fail with ENOSYS): cryo refuses, the container runs on.
@test "seccomp notify: checkpoint is refused and the container keeps running with its agent" {
    requires_criu
    notify_config "sleep 3600" false '"mkdir"'
    id=$(new_id)
    cryo run -d -b "$bundle" "$id"
    run cryo checkpoint --image-path "$BATS_TEST_TMPDIR/image" "$id"
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" == *"cannot checkpoint container \`$id\`: its seccomp profile has SCMP_ACT_NOTIFY rules"* ]]
    [ ! -e "$BATS_TEST_TMPDIR/image" ]
    [ "$(container_status "$id")" = running ]
    run cryo exec "$id" /bin/sh -c "mkdir /dev/shm/foo && stat -c %F /dev/shm/foo-bar"
    [ "$status" -eq 0 ]
    [ "$output" = directory ]
}
