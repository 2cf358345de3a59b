#!/usr/bin/env bats
# runc's checkpoint and restore flags do what they say: each test shows the
# flag's effect on the container (not just an exit status), and where CRIU
# needs the flag, that the same checkpoint or restore fails without it and
# leaves the container as it was.

load helpers
load lifecycle-helpers
load checkpoint-helpers

setup() {
    requires_criu
}

# Lazy pages need fs.pipe-max-size >= 4 MiB (cryo refuses them below, see
# the test that expects so).  The tests that do a lazy migration raise it
# for themselves; teardown puts the host's value back, even after a failure.
PIPE_MAX=/proc/sys/fs/pipe-max-size

teardown() {
    local rc=0
    cryo_teardown || rc=$?
    if [ -f "$BATS_TEST_TMPDIR/pipe-max-size.orig" ]; then
        sysctl -q -w fs.pipe-max-size="$(cat "$BATS_TEST_TMPDIR/pipe-max-size.orig")" || rc=$?
    fi
    return $rc
}

lazy_host_setup() {
    [ -f "$BATS_TEST_TMPDIR/pipe-max-size.orig" ] || cat "$PIPE_MAX" >"$BATS_TEST_TMPDIR/pipe-max-size.orig"
    [ "$(cat "$PIPE_MAX")" -ge 4194304 ] || sysctl -q -w fs.pipe-max-size=4194304
}

# lazy_checkpoint ID IMAGE PORT: `cryo checkpoint --lazy-pages` in the
# background (cryo itself, no shell holding the fifo), with a deadline that
# ends its page server should the test fail first; waits for the "\0" on
# --status-fd.  Its pid goes to $ck, its output to ck.out.
lazy_checkpoint() {
    local id=$1 image=$2 port=$3
    mkfifo "$BATS_TEST_TMPDIR/status"
    CRYO_ENGINE_TIMEOUT=60 "$CRYO_BIN" --root "$CRYO_ROOT" checkpoint --image-path "$image" \
        --work-path "$BATS_TEST_TMPDIR/work-$id" --lazy-pages --page-server "127.0.0.1:$port" --status-fd 3 "$id" \
        3>"$BATS_TEST_TMPDIR/status" </dev/null >"$BATS_TEST_TMPDIR/ck.out" 2>&1 &
    ck=$!
    track_pid $ck
    [ "$(timeout 30 head -c 1 "$BATS_TEST_TMPDIR/status" | od -An -c | tr -d ' \n')" = '\0' ] \
        || { cat "$BATS_TEST_TMPDIR/ck.out"; return 1; }
}

# pty_run TAG CMD...: run CMD with its stdio on a new pty, in the background;
# the pty's name goes to TAG.tty and CMD's exit status to TAG.rc; then
# everything the pty says goes to TAG.log, and a TAG.send file is typed
# into it (and removed).  The master stays open until the test ends.
pty_run() {
    local tag=$BATS_TEST_TMPDIR/$1
    shift
    python3 -c '
import os, pty, subprocess, sys, time
tag = sys.argv[1]
m, s = pty.openpty()
with open(tag + ".tty", "w") as f:
    f.write(os.ttyname(s))
rc = subprocess.call(sys.argv[2:], stdin=s, stdout=s, stderr=s)
os.close(s)
with open(tag + ".rc", "w") as f:
    f.write(str(rc))
os.set_blocking(m, False)
while True:
    try:
        data = os.read(m, 4096)
        with open(tag + ".log", "ab") as f:
            f.write(data)
    except OSError:
        pass
    if os.path.exists(tag + ".send"):
        os.write(m, open(tag + ".send", "rb").read())
        os.unlink(tag + ".send")
    time.sleep(0.05)
' "$tag" "$@" </dev/null >/dev/null 2>"$tag.err" 3>&- &
    track_pid $!
    wait_for 30 test -s "$tag.rc"
}

