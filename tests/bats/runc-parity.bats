#!/usr/bin/env bats
# Bundles and command sequences that runc 1.1.5 runs, which cryo must run the
# same way (issue 10): each test says what runc does with them.

load helpers

bats_require_minimum_version 1.5.0

teardown() {
    cryo_teardown
    # The cgroups a test made (and froze) itself.
    local dir
    if [ -f "$BATS_TEST_TMPDIR/.cgdirs" ]; then
        while read -r dir; do
            echo THAWED >"$dir/freezer.state" 2>/dev/null || echo 0 >"$dir/cgroup.freeze" 2>/dev/null || true
            rmdir "$dir" 2>/dev/null || true
        done <"$BATS_TEST_TMPDIR/.cgdirs"
    fi
}

# frozen_cgroup DIR FILE VALUE: make the cgroup DIR (removed by teardown) and freeze it.
frozen_cgroup() {
    mkdir "$1"
    echo "$1" >>"$BATS_TEST_TMPDIR/.cgdirs"
    echo "$3" >"$1/$2"
}

# assert_frozen_refused DIR: create and run of a bundle in the cgroup DIR
# (frozen) fail at once, as runc's do, and leave DIR as it was.
assert_frozen_refused() {
    local dir=$1 id
    for cmd in run create; do
        id=$(new_id)
        run -1 timeout 20 "$CRYO_BIN" --root "$CRYO_ROOT" "$cmd" -b "$bundle" "$id"
        [[ "$output" == *"container's cgroup unexpectedly frozen: \`$dir\`"* ]]
        [ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
        run -1 cryo state "$id"
        [ -d "$dir" ]
    done
}

@test "capabilities: runc spec's own config runs, ambient capabilities not inheritable are left out" {
    command -v runc >/dev/null || skip "runc is not installed"
    bundle="$BATS_TEST_TMPDIR/bundle"
    mkdir -p "$bundle"
    make_rootfs "$bundle/rootfs"
    (cd "$bundle" && runc spec)
    # runc's config: ambient AUDIT_WRITE, KILL, NET_BIND_SERVICE and no inheritable set.
    jq -e '.process.capabilities.ambient | length == 3' "$bundle/config.json" >/dev/null
    jq -e '.process.capabilities | has("inheritable") | not' "$bundle/config.json" >/dev/null
    bundle_edit "$bundle" '.process.terminal = false | .process.args = ["cat", "/proc/self/status"]'
    id=$(new_id)
    run -0 cryo run -b "$bundle" "$id"
    # AUDIT_WRITE is bit 29, KILL bit 5, NET_BIND_SERVICE bit 10: what runc gives.
    [ "$(status_field CapBnd)" = 0000000020000420 ]
    [ "$(status_field CapPrm)" = 0000000020000420 ]
    [ "$(status_field CapEff)" = 0000000020000420 ]
    [ "$(status_field CapInh)" = 0000000000000000 ]
    [ "$(status_field CapAmb)" = 0000000000000000 ]
}

@test "capabilities: an ambient capability also inheritable is raised, the others are left out" {
    bundle="$BATS_TEST_TMPDIR/bundle"
    make_bundle "$bundle" cat /proc/self/status
    bundle_edit "$bundle" '.process.capabilities = {
        "bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "inheritable": ["CAP_NET_BIND_SERVICE"],
        "ambient": ["CAP_KILL", "CAP_NET_BIND_SERVICE"]}'
    id=$(new_id)
    run -0 cryo run -b "$bundle" "$id"
    [ "$(status_field CapInh)" = 0000000000000400 ]
    [ "$(status_field CapAmb)" = 0000000000000400 ]
}

# readlink of fd FD of the container's init.
init_fd() {
    readlink "/proc/$(container_pid "$1")/fd/$2"
}

