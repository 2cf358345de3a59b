#!/usr/bin/env bats
# cryo exec: a new process in a running container, seen from inside and
# from the host: namespaces, cgroup, user, environment, security settings,
# exit codes, detach, terminals, refusals, and --process files.

load helpers
load lifecycle-helpers

# start_container NAME [JQ-FILTER]: a running container (sleep 3600) with a
# writable rootfs; sets $id and $b.
start_container() {
    id=$(new_id)
    b=$(bundle_for "$1" sleep 3600)
    [ -z "${2:-}" ] || bundle_edit "$b" "$2"
    run_detached "$id" "$b"
}

# exec_detached ARGS...: `cryo exec --detach ARGS`, the process's stdio on
# files (a detached process holding bats' pipe would make `run` wait for it).
exec_detached() {
    local rc=0
    cryo exec --detach "$@" </dev/null >"$BATS_TEST_TMPDIR/exec.out" 2>"$BATS_TEST_TMPDIR/exec.err" || rc=$?
    [ $rc -eq 0 ] || cat "$BATS_TEST_TMPDIR/exec.err" >&2
    return $rc
}

@test "exec joins every namespace of the container: pid, mount, uts, ipc, net, cgroup" {
    start_container ns '.hostname = "exec-host" | .linux.namespaces += [{"type": "cgroup"}]'
    echo marker >"$b/rootfs/marker"
    init=$(container_pid "$id")
    run -0 cryo exec "$id" sh -c 'echo $$; hostname; cat /marker; cat /proc/1/cmdline | tr "\0" " "; echo;
        for n in pid mnt uts ipc net cgroup; do readlink /proc/self/ns/$n; done'
    echo "$output"
    # pid 1 is the container's init, so ours is a small pid of its namespace
    [ "${lines[0]}" -lt 100 ]
    [ "${lines[1]}" = exec-host ]
    [ "${lines[2]}" = marker ]
    [ "${lines[3]}" = "sleep 3600 " ]
    i=4
    for n in pid mnt uts ipc net cgroup; do
        [ "${lines[$i]}" = "$(readlink "/proc/$init/ns/$n")" ]
        [ "${lines[$i]}" != "$(readlink "/proc/self/ns/$n")" ]
        i=$((i + 1))
    done
}

@test "exec joins the container's user namespace first, and runs as its root" {
    id=$(new_id)
    b=$(bundle_for userns sleep 3600)
    d=$b
    while [ "$d" != / ] && [ "$d" != /tmp ]; do
        chmod o+x "$d"
        d=$(dirname "$d")
    done
    bundle_edit "$b" '.linux.namespaces += [{"type": "user"}]
        | .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
        | .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
        | .mounts |= map(select(.destination != "/sys/fs/cgroup"))'
    run_detached "$id" "$b"
    init=$(container_pid "$id")
    exec_detached --pid-file "$BATS_TEST_TMPDIR/pid" "$id" sleep 600
    pid=$(cat "$BATS_TEST_TMPDIR/pid")
    [ "$(readlink "/proc/$pid/ns/user")" = "$(readlink "/proc/$init/ns/user")" ]
    grep -Eq "^Uid:\s+200000\s" "/proc/$pid/status"
    run -0 cryo exec "$id" id -u
    [ "$output" = 0 ]
}