@test "--work-path: CRIU's dump.log and restore.log go there, not into the image" {
    id=$(new_id)
    b=$(cr_bundle wp sleep 3600)
    cr_run "$id" "$b"
    w=$BATS_TEST_TMPDIR/work
    cryo checkpoint --image-path "$BATS_TEST_TMPDIR/img" --work-path "$w" "$id"
    grep -q "Dumping finished successfully" "$w/dump.log"
    cryo restore -d --image-path "$BATS_TEST_TMPDIR/img" --work-path "$w" --bundle "$b" "$id" \
        </dev/null >"$BATS_TEST_TMPDIR/r.out" 2>"$BATS_TEST_TMPDIR/r.err"
    grep -q "Restore finished successfully" "$w/restore.log"
    ! compgen -G "$BATS_TEST_TMPDIR/img/criu/*.log"
    ! compgen -G "$BATS_TEST_TMPDIR/img/*.log"
    cryo delete --force "$id"
}

# runc's "checkpoint and restore with container specific CRIU config": the
# annotation org.criu.config names a CRIU configuration file whose options
# override what the runtime passes (here the log file's name).
@test "org.criu.config: the container's CRIU configuration file applies at checkpoint and restore" {
    id=$(new_id)
    b=$(cr_bundle crconf sleep 3600)
    echo "log-file=crconf-criu.log" >"$BATS_TEST_TMPDIR/criu.conf"
    bundle_edit "$b" ".annotations[\"org.criu.config\"] = \"$BATS_TEST_TMPDIR/criu.conf\""
    cr_run "$id" "$b"
    w=$BATS_TEST_TMPDIR/work-$id
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img"
    grep -q "Dumping finished successfully" "$w/crconf-criu.log"
    [ ! -e "$w/dump.log" ]
    cr_gone "$id"
    rm "$w/crconf-criu.log"
    cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" r
    grep -q "Restore finished successfully" "$w/crconf-criu.log"
    [ ! -e "$w/restore.log" ]
    [ "$(container_status "$id")" = running ]
    cryo delete --force "$id"

    # an empty annotation: no configuration file
    id=$(new_id)
    bundle_edit "$b" '.annotations["org.criu.config"] = ""'
    cr_run "$id" "$b"
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img2"
    grep -q "Dumping finished successfully" "$BATS_TEST_TMPDIR/work-$id/dump.log"

    # a missing one fails the checkpoint, naming it; the container runs on
    id=$(new_id)
    bundle_edit "$b" ".annotations[\"org.criu.config\"] = \"$BATS_TEST_TMPDIR/nothing.conf\""
    cr_run "$id" "$b"
    run -1 cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img3"
    [[ "$output" == *"CRIU configuration file"*"$BATS_TEST_TMPDIR/nothing.conf"* ]]
    [ "$(container_status "$id")" = running ]
    [ ! -e "$BATS_TEST_TMPDIR/img3" ]
    cryo delete --force "$id"
}

@test "--file-locks: a held flock refuses the checkpoint without it, and is held again after restore with it" {
    id=$(new_id)
    b=$(cr_bundle fl /bin/leak-hold --ready /tmp/ready flock /tmp/lockf)
    cr_run "$id" "$b"
    cr_wait_file "$b/rootfs/tmp/ready"
    lockf=$b/rootfs/tmp/lockf
    run -1 flock -n "$lockf" true

    run -1 cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img0"
    echo "$output"
    [[ "$output" == *"--file-locks"* ]]
    [ "$(container_status "$id")" = running ]
    [ ! -e "$BATS_TEST_TMPDIR/img0" ]

    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img" --file-locks
    # the lock went with the processes
    flock -n "$lockf" true
    cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" r --file-locks
    pid=$(container_pid "$id")
    run -1 flock -n "$lockf" true
    # held by the restored process, on the same file
    ino=$(stat -c %i "$lockf")
    grep -E "FLOCK .* $pid [0-9a-f]+:[0-9a-f]+:$ino " /proc/locks
    cryo delete --force "$id"
}

