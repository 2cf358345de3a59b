#!/usr/bin/env bats
# containerd drives cryo through its runc shim (io.containerd.runc.v2 with
# BinaryName = cryo): ctr run, task exec/kill/pause/resume/ps, exit codes,
# the console socket, and create errors read back from cryo's JSON log.
#
# The file starts its own containerd (own root, state, sockets and config
# under the file's tmpdir; CRI disabled) and imports a busybox image built
# offline by mkimage.sh.  teardown_file kills every task, stops containerd
# and its shims, and removes mounts, cgroups and directories it made, also
# after a failure.

load helpers

bats_require_minimum_version 1.5.0

IMAGE=localhost/cryo-test-busybox:latest
NS=cryo-test

c() {
    timeout 120 ctr --address "$CTD_DIR/containerd.sock" --namespace "$NS" "$@"
}

# ctr run with the shim pointed at the binary under test.
crun_() {
    c run --runtime io.containerd.runc.v2 --runc-binary "$CRYO_BIN" --runc-root "$CTD_DIR/cryo" \
        --fifo-dir "$CTD_DIR/fifo" "$@"
}

setup_file() {
    local bin
    for bin in containerd ctr containerd-shim-runc-v2; do
        command -v "$bin" >/dev/null || skip "$bin is not installed"
    done
    export CTD_DIR="$BATS_FILE_TMPDIR/ctd"
    mkdir -p "$CTD_DIR/fifo"
    # containerd puts shim sockets under /run/containerd/s whatever its
    # state dir: remove that again at the end if we made it.
    [ -d /run/containerd ] && export CTD_HAD_RUN=1
    # ctr's default cgroupsPath is /<namespace>/<id>.
    [ -d "/sys/fs/cgroup/pids/$NS" ] && export CTD_HAD_CGROUP=1
    cat >"$CTD_DIR/config.toml" <<EOF
version = 2
root = "$CTD_DIR/root"
state = "$CTD_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.tracing.processor.v1.otlp",
                    "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
                    "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$CTD_DIR/containerd.sock"
[ttrpc]
  address = "$CTD_DIR/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$CTD_DIR/opt"
EOF
    containerd --config "$CTD_DIR/config.toml" --log-level debug >"$CTD_DIR/containerd.log" 2>&1 &
    echo $! >"$CTD_DIR/containerd.pid"
    wait_for 30 c version >/dev/null 2>&1 || {
        tail -20 "$CTD_DIR/containerd.log" >&2
        return 1
    }
    make_rootfs "$CTD_DIR/rootfs"
    "$CRYO_TOP/tests/bats/mkimage.sh" "$CTD_DIR/rootfs" "$CTD_DIR/image.tar" "$IMAGE"
    c image import "$CTD_DIR/image.tar" >/dev/null
}

