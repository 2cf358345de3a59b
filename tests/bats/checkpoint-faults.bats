#!/usr/bin/env bats
# Failures at every step, made with CRYO_FAULT (see hooks/README.md): a
# failed checkpoint leaves the container running as it was and no image;
# a failed restore leaves the image intact and nothing behind.

load helpers
load lifecycle-helpers
load checkpoint-helpers

setup() {
    requires_criu
}

# A container counting in /tmp/count: proof that it runs.
counting_container() {
    local id=$1
    b=$(cr_bundle "$2" sh -c 'i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done')
    cr_run "$id" "$b"
    wait_for 10 test -s "$b/rootfs/tmp/count"
}

assert_counting() {
    local before=
    # `echo > file` truncates before it writes: an empty read is a race.
    wait_for 5 bash -c "test -s '$b/rootfs/tmp/count'"
    for _ in $(seq 100); do
        before=$(cat "$b/rootfs/tmp/count")
        [ -n "$before" ] && break
    done
    [ -n "$before" ]
    wait_for 10 bash -c "[ \$(cat '$b/rootfs/tmp/count') -gt $before ]"
}

# only_in_cgroup_of ID PID...: every pid (still alive) is in ID's cgroup.
only_in_cgroup_of() {
    local id=$1 p
    shift
    for p in "$@"; do
        [ -e "/proc/$p" ] || continue
        [ "$(cgroup_of "$p" memory 2>/dev/null)" = "/cryo/$id" ] || [ ! -e "/proc/$p" ] || {
            echo "process $p is not in container $id" >&2
            return 1
        }
    done
}

@test "a checkpoint failing at any step leaves the container running and no image" {
    id=$(new_id)
    counting_container "$id" cf
    pid=$(container_pid "$id")
    for point in checkpoint-pre-dump checkpoint-freeze checkpoint-metadata checkpoint-dump checkpoint-commit; do
        for mode in "" --leave-running; do
            run -1 env CRYO_FAULT=$point "$CRYO_BIN" --root "$CRYO_ROOT" checkpoint \
                --image-path "$BATS_TEST_TMPDIR/img" $mode "$id"
            [[ "$output" == *"fault injected at \`$point\`"* ]]
            [ "$(container_status "$id")" = running ]
            [ "$(container_pid "$id")" = "$pid" ]
            [ ! -e "$BATS_TEST_TMPDIR/img" ]
            ! compgen -G "$BATS_TEST_TMPDIR/.img.tmp-*"
            assert_counting
        done
    done
    # and it still checkpoints and restores
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img"
    cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" r
    assert_counting
    cryo delete --force "$id"
}

