#!/usr/bin/env bats
# cryo checkpoint and cryo restore: the round trip of a container, under
# the same and new ids, several times from one image, and what a failure
# at each step leaves behind (nothing, and the container running).

load helpers
load lifecycle-helpers
load checkpoint-helpers

setup() {
    requires_criu
}

@test "checkpoint then restore under the same id; state, kill and delete work after" {
    id=$(new_id)
    b=$(cr_bundle s sleep 3600)
    cr_run "$id" "$b"
    old=$(container_pid "$id")

    run -0 cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img"
    cr_gone "$id"
    ! kill -0 "$old" 2>/dev/null
    [ ! -e "$(cgroup_dir "$id" memory)" ]
    cr_image_ok "$BATS_TEST_TMPDIR/img"
    [ -f "$BATS_TEST_TMPDIR/work-$id/dump.log" ]

    cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" r1
    [ "$(container_status "$id")" = running ]
    cr_alive "$id" sleep
    pid=$(container_pid "$id")
    # in its own pid namespace as pid 1, in its own cgroup
    grep -q "^NSpid:.*[[:space:]]1$" "/proc/$pid/status"
    grep -qx "$pid" "$(cgroup_dir "$id" memory)/cgroup.procs"
    cr_no_restore_remains
    cr_image_ok "$BATS_TEST_TMPDIR/img"

    run -0 cryo kill "$id" KILL
    wait_for_status "$id" stopped
    run -0 cryo delete "$id"
    assert_no_leftovers "$id" "$b"
}

@test "one image restored twice under new ids while the original keeps running" {
    id=$(new_id)
    b=$(cr_bundle lr sleep 3600)
    cr_run "$id" "$b"

    run -0 cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img" --leave-running
    [ "$(container_status "$id")" = running ]
    cr_alive "$id" sleep

    a=$(new_id)
    c=$(new_id)
    cr_restore "$a" "$BATS_TEST_TMPDIR/img" "$b" a
    cr_restore "$c" "$BATS_TEST_TMPDIR/img" "$b" c
    cr_alive "$a" sleep
    cr_alive "$c" sleep
    [ "$(container_pid "$a")" != "$(container_pid "$c")" ]
    run -0 cryo list -q
    [[ "$output" == *"$a"* && "$output" == *"$c"* && "$output" == *"$id"* ]]
    cr_image_ok "$BATS_TEST_TMPDIR/img"
    cryo delete --force "$id"
    cryo delete --force "$a"
    cryo delete --force "$c"
    for x in "$id" "$a" "$c"; do
        assert_no_leftovers "$x" "$b"
    done
}

@test "twice in a row: restore, checkpoint the restored container, restore again" {
    id=$(new_id)
    b=$(cr_bundle tw sh -c 'i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.1; done')
    cr_run "$id" "$b"
    wait_for 10 test -s "$b/rootfs/tmp/count"

    for round in 1 2; do
        cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img$round"
        cr_gone "$id"
        before=$(cat "$b/rootfs/tmp/count")
        cr_restore "$id" "$BATS_TEST_TMPDIR/img$round" "$b" "r$round"
        [ "$(container_status "$id")" = running ]
        # the loop carries on from where it was, in the same shell
        wait_for 10 bash -c "[ \$(cat '$b/rootfs/tmp/count') -gt $before ]"
    done
    cryo delete --force "$id"
    assert_no_leftovers "$id" "$b"
}

@test "runc spec's read-only root, in a rootfs without /tmp: restored read-only, twice" {
    id=$(new_id)
    b=$BATS_TEST_TMPDIR/bundle-ro
    make_bundle "$b" sleep 3600
    [ "$(jq .root.readonly "$b/config.json")" = true ]
    rm -rf "$b/rootfs/tmp"
    cr_run "$id" "$b"
    for round in 1 2; do
        cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img$round"
        cr_restore "$id" "$BATS_TEST_TMPDIR/img$round" "$b" "r$round"
        [ "$(container_status "$id")" = running ]
        run cryo exec "$id" touch /written
        [ "$status" -ne 0 ]
        [[ "$output" == *"Read-only file system"* ]]
        cryo exec "$id" grep -q "^[0-9]* [0-9]* [0-9:]* [^ ]* / ro," /proc/self/mountinfo
    done
    [ ! -e "$b/rootfs/written" ]
    cryo delete --force "$id"
    assert_no_leftovers "$id" "$b"
}

