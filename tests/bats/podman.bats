#!/usr/bin/env bats
# podman drives cryo: run, exec, ps, top, stop, kill, rm, pause, unpause and
# the console socket, through podman's own runtime calls (conmon -> cryo).
#
# podman runs with the private set-up of podman-helpers.bash (its own
# containers.conf and storage.conf under the file's tmpdir), so nothing
# outside that directory is touched.

load helpers
load podman-helpers

setup_file() {
    podman_setup_file
}

teardown_file() {
    podman_teardown_file
}

teardown() {
    podman_teardown
}

# The full id of container NAME.
cid() {
    pm inspect --format '{{.Id}}' "$1"
}

pod_status() {
    pm inspect --format '{{.State.Status}}' "$1"
}

cryo_status_of() {
    "$CRYO_BIN" state "$(cid "$1")" | jq -r .status
}

@test "podman run: output and exit code come from the container, --rm leaves nothing in cryo" {
    run -0 pm run --rm "$IMAGE" echo hello from cryo
    [ "$output" = "hello from cryo" ]
    run -7 pm run --rm "$IMAGE" sh -c 'exit 7'
    [ -z "$(pm ps -aq)" ]
}

@test "podman run uses cryo: state, pid and config match what podman reports" {
    pm run -d --name state1 "$IMAGE" sleep 600
    id=$(cid state1)
    run -0 "$CRYO_BIN" state "$id"
    [ "$(jq -r .status <<<"$output")" = running ]
    [ "$(jq -r .pid <<<"$output")" = "$(pm inspect --format '{{.State.Pid}}' state1)" ]
    # The container's init really is the process podman asked for.
    pid=$(jq -r .pid <<<"$output")
    [ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "sleep 600 " ]
    # It runs in its own pid namespace, as pid 1 there.
    [ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]
    pm rm -f -t 0 state1
    run -1 "$CRYO_BIN" state "$id"
    [[ "$output" == *"does not exist"* ]]
}

@test "podman ps and top list the container's processes" {
    pm run -d --name top1 "$IMAGE" sh -c 'sleep 600 & exec sleep 601'
    run -0 pm ps --format '{{.Names}} {{.Status}}'
    [[ "$output" == *"top1 Up"* ]]
    wait_for 10 bash -c "podman top top1 args | grep -q 'sleep 600'"
    run -0 pm top top1 pid args
    [[ "$output" == *"sleep 601"* ]]
    [[ "$output" == *"sleep 600"* ]]
    pm rm -f -t 0 top1
}

@test "podman pause and unpause freeze and thaw the container" {
    pm run -d --name pause1 "$IMAGE" sh -c 'while :; do date +%s%N > /tmp/tick; usleep 20000; done'
    pid=$(pm inspect --format '{{.State.Pid}}' pause1)
    wait_for 10 test -s "/proc/$pid/root/tmp/tick"
    pm pause pause1
    [ "$(pod_status pause1)" = paused ]
    [ "$(cryo_status_of pause1)" = paused ]
    [ "$(awk '{ print $3 }' "/proc/$pid/stat")" != R ]
    a=$(cat "/proc/$pid/root/tmp/tick")
    sleep 0.3
    [ "$(cat "/proc/$pid/root/tmp/tick")" = "$a" ]
    pm unpause pause1
    [ "$(pod_status pause1)" = running ]
    [ "$(cryo_status_of pause1)" = running ]
    wait_for 10 bash -c "[ \"\$(cat /proc/$pid/root/tmp/tick)\" != '$a' ]"
    pm rm -f -t 0 pause1
}

@test "podman stop delivers SIGTERM to the container's init" {
    # A shell as pid 1 has no default SIGTERM action: trap it and exit 42.
    pm run -d --name stop1 "$IMAGE" sh -c 'trap "exit 42" TERM; while :; do usleep 20000; done'
    [ "$(cryo_status_of stop1)" = running ]
    pm stop -t 30 stop1
    [ "$(pod_status stop1)" = exited ]
    [ "$(pm inspect --format '{{.State.ExitCode}}' stop1)" = 42 ]
    pm rm stop1
}

@test "podman kill sends the signal given, and rm -f removes a running container" {
    pm run -d --name kill1 "$IMAGE" sh -c 'trap "exit 3" USR1; while :; do usleep 20000; done'
    id=$(cid kill1)
    pm kill -s USR1 kill1
    pm wait kill1
    [ "$(pm inspect --format '{{.State.ExitCode}}' kill1)" = 3 ]
    pm rm kill1
    run -1 "$CRYO_BIN" state "$id"

    # Killed by a signal: podman reports 128+N, as with runc.
    pm run -d --name kill2 "$IMAGE" sleep 600
    pm kill -s KILL kill2
    pm wait kill2
    [ "$(pm inspect --format '{{.State.ExitCode}}' kill2)" = 137 ]
    pm rm kill2

    pm run -d --name kill3 "$IMAGE" sleep 600
    id=$(cid kill3)
    pid=$(pm inspect --format '{{.State.Pid}}' kill3)
    pm rm -f -t 0 kill3
    run -1 "$CRYO_BIN" state "$id"
    ! kill -0 "$pid" 2>/dev/null
}