@test "--shell-job: a container on the host's terminal is refused without it; restored onto restore's terminal with it" {
    id=$(new_id)
    b=$(cr_bundle sj sh -c 'touch /tmp/ready; while read line; do echo "got:$line"; done')
    pty_run run "$CRYO_BIN" --root "$CRYO_ROOT" run --detach --bundle "$b" "$id"
    [ "$(cat "$BATS_TEST_TMPDIR/run.rc")" = 0 ]
    cr_wait_file "$b/rootfs/tmp/ready"
    [ "$(readlink "/proc/$(container_pid "$id")/fd/0")" = "$(cat "$BATS_TEST_TMPDIR/run.tty")" ]

    run -1 cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img"
    [[ "$output" == *"is the terminal \`$(cat "$BATS_TEST_TMPDIR/run.tty")\` of the host: checkpoint it with --shell-job"* ]]
    [ "$(container_status "$id")" = running ]
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img" --shell-job
    cr_gone "$id"

    pty_run r0 "$CRYO_BIN" --root "$CRYO_ROOT" restore --detach --image-path "$BATS_TEST_TMPDIR/img" \
        --bundle "$b" "$id"
    [ "$(cat "$BATS_TEST_TMPDIR/r0.rc")" = 1 ]
    wait_for 10 grep -q "restore with --shell-job and a terminal on stdin" "$BATS_TEST_TMPDIR/r0.log"
    cr_gone "$id"
    cr_no_restore_remains

    pty_run r1 "$CRYO_BIN" --root "$CRYO_ROOT" restore --detach --shell-job --image-path "$BATS_TEST_TMPDIR/img" \
        --bundle "$b" "$id"
    [ "$(cat "$BATS_TEST_TMPDIR/r1.rc")" = 0 ] || { cat "$BATS_TEST_TMPDIR/r1.log"; false; }
    pid=$(container_pid "$id")
    [ "$(readlink "/proc/$pid/fd/0")" = "$(cat "$BATS_TEST_TMPDIR/r1.tty")" ]
    # the same shell reads restore's terminal and answers on it
    echo ping >"$BATS_TEST_TMPDIR/r1.send"
    wait_for 10 grep -q "got:ping" "$BATS_TEST_TMPDIR/r1.log"
    cryo delete --force "$id"
    assert_no_leftovers "$id" "$b"
}

@test "--ext-unix-sk: a datagram socket connected outside the tree is dumped only with it, and reconnected" {
    [ -x "$CRYO_BUILDDIR/tests/helpers/dgram-tick" ] || skip "test programs not built (make check TESTS=)"
    share=$BATS_TEST_TMPDIR/share
    mkdir -p "$share"
    id=$(new_id)
    # mounted at the host's path: CRIU reconnects to the name the peer bound
    b=$(cr_bundle ux /bin/dgram-tick "$share/sock" /tmp/ready)
    bundle_edit "$b" ".mounts += [{\"destination\": \"$share\", \"type\": \"bind\", \"source\": \"$share\", \"options\": [\"rbind\", \"rw\"]}]"
    cr_run "$id" "$b"
    # the peer: a host process in the container's network namespace (CRIU
    # finds a socket's peer with sock_diag, which sees one namespace)
    nsenter -t "$(container_pid "$id")" -n \
        socat -u "UNIX-RECV:$share/sock" "OPEN:$BATS_TEST_TMPDIR/ticks,creat,append" </dev/null 3>&- &
    track_pid $!
    cr_wait_file "$b/rootfs/tmp/ready"
    wait_for 10 grep -q "tick 2" "$BATS_TEST_TMPDIR/ticks"

    # a peer outside: a subtree checkpoint, refused by CRIU without the flag
    run -1 cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img" --subtree
    [[ "$output" == *"a unix socket of the tree is connected to a process outside it"*"--ext-unix-sk"* ]]
    [ "$(container_status "$id")" = running ]
    [ ! -e "$BATS_TEST_TMPDIR/img" ]
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img" --subtree --ext-unix-sk
    cr_gone "$id"
    last=$(tail -n 1 "$BATS_TEST_TMPDIR/ticks" | cut -d' ' -f2)

    # (CRIU 4.2 reconnects such a socket at restore even without the flag;
    # runc passes it there too, and so does cryo)
    cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" r1 --ext-unix-sk
    # the same socket, connected again, goes on counting where it stopped
    wait_for 10 bash -c "[ \$(tail -n 1 '$BATS_TEST_TMPDIR/ticks' | cut -d' ' -f2) -gt $((last + 1)) ]"
    cryo delete --force "$id"
}