@test "the restored container writes to the stdio files of restore" {
    id=$(new_id)
    b=$(cr_bundle io sh -c 'while true; do echo out; echo err >&2; sleep 0.1; done')
    cr_run "$id" "$b" before
    wait_for 10 test -s "$BATS_TEST_TMPDIR/before.out"

    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img"
    cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" after
    wait_for 10 test -s "$BATS_TEST_TMPDIR/after.out"
    wait_for 10 grep -q err "$BATS_TEST_TMPDIR/after.err"
    run -0 grep -c out "$BATS_TEST_TMPDIR/after.out"
    cryo delete --force "$id"
}

@test "a foreground restore waits for the container and returns its exit status" {
    id=$(new_id)
    b=$(cr_bundle fg sh -c 'while [ ! -e /tmp/stop ]; do sleep 0.1; done; exit 7')
    cr_run "$id" "$b"
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img"

    (sleep 1; touch "$b/rootfs/tmp/stop") &
    track_pid $!
    rc=0
    cryo restore --image-path "$BATS_TEST_TMPDIR/img" --bundle "$b" "$id" \
        </dev/null >"$BATS_TEST_TMPDIR/fg.out" 2>"$BATS_TEST_TMPDIR/fg.err" || rc=$?
    cat "$BATS_TEST_TMPDIR/fg.err"
    [ "$rc" -eq 7 ]
    # runc's semantics: the container is gone once restore returns
    run -1 cryo state "$id"
    assert_no_leftovers "$id" "$b"
}