@test "restore: a container run on /dev/null restores with stderr on a file (runc's sequence)" {
    requires_criu
    load lifecycle-helpers
    id=$(new_id)
    b=$(bundle_for nul sh -c 'while true; do echo out; echo err >&2; sleep 0.1; done')
    cd "$BATS_TEST_TMPDIR"
    cryo run -d -b "$b" "$id" </dev/null >/dev/null 2>&1
    cryo checkpoint --image-path img --work-path work "$id"
    # gone, as with runc: the id is free for the restore
    ! cryo state "$id" 2>/dev/null
    cryo restore -d --image-path img --work-path work2 -b "$b" "$id" </dev/null >/dev/null 2>restore.log || {
        cat restore.log
        false
    }
    [ "$(container_status "$id")" = running ]
    # What runc gives: the container's stdio is /dev/null again, whatever restore holds.
    for fd in 0 1 2; do
        [ "$(init_fd "$id" $fd)" = /dev/null ]
    done
    sleep 0.3
    [ ! -s restore.log ]
}

@test "restore: stdio of other kinds than at the checkpoint: devices reopened, a log file reopened where it was" {
    requires_criu
    load lifecycle-helpers
    id=$(new_id)
    b=$(bundle_for mixed sh -c 'while true; do echo out; echo err >&2; sleep 0.1; done')
    cd "$BATS_TEST_TMPDIR"
    echo input >in.txt
    cryo run -d -b "$b" "$id" </dev/zero >"$BATS_TEST_TMPDIR/run.out" 2>/dev/null
    wait_for 10 test -s run.out
    cryo checkpoint --image-path img --work-path work "$id"
    # Restore's stdin a regular file, stdout a pipe, stderr a regular file: all
    # three of other kinds than the checkpointed /dev/zero, run.out, /dev/null.
    : >run.out
    cryo restore -d --image-path img --work-path work2 -b "$b" "$id" \
        <in.txt 2>restore.err > >(cat >pipe.out) || {
        cat restore.err
        false
    }
    [ "$(container_status "$id")" = running ]
    [ "$(init_fd "$id" 0)" = /dev/zero ]
    [ "$(init_fd "$id" 1)" = "$BATS_TEST_TMPDIR/run.out" ]
    [ "$(init_fd "$id" 2)" = /dev/null ]
    wait_for 10 grep -q out run.out
    [ ! -s restore.err ]
}

@test "restore: restore's own stdio files of the checkpointed kinds are used" {
    requires_criu
    load lifecycle-helpers
    id=$(new_id)
    b=$(bundle_for same sh -c 'while true; do echo out; echo err >&2; sleep 0.1; done')
    cd "$BATS_TEST_TMPDIR"
    cryo run -d -b "$b" "$id" </dev/null >run.out 2>run.err
    cryo checkpoint --image-path img --work-path work "$id"
    cryo restore -d --image-path img --work-path work2 -b "$b" "$id" </dev/null >new.out 2>new.err
    [ "$(init_fd "$id" 1)" = "$BATS_TEST_TMPDIR/new.out" ]
    [ "$(init_fd "$id" 2)" = "$BATS_TEST_TMPDIR/new.err" ]
    wait_for 10 grep -q err new.err
}

@test "cgroup: a pre-frozen v1 freezer cgroup is refused by run and create" {
    [ -d /sys/fs/cgroup/freezer ] || skip "no v1 freezer"
    bundle="$BATS_TEST_TMPDIR/bundle"
    make_bundle "$bundle" true
    name="cryo-frozen-$$-$RANDOM"
    bundle_edit "$bundle" ".linux.cgroupsPath = \"/$name\""
    frozen_cgroup "/sys/fs/cgroup/freezer/$name" freezer.state FROZEN
    assert_frozen_refused "/sys/fs/cgroup/freezer/$name"
    [ "$(cat "/sys/fs/cgroup/freezer/$name/freezer.state")" = FROZEN ]
    # What cryo made in the other hierarchies is gone again.
    [ ! -e "/sys/fs/cgroup/memory/$name" ]
}