@test "--tcp-established: an established connection is refused without it, at checkpoint and at restore" {
    id=$(new_id)
    b=$(cr_bundle tcp /bin/leak-hold --ready /tmp/ready tcp-loop 5555)
    cr_run "$id" "$b"
    cr_wait_file "$b/rootfs/tmp/ready"
    run -1 cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img"
    [[ "$output" == *"--tcp-established"* ]]
    [ "$(container_status "$id")" = running ]
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img" --tcp-established

    run -1 cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" r0
    cat "$BATS_TEST_TMPDIR/r0.err"
    grep -q -- "--tcp-established" "$BATS_TEST_TMPDIR/r0.err"
    cr_gone "$id"
    cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" r1 --tcp-established
    run -0 nsenter -t "$(container_pid "$id")" -n ss -tn state established
    [[ "$output" == *":5555"* ]]
    cryo delete --force "$id"
}

@test "--manage-cgroups-mode full restores a cgroup property the bundle does not set; soft leaves it to the bundle" {
    id=$(new_id)
    b=$(cr_bundle cgf sleep 3600)
    cr_run "$id" "$b"
    # set behind cryo's back: only CRIU's cgroup image knows it
    soft=memory.soft_limit_in_bytes
    cgroup_v2 && soft=memory.low
    echo 33554432 >"$(cgroup_dir "$id" memory)/$soft"
    for mode in soft full; do
        cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img-$mode" --leave-running --manage-cgroups-mode "$mode"
        new=$(new_id)
        cr_restore "$new" "$BATS_TEST_TMPDIR/img-$mode" "$b" "r-$mode" --manage-cgroups-mode "$mode"
        got=$(memory_reservation "$(cgroup_dir "$new" memory)")
        grep -qx "$(container_pid "$new")" "$(cgroup_dir "$new" memory)/cgroup.procs"
        if [ "$mode" = full ]; then
            [ "$got" = 33554432 ]
        else
            [ "$got" != 33554432 ]
        fi
        cryo delete --force "$new"
    done
    cryo delete --force "$id"
}

@test "restore --no-pivot and --pid-file: the restored init, on the host, in the bundle's root" {
    id=$(new_id)
    b=$(cr_bundle np sleep 3600)
    cr_run "$id" "$b"
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img"
    cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" r --no-pivot --pid-file "$BATS_TEST_TMPDIR/pid"
    pid=$(cat "$BATS_TEST_TMPDIR/pid")
    [ "$pid" = "$(container_pid "$id")" ]
    [ "$(cat "/proc/$pid/comm")" = sleep ]
    [ "$(stat -L -c %d:%i "/proc/$pid/root/")" = "$(stat -L -c %d:%i "$b/rootfs")" ]
    grep -q "^NSpid:.*[[:space:]]1$" "/proc/$pid/status"
    cryo delete --force "$id"
}

@test "restore --lazy-pages is refused with the reason when the host is not set up for it" {
    [ "$(cat /proc/sys/fs/pipe-max-size)" -lt 4194304 ] || skip "fs.pipe-max-size allows lazy pages here"
    id=$(new_id)
    b=$(cr_bundle lz sleep 3600)
    cr_run "$id" "$b"
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img"
    run -1 cr_restore "$id" "$BATS_TEST_TMPDIR/img" "$b" r --lazy-pages
    grep -q "lazy pages need" "$BATS_TEST_TMPDIR/r.err"
    cr_gone "$id"
    cr_no_restore_remains
    cr_image_ok "$BATS_TEST_TMPDIR/img"
    cryo delete --force "$id"
}