teardown_file() {
    [ -n "${CTD_DIR:-}" ] || return 0
    local id pid f mnt
    if [ -f "$CTD_DIR/containerd.pid" ]; then
        for id in $(c task ls -q 2>/dev/null); do
            c task kill -s SIGKILL "$id" >/dev/null 2>&1 || true
            wait_for 10 bash -c "! ctr --address '$CTD_DIR/containerd.sock' -n $NS task ls | grep -q '^$id .*RUNNING'" || true
            c task rm -f "$id" >/dev/null 2>&1 || true
        done
        for id in $(c container ls -q 2>/dev/null); do
            c container rm "$id" >/dev/null 2>&1 || true
        done
        pid=$(cat "$CTD_DIR/containerd.pid")
        kill "$pid" 2>/dev/null || true
        wait_for 10 bash -c "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null || true
    fi
    # Shims that outlived their task (a failed test) and what they ran.
    for f in "$CTD_DIR"/state/io.containerd.runtime.v2.task/*/*/shim.pid; do
        [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true
    done
    for id in $("$CRYO_BIN" --root "$CTD_DIR/cryo/$NS" list -q 2>/dev/null); do
        "$CRYO_BIN" --root "$CTD_DIR/cryo/$NS" delete --force "$id" >/dev/null 2>&1 || true
    done
    for mnt in $(awk -v d="$CTD_DIR" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
        umount -l "$mnt" 2>/dev/null || true
    done
    [ -n "${CTD_HAD_CGROUP:-}" ] || rmdir /sys/fs/cgroup/*/"$NS" 2>/dev/null || true
    if [ -z "${CTD_HAD_RUN:-}" ]; then
        rmdir /run/containerd/s /run/containerd/fifo /run/containerd 2>/dev/null || true
    fi
    rm -rf "$CTD_DIR"
}

# Each test removes its own containers; this catches those of a failed test
# so that the next test starts from none.
teardown() {
    local id
    for id in $(c container ls -q 2>/dev/null); do
        ctd_remove "$id" >/dev/null 2>&1 || true
    done
    cryo_teardown
}

# The STATUS column of `ctr task ls` for ID.
task_status() {
    c task ls | awk -v id="$1" '$1 == id { print $3 }'
}

task_pid() {
    c task ls | awk -v id="$1" '$1 == id { print $2 }'
}

cryo_ctd() {
    "$CRYO_BIN" --root "$CTD_DIR/cryo/$NS" "$@"
}

# Kill, delete and remove container ID (a test's own cleanup on success).
ctd_remove() {
    c task kill -s SIGKILL "$1" >/dev/null 2>&1 || true
    wait_for 10 bash -c "[ \"\$(ctr --address '$CTD_DIR/containerd.sock' -n $NS task ls | awk '\$1 == \"$1\" { print \$3 }')\" != RUNNING ]"
    c task rm "$1" >/dev/null 2>&1 || true
    c container rm "$1"
}

@test "containerd loads contrib/containerd/config.toml: the cryo runtime handler" {
    # The running daemon has CRI disabled: dump a config that keeps it.
    printf 'version = 2\nimports = ["%s"]\n' "$CRYO_TOP/contrib/containerd/config.toml" >"$CTD_DIR/cri.toml"
    run -0 containerd --config "$CTD_DIR/cri.toml" config dump
    [[ "$output" == *'runtimes.cryo.options]'* ]]
    [[ "$output" == *'BinaryName = "/usr/local/bin/cryo"'* ]]
}

@test "ctr run: the container runs to completion and ctr returns its exit code" {
    run -0 crun_ --rm "$IMAGE" run1 echo hello from cryo
    [ "$output" = "hello from cryo" ]
    run -3 crun_ --rm "$IMAGE" run2 sh -c 'echo out; echo err >&2; exit 3'
    [[ "$output" == *out* ]]
    [[ "$output" == *err* ]]
    # --rm removed the containers, and cryo holds no state for them.
    [ -z "$(c container ls -q)" ]
    [ -z "$(cryo_ctd list -q)" ]
}

@test "ctr run -d: cryo runs the task; ctr task ps and kill work" {
    crun_ -d "$IMAGE" task1 sh -c 'trap "exit 9" TERM; sleep 600 & wait'
    [ "$(task_status task1)" = RUNNING ]
    pid=$(task_pid task1)
    run -0 cryo_ctd state task1
    [ "$(jq -r .status <<<"$output")" = running ]
    [ "$(jq -r .pid <<<"$output")" = "$pid" ]
    # task ps: runc ps --format json, pids of the container's cgroup.
    wait_for 10 bash -c "[ \$(ctr --address '$CTD_DIR/containerd.sock' -n $NS task ps task1 | wc -l) -ge 3 ]"
    run -0 c task ps task1
    [[ "$output" == *"$pid"* ]]
    c task kill task1
    wait_for 10 bash -c "[ \"\$(ctr --address '$CTD_DIR/containerd.sock' -n $NS task ls | awk '\$1 == \"task1\" { print \$3 }')\" = STOPPED ]"
    run -0 --separate-stderr c task rm task1
    [[ "$stderr" == *"exit code 9"* ]]
    c container rm task1
    run -1 cryo_ctd state task1
}

@test "ctr task kill -s SIGKILL: the exit status is 137" {
    crun_ -d "$IMAGE" kill1 sleep 600
    c task kill -s SIGKILL kill1
    wait_for 10 bash -c "[ \"\$(ctr --address '$CTD_DIR/containerd.sock' -n $NS task ls | awk '\$1 == \"kill1\" { print \$3 }')\" = STOPPED ]"
    run -0 --separate-stderr c task rm kill1
    [[ "$stderr" == *"exit code 137"* ]]
    c container rm kill1
}

@test "ctr task pause and resume freeze and thaw the task" {
    crun_ -d "$IMAGE" pause1 sh -c 'while :; do date +%s%N > /tmp/tick; usleep 20000; done'
    pid=$(task_pid pause1)
    wait_for 10 test -s "/proc/$pid/root/tmp/tick"
    c task pause pause1
    [ "$(task_status pause1)" = PAUSED ]
    [ "$(cryo_ctd state pause1 | jq -r .status)" = paused ]
    a=$(cat "/proc/$pid/root/tmp/tick")
    sleep 0.3
    [ "$(cat "/proc/$pid/root/tmp/tick")" = "$a" ]
    c task resume pause1
    [ "$(task_status pause1)" = RUNNING ]
    [ "$(cryo_ctd state pause1 | jq -r .status)" = running ]
    wait_for 10 bash -c "[ \"\$(cat /proc/$pid/root/tmp/tick)\" != '$a' ]"
    ctd_remove pause1
}

@test "ctr task exec runs a process in the task and returns its exit code" {
    "$CRYO_BIN" exec --help >/dev/null 2>&1 || skip "cryo exec is not there yet"
    crun_ -d "$IMAGE" exec1 sleep 600
    run -0 c task exec --fifo-dir "$CTD_DIR/fifo" --exec-id e1 exec1 sh -c 'cat /proc/1/cmdline | tr "\0" " "'
    [ "$output" = "sleep 600 " ]
    run -4 c task exec --fifo-dir "$CTD_DIR/fifo" --exec-id e2 exec1 sh -c 'exit 4'
    run -0 c task exec --fifo-dir "$CTD_DIR/fifo" --exec-id e3 --cwd /tmp --user 65534 exec1 sh -c 'echo $(id -u) $PWD'
    [ "$output" = "65534 /tmp" ]
    # A terminal: the shim passes --console-socket, process.terminal is set.
    # (timeout --foreground: in its own process group ctr would be stopped
    # by SIGTTOU when it puts script's terminal in raw mode.)
    if command -v script >/dev/null; then
        run -0 script -qec "timeout --foreground 60 ctr --address '$CTD_DIR/containerd.sock' -n $NS task exec -t \
            --fifo-dir '$CTD_DIR/fifo' --exec-id e5 exec1 tty" /dev/null
        [[ "$output" == *"/dev/pts/"* ]]
    fi
    # A detached exec keeps running; it is one of the task's processes.
    c task exec --fifo-dir "$CTD_DIR/fifo" -d --exec-id e4 exec1 sleep 601
    wait_for 10 bash -c "ctr --address '$CTD_DIR/containerd.sock' -n $NS task ps exec1 | tail -n +2 | wc -l | grep -qx 2"
    ctd_remove exec1
}

@test "ctr run -t: the shim gets the pty from cryo's --console-socket" {
    command -v script >/dev/null || skip "script (util-linux) is not installed"
    run -6 script -qec "timeout --foreground 60 ctr --address '$CTD_DIR/containerd.sock' -n $NS run -t --rm \
        --runc-binary '$CRYO_BIN' --runc-root '$CTD_DIR/cryo' --fifo-dir '$CTD_DIR/fifo' \
        $IMAGE tty1 sh -c 'tty; exit 6'" /dev/null
    [[ "$output" == *"/dev/pts/"* ]]
}

@test "ctr run: a failed create reports cryo's error from the JSON log" {
    run -1 crun_ --rm "$IMAGE" bad1 /no/such/program
    [[ "$output" == *"OCI runtime create failed"* ]]
    [[ "$output" == *"/no/such/program"* ]]
    c container rm bad1 2>/dev/null || true
    [ -z "$(cryo_ctd list -q)" ]
}
