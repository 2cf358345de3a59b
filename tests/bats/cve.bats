#!/usr/bin/env bats
# Regression tests that perform the attacks of known container runtime CVEs
# against cryo and check the host is untouched:
#   CVE-2019-5736   overwriting the runtime's binary from inside a container
#   CVE-2024-21626  a host fd leaked into the container, used as its cwd
#   CVE-2021-30465  a symlink in the rootfs redirecting a mount to the host
#
# The runtime attacked is a copy of the binary under test (in the test's
# tmpdir): if a defence fails, only the copy is damaged.

load helpers
load lifecycle-helpers

setup() {
    bin="$BATS_TEST_TMPDIR/cryo"
    cp "$CRYO_BIN" "$bin"
    sum=$(sha256sum <"$bin")
}

teardown() {
    local m
    cryo_teardown
    # mounts a failed symlink defence would have left on the host
    for m in $(awk -v d="$BATS_TEST_TMPDIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
}

# The runtime under attack.
xcryo() {
    "$bin" --root "$CRYO_ROOT" "$@"
}

# start_container NAME: a running container (sleep 3600), writable rootfs;
# sets $id and $b.
start_container() {
    id=$(new_id)
    b=$(bundle_for "$1" sleep 3600)
    run_detached "$id" "$b"
}

# The pid (host) of the container's process that is not init.
other_pid() {
    local init p
    init=$(container_pid "$1")
    for p in $(pids_rooted_at "$2/rootfs"); do
        [ "$p" != "$init" ] && echo "$p"
    done
    return 0
}

# The seals of /proc/PID/exe (F_GET_SEALS), "none" when it cannot have any.
exe_seals() {
    python3 -c '
import fcntl, os, sys
fd = os.open("/proc/%s/exe" % sys.argv[1], os.O_RDONLY)
try:
    print(fcntl.fcntl(fd, 1034))
except OSError:
    print("none")' "$1"
}

@test "CVE-2019-5736: the runtime's process inside the container runs a sealed copy, closed to the container" {
    start_container exe
    # The exec'd process looks its HOME up in /etc/passwd before execve: a
    # fifo there holds it inside the container while the attack runs.
    rm "$b/rootfs/etc/passwd"
    mkfifo "$b/rootfs/etc/passwd"
    xcryo exec "$id" true </dev/null >"$BATS_TEST_TMPDIR/exec.out" 2>&1 &
    runtime=$!
    track_pid "$runtime"
    wait_for 10 test -n "$(other_pid "$id" "$b")"
    pid=$(other_pid "$id" "$b")
    # Seen from the host: its binary is a memfd with every seal, not the file.
    [ "$(readlink "/proc/$pid/exe")" = "/memfd:cryo (deleted)" ]
    [ "$(exe_seals "$pid")" = 15 ]
    # From inside (root, the container's capabilities) it cannot even be opened.
    nspid=$(awk '/^NSpid:/ { print $NF }' "/proc/$pid/status")
    run xcryo exec -e HOME=/ "$id" sh -c "cat /proc/$nspid/exe >/dev/null && echo READ; echo x >/proc/$nspid/exe && echo WROTE"
    echo "$output"
    [[ "$output" != *READ* ]]
    [[ "$output" != *WROTE* ]]
    [[ "$output" == *"Permission denied"* ]]
    echo "root:x:0:0:root:/root:/bin/sh" >"$b/rootfs/etc/passwd"
    wait "$runtime"
    [ "$(sha256sum <"$bin")" = "$sum" ]
}

@test "CVE-2019-5736: a created container's init is a sealed copy too" {
    id=$(new_id)
    b=$(bundle_for created sleep 3600)
    xcryo create --bundle "$b" "$id" </dev/null >/dev/null 2>&1
    pid=$(container_pid "$id")
    [ "$(readlink "/proc/$pid/exe")" = "/memfd:cryo (deleted)" ]
    [ "$(exe_seals "$pid")" = 15 ]
    run python3 -c "
import os
fd = os.open('/proc/$pid/exe', os.O_RDONLY)
os.write(os.open('/proc/self/fd/%d' % fd, os.O_WRONLY), b'pwned')"
    [ "$status" -ne 0 ]
    [ "$(sha256sum <"$bin")" = "$sum" ]
}

@test "CVE-2019-5736: exec through a link to /proc/self/exe, hold it, write it once it exits: refused" {
    start_container link
    # The runtime's libraries, so that its binary can run inside the container.
    for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
        mkdir -p "$b/rootfs$(dirname "$lib")"
        cp -L "$lib" "$b/rootfs$lib"
    done
    ln -s /proc/self/exe "$b/rootfs/bin/evil"
    mkfifo "$b/rootfs/tmp/hold"
    # The exec'd command is the runtime itself; it blocks opening its log (a
    # fifo) while another process of the container grabs its binary.
    xcryo exec "$id" /bin/evil --log /tmp/hold state nothing </dev/null >/dev/null 2>&1 &
    runtime=$!
    track_pid "$runtime"
    wait_for 10 bash -c "grep -qa /bin/evil /proc/[0-9]*/cmdline 2>/dev/null"
    wait_for 10 test -n "$(other_pid "$id" "$b")"
    pid=$(other_pid "$id" "$b")
    grep -qa /bin/evil "/proc/$pid/cmdline"
    nspid=$(awk '/^NSpid:/ { print $NF }' "/proc/$pid/status")
    # The attacker: keep the binary open, and once nothing runs it any more,
    # write through that fd (retried while the kernel says it is busy).
    xcryo exec -d -e HOME=/ "$id" sh -c "exec 3</proc/$nspid/exe || exit 1; touch /tmp/holding
        while [ -e /proc/$nspid ]; do sleep 0.1; done
        i=0; while [ \$i -lt 50 ]; do
            if printf pwned | dd of=/proc/self/fd/3 conv=notrunc 2>/dev/null; then echo WROTE >/tmp/result; exit 0; fi
            i=\$((i + 1)); sleep 0.1
        done; echo FAILED >/tmp/result" </dev/null >/dev/null 2>&1
    wait_for 10 test -e "$b/rootfs/tmp/holding"
    cat "$b/rootfs/tmp/hold" >/dev/null
    wait "$runtime" || true
    wait_for 20 test -s "$b/rootfs/tmp/result"
    [ "$(cat "$b/rootfs/tmp/result")" = FAILED ]
    [ "$(sha256sum <"$bin")" = "$sum" ]
}

@test "CVE-2024-21626: a leaked host directory fd as process.cwd does not give the host to create/run" {
    mkdir "$BATS_TEST_TMPDIR/host"
    echo host-secret >"$BATS_TEST_TMPDIR/host/secret"
    id=$(new_id)
    b=$(bundle_for cwd sh -c 'cat secret; ls /proc/self/fd')
    bundle_edit "$b" '.process.cwd = "/proc/self/fd/7"'
    echo three >"$BATS_TEST_TMPDIR/f3"
    run bash -c "exec 3<'$BATS_TEST_TMPDIR/f3' 7<'$BATS_TEST_TMPDIR/host'; \
        '$bin' --root '$CRYO_ROOT' run --preserve-fds 1 --bundle '$b' $id"
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" != *host-secret* ]]
    [[ "$output" == *'process.cwd: `/proc/self/fd/7` is outside the container'* ]]
    assert_no_leftovers "$id" "$b"

    # the same fd without the cwd trick: closed before the process runs
    id2=$(new_id)
    b2=$(bundle_for fd sh -c 'cat /proc/self/fd/7/secret || echo no-fd-7')
    run bash -c "exec 7<'$BATS_TEST_TMPDIR/host'; '$bin' --root '$CRYO_ROOT' run --bundle '$b2' $id2"
    echo "$output"
    [[ "$output" != *host-secret* ]]
    [[ "$output" == *no-fd-7* ]]
}

@test "CVE-2024-21626: a leaked host directory fd as --cwd does not give the host to exec" {
    mkdir "$BATS_TEST_TMPDIR/host"
    echo host-secret >"$BATS_TEST_TMPDIR/host/secret"
    start_container exec-cwd
    run bash -c "exec 7<'$BATS_TEST_TMPDIR/host'; '$bin' --root '$CRYO_ROOT' exec --cwd /proc/self/fd/7 $id cat secret"
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" != *host-secret* ]]
    [[ "$output" == *'process.cwd: `/proc/self/fd/7` is outside the container'* ]]
    p="$BATS_TEST_TMPDIR/process.json"
    echo '{"args": ["cat", "secret"], "cwd": "/proc/self/fd/7"}' >"$p"
    run bash -c "exec 7<'$BATS_TEST_TMPDIR/host'; '$bin' --root '$CRYO_ROOT' exec --process '$p' $id"
    [ "$status" -ne 0 ]
    [[ "$output" != *host-secret* ]]
    run bash -c "exec 7<'$BATS_TEST_TMPDIR/host'; '$bin' --root '$CRYO_ROOT' exec $id sh -c 'cat /proc/self/fd/7/secret || echo no-fd-7'"
    [[ "$output" != *host-secret* ]]
    [[ "$output" == *no-fd-7* ]]
}

@test "CVE-2021-30465: symlinks in the rootfs cannot redirect mount destinations to the host" {
    host="$BATS_TEST_TMPDIR/host"
    mkdir "$host"
    # A shared mount: a mount the container made on it would show on the host.
    mount -t tmpfs cryo-test "$host"
    mount --make-shared "$host"
    id=$(new_id)
    b=$(bundle_for links sh -c "grep -c ' $host/made ' /proc/self/mountinfo")
    ln -s "$host" "$b/rootfs/evil-abs"
    ln -s "../../../../../../../../../../..$host" "$b/rootfs/evil-rel"
    bundle_edit "$b" '.linux.rootfsPropagation = "shared"
        | .mounts += [{"destination": "/evil-abs/made", "type": "tmpfs", "source": "tmpfs"},
                      {"destination": "/evil-rel/made", "type": "tmpfs", "source": "tmpfs"}]'
    run xcryo run --bundle "$b" "$id"
    echo "$output"
    # The mounts are inside the rootfs, where the links point from its root.
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 2 ]
    [ -d "$b/rootfs$host/made" ]
    # and the host is untouched: nothing made, nothing mounted
    [ -z "$(ls -A "$host")" ]
    ! awk -v d="$host/" 'index($5, d) == 1' /proc/self/mountinfo | grep -q .
}