@test "--pid-file gets the restored init's pid" {
    id=$(new_id)
    b=$(cr_bundle pf sleep 3600)
    cr_run "$id" "$b"
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img"
    cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" r --pid-file "$BATS_TEST_TMPDIR/pid"
    [ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$(container_pid "$id")" ]
    cryo delete --force "$id"
}

@test "checkpoint of a paused container leaves it paused with --leave-running" {
    id=$(new_id)
    b=$(cr_bundle pa sleep 3600)
    cr_run "$id" "$b"
    cryo pause "$id"
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img" --leave-running
    [ "$(container_status "$id")" = paused ]
    cryo resume "$id"
    [ "$(container_status "$id")" = running ]
    cryo delete --force "$id"
}

@test "refusals: not running, an existing id, pre-dump without soft-dirty, bad options" {
    id=$(new_id)
    b=$(cr_bundle rf sleep 3600)
    create_detached "$id" "$b"
    run -1 cryo checkpoint --image-path "$BATS_TEST_TMPDIR/img" "$id"
    [[ "$output" == *"cannot checkpoint container \`$id\`: it is created, not running"* ]]
    cryo start "$id"

    run -1 cryo checkpoint --manage-cgroups-mode bogus --image-path "$BATS_TEST_TMPDIR/img" "$id"
    [[ "$output" == *"--manage-cgroups-mode \`bogus\`"* ]]
    run -1 cryo checkpoint --empty-ns ipc --image-path "$BATS_TEST_TMPDIR/img" "$id"
    [[ "$output" == *"--empty-ns \`ipc\`"* ]]
    run -1 cryo checkpoint --status-fd 97 --image-path "$BATS_TEST_TMPDIR/img" "$id"
    [[ "$output" == *"--status-fd 97: not an open file descriptor: pass one open for writing"* ]]
    run -1 cryo checkpoint --status-fd 7 --image-path "$BATS_TEST_TMPDIR/img" "$id" 7</dev/null
    [[ "$output" == *"--status-fd 7: not open for writing"* ]]
    [ ! -e "$BATS_TEST_TMPDIR/img" ]
    verdict=$(cryo check --format json | jq -r '.features[] | select(.name == "pre-dump") | .verdict')
    if [ "$verdict" = unsupported ]; then
        run -1 cryo checkpoint --pre-dump --image-path "$BATS_TEST_TMPDIR/pre" "$id"
        [[ "$output" == *"--pre-dump needs soft-dirty memory tracking"* ]]
        run -1 cryo checkpoint --parent-path ../pre --image-path "$BATS_TEST_TMPDIR/pre" "$id"
        [[ "$output" == *"--parent-path needs soft-dirty memory tracking"* ]]
        [ ! -e "$BATS_TEST_TMPDIR/pre" ]
    fi
    [ "$(container_status "$id")" = running ]

    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img" --leave-running
    run -1 cryo restore -d --image-path "$BATS_TEST_TMPDIR/img" --bundle "$b" "$id"
    [[ "$output" == *"container with id \`$id\` already exists and is running"* ]]
    [ "$(container_status "$id")" = running ]
    run -1 cryo restore -d --image-path "$BATS_TEST_TMPDIR/nothing" --bundle "$b" "$(new_id)"
    [[ "$output" == *"nothing"* ]]
    cryo delete --force "$id"
}

@test "terminal: the console is restored, its new master sent to --console-socket, twice" {
    id=$(new_id)
    b=$(cr_bundle tty sh -c 'while read line; do echo "got:$line"; done')
    bundle_edit "$b" '.process.terminal = true'
    start_console_server
    cryo run --detach --console-socket "$sock" --bundle "$b" "$id" </dev/null >/dev/null 2>&1
    wait_for 10 grep -q got:ping1 "$BATS_TEST_TMPDIR/console.log"
    for round in 1 2; do
        cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img$round"
        run -1 cr_restore "$id" "$BATS_TEST_TMPDIR/img$round" "$b" "nosock$round"
        grep -q "restore it with --console-socket" "$BATS_TEST_TMPDIR/nosock$round.err"
        cr_restore "$id" "$BATS_TEST_TMPDIR/img$round" "$b" "r$round" --console-socket "$sock"
        # the same shell reads from the new pty and answers
        wait_for 10 grep -q "got:ping$((round + 1))" "$BATS_TEST_TMPDIR/console.log"
    done
    cryo delete --force "$id"
    assert_no_leftovers "$id" "$b"
}

@test "leak detection: a leak refuses a container checkpoint; --subtree records it and restores" {
    id=$(new_id)
    b=$(cr_bundle leak sleep 3600)
    cr_run "$id" "$b"
    # an outside process joins the container's network namespace
    nsenter -t "$(container_pid "$id")" -n sleep 3600 3>&- &
    holder=$!
    track_pid $holder
    wait_for 10 bash -c "[ \"\$(readlink /proc/$holder/ns/net)\" = \"\$(readlink /proc/$(container_pid "$id")/ns/net)\" ]"

    run -1 cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img"
    [[ "$output" == *"container \`$id\` is not self-contained (1 leak;"* ]]
    [[ "$output" == *"namespace-joined"*"held by pid $holder"* ]]
    [ "$(container_status "$id")" = running ]
    [ ! -e "$BATS_TEST_TMPDIR/img" ]

    run -0 cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img" --subtree
    [[ "$output" == *"1 thing not guaranteed at restore"* ]]
    [ "$(jq -r .mode "$BATS_TEST_TMPDIR/img/manifest.json")" = subtree ]
    [ "$(jq -r '.leaks[0].kind' "$BATS_TEST_TMPDIR/img/leaks.json")" = namespace-joined ]
    cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" r
    grep -q "is a subtree checkpoint" "$BATS_TEST_TMPDIR/r.err"
    cr_alive "$id" sleep
    cryo delete --force "$id"
}

# hook_script NAME [EXIT]: a hook that records its kind, environment and
# stdin in $BATS_TEST_TMPDIR/hooks.log, then exits EXIT.
hook_script() {
    local f="$BATS_TEST_TMPDIR/$1"
    cat >"$f" <<SCRIPT
#!/bin/sh
state=\$(cat)
echo "\$CRYO_HOOK id=\$CRYO_CONTAINER_ID pid=\${CRYO_PID:-none} image=\$CRYO_IMAGE_PATH state=\$(echo "\$state" | tr -d '\n' | cut -c1-200)" >>"$BATS_TEST_TMPDIR/hooks.log"
exit ${2:-0}
SCRIPT
    chmod +x "$f"
    echo "$f"
}

@test "hooks: pre-dump, post-dump, pre-restore, post-restore run in order with the state and CRYO_* variables" {
    id=$(new_id)
    b=$(cr_bundle hk sleep 3600)
    h=$(hook_script ok)
    bundle_edit "$b" ".annotations[\"org.cryo.hooks.pre-dump\"] = \"$h\" | .annotations[\"org.cryo.hooks.post-dump\"] = \"$h\"
        | .annotations[\"org.cryo.hooks.pre-restore\"] = \"[{\\\"path\\\": \\\"$h\\\", \\\"timeout\\\": 5}]\"
        | .annotations[\"org.cryo.hooks.post-restore\"] = \"$h\""
    cr_run "$id" "$b"
    pid=$(container_pid "$id")
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img"
    cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" r
    cat "$BATS_TEST_TMPDIR/hooks.log"
    run -0 cut -d' ' -f1 "$BATS_TEST_TMPDIR/hooks.log"
    [ "$(echo $output)" = "pre-dump post-dump pre-restore post-restore" ]
    grep -q "^pre-dump id=$id pid=$pid image=$BATS_TEST_TMPDIR/img state={.*\"status\": *\"running\"" "$BATS_TEST_TMPDIR/hooks.log"
    grep -q "^post-dump id=$id pid=none " "$BATS_TEST_TMPDIR/hooks.log"
    grep -q "^post-restore id=$id pid=$(container_pid "$id") .*\"status\": *\"running\"" "$BATS_TEST_TMPDIR/hooks.log"
    cryo delete --force "$id"
}

@test "hooks: a failing pre-dump refuses the checkpoint, a failing pre-restore the restore; post hooks only warn" {
    id=$(new_id)
    b=$(cr_bundle hf sleep 3600)
    bad=$(hook_script bad 3)
    ok=$(hook_script ok)
    bundle_edit "$b" ".annotations[\"org.cryo.hooks.pre-dump\"] = \"$bad\""
    cr_run "$id" "$b"
    run -1 cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img"
    [[ "$output" == *"hook pre-dump"*"failed"* ]]
    [ "$(container_status "$id")" = running ]
    [ ! -e "$BATS_TEST_TMPDIR/img" ]

    # the hooks come from the config stored with the container, the bundle's at restore
    cryo delete --force "$id"
    bundle_edit "$b" ".annotations[\"org.cryo.hooks.pre-dump\"] = \"$ok\" | .annotations[\"org.cryo.hooks.post-dump\"] = \"$bad\""
    cr_run "$id" "$b"
    run -0 cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img"
    [[ "$output" == *"warning"*"hook post-dump"*"failed"* ]]
    cr_gone "$id"

    bundle_edit "$b" ".annotations[\"org.cryo.hooks.pre-restore\"] = \"$bad\""
    run -1 cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" r1
    grep -q "hook pre-restore" "$BATS_TEST_TMPDIR/r1.err"
    cr_gone "$id"
    [ ! -e "$(cgroup_dir "$id" memory)" ]
    cr_no_restore_remains

    bundle_edit "$b" ".annotations[\"org.cryo.hooks.pre-restore\"] = \"$ok\" | .annotations[\"org.cryo.hooks.post-restore\"] = \"$bad\""
    cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" r2
    grep -q "warning.*hook post-restore" "$BATS_TEST_TMPDIR/r2.err"
    [ "$(container_status "$id")" = running ]

    # a malformed hook is refused before anything is done
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img2" --leave-running
    bundle_edit "$b" '.annotations["org.cryo.hooks.pre-restore"] = "relative/path"'
    new=$(new_id)
    run -1 cr_restore "$new" "$BATS_TEST_TMPDIR/img2" "$b" r3
    grep -q "org.cryo.hooks.pre-restore: the hook needs an absolute \`path\`" "$BATS_TEST_TMPDIR/r3.err"
    run -1 cryo state "$new"
    cryo delete --force "$id"
}

@test "cgroup: the bundle's limits apply to the restored container, in every manage-cgroups mode; update works" {
    id=$(new_id)
    b=$(cr_bundle cg sleep 3600)
    # a cgroup namespace, which `cryo spec` (as `runc spec`) leaves out
    bundle_edit "$b" '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 77}
        | .linux.namespaces += [{"type": "cgroup"}]'
    cr_run "$id" "$b"
    run -1 cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img-x" --manage-cgroups-mode ignore
    [[ "$output" == *"--manage-cgroups-mode ignore: CRIU then neither dumps nor restores the container's cgroup namespace"* ]]
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img-strict" --manage-cgroups-mode strict
    run -1 cr_restore "$id" "$BATS_TEST_TMPDIR/img-strict" "$b" r-strict --manage-cgroups-mode strict
    grep -q "manage-cgroups-mode strict: CRIU refuses" "$BATS_TEST_TMPDIR/r-strict.err"
    cr_restore "$id" "$BATS_TEST_TMPDIR/img-strict" "$b" r-strict2
    mem=$(cgroup_dir "$id" memory) pids=$(cgroup_dir "$id" pids)
    for mode in soft full; do
        cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img-$mode" --manage-cgroups-mode "$mode"
        cr_restore "$id" "$BATS_TEST_TMPDIR/img-$mode" "$b" "r-$mode" --manage-cgroups-mode "$mode"
        pid=$(container_pid "$id")
        grep -qx "$pid" "$mem/cgroup.procs"
        grep -qx "$pid" "$pids/cgroup.procs"
        [ "$(memory_limit "$mem")" = 67108864 ]
        [ "$(cat "$pids/pids.max")" = 77 ]
    done
    cryo update --pids-limit 88 "$id"
    [ "$(cat "$pids/pids.max")" = 88 ]
    cryo pause "$id"
    [ "$(container_status "$id")" = paused ]
    cryo resume "$id"
    cryo kill --all "$id" KILL
    wait_for_status "$id" stopped
    cryo delete "$id"
    assert_no_leftovers "$id" "$b"
}

@test "cgroup: limits changed by update survive checkpoint and restore (same id, new id)" {
    id=$(new_id)
    b=$(cr_bundle cgu sleep 3600)
    bundle_edit "$b" '.linux.resources.memory = {"limit": 67108864, "reservation": 33554432}
        | .linux.resources.pids = {"limit": 77}'
    cr_run "$id" "$b"
    cryo update --memory 96m --pids-limit 99 "$id"
    # the stored config holds the new limits, and what update did not touch
    jq -e '.linux.resources | .memory.limit == 100663296 and .memory.reservation == 33554432
        and .pids.limit == 99' "$CRYO_ROOT/$id/config.json"
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img" --leave-running
    cryo delete --force "$id"
    cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" r1
    mem=$(cgroup_dir "$id" memory)
    [ "$(memory_limit "$mem")" = 100663296 ]
    [ "$(memory_reservation "$mem")" = 33554432 ]
    [ "$(cat "$(cgroup_dir "$id" pids)/pids.max")" = 99 ]
    # and on through the next round trip, under a new id
    cryo update --pids-limit 55 "$id"
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img2"
    new=$(new_id)
    cr_restore "$new" "$BATS_TEST_TMPDIR/img2" "$b" r2
    [ "$(memory_limit "$(cgroup_dir "$new" memory)")" = 100663296 ]
    [ "$(cat "$(cgroup_dir "$new" pids)/pids.max")" = 55 ]
    cryo delete --force "$new"
    cryo delete --force "$id"
    assert_no_leftovers "$new" "$b"
}

@test "--manage-cgroups-mode ignore: a container without a cgroup namespace still lands in its cgroup" {
    id=$(new_id)
    b=$(cr_bundle cgi sleep 3600)
    bundle_edit "$b" '.linux.namespaces |= map(select(.type != "cgroup"))'
    cr_run "$id" "$b"
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img" --manage-cgroups-mode ignore --subtree
    cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" r --manage-cgroups-mode ignore
    grep -qx "$(container_pid "$id")" "$(cgroup_dir "$id" memory)/cgroup.procs"
    cryo kill --all "$id" KILL
    wait_for_status "$id" stopped
    cryo delete "$id"
    assert_no_leftovers "$id" "$b"
}

# with_session_keyring NAME CMD...: run CMD in a new session keyring NAME
# (keyctl(KEYCTL_JOIN_SESSION_KEYRING); SYS_keyctl is 250 on x86_64).
with_session_keyring() {
    python3 -c 'import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.syscall(250, 1, sys.argv[1].encode(), 0, 0, 0) < 0:
    sys.exit("join session keyring: " + os.strerror(ctypes.get_errno()))
os.execvp(sys.argv[2], sys.argv[2:])' "$@"
}

@test "restore gives the container its own session keyring; --no-new-keyring keeps the caller's; --no-subreaper" {
    [ -e /proc/keys ] || skip "no keyring support in this kernel"
    id=$(new_id)
    b=$(cr_bundle keys sleep 3600)
    cr_run "$id" "$b"
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img" --leave-running
    cryo delete --force "$id"
    for opt in --no-subreaper --no-new-keyring; do
        new=$(new_id)
        # containerd passes -no-subreaper with one dash, conmon --no-new-keyring
        with_session_keyring "caller-$new" "$CRYO_BIN" --root "$CRYO_ROOT" restore --detach \
            --image-path "$BATS_TEST_TMPDIR/img" --bundle "$b" --work-path "$BATS_TEST_TMPDIR/w-$new" \
            "${opt/#--no-sub/-no-sub}" "$new" </dev/null >"$BATS_TEST_TMPDIR/$new.out" 2>"$BATS_TEST_TMPDIR/$new.err" \
            || { cat "$BATS_TEST_TMPDIR/$new.err"; false; }
        cr_alive "$new" sleep
        # cryo and CRIU are gone: a keyring still there is held by the container
        if [ "$opt" = --no-new-keyring ]; then
            grep -q " keyring  *caller-$new:" /proc/keys
            ! grep -q "_ses\.$new:" /proc/keys
        else
            [ "$(grep -c " keyring  *_ses\.$new:" /proc/keys)" = 1 ]
        fi
        cryo delete --force "$new"
    done
}

@test "the restored container is a normal one: exec, ps, a copy of the bundle elsewhere" {
    cryo --help | grep -qw exec || skip "this cryo has no exec"
    id=$(new_id)
    b=$(cr_bundle ex sleep 3600)
    cr_run "$id" "$b"
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img" --leave-running
    cryo delete --force "$id"
    # another copy of the rootfs, at another path, under another id
    cp -a "$b" "$BATS_TEST_TMPDIR/copy"
    rm -rf "$BATS_TEST_TMPDIR/copy/rootfs/dev"/* "$BATS_TEST_TMPDIR/copy/rootfs/sys"
    new=$(new_id)
    cr_restore "$new" "$BATS_TEST_TMPDIR/img" "$BATS_TEST_TMPDIR/copy" r
    [ "$(cryo state "$new" | jq -r .bundle)" = "$BATS_TEST_TMPDIR/copy" ]
    [ "$(cryo state "$new" | jq -r .rootfs)" = "$BATS_TEST_TMPDIR/copy/rootfs" ]
    run -0 cryo exec "$new" sh -c 'echo in:$(cat /proc/1/comm)'
    [ "$output" = "in:sleep" ]
    run -0 cryo ps "$new"
    [[ "$output" == *sleep* ]]
    cryo delete --force "$new"
    assert_no_leftovers "$new" "$BATS_TEST_TMPDIR/copy"
}

@test "--empty-ns network: the namespace comes back empty, for hooks to configure" {
    id=$(new_id)
    b=$(cr_bundle en sh -c 'ip addr add 10.9.0.2/24 dev lo && touch /tmp/ready && exec sleep 3600')
    bundle_edit "$b" '.process.capabilities.bounding += ["CAP_NET_ADMIN"] | .process.capabilities.effective += ["CAP_NET_ADMIN"]
        | .process.capabilities.permitted += ["CAP_NET_ADMIN"]'
    cr_run "$id" "$b"
    cr_wait_file "$b/rootfs/tmp/ready"
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img" --empty-ns network
    [ ! -e "$BATS_TEST_TMPDIR/img/network.json" ]
    [ "$(jq -r .empty_netns "$BATS_TEST_TMPDIR/img/externals.json")" = true ]
    cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" r --empty-ns network
    run -0 nsenter -t "$(container_pid "$id")" -n ip -o addr show
    [[ "$output" != *10.9.0.2* ]]
    cryo delete --force "$id"
}

@test "lazy pages are refused with the reason when the host is not set up for them" {
    [ "$(cat /proc/sys/fs/pipe-max-size)" -lt 4194304 ] || skip "fs.pipe-max-size allows lazy pages here"
    id=$(new_id)
    b=$(cr_bundle lz sleep 3600)
    cr_run "$id" "$b"
    run -1 cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img" --lazy-pages --page-server 127.0.0.1:27027
    [[ "$output" == *"lazy pages need fs.pipe-max-size >= 4194304"* ]]
    [ "$(container_status "$id")" = running ]
    [ ! -e "$BATS_TEST_TMPDIR/img" ]
    cryo delete --force "$id"
}

# Migration's way: the pages go to a page server (CRIU's, on the target
# host), the rest to the image; the page server's files join the image
# before the restore.
@test "--page-server: the pages go to the page server; restore once its files are in the image" {
    id=$(new_id)
    b=$(cr_bundle pg sh -c 'i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done')
    cr_run "$id" "$b"
    wait_for 10 test -s "$b/rootfs/tmp/count"
    mkdir "$BATS_TEST_TMPDIR/served"
    port=$((20000 + RANDOM % 20000))
    criu page-server --images-dir "$BATS_TEST_TMPDIR/served" --address 127.0.0.1 --port "$port" \
        --daemon --pidfile "$BATS_TEST_TMPDIR/ps.pid" -o page-server.log
    track_pid "$(cat "$BATS_TEST_TMPDIR/ps.pid")"
    run -0 cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img" --page-server "127.0.0.1:$port"
    cr_gone "$id"
    compgen -G "$BATS_TEST_TMPDIR/served/pages-*.img"
    ! compgen -G "$BATS_TEST_TMPDIR/img/criu/pages-*.img"
    run -0 cryo image inspect --format json "$BATS_TEST_TMPDIR/img"
    jq -e '.options | index("page-server")' <<<"$output"
    # not restorable yet: the message says what is missing
    run -1 cryo image verify "$BATS_TEST_TMPDIR/img"
    [[ "$output" == *"its pages went to a page server: copy the page server's pagemap-*.img and pages-*.img"* ]]
    run -1 cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" r0
    cr_gone "$id"
    cp "$BATS_TEST_TMPDIR"/served/{pagemap,pages}-*.img "$BATS_TEST_TMPDIR/img/criu/"
    run -0 cryo image verify "$BATS_TEST_TMPDIR/img"
    before=$(cat "$b/rootfs/tmp/count")
    cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" r
    wait_for 10 bash -c "[ \$(cat '$b/rootfs/tmp/count') -gt $before ]"
    cryo delete --force "$id"
}