@test "podman exec runs a process in the container and returns its exit code" {
    "$CRYO_BIN" exec --help >/dev/null 2>&1 || skip "cryo exec is not there yet"
    pm run -d --name exec1 "$IMAGE" sleep 600
    run -0 pm exec exec1 sh -c 'echo in $(hostname); cat /proc/1/cmdline | tr "\0" " "'
    [[ "$output" == *"sleep 600"* ]]
    run -5 pm exec exec1 sh -c 'exit 5'
    run -0 pm exec -w /tmp -e FOO=bar exec1 sh -c 'echo $PWD $FOO'
    [ "$output" = "/tmp bar" ]
    run -0 pm exec --user 65534:65534 exec1 id -u
    [ "$output" = 65534 ]
    pm rm -f -t 0 exec1
}

@test "podman exec -t: conmon's --process with --tty and --console-socket" {
    "$CRYO_BIN" exec --help >/dev/null 2>&1 || skip "cryo exec is not there yet"
    pm run -d --name exectty1 "$IMAGE" sleep 600
    run -0 pm exec -t exectty1 tty
    [[ "$output" == /dev/pts/* ]]
    run -3 pm exec -t exectty1 sh -c 'exit 3'
    pm rm -f -t 0 exectty1
}

@test "podman run -t: the pty comes back through --console-socket" {
    run -0 pm run --rm -t "$IMAGE" sh -c 'tty; stty size'
    [[ "${lines[0]}" == /dev/pts/* ]]
}

@test "podman reports a missing executable as not found (127), with cryo's message" {
    run -127 pm run --rm "$IMAGE" /no/such/program
    [[ "$output" == *"/no/such/program"* ]]
    [ -z "$(pm ps -aq)" ]
}

@test "podman run --tmpfs: the tmpfs starts with the image's files (tmpcopyup), the image is untouched" {
    run -0 pm run --name copyup1 --tmpfs /etc "$IMAGE" sh -c \
        'grep " /etc " /proc/self/mountinfo; stat -c "%a %u" /etc/passwd; grep -c . /etc/passwd; echo new >/etc/new; echo more >>/etc/passwd'
    echo "$output"
    [[ "${lines[0]}" == *" /etc "*" - tmpfs "* ]]
    [ "${lines[1]}" = "644 0" ]
    [ "${lines[2]}" = 2 ]
    # the container's rootfs, below its tmpfs, is as the image made it
    mnt=$(pm mount copyup1)
    [ ! -e "$mnt/etc/new" ]
    [ "$(grep -c . "$mnt/etc/passwd")" = 2 ]
    pm umount copyup1
    pm rm copyup1
}

@test "podman run --read-only: / read-only, /tmp /run /var/tmp writable tmpfs (tmpcopyup)" {
    run -1 pm run --rm --read-only "$IMAGE" sh -c \
        'touch /tmp/a /run/b /var/tmp/c && stat -c %a /tmp && grep -c " /tmp .* - tmpfs " /proc/self/mountinfo; touch /x'
    echo "$output"
    [ "${lines[0]}" = 1777 ]
    [ "${lines[1]}" = 1 ]
    [[ "${lines[2]}" == *"/x"*"Read-only file system"* ]]
}

@test "podman run --privileged: the host's devices, cgroups writable" {
    [ -c /dev/kmsg ] || skip "the host has no /dev/kmsg"
    run -0 pm run --rm --privileged "$IMAGE" true
    run -0 pm run --rm --privileged "$IMAGE" sh -c \
        'test -c /dev/kmsg && echo kmsg; grep " /sys/fs/cgroup/memory " /proc/self/mountinfo'
    echo "$output"
    [ "${lines[0]}" = kmsg ]
    [[ "${lines[1]}" == *" /sys/fs/cgroup/memory rw,"* ]]
}

@test "podman run without a cgroup namespace: the container's own cgroups and memory limit" {
    [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ] || skip "no cgroup v1 memory controller"
    run -0 pm run --rm --cgroupns=host -m 64m "$IMAGE" sh -c \
        'cat /sys/fs/cgroup/memory/memory.limit_in_bytes; grep ":memory:" /proc/self/cgroup; grep " /sys/fs/cgroup/memory " /proc/self/mountinfo; ls /sys/fs/cgroup/memory'
    echo "$output"
    [ "${lines[0]}" = 67108864 ]
    # the mount's root is the container's cgroup; the host's root is not visible
    own=${lines[1]#*:memory:}
    [[ "$own" == /libpod_parent/libpod-* ]]
    [[ "${lines[2]}" == *" $own /sys/fs/cgroup/memory ro,"* ]]
    ! grep -qx libpod_parent <<<"$output"
}

@test "podman run --uidmap: a user namespace without a cgroup namespace (cgroups bound, not mounted)" {
    run -0 pm run --rm --uidmap 0:100000:65536 "$IMAGE" sh -c \
        'cat /proc/self/uid_map; grep " /sys/fs/cgroup/pids " /proc/self/mountinfo; id -u'
    echo "$output"
    [[ "${lines[0]}" =~ ^\ +0\ +100000\ +65536$ ]]
    [[ "${lines[1]}" == *" /libpod_parent/libpod-"*" /sys/fs/cgroup/pids ro,"* ]]
    [ "${lines[2]}" = 0 ]
}