@test "exec puts the process into the container's cgroup, in every hierarchy" {
    start_container cg '.linux.namespaces += [{"type": "cgroup"}]'
    exec_detached --pid-file "$BATS_TEST_TMPDIR/pid" "$id" sleep 600
    pid=$(cat "$BATS_TEST_TMPDIR/pid")
    n=0
    for d in /sys/fs/cgroup/*/cryo/"$id" /sys/fs/cgroup/cryo/"$id"; do
        [ -d "$d" ] || continue
        grep -qx "$pid" "$d/cgroup.procs"
        n=$((n + 1))
    done
    [ "$n" -gt 0 ]
    # and, its cgroup namespace being the container's, it sees itself at the root
    run -0 cryo exec "$id" cat /proc/self/cgroup
    ! grep -v ':/$' <<<"$output"
    run -0 cryo ps --format json "$id"
    jq -e --argjson p "$pid" 'index($p) != null' <<<"$output"
}

@test "exec: user from the container or --user/--additional-gids; env, --env, --cwd; HOME" {
    start_container user '.process.user = {"uid": 1000, "gid": 1000} | .process.env += ["FROM_CONFIG=1", "KEEP=yes"]'
    run -0 cryo exec "$id" sh -c 'echo $(id -u):$(id -g) $PWD $FROM_CONFIG $KEEP'
    [ "$output" = "1000:1000 / 1 yes" ]
    run -0 cryo exec -u 65534:65534 -g 5 --additional-gids 6 --cwd /tmp -e FROM_CONFIG=2 --env NEW=x "$id" \
        sh -c 'id; echo $PWD $FROM_CONFIG $NEW $KEEP $HOME; env | grep -c ^FROM_CONFIG='
    echo "$output"
    [ "${lines[0]}" = "uid=65534(nobody) gid=65534(nogroup) groups=5,6" ]
    [ "${lines[1]}" = "/tmp 2 x yes /" ]
    [ "${lines[2]}" = 1 ]
    # --user UID alone keeps the container's gid (runc)
    run -0 cryo exec -u 0 "$id" sh -c 'echo $(id -u):$(id -g) $HOME'
    [ "$output" = "0:1000 /root" ]
    run -255 cryo exec -u nobody "$id" true
    [[ "$output" == *'--user: `nobody` is not a numeric uid'* ]]
    run -255 cryo exec --cwd tmp "$id" true
    [[ "$output" == *'--cwd: `tmp` must be an absolute path'* ]]
    run -255 cryo exec --cwd /no/such/dir "$id" true
    [[ "$output" == *'process.cwd: chdir to `/no/such/dir`: No such file or directory'* ]]
}

@test "exec gets the container's capabilities; --cap adds one; --no-new-privs" {
    start_container caps '.process.capabilities = {
        "bounding": ["CAP_CHOWN", "CAP_KILL"], "effective": ["CAP_CHOWN", "CAP_KILL"],
        "permitted": ["CAP_CHOWN", "CAP_KILL"]} | .process.noNewPrivileges = false'
    run -0 cryo exec "$id" cat /proc/self/status
    [ "$(status_field CapBnd)" = 0000000000000021 ]
    [ "$(status_field CapEff)" = 0000000000000021 ]
    [ "$(status_field NoNewPrivs)" = 0 ]
    run -0 cryo exec --cap CAP_NET_ADMIN -c CAP_SYS_TIME --no-new-privs "$id" cat /proc/self/status
    # NET_ADMIN is bit 12, SYS_TIME bit 25
    [ "$(status_field CapBnd)" = 0000000002001021 ]
    [ "$(status_field CapEff)" = 0000000002001021 ]
    [ "$(status_field CapInh)" = 0000000000000000 ]
    [ "$(status_field NoNewPrivs)" = 1 ]
    run -255 cryo exec --cap CAP_FOO "$id" true
    [[ "$output" == *'--cap: unknown capability `CAP_FOO`'* ]]
}

@test "exec is confined by the container's seccomp filter" {
    start_container seccomp '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122}]}'
    run cryo exec "$id" sh -c 'grep ^Seccomp: /proc/self/status; mkdir /tmp/denied'
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"Seccomp:"*2* ]]
    # 122 is EDQUOT: nothing but the filter gives that on a tmp directory
    [[ "$output" == *"can't create directory '/tmp/denied': Disk quota exceeded"* ]]
    [ ! -e "$b/rootfs/tmp/denied" ]
}

@test "exec --user 1000 without noNewPrivileges is confined by the filter (podman exec --user)" {
    # The filter is loaded while the process still has CAP_SYS_ADMIN, as runc.
    start_container seccomp-user '.process.noNewPrivileges = false | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122}]}'
    run cryo exec --user 1000:1000 "$id" sh -c 'id -u; grep -E "^(Seccomp|NoNewPrivs|CapEff):" /proc/self/status; mkdir /tmp/denied'
    echo "$output"
    assert_filtered_as_1000
    [ ! -e "$b/rootfs/tmp/denied" ]
}

@test "exec returns the process's exit code, 128+N for signal N; a failed exec exits 255 (runc)" {
    start_container codes
    run -0 cryo exec "$id" true
    run -7 cryo exec "$id" sh -c 'exit 7'
    run -137 cryo exec "$id" sh -c 'kill -9 $$'
    run -255 cryo exec "$id" /no/such/program
    [[ "$output" == *'/no/such/program'*'No such file or directory'* ]]
    run -255 cryo exec "$id" nosuchprogram
    [[ "$output" == *'`nosuchprogram`: executable file not found in $PATH'* ]]
    run -255 cryo exec "$id"
    [[ "$output" == *'exec needs a command to run'* ]]
    # a failed exec leaves nothing behind in the container
    [ "$(cryo ps --format json "$id" | jq length)" = 1 ]
}

@test "a foreground exec forwards signals to the process" {
    start_container signals
    "$CRYO_BIN" --root "$CRYO_ROOT" exec "$id" sh -c 'trap "echo got USR1; exit 3" USR1; touch /tmp/ready; while :; do sleep 0.1; done' \
        >"$BATS_TEST_TMPDIR/out" 2>&1 &
    runtime=$!
    track_pid "$runtime"
    wait_for 10 test -e "$b/rootfs/tmp/ready"
    kill -USR1 "$runtime"
    rc=0
    wait "$runtime" || rc=$?
    cat "$BATS_TEST_TMPDIR/out"
    [ "$rc" -eq 3 ]
    grep -qx "got USR1" "$BATS_TEST_TMPDIR/out"
}

@test "exec --detach returns once the process runs; --pid-file names it" {
    start_container detach
    exec_detached --pid-file "$BATS_TEST_TMPDIR/pid" "$id" sh -c 'touch /tmp/started; exec sleep 600'
    pid=$(cat "$BATS_TEST_TMPDIR/pid")
    kill -0 "$pid"
    wait_for 10 test -e "$b/rootfs/tmp/started"
    wait_for 10 grep -qx sleep "/proc/$pid/comm"
    [ "$(stat -L -c %d:%i "/proc/$pid/root/")" = "$(stat -L -c %d:%i "$b/rootfs")" ]
    # the runtime is gone and the process is not ours any more: it is the container's
    cryo kill --all "$id" KILL
    wait_for 10 bash -c "! kill -0 $pid 2>/dev/null"
}

@test "exec --tty: a foreground exec proxies the pty, --console-socket receives it (runc's rules)" {
    start_container tty
    run -0 bash -c "echo hello | '$CRYO_BIN' --root '$CRYO_ROOT' exec -t $id sh -c 'tty; read l; echo got:\$l'"
    echo "$output"
    [[ "$output" == */dev/pts/* ]]
    [[ "$output" == *got:hello* ]]

    start_console_server
    run -0 cryo exec -d -t --console-socket "$sock" "$id" sh -c 'tty; read l; echo got:$l'
    wait_for 10 grep -q got:ping1 "$BATS_TEST_TMPDIR/console.log"
    grep -q /dev/pts/ "$BATS_TEST_TMPDIR/console.log"

    run -255 cryo exec -d -t "$id" true
    [[ "$output" == *"cannot allocate a tty for a detached process without --console-socket"* ]]
    run -255 cryo exec --console-socket "$sock" "$id" true
    [[ "$output" == *"--console-socket needs --detach and a terminal"* ]]
}

@test "exec: a paused container is refused, --ignore-paused runs the process once resumed" {
    start_container paused
    cryo pause "$id"
    run -255 cryo exec "$id" true
    [ "$output" = "cryo: cannot exec in a paused container (use --ignore-paused to override)" ]
    exec_detached --ignore-paused "$id" touch /tmp/ran &
    runtime=$!
    track_pid "$runtime"
    cryo resume "$id"
    wait "$runtime"
    wait_for 10 test -e "$b/rootfs/tmp/ran"
}

@test "exec: a stopped or missing container is refused; a created one is joined (as runc)" {
    id=$(new_id)
    b=$(bundle_for created sh -c 'exit 0')
    create_detached "$id" "$b"
    run -0 cryo exec "$id" cat /proc/1/cmdline
    cryo start "$id"
    wait_for_status "$id" stopped
    run -255 cryo exec "$id" true
    [ "$output" = "cryo: cannot exec in a stopped container" ]
    run -255 cryo exec no-such-container-$$ true
    [ "$output" = "cryo: container \`no-such-container-$$\` does not exist" ]
}

@test "exec --process FILE runs a runtime-spec process; the container fills what it leaves out" {
    start_container process '.process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"],
        "permitted": ["CAP_KILL"]} | .process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 333, "hard": 444}]
        | .process.noNewPrivileges = true'
    p="$BATS_TEST_TMPDIR/process.json"
    cat >"$p" <<'EOF'
{"args": ["sh", "-c", "echo $(id -u) $PWD $ONLY; ulimit -n; grep -E '^(CapBnd|NoNewPrivs):' /proc/self/status"],
 "env": ["PATH=/bin", "ONLY=here"], "cwd": "/tmp", "user": {"uid": 65534, "gid": 65534}}
EOF
    run -0 cryo exec --process "$p" "$id"
    echo "$output"
    [ "${lines[0]}" = "65534 /tmp here" ]
    [ "${lines[1]}" = 333 ]
    [[ "${lines[2]}" == *0000000000000020 ]]
    [[ "${lines[3]}" == *1 ]]

    # what the file sets wins
    jq '.capabilities = {"bounding": ["CAP_CHOWN"]} | .rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 100}]
        | .noNewPrivileges = false' "$p" >"$p.2"
    run -0 cryo exec -p "$p.2" "$id"
    [ "${lines[1]}" = 100 ]
    [[ "${lines[2]}" == *0000000000000001 ]]
    [[ "${lines[3]}" == *0 ]]

    echo '{"args": [], "cwd": "/"}' >"$p.bad"
    run -255 cryo exec -p "$p.bad" "$id"
    [[ "$output" == *"--process \`$p.bad\`: process.args: must be a non-empty array of strings"* ]]
    run -255 cryo exec -p "$p" "$id" true
    [[ "$output" == *"cannot be used with it"* ]]
}

@test "exec --process FILE --tty, as conmon passes it: the terminal goes to the console socket" {
    start_container process-tty
    p="$BATS_TEST_TMPDIR/process.json"
    echo '{"args": ["sh", "-c", "tty; read l; echo got:$l"], "cwd": "/", "terminal": true}' >"$p"
    start_console_server
    # conmon's argv: exec --pid-file F --process F --detach --tty --console-socket S ID
    run -0 cryo exec --pid-file "$BATS_TEST_TMPDIR/pid" --process "$p" --detach --tty \
        --console-socket "$sock" "$id"
    wait_for 10 grep -q got:ping1 "$BATS_TEST_TMPDIR/console.log"
    grep -q /dev/pts/ "$BATS_TEST_TMPDIR/console.log"

    # in the foreground -t with a file that says nothing of a terminal gives one
    echo '{"args": ["tty"], "cwd": "/"}' >"$p.2"
    run -0 bash -c "'$CRYO_BIN' --root '$CRYO_ROOT' exec -t -p '$p.2' $id </dev/null"
    [[ "$output" == */dev/pts/* ]]
    run -1 cryo exec -p "$p.2" "$id" </dev/null
    [ "$output" = "not a tty" ]
}

@test "--preserve-fds passes fds to the exec'd process, no other fd of the runtime leaks" {
    start_container fds
    echo three >"$BATS_TEST_TMPDIR/f3"
    run -0 bash -c "exec 3<'$BATS_TEST_TMPDIR/f3' 4</etc/hostname; '$CRYO_BIN' --root '$CRYO_ROOT' exec --preserve-fds 1 $id \
        sh -c 'cat <&3; ls /proc/self/fd | sort -n | tr \"\n\" \" \"'"
    echo "$output"
    [ "${lines[0]}" = three ]
    # 0-2, fd 3, and the one ls opened: fd 4 (a host file) did not leak
    [ "${lines[1]}" = "0 1 2 3 4 " ]
    run -0 bash -c "exec 4</etc/hostname; '$CRYO_BIN' --root '$CRYO_ROOT' exec $id readlink /proc/self/fd/4 || echo closed"
    [ "$output" = closed ]
}

@test "keyring: the container gets its own session keyring, exec joins it; --no-new-keyring keeps the host's" {
    [ -e /proc/keys ] || skip "no keyring support in this kernel"
    start_container keys '.linux.maskedPaths -= ["/proc/keys"]'
    run -0 cryo exec "$id" cat /proc/keys
    echo "$output"
    # one keyring of that name: init's, made searchable, joined by the exec
    [ "$(grep -c " keyring  *_ses\.$id:" <<<"$output")" = 1 ]
    run -0 cryo exec "$id" cat /proc/keys
    [ "$(grep -c " keyring  *_ses\.$id:" <<<"$output")" = 1 ]

    id2=$(new_id)
    b2=$(bundle_for keys2 sleep 3600)
    bundle_edit "$b2" '.linux.maskedPaths -= ["/proc/keys"]'
    run_detached "$id2" "$b2" --no-new-keyring
    run -0 cryo exec "$id2" cat /proc/keys
    ! grep -q "_ses\.$id2" <<<"$output"
}

@test "exec --cgroup joins a sub-cgroup of the container's, per controller or in every hierarchy (runc 1.1)" {
    [ -d /sys/fs/cgroup/memory ] && [ -d /sys/fs/cgroup/pids ] || skip "needs the v1 memory and pids hierarchies"
    cg="/cryo-bats-sub-$$-$RANDOM"
    # without a cgroup namespace /proc/self/cgroup shows the host's paths (runc spec's default)
    start_container subcg ".linux.cgroupsPath = \"$cg\" | .linux.namespaces |= map(select(.type != \"cgroup\"))"
    run -255 cryo exec --cgroup .. "$id" true
    [[ "$output" == *".. is not a sub cgroup path"* ]]
    run -255 cryo exec --cgroup a/../../b "$id" true
    [[ "$output" == *"is not a sub cgroup path"* ]]
    run -255 cryo exec --cgroup nonexistent "$id" true
    # runc's words, which runc's exec.bats matches
    [[ "$output" == *" adding pid "*"/nonexistent/cgroup.procs: no such file "* ]]
    run -255 cryo exec --cgroup whaaat:/ "$id" true
    [[ "$output" == *"unknown controller \`whaaat\`"* ]]
    run -255 cryo exec --cgroup memory:a --cgroup b "$id" true
    [[ "$output" == *"missing <controller>: prefix"* ]]
    run -0 cryo exec --cgroup / "$id" cat /proc/self/cgroup
    [ -z "$(grep -v ":$cg\$" <<<"$output")" ]

    mkdir "/sys/fs/cgroup/memory$cg/submem" "/sys/fs/cgroup/pids$cg/subpids"
    run -0 cryo exec --cgroup memory:submem --cgroup pids:subpids "$id" sh -c 'cat /proc/self/cgroup; echo $$'
    echo "$output"
    [[ "$output" == *":memory:$cg/submem"* ]]
    [[ "$output" == *":pids:$cg/subpids"* ]]
    [[ "$output" == *":freezer:$cg"$'\n'* ]]
    cryo delete --force "$id"
    rmdir "/sys/fs/cgroup/memory$cg/submem" "/sys/fs/cgroup/pids$cg/subpids" 2>/dev/null || true
}