# runc's lazy migration, on one host: the checkpoint dumps all but the
# memory, commits the image and says so on --status-fd, then serves the
# pages; the target's `criu lazy-pages` daemon (started by the user, as with
# runc) fetches them while the container restored from the image under a
# new id already runs.  The source is killed and destroyed only once the
# daemon has every page.
@test "--lazy-pages --page-server: a lazy migration; the restored container's memory comes over the network" {
    [ -x "$CRYO_BUILDDIR/tests/helpers/cr-mem" ] || skip "test programs not built (make check TESTS=)"
    lazy_host_setup
    id=$(new_id)
    b=$(cr_bundle lzm /bin/cr-mem)
    cr_run "$id" "$b"
    cr_wait_file "$b/rootfs/tmp/crt-ready"
    img=$BATS_TEST_TMPDIR/img
    port=$((20000 + RANDOM % 20000))
    lazy_checkpoint "$id" "$img" "$port"

    # the image is committed while the dump serves the pages, and holds
    # none of the 4 MiB cr-mem filled: they are still in the container
    cr_image_ok "$img"
    [ "$(cat "$img"/criu/pages-*.img | wc -c)" -lt 4194304 ]
    kill -0 $ck
    [ "$(container_status "$id")" = running ]
    new=$(new_id)
    rw=$BATS_TEST_TMPDIR/lazy-work
    mkdir -p "$rw"
    # a lazy image needs a lazy restore, and that its daemon
    run -1 cryo restore -d --image-path "$img" --bundle "$b" "$new"
    [[ "$output" == *"checkpointed with --lazy-pages"*"restore it with --lazy-pages"* ]]
    run -1 cryo restore -d --lazy-pages --image-path "$img" --work-path "$rw" --bundle "$b" "$new"
    [[ "$output" == *"no \`criu lazy-pages\` daemon in \`$rw\`"* ]]
    [ "$(container_status "$id")" = running ]

    criu lazy-pages --page-server --address 127.0.0.1 --port "$port" --images-dir "$img/criu" \
        --work-dir "$rw" -v4 -o lazy-pages.log </dev/null >/dev/null 2>&1 3>&- &
    lp=$!
    track_pid $lp
    wait_for 10 test -S "$rw/lazy-pages.socket"
    cryo restore -d --lazy-pages --image-path "$img" --work-path "$rw" --bundle "$b" "$new" \
        </dev/null >"$BATS_TEST_TMPDIR/r.out" 2>"$BATS_TEST_TMPDIR/r.err" || { cat "$BATS_TEST_TMPDIR/r.err"; false; }
    [ "$(container_status "$new")" = running ]

    # the daemon fetches every page, then ends the session: both end well
    wait $lp
    wait $ck || { cat "$BATS_TEST_TMPDIR/ck.out"; false; }
    ! kill -0 $lp 2>/dev/null
    grep -E "UFFD transferred pages: \(([0-9]{4,})/\1\)" "$rw/lazy-pages.log"
    cr_gone "$id"
    # nothing was added to the image after its commit (CRIU's stats-dump
    # went to the work path)
    cr_image_ok "$img"
    [ -e "$BATS_TEST_TMPDIR/work-$id/stats-dump" ]

    # the restored program finds its memory as it left it
    touch "$b/rootfs/tmp/crt-go"
    wait_for 20 test -e "$b/rootfs/tmp/crt-result"
    [ "$(cat "$b/rootfs/tmp/crt-result")" = PASS ] || { cat "$b/rootfs/tmp/crt-result"; false; }
    cryo delete --force "$new"
    assert_no_leftovers "$new" "$b"
    assert_no_leftovers "$id" "$b"
}

