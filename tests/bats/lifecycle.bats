#!/usr/bin/env bats
# The container lifecycle through the runc command line: create, start,
# run, state, list, kill, delete, ps, and the state machine
# creating -> created -> running -> stopped.

load helpers
load lifecycle-helpers

@test "create leaves a created container whose init waits; state shows it as runc does" {
    id=$(new_id)
    b=$(bundle_for c)
    create_detached "$id" "$b"

    run -0 cryo state "$id"
    echo "$output"
    [ "$(jq -r .id <<<"$output")" = "$id" ]
    [ "$(jq -r .status <<<"$output")" = created ]
    [ "$(jq -r .bundle <<<"$output")" = "$b" ]
    [ "$(jq -r .rootfs <<<"$output")" = "$b/rootfs" ]
    [ "$(jq -r .ociVersion <<<"$output")" != null ]
    [ "$(jq -r .owner <<<"$output")" = root ]
    jq -e '.created | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")' <<<"$output"
    pid=$(jq -r .pid <<<"$output")
    [ "$pid" -gt 0 ]
    kill -0 "$pid"
    # init has not run the process yet: it is still cryo, not sleep
    [ "$(cat /proc/$pid/comm)" != sleep ]
    [ -p "$CRYO_ROOT/$id/exec.fifo" ]
    [ -f "$CRYO_ROOT/$id/config.json" ]
}

@test "start runs the process; start again fails; kill and delete remove everything" {
    id=$(new_id)
    b=$(bundle_for s sleep 3600)
    create_detached "$id" "$b"
    pid=$(container_pid "$id")

    run -0 cryo start "$id"
    [ "$(container_status "$id")" = running ]
    [ ! -e "$CRYO_ROOT/$id/exec.fifo" ]
    wait_for 10 grep -qx sleep "/proc/$pid/comm"

    run -1 cryo start "$id"
    [ "$output" = "cryo: cannot start an already running container" ]

    run -1 cryo delete "$id"
    [[ "$output" == *"cannot delete container \`$id\` that is not stopped: running"* ]]

    run -0 cryo kill "$id" KILL
    wait_for_status "$id" stopped
    [ "$(container_pid "$id")" = 0 ]

    run -1 cryo kill "$id" KILL
    [ "$output" = "cryo: container not running" ]
    run -1 cryo start "$id"
    [ "$output" = "cryo: cannot start a container that has stopped" ]

    run -0 cryo delete "$id"
    assert_no_leftovers "$id" "$b"
    run -1 cryo state "$id"
    [ "$output" = "cryo: container \`$id\` does not exist" ]
}

@test "state machine: creating (seen by a prestart hook), created, running, stopped" {
    id=$(new_id)
    b=$(bundle_for sm sh -c 'while [ ! -e /tmp/go ]; do sleep 0.1; done')
    seen="$BATS_TEST_TMPDIR/seen-by-hook"
    bundle_edit "$b" ".hooks.prestart = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\",
        \"$CRYO_BIN --root $CRYO_ROOT state $id > $seen\"]}]"
    create_detached "$id" "$b"
    [ "$(jq -r .status "$seen")" = creating ]
    [ "$(jq -r .pid "$seen")" -gt 0 ]
    [ "$(container_status "$id")" = created ]
    cryo start "$id"
    [ "$(container_status "$id")" = running ]
    touch "$b/rootfs/tmp/go"
    wait_for_status "$id" stopped
    cryo delete "$id"
    assert_no_leftovers "$id" "$b"
}

@test "run exits with the container's exit status and removes the container" {
    id=$(new_id)
    b=$(bundle_for r sh -c 'echo out-$((6*7)); echo err >&2; exit 7')
    run -7 cryo run --bundle "$b" "$id"
    [[ "$output" == *out-42* ]]
    [[ "$output" == *err* ]]
    assert_no_leftovers "$id" "$b"
}

@test "run exits with 128+N when the container is killed by signal N" {
    id=$(new_id)
    b=$(bundle_for k sleep 3600)
    "$CRYO_BIN" --root "$CRYO_ROOT" run --bundle "$b" "$id" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 &
    runpid=$!
    track_pid "$runpid"
    wait_for_status "$id" running
    cryo kill "$id" KILL
    rc=0
    wait "$runpid" || rc=$?
    [ "$rc" -eq 137 ]
    assert_no_leftovers "$id" "$b"
}