@test "cgroup: a pre-frozen cgroup2 cgroup (cgroup.freeze 1) is refused by run and create" {
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
        base=/sys/fs/cgroup
    elif [ -f /sys/fs/cgroup/unified/cgroup.controllers ]; then
        base=/sys/fs/cgroup/unified
    else
        skip "no cgroup2 hierarchy"
    fi
    bundle="$BATS_TEST_TMPDIR/bundle"
    make_bundle "$bundle" true
    name="cryo-frozen-$$-$RANDOM"
    bundle_edit "$bundle" ".linux.cgroupsPath = \"/$name\""
    frozen_cgroup "$base/$name" cgroup.freeze 1
    assert_frozen_refused "$base/$name"
    [ "$(cat "$base/$name/cgroup.freeze")" = 1 ]
}

@test "deadline: a container init that does not answer fails create within CRYO_SETUP_TIMEOUT, naming the step" {
    bundle="$BATS_TEST_TMPDIR/bundle"
    make_bundle "$bundle" true
    # A createContainer hook runs in init before it answers `ready`.
    bundle_edit "$bundle" '.hooks.createContainer = [{"path": "/bin/sleep", "args": ["sleep", "30"]}]'
    id=$(new_id)
    start=$SECONDS
    CRYO_SETUP_TIMEOUT=1 run -1 timeout 20 "$CRYO_BIN" --root "$CRYO_ROOT" run -b "$bundle" "$id"
    [ "$output" = "cryo: the container's init did not answer \`ready\` within 1.0 s (CRYO_SETUP_TIMEOUT)" ]
    [ $((SECONDS - start)) -lt 10 ]
    run -1 cryo state "$id"
    [ ! -e "/sys/fs/cgroup/memory/cryo/$id" ]
    # A hook's own timeout is added to the deadline.
    bundle_edit "$bundle" '.hooks.createContainer = [{"path": "/bin/sleep", "args": ["sleep", "2"], "timeout": 5}]'
    id=$(new_id)
    CRYO_SETUP_TIMEOUT=1 run -0 timeout 20 "$CRYO_BIN" --root "$CRYO_ROOT" run -b "$bundle" "$id"
}

@test "deadline: a bad CRYO_SETUP_TIMEOUT is refused" {
    bundle="$BATS_TEST_TMPDIR/bundle"
    make_bundle "$bundle" true
    id=$(new_id)
    CRYO_SETUP_TIMEOUT=soon run -1 cryo run -b "$bundle" "$id"
    [ "$output" = "cryo: CRYO_SETUP_TIMEOUT \`soon\` is not a number of seconds (0 < N <= 604800)" ]
}

@test "namespaces: a config without any shares the runtime's, chrooted into the rootfs, with no mount on the host" {
    bundle="$BATS_TEST_TMPDIR/bundle"
    make_bundle "$bundle" sleep 30
    bundle_edit "$bundle" '.linux.namespaces = [] | del(.linux.maskedPaths, .linux.readonlyPaths) | del(.hostname)'
    echo "marker-$$" >"$bundle/rootfs/marker"
    mounts_before=$(wc -l </proc/self/mountinfo)
    propagation_before=$(awk '$5 == "/" { print $7 }' /proc/self/mountinfo)
    id=$(new_id)
    cryo run -d -b "$bundle" "$id" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err"
    # Its mounts are not made: they would be the host's.
    grep -q "no mount namespace: the container is only chrooted into" "$BATS_TEST_TMPDIR/err"
    pid=$(container_pid "$id")
    for ns in mnt pid net ipc uts user cgroup; do
        [ "$(readlink "/proc/$pid/ns/$ns")" = "$(readlink "/proc/self/ns/$ns")" ]
    done
    [ "$(readlink "/proc/$pid/root")" = "$bundle/rootfs" ]
    [ "$(cat "/proc/$pid/root/marker")" = "marker-$$" ]
    [ "$(wc -l </proc/self/mountinfo)" -eq "$mounts_before" ]
    [ "$(awk '$5 == "/" { print $7 }' /proc/self/mountinfo)" = "$propagation_before" ]
    ! grep -qF " $bundle/rootfs" /proc/self/mountinfo
    run -0 cryo kill "$id" KILL
    wait_for_status "$id" stopped
    run -0 cryo delete "$id"
    [ "$(wc -l </proc/self/mountinfo)" -eq "$mounts_before" ]
}