# CRIU ends a lazy dump "successfully" whenever the daemon goes, with or
# without its pages (page_server_serve() in criu/page-xfer.c checks the
# flush only when it receives pages).  cryo relays the connection and
# kills the container only after the daemon's close request.
@test "--lazy-pages: a client that connects and leaves before it has the pages fails the checkpoint; the container keeps running" {
    id=$(new_id)
    b=$(cr_bundle lzs sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/count; sleep 0.1; done')
    cr_run "$id" "$b"
    # without an address the pages could not be fetched from anywhere
    run -1 cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img0" --lazy-pages
    [[ "$output" == *"--lazy-pages needs --page-server ADDRESS:PORT"* ]]
    [ ! -e "$BATS_TEST_TMPDIR/img0" ]

    lazy_host_setup
    img=$BATS_TEST_TMPDIR/img
    port=$((20000 + RANDOM % 20000))
    lazy_checkpoint "$id" "$img" "$port"
    cr_image_ok "$img"
    timeout 10 socat -u /dev/null "TCP:127.0.0.1:$port"
    rc=0
    wait $ck || rc=$?
    cat "$BATS_TEST_TMPDIR/ck.out"
    [ "$rc" = 1 ]
    grep -q "left before it had every page (it never asked to close the session): container \`$id\` keeps running, the image is removed" \
        "$BATS_TEST_TMPDIR/ck.out"
    [ ! -e "$img" ]
    ! compgen -G "$BATS_TEST_TMPDIR/.img.tmp-*"
    # running, thawed, counting on
    [ "$(container_status "$id")" = running ]
    n=$(cat "$b/rootfs/tmp/count")
    wait_for 10 bash -c "[ \$(cat '$b/rootfs/tmp/count') -gt $((n + 2)) ]"
    # a failed lazy checkpoint over an existing image puts that one back
    cr_checkpoint "$id" "$img" --leave-running
    old=$(stat -c %i "$img")
    rm -f "$BATS_TEST_TMPDIR/status"
    port=$((20000 + RANDOM % 20000))
    lazy_checkpoint "$id" "$img" "$port"
    [ "$(stat -c %i "$img")" != "$old" ]
    timeout 10 socat -u /dev/null "TCP:127.0.0.1:$port"
    rc=0
    wait $ck || rc=$?
    [ "$rc" = 1 ]
    [ "$(stat -c %i "$img")" = "$old" ]
    cr_image_ok "$img"
    ! compgen -G "$BATS_TEST_TMPDIR/.img.tmp-*"
    [ "$(container_status "$id")" = running ]
    # and a checkpoint after it works
    cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img2"
    cr_gone "$id"
}

@test "--stats: the checkpoint's freeze, dump, pages and write-back, in the file, the manifest and inspect" {
    id=$(new_id)
    b=$(cr_bundle st sleep 3600)
    cr_run "$id" "$b"
    run -0 cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img" --leave-running --stats "$BATS_TEST_TMPDIR/st.json"
    st=$BATS_TEST_TMPDIR/st.json
    for k in freezing_time frozen_time memdump_time memwrite_time pages_scanned pages_skipped_parent \
        pages_written pages_lazy writeback_time writeback_bytes; do
        [ "$(jq --arg k "$k" '.[$k] | type' "$st")" = '"number"' ]
    done
    # CRIU's numbers came from its stats-dump; cryo's are consistent with the image
    [ "$(jq '.pages_written > 0 and .pages_scanned >= .pages_written and .memdump_time > 0' "$st")" = true ]
    [ "$(jq '.frozen_time > 0 and .frozen_time >= .memdump_time and .writeback_time > 0' "$st")" = true ]
    [ "$(jq '[.files[].size] | add' "$BATS_TEST_TMPDIR/img/manifest.json")" = "$(jq .writeback_bytes "$st")" ]
    [ "$(jq -S .stats "$BATS_TEST_TMPDIR/img/manifest.json")" = "$(jq -S . "$st")" ]
    run -0 cryo image inspect "$BATS_TEST_TMPDIR/img"
    [[ "$output" == *"stats:      frozen "*" ms (freezing "* ]]
    [[ "$output" == *"pages: "*" scanned, $(jq .pages_written "$st") written"* ]]
    run -0 cryo image inspect --format json "$BATS_TEST_TMPDIR/img"
    [ "$(jq .stats.pages_written <<<"$output")" = "$(jq .pages_written "$st")" ]

    # killed: the manifest cannot know when the freeze ends, the file does
    run -0 cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img2" --stats "$st"
    [ "$(jq .stats.frozen_time "$BATS_TEST_TMPDIR/img2/manifest.json")" = 0 ]
    [ "$(jq '.frozen_time > 0' "$st")" = true ]
    run -0 cryo image inspect "$BATS_TEST_TMPDIR/img2"
    [[ "$output" == *"stats:      frozen until killed (freezing "* ]]
    cr_gone "$id"
}