@test "a foreground run forwards signals to init" {
    id=$(new_id)
    b=$(bundle_for f sh -c 'trap "echo got-term; exit 42" TERM; touch /tmp/ready; while :; do sleep 0.1; done')
    "$CRYO_BIN" --root "$CRYO_ROOT" run --bundle "$b" "$id" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 &
    runpid=$!
    track_pid "$runpid"
    wait_for 10 test -e "$b/rootfs/tmp/ready"
    kill -TERM "$runpid"
    rc=0
    wait "$runpid" || rc=$?
    [ "$rc" -eq 42 ]
    grep -q got-term "$BATS_TEST_TMPDIR/out"
    assert_no_leftovers "$id" "$b"
}

@test "run --keep leaves the stopped container; run --detach returns once started" {
    id=$(new_id)
    b=$(bundle_for keep true)
    run -0 cryo run --keep --bundle "$b" "$id"
    [ "$(container_status "$id")" = stopped ]
    cryo delete "$id"
    assert_no_leftovers "$id" "$b"

    id2=$(new_id)
    b2=$(bundle_for det sleep 3600)
    run_detached "$id2" "$b2"
    [ "$(container_status "$id2")" = running ]
    run -1 cryo run --detach --keep --bundle "$b2" "$(new_id)"
    [[ "$output" == *"--keep cannot be used with --detach"* ]]
    run -0 cryo delete --force "$id2"
    assert_no_leftovers "$id2" "$b2"
}

@test "delete of a created container kills its init (as runc)" {
    id=$(new_id)
    b=$(bundle_for dc)
    create_detached "$id" "$b"
    pid=$(container_pid "$id")
    run -0 cryo delete "$id"
    ! kill -0 "$pid" 2>/dev/null || [ "$(cut -d' ' -f3 /proc/$pid/stat)" = Z ]
    assert_no_leftovers "$id" "$b"
}

@test "delete --force of a missing container succeeds, plain delete fails (runc)" {
    id=$(new_id)
    run -0 cryo delete --force "$id"
    run -1 cryo delete "$id"
    [ "$output" = "cryo: container \`$id\` does not exist" ]
}