# A failure leaves no temporary work directory behind, unless the error
# names the log in it.
@test "a failed checkpoint keeps its work directory only when the error names the log in it" {
    id=$(new_id)
    counting_container "$id" cw
    mkdir "$BATS_TEST_TMPDIR/tmp"
    for point in checkpoint-freeze checkpoint-dump checkpoint-commit; do
        run -1 env TMPDIR="$BATS_TEST_TMPDIR/tmp" CRYO_FAULT=$point "$CRYO_BIN" --root "$CRYO_ROOT" checkpoint \
            --image-path "$BATS_TEST_TMPDIR/img" "$id"
        [[ "$output" == *"fault injected at \`$point\`"* ]]
        [ -z "$(ls -A "$BATS_TEST_TMPDIR/tmp")" ]
    done
    # CRIU itself fails (no page server there): the message names its log,
    # which stays
    run -1 env TMPDIR="$BATS_TEST_TMPDIR/tmp" "$CRYO_BIN" --root "$CRYO_ROOT" checkpoint \
        --page-server 127.0.0.1:1 --image-path "$BATS_TEST_TMPDIR/img" "$id"
    echo "$output"
    log=$(grep -o "log: \`[^\`]*\`" <<<"$output" | cut -d'`' -f2)
    [[ "$log" == "$BATS_TEST_TMPDIR/tmp/cryo-checkpoint-$id-"*/* ]]
    [ -s "$log" ]
    [ "$(ls "$BATS_TEST_TMPDIR/tmp" | wc -l)" -eq 1 ]
    assert_counting
    cryo delete --force "$id"
}

@test "a checkpoint whose CRIU is killed by the deadline leaves the container running" {
    id=$(new_id)
    counting_container "$id" cd
    run -1 env CRYO_ENGINE_TIMEOUT=0.001 "$CRYO_BIN" --root "$CRYO_ROOT" checkpoint \
        --image-path "$BATS_TEST_TMPDIR/img" "$id"
    [[ "$output" == *"timed out"* ]]
    [ "$(container_status "$id")" = running ]
    [ ! -e "$BATS_TEST_TMPDIR/img" ]
    assert_counting
    cryo delete --force "$id"
}

@test "a restore failing at any step under a new id leaves nothing and the image intact" {
    id=$(new_id)
    counting_container "$id" rf
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img" --leave-running
    for point in restore-cgroup restore-pre-restore restore-namespaces restore-mounts restore-engine restore-state; do
        new=$(new_id)
        ! CRYO_FAULT=$point "$CRYO_BIN" --root "$CRYO_ROOT" restore -d \
            --image-path "$BATS_TEST_TMPDIR/img" --bundle "$b" "$new" \
            </dev/null >"$BATS_TEST_TMPDIR/o" 2>"$BATS_TEST_TMPDIR/e"
        grep -q "fault injected at \`$point\`" "$BATS_TEST_TMPDIR/e"
        run -1 cryo state "$new"
        [ ! -e "$CRYO_ROOT/$new" ]
        for d in /sys/fs/cgroup/*/cryo/"$new" /sys/fs/cgroup/cryo/"$new"; do [ ! -e "$d" ]; done
        cr_no_restore_remains
        cr_image_ok "$BATS_TEST_TMPDIR/img"
        # only the original's processes run from the bundle
        only_in_cgroup_of "$id" $(pids_rooted_at "$b/rootfs")
    done
    new=$(new_id)
    cr_restore "$new" "$BATS_TEST_TMPDIR/img" "$b" ok
    [ "$(container_status "$new")" = running ]
    cryo delete --force "$new"
    cryo delete --force "$id"
    assert_no_leftovers "$id" "$b"
}

@test "a restore failing under the checkpointed id leaves the id free, ready for another try" {
    id=$(new_id)
    counting_container "$id" rs
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img"
    for point in restore-mounts restore-engine restore-state; do
        ! CRYO_FAULT=$point "$CRYO_BIN" --root "$CRYO_ROOT" restore -d \
            --image-path "$BATS_TEST_TMPDIR/img" --bundle "$b" "$id" \
            </dev/null >"$BATS_TEST_TMPDIR/o" 2>"$BATS_TEST_TMPDIR/e"
        grep -q "fault injected at \`$point\`" "$BATS_TEST_TMPDIR/e"
        cr_gone "$id"
        [ -z "$(pids_rooted_at "$b/rootfs")" ]
        cr_no_restore_remains
        cr_image_ok "$BATS_TEST_TMPDIR/img"
    done
    cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" r
    assert_counting
    cryo delete --force "$id"
    assert_no_leftovers "$id" "$b"
}

@test "a restore of a corrupt image (a flipped byte, a truncated file) fails before any process, naming the file" {
    id=$(new_id)
    counting_container "$id" rc
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img"
    cp -a "$BATS_TEST_TMPDIR/img" "$BATS_TEST_TMPDIR/pristine"
    pages=$(cd "$BATS_TEST_TMPDIR/img" && ls -S criu/pages-*.img | head -n1)
    size=$(stat -c %s "$BATS_TEST_TMPDIR/img/$pages")
    [ "$size" -gt 4096 ]
    byte=$(od -An -tu1 -j $((size / 2)) -N1 "$BATS_TEST_TMPDIR/img/$pages" | tr -d ' ')
    printf "\\$(printf %o $(((byte + 1) % 256)))" |
        dd of="$BATS_TEST_TMPDIR/img/$pages" bs=1 seek=$((size / 2)) conv=notrunc status=none
    run -1 cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" r1
    grep -q "$pages: checksum mismatch (file corrupt)" "$BATS_TEST_TMPDIR/r1.err"
    rm -rf "$BATS_TEST_TMPDIR/img" && cp -a "$BATS_TEST_TMPDIR/pristine" "$BATS_TEST_TMPDIR/img"
    truncate -s $((size - 1)) "$BATS_TEST_TMPDIR/img/$pages"
    run -1 cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" r2
    grep -q "$pages: truncated" "$BATS_TEST_TMPDIR/r2.err"
    # nothing was started, and the container can still be restored
    cr_gone "$id"
    [ -z "$(pids_rooted_at "$b/rootfs")" ]
    cr_no_restore_remains
    cr_restore "$id" "$BATS_TEST_TMPDIR/pristine" "$b" r3
    assert_counting
    cryo delete --force "$id"
    assert_no_leftovers "$id" "$b"
}

@test "a restore whose bind source is missing fails before CRIU, naming it" {
    id=$(new_id)
    b=$(cr_bundle bm sleep 3600)
    mkdir -p "$BATS_TEST_TMPDIR/data"
    bundle_edit "$b" ".mounts += [{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/data\", \"options\": [\"rbind\"]}]"
    cr_run "$id" "$b"
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img"
    rmdir "$BATS_TEST_TMPDIR/data"
    run -1 cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" r
    grep -q "the source \`$BATS_TEST_TMPDIR/data\` of the bind mount \`/data\` is missing" "$BATS_TEST_TMPDIR/r.err"
    cr_gone "$id"
    cr_no_restore_remains
    assert_no_leftovers "$id" "$b"
}