@test "namespaces: without any, the process runs in the rootfs and its output comes back" {
    bundle="$BATS_TEST_TMPDIR/bundle"
    make_bundle "$bundle" cat /marker
    bundle_edit "$bundle" '.linux.namespaces = [] | del(.linux.maskedPaths, .linux.readonlyPaths) | del(.hostname) | .mounts = [] | .root.readonly = false'
    echo "marker-$$" >"$bundle/rootfs/marker"
    id=$(new_id)
    run -0 cryo run -b "$bundle" "$id"
    [ "$output" = "marker-$$" ]
}

@test "namespaces: masked and read-only paths without a mount namespace are refused (runc refuses them too)" {
    bundle="$BATS_TEST_TMPDIR/bundle"
    make_bundle "$bundle" true
    bundle_edit "$bundle" '.linux.namespaces = [] | del(.hostname) | .linux.maskedPaths = ["/proc/kcore"]'
    id=$(new_id)
    run -1 cryo run -b "$bundle" "$id"
    [ "$output" = "cryo: config.json: linux.maskedPaths: needs a private mount namespace" ]
}

@test "kill: TERM, USR1, USR2 right after start reach the process's trap (runtime-tools killsig)" {
    load lifecycle-helpers
    for sig in TERM USR1 USR2; do
        b=$(bundle_for "$sig" sh -c "trap 'touch /$sig' $sig; sleep 10 & wait \$!")
        # Several times, the kill at once after start (runtime-tools asks for
        # the state in between): the signal used to come before the trap.
        for i in 1 2 3 4 5 6 7 8; do
            rm -f "$b/rootfs/$sig"
            id=$(new_id)
            cryo create -b "$b" "$id" </dev/null >/dev/null 2>&1
            cryo start "$id"
            cryo kill "$id" "$sig"
            wait_for_status "$id" stopped 5 || {
                echo "$sig, try $i: still $(container_status "$id") 5 s after kill" >&2
                false
            }
            [ -e "$b/rootfs/$sig" ]
            cryo delete "$id"
        done
    done
}

@test "kill: start returns once the process runs (a slow startContainer hook), so a kill at once reaches its trap" {
    load lifecycle-helpers
    b=$(bundle_for hook sh -c "trap 'touch /TERM' TERM; sleep 10 & wait \$!")
    bundle_edit "$b" '.hooks.startContainer = [{"path": "/bin/sleep", "args": ["sleep", "0.5"]}]'
    id=$(new_id)
    cryo create -b "$b" "$id" </dev/null >/dev/null 2>&1
    cryo start "$id"
    [ "$(cat "/proc/$(container_pid "$id")/comm")" = sh ]
    cryo kill "$id" TERM
    wait_for_status "$id" stopped 5
    [ -e "$b/rootfs/TERM" ]
}

@test "kill: a signal the just-started init has no handler for yet waits for it (the kernel would drop it)" {
    load lifecycle-helpers
    # The trap comes 0.3 s after exec: a pid namespace's init without a
    # handler loses TERM, so kill waits for the handler (1 s at most).
    b=$(bundle_for late sh -c "sleep 0.3; trap 'touch /TERM' TERM; sleep 10 & wait \$!")
    id=$(new_id)
    cryo create -b "$b" "$id" </dev/null >/dev/null 2>&1
    cryo start "$id"
    cryo kill "$id" TERM
    wait_for_status "$id" stopped 5
    [ -e "$b/rootfs/TERM" ]
    # A process that never handles it: kill returns after that second, the signal is lost as before.
    b=$(bundle_for never sleep 30)
    id=$(new_id)
    cryo create -b "$b" "$id" </dev/null >/dev/null 2>&1
    cryo start "$id"
    start=$(date +%s%N)
    cryo kill "$id" TERM
    [ $((($(date +%s%N) - start) / 1000000)) -lt 3000 ]
    sleep 0.5
    [ "$(container_status "$id")" = running ]
}