@test "list: table with runc's columns, json, quiet" {
    id=$(new_id)
    b=$(bundle_for l)
    create_detached "$id" "$b"
    pid=$(container_pid "$id")

    run -0 cryo list
    [[ "${lines[0]}" =~ ^ID\ +PID\ +STATUS\ +BUNDLE\ +CREATED\ +OWNER$ ]]
    line=$(grep "^$id " <<<"$output")
    read -r lid lpid lstatus lbundle lcreated lowner <<<"$line"
    [ "$lid" = "$id" ] && [ "$lpid" = "$pid" ] && [ "$lstatus" = created ]
    [ "$lbundle" = "$b" ] && [ "$lowner" = root ]

    run -0 cryo list --format json
    [ "$(jq -r ".[] | select(.id == \"$id\") | .status" <<<"$output")" = created ]
    [ "$(jq -r ".[] | select(.id == \"$id\") | .pid" <<<"$output")" = "$pid" ]

    run -0 cryo list -q
    grep -qx "$id" <<<"$output"

    run -1 cryo list --format yaml
    [[ "$output" == *"invalid format \`yaml\`"* ]]
}

@test "list of an empty root prints the header, json null (runc)" {
    root="$BATS_TEST_TMPDIR/empty-root"
    run -0 "$CRYO_BIN" --root "$root" list
    [ "${#lines[@]}" -eq 1 ]
    run -0 "$CRYO_BIN" --root "$root" list --format json
    [ "$output" = null ]
}

@test "ps: ps -ef filtered to the container, extra ps args, json pids" {
    id=$(new_id)
    b=$(bundle_for ps sh -c 'sleep 3600 & sleep 3601 & wait')
    run_detached "$id" "$b"
    pid=$(container_pid "$id")
    wait_for 10 bash -c "[ \$(\"$CRYO_BIN\" --root \"$CRYO_ROOT\" ps --format json $id | jq length) -eq 3 ]"

    run -0 cryo ps "$id"
    [[ "${lines[0]}" == UID*PID*PPID*CMD ]]
    [ "${#lines[@]}" -eq 4 ]
    grep -q "sleep 3601" <<<"$output"

    run -0 cryo ps "$id" -o pid,comm
    [[ "${lines[0]}" =~ PID\ +COMMAND ]]
    grep -Eq "^ *$pid +sh$" <<<"$output"

    run -0 cryo ps --format json "$id"
    jq -e "index($pid) != null" <<<"$output"
    [ "$(jq length <<<"$output")" -eq 3 ]
}

@test "kill accepts KILL, SIGUSR1, usr1 and numbers; --all reaches every process; 0 checks (runc)" {
    id=$(new_id)
    b=$(bundle_for sig sh -c 'trap "echo x >> /tmp/usr1" USR1; sleep 3600 & sleep 3601 & while :; do sleep 0.1; done')
    run_detached "$id" "$b"
    wait_for 10 bash -c "[ \$(\"$CRYO_BIN\" --root \"$CRYO_ROOT\" ps --format json $id | jq length) -ge 3 ]"

    cryo kill "$id" SIGUSR1
    wait_file_lines "$b/rootfs/tmp/usr1" 1
    cryo kill "$id" usr1
    wait_file_lines "$b/rootfs/tmp/usr1" 2
    cryo kill "$id" 10
    wait_file_lines "$b/rootfs/tmp/usr1" 3
    # signal 0 only checks that init is there (kill(2)); runc accepts it
    run -0 cryo kill "$id" 0
    run -0 cryo kill --all "$id" 0
    [ "$(container_status "$id")" = running ]

    pids=$(cryo ps --format json "$id" | jq -r '.[]')
    run -0 cryo kill --all "$id" KILL
    wait_for_status "$id" stopped
    # after it stopped: init is gone, its empty cgroup is not (runc's kill.bats)
    run -1 cryo kill "$id" 0
    [[ "$output" == *"container not running"* ]]
    run -0 cryo kill --all "$id" 0
    for p in $pids; do
        ! kill -0 "$p" 2>/dev/null || [ "$(cut -d' ' -f3 /proc/$p/stat)" = Z ]
    done
    cryo delete "$id"
    assert_no_leftovers "$id" "$b"
}

@test "--no-pivot and --no-new-keyring still give the bundle's rootfs" {
    id=$(new_id)
    b=$(bundle_for np cat /marker)
    echo "np-$RANDOM" >"$b/rootfs/marker"
    run -0 cryo run --no-pivot --no-new-keyring --bundle "$b" "$id"
    [ "$output" = "$(cat "$b/rootfs/marker")" ]
    assert_no_leftovers "$id" "$b"
}

@test "--no-pivot hides the host's proc and sysfs: no fresh, unmasked proc from a nested user namespace (runc's no_pivot.bats)" {
    id=$(new_id)
    b=$(bundle_for np-proc unshare -mrpf sh -c 'mount -t proc none /proc && echo mounted')
    bundle_edit "$b" '.process.capabilities.bounding += ["CAP_SETFCAP"]
        | .process.capabilities.permitted += ["CAP_SETFCAP"]'
    run cryo run --no-pivot --bundle "$b" "$id"
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" == *"mount: permission denied"* ]]
    [[ "$output" != *mounted* ]]
    # the host keeps its own
    grep -q " /proc proc " /proc/self/mounts
    grep -q " /sys sysfs " /proc/self/mounts
}

@test "--pid-file gets init's pid" {
    id=$(new_id)
    b=$(bundle_for pf)
    create_detached "$id" "$b" --pid-file "$BATS_TEST_TMPDIR/pid"
    [ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$(container_pid "$id")" ]
}

@test "a missing cwd is created inside the rootfs (runc), env and user apply" {
    id=$(new_id)
    b=$(bundle_for cwd sh -c 'pwd; id -u; id -G; echo "home=$HOME foo=$FOO"; umask')
    bundle_edit "$b" '.process.cwd = "/work/dir" | .process.env += ["FOO=bar"]
        | .process.user = {"uid": 65534, "gid": 65534, "additionalGids": [10, 11], "umask": 23}'
    run -0 cryo run --bundle "$b" "$id"
    echo "$output"
    [ "${lines[0]}" = /work/dir ]
    [ "${lines[1]}" = 65534 ]
    [ "${lines[2]}" = "65534 10 11" ]
    [ "${lines[3]}" = "home=/ foo=bar" ]
    [ "${lines[4]}" = 0027 ]
    [ -d "$b/rootfs/work/dir" ]
}

@test "a cwd only the runtime can reach is entered before the user changes (runc's cwd.bats)" {
    id=$(new_id)
    b=$(bundle_for cwdroot sh -c 'pwd; id -u; ls /tmp >/dev/null && echo listed')
    mkdir -p "$b/rootfs/home/nonroot"
    chmod 700 "$b/rootfs/home/nonroot"
    bundle_edit "$b" '.process.cwd = "/home/nonroot" | .process.user = {"uid": 42, "gid": 42}'
    run -0 cryo run --bundle "$b" "$id"
    echo "$output"
    [ "${lines[0]}" = /home/nonroot ]
    [ "${lines[1]}" = 42 ]
    [ "${lines[2]}" = listed ]

    # exec too: a user that cannot reach the cwd of its --cwd still starts there
    id=$(new_id)
    b=$(bundle_for cwdexec)
    mkdir -p "$b/rootfs/home/nonroot"
    chmod 700 "$b/rootfs/home/nonroot"
    run_detached "$id" "$b"
    run -0 cryo exec --user 42:42 --cwd /home/nonroot "$id" pwd
    [ "$output" = /home/nonroot ]
}

@test "hooks: prestart, createRuntime, poststart, poststop on the host; createContainer, startContainer in the container" {
    id=$(new_id)
    b=$(bundle_for hooks sh -c 'cat /tmp/start-hook; sleep 3600')
    log="$BATS_TEST_TMPDIR/hooks"
    host_hook() {
        echo "{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"jq -r '\\\"$1 \\\\(.status) \\\\(.id)\\\"' >> $log\"]}"
    }
    bundle_edit "$b" ".hooks.prestart = [$(host_hook prestart)]
        | .hooks.createRuntime = [$(host_hook createRuntime)]
        | .hooks.poststart = [$(host_hook poststart)]
        | .hooks.poststop = [$(host_hook poststop)]
        | .hooks.createContainer = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\",
            \"readlink /proc/self/ns/mnt > $BATS_TEST_TMPDIR/cc-mntns\"]}]
        | .hooks.startContainer = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\",
            \"echo started-in-container > /tmp/start-hook\"]}]"
    create_detached "$id" "$b"
    pid=$(container_pid "$id")
    [ "$(cat "$log")" = "prestart creating $id
createRuntime creating $id" ]
    # createContainer ran in the container's mount namespace
    [ "$(cat "$BATS_TEST_TMPDIR/cc-mntns")" = "$(readlink /proc/$pid/ns/mnt)" ]
    [ "$(cat "$BATS_TEST_TMPDIR/cc-mntns")" != "$(readlink /proc/self/ns/mnt)" ]
    cryo start "$id"
    grep -qx "poststart running $id" "$log"
    wait_for 10 grep -q started-in-container "$BATS_TEST_TMPDIR/$id.out"
    [ -e "$b/rootfs/tmp/start-hook" ]
    cryo delete --force "$id"
    grep -qx "poststop stopped $id" "$log"
    assert_no_leftovers "$id" "$b"
}

@test "hooks run in runc's cwd: the bundle on the host, the rootfs for createContainer" {
    id=$(new_id)
    b=$(bundle_for hookcwd sh -c 'pwd; sleep 3600')
    log="$BATS_TEST_TMPDIR/hook-cwd"
    cwd_hook() {
        echo "{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"echo $1 \$(pwd) >> $log; touch ./$1-here\"]}"
    }
    bundle_edit "$b" ".hooks.prestart = [$(cwd_hook prestart)]
        | .hooks.createRuntime = [$(cwd_hook createRuntime)]
        | .hooks.createContainer = [$(cwd_hook createContainer)]
        | .hooks.poststart = [$(cwd_hook poststart)]"
    # from a directory that is neither: only what cryo sets counts
    (cd / && create_detached "$id" "$b")
    cryo start "$id"
    wait_for 10 grep -q poststart "$log"
    cat "$log"
    grep -qx "prestart $b" "$log"
    grep -qx "createRuntime $b" "$log"
    grep -qx "createContainer $b/rootfs" "$log"
    grep -qx "poststart $b" "$log"
    [ -e "$b/createRuntime-here" ] && [ -e "$b/rootfs/createContainer-here" ]
}

@test "a failing poststart hook is a warning, the container runs" {
    id=$(new_id)
    b=$(bundle_for ps-hook sleep 3600)
    bundle_edit "$b" '.hooks.poststart = [{"path": "/bin/false"}]'
    create_detached "$id" "$b"
    run -0 cryo start "$id"
    [[ "$output" == *poststart* ]]
    [ "$(container_status "$id")" = running ]
}

@test "--preserve-fds and LISTEN_FDS pass fds 3.. to the process, nothing else leaks" {
    id=$(new_id)
    b=$(bundle_for fds sh -c 'cat <&3; cat <&4; echo "listen=$LISTEN_FDS/$LISTEN_PID"; ls /proc/self/fd | sort -n | tr "\n" " "')
    echo one >"$BATS_TEST_TMPDIR/f3"
    echo two >"$BATS_TEST_TMPDIR/f4"
    run -0 cryo run --preserve-fds 2 --bundle "$b" "$id" 3<"$BATS_TEST_TMPDIR/f3" 4<"$BATS_TEST_TMPDIR/f4"
    echo "$output"
    [ "${lines[0]}" = one ]
    [ "${lines[1]}" = two ]
    [ "${lines[2]}" = "listen=/" ]
    # 0-2, the two fds, and the one ls opened on /proc/self/fd
    [ "${lines[3]}" = "0 1 2 3 4 5 " ]

    id2=$(new_id)
    b2=$(bundle_for listen sh -c 'cat <&3; echo "listen=$LISTEN_FDS/$LISTEN_PID"')
    run -0 bash -c "exec 3<'$BATS_TEST_TMPDIR/f3'; LISTEN_FDS=1 LISTEN_PID=\$\$ exec '$CRYO_BIN' --root '$CRYO_ROOT' run --bundle '$b2' $id2"
    echo "$output"
    [ "${lines[0]}" = one ]
    [ "${lines[1]}" = "listen=1/1" ]
}

@test "a foreground run with a terminal proxies the pty" {
    id=$(new_id)
    b=$(bundle_for tty sh -c 'tty; read line; echo "got:$line"')
    bundle_edit "$b" '.process.terminal = true'
    run -0 bash -c "echo hello | '$CRYO_BIN' --root '$CRYO_ROOT' run --bundle '$b' $id"
    echo "$output"
    [[ "$output" == */dev/pts/0* ]]
    [[ "$output" == *got:hello* ]]
    assert_no_leftovers "$id" "$b"
}

@test "--console-socket receives the pty master (runc's protocol)" {
    id=$(new_id)
    b=$(bundle_for console sh -c 'tty; read line; echo "got:$line"; stty size')
    bundle_edit "$b" '.process.terminal = true | .process.consoleSize = {"height": 33, "width": 101}'
    sock="$BATS_TEST_TMPDIR/console.sock"
    python3 - "$sock" "$BATS_TEST_TMPDIR/console.out" <<'EOF' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(1)
c, _ = s.accept()
name, fds, _, _ = socket.recv_fds(c, 1024, 1)
os.write(fds[0], b"hello\n")
out = b""
while True:
    try:
        chunk = os.read(fds[0], 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
open(sys.argv[2], "wb").write(name + b"\n" + out)
EOF
    track_pid $!
    wait_for 10 test -S "$sock"
    create_detached "$id" "$b" --console-socket "$sock"
    cryo start "$id"
    wait_for 10 grep -q "33 101" "$BATS_TEST_TMPDIR/console.out"
    cat "$BATS_TEST_TMPDIR/console.out"
    head -1 "$BATS_TEST_TMPDIR/console.out" | grep -qx /dev/ptmx
    grep -q /dev/pts/0 "$BATS_TEST_TMPDIR/console.out"
    grep -q got:hello "$BATS_TEST_TMPDIR/console.out"
    wait_for_status "$id" stopped
}

@test "exec failure after start is reported by a foreground run" {
    id=$(new_id)
    b=$(bundle_for sc true)
    bundle_edit "$b" '.hooks.startContainer = [{"path": "/bin/false"}]'
    run -1 cryo run --bundle "$b" "$id"
    [[ "$output" == *"hook startContainer \`/bin/false\` failed"* ]]
    assert_no_leftovers "$id" "$b"
}

@test "features lists what the lifecycle supports" {
    run -0 cryo features
    jq -e '.linux.namespaces | index("user") and index("time") and index("cgroup")' <<<"$output"
    jq -e '.hooks | length == 6' <<<"$output"
    jq -e '.mountOptions | index("rbind") and index("rro")' <<<"$output"
    jq -e '.linux.cgroup.v1 and .linux.cgroup.v2 and (.linux.cgroup.systemd | not)' <<<"$output"
}

# runc runs startContainer hooks last, as the process will run: its user,
# its capabilities and its seccomp filter apply to them (runc's seccomp.bats
# "startContainer hook": a hook's mkdir that the filter refuses fails the run).
@test "hooks: startContainer runs under the process's seccomp filter and user" {
    id=$(new_id)
    b=$(bundle_for schook true)
    bundle_edit "$b" '.process.user = {"uid": 1000, "gid": 1000}
        | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
        | .hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c",
            "id -u > /tmp/hook-uid; mkdir /tmp/hook-dir"]}]'
    chmod 1777 "$b/rootfs/tmp"
    run cryo run -b "$b" "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *"error running hook #0: hook startContainer"* ]]
    [ "$(cat "$b/rootfs/tmp/hook-uid")" = 1000 ]
    [ ! -e "$b/rootfs/tmp/hook-dir" ]
    cryo delete --force "$id" 2>/dev/null || true
}
