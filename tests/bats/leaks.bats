#!/usr/bin/env bats
# Leak detection on real containers (`cryo leaks`): every kind of leak is
# built for real (a host process holding a pipe end, a host listener behind a
# bind-mounted socket, shared mappings, nsenter, an exec'd process, a tracer,
# a contended lock, a shared memfd, a missing net namespace, a TCP peer
# through a veth pair...) and must be named in the report; self-contained
# containers (pipes, socketpairs, shm, queues, threads, zombies, bind-mounted
# files, stdio pipes...) must come out clean.  tests/helpers/leak-hold makes
# and holds the objects, inside the container and on the host.

load helpers

bats_require_minimum_version 1.5.0

HOLD=$CRYO_BUILDDIR/tests/helpers/leak-hold

setup() {
    if [ ! -x "$HOLD" ]; then
        echo "$HOLD is not built: run \`make check TESTS=\` in $CRYO_BUILDDIR" >&2
        return 1
    fi
    SHARE=$BATS_TEST_TMPDIR/share
    mkdir -p "$SHARE"
}

teardown() {
    local x
    cryo_teardown
    if [ -f "$BATS_TEST_TMPDIR/.mounts" ]; then
        while read -r x; do umount -l "$x" 2>/dev/null || true; done <"$BATS_TEST_TMPDIR/.mounts"
    fi
    if [ -f "$BATS_TEST_TMPDIR/.netns" ]; then
        while read -r x; do ip netns del "$x" 2>/dev/null || true; done <"$BATS_TEST_TMPDIR/.netns"
    fi
    if [ -f "$BATS_TEST_TMPDIR/.stale" ]; then
        while read -r x; do rm -rf "$x"; done <"$BATS_TEST_TMPDIR/.stale"
    fi
}

# leak_bundle NAME ACTION...: a bundle running leak-hold with these actions;
# the helper creates /tmp/ready once everything is held.
leak_bundle() {
    local dir="$BATS_TEST_TMPDIR/bundle-$1"
    shift
    make_bundle "$dir" /bin/leak-hold --ready /tmp/ready "$@" >/dev/null || return 1
    # the helper writes its ready file (and a few others) under /tmp
    bundle_edit "$dir" '.root.readonly = false'
    echo "$dir"
}

# share_into BUNDLE: bind-mount $SHARE at /share (declared in config.json).
share_into() {
    bundle_edit "$1" ".mounts += [{\"destination\": \"/share\", \"type\": \"bind\", \"source\": \"$SHARE\", \"options\": [\"rbind\", \"rw\"]}]"
}

# wait_ready BUNDLE: the container's helper holds everything.
wait_ready() {
    wait_for 20 test -e "$1/rootfs/tmp/ready" || {
        echo "the container's leak-hold never got ready" >&2
        return 1
    }
}

# start_held ID BUNDLE [RUN OPTIONS...]: run detached, stdio on files.
start_held() {
    local id=$1 b=$2
    shift 2
    cryo run --detach --bundle "$b" "$@" "$id" </dev/null >"$BATS_TEST_TMPDIR/$id.out" 2>&1 || {
        cat "$BATS_TEST_TMPDIR/$id.out" >&2
        return 1
    }
    wait_ready "$b"
}

# host_hold NAME ACTION...: leak-hold on the host, in the background, ready
# when it holds everything; prints its pid.
host_hold() {
    local ready="$BATS_TEST_TMPDIR/ready-$1"
    shift
    "$HOLD" --ready "$ready" "$@" </dev/null >/dev/null 2>&1 3>&- &
    local pid=$!
    track_pid "$pid"
    echo "$pid"
}

host_ready() {
    wait_for 20 test -e "$BATS_TEST_TMPDIR/ready-$1"
}

# leaks ID [OPTIONS...]: `cryo leaks --format json` into $output / $status.
# The BPF path filters the host's fds in the kernel; unless told otherwise
# (CRYO_LEAKS_NO_*), every call also checks that the unfiltered walk finds
# the same leaks.
leaks() {
    local unfiltered
    if [ -z "${CRYO_LEAKS_NO_BPF:-}${CRYO_LEAKS_NO_FILTER:-}" ]; then
        unfiltered=$(CRYO_LEAKS_NO_FILTER=1 "$CRYO_BIN" --root "$CRYO_ROOT" leaks "$1" --format json "${@:2}" 2>/dev/null) || true
    fi
    run --separate-stderr cryo leaks "$1" --format json "${@:2}"
    echo "exit $status: $output" >&2
    echo "$stderr" >&2
    if [ -n "${unfiltered:-}" ] && [ "$(jq -c .leaks <<<"$unfiltered")" != "$(jq -c .leaks <<<"$output")" ]; then
        echo "the unfiltered walk found other leaks: $unfiltered" >&2
        return 1
    fi
}

# has_leak JQ-CONDITION: the report has a leak matching it.
has_leak() {
    jq -e "[.leaks[] | select($1)] | length > 0" <<<"$output" >/dev/null
}

leak_count() {
    jq "[.leaks[] | select($1)] | length" <<<"$output"
}

# assert_no_walk ID: the scan read none of the host's fds, the reference
# counts showing that nobody outside holds the container's objects (the
# cheap path: a self-contained container's scan should not cost a walk
# over every fd of the host).
assert_no_walk() {
    [ -z "${CRYO_LEAKS_NO_BPF:-}${CRYO_LEAKS_NO_FILTER:-}" ] || return 0
    "$CRYO_BIN" --root "$CRYO_ROOT" --debug --log "$BATS_TEST_TMPDIR/scan.log" leaks "$1" >/dev/null
    grep "leaks:" "$BATS_TEST_TMPDIR/scan.log" >&2
    grep -q "no walk over the host's fds" "$BATS_TEST_TMPDIR/scan.log"
}

assert_clean() {
    [ "$status" -eq 0 ]
    [ "$(jq -r .clean <<<"$output")" = true ]
    [ "$(jq '.leaks | length' <<<"$output")" -eq 0 ]
}

# ---------------------------------------------------------------- leaks

@test "leak: a host process holds the other end of a pipe passed with --preserve-fds" {
    id=$(new_id)
    b=$(leak_bundle pipe)
    cryo run --detach --bundle "$b" --preserve-fds 1 "$id" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 \
        3> >(exec sleep 3600)
    holder=$!
    track_pid "$holder"
    wait_ready "$b"
    pid=$(container_pid "$id")

    leaks "$id"
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"container \`$id\` is not self-contained: 1 leaks (1 errors, 0 warnings)"* ]]
    has_leak ".kind == \"pipe\" and .pid == $pid and .fd == 3 and .holder.pid == $holder and .holder.command == \"sleep\""
    has_leak '.object | test("^pipe:\\[[0-9]+\\]$")'
    [ "$(jq -r .errors <<<"$output")" -eq 1 ]
    json=$output

    # the text report names it on one line
    run -1 cryo leaks "$id"
    [[ "$output" == *"error: pipe: pid $pid (leak-hold, 1 in the container) fd 3: pipe:["*"]: held by pid $holder (sleep)"* ]]

    # the same without the BPF iterators (/proc and kcmp)
    CRYO_LEAKS_NO_BPF=1 leaks "$id"
    [ "$status" -eq 1 ]
    [ "$(jq -c .leaks <<<"$output")" = "$(jq -c .leaks <<<"$json")" ]

    # declared external: not a leak
    leaks "$id" --external-fd 3
    assert_clean
}

@test "leak: the peer of a unix socket is a host listener behind a bind-mounted socket" {
    server=$(host_hold srv unix-listen "$SHARE/sock")
    id=$(new_id)
    b=$(leak_bundle unix unix-connect /share/sock)
    share_into "$b"
    start_held "$id" "$b"
    host_ready srv
    pid=$(container_pid "$id")

    leaks "$id"
    [ "$status" -eq 1 ]
    has_leak ".kind == \"unix\" and .pid == $pid and .fd == 3 and .holder.pid == $server"
    has_leak '.kind == "unix" and (.object | contains("/share/sock"))'
}

@test "leak: a MAP_SHARED mapping of a bind-mounted file that a host process maps too" {
    mapper=$(host_hold map mmap-shared "$SHARE/data")
    host_ready map
    id=$(new_id)
    b=$(leak_bundle map mmap-shared /share/data)
    share_into "$b"
    start_held "$id" "$b"
    pid=$(container_pid "$id")

    leaks "$id"
    [ "$status" -eq 1 ]
    has_leak ".kind == \"memory\" and .pid == $pid and .holder.pid == $mapper and (.address | test(\"^[0-9a-f]+-[0-9a-f]+$\"))"
    has_leak '.kind == "memory" and .object == "/share/data"'
    [ "$(leak_count '.kind != "memory"')" -eq 0 ]
}

@test "leak: a host process nsentered into the container's network namespace" {
    id=$(new_id)
    b=$(leak_bundle nsenter)
    start_held "$id" "$b"
    pid=$(container_pid "$id")
    netns=$(stat -L -c %i "/proc/$pid/ns/net")
    nsenter -t "$pid" -n sleep 3600 &
    intruder=$!
    track_pid "$intruder"
    wait_for 10 bash -c "[ \"\$(stat -L -c %i /proc/$intruder/ns/net)\" = $netns ]"

    leaks "$id"
    [ "$status" -eq 1 ]
    has_leak ".kind == \"namespace-joined\" and .object == \"net:[$netns]\" and .holder.pid == $intruder"
    [ "$(leak_count '.kind != "namespace-joined"')" -eq 0 ]
}

@test "leak: a process exec'd into every namespace and the cgroup is not covered by the checkpoint" {
    id=$(new_id)
    b=$(leak_bundle exec)
    start_held "$id" "$b"
    pid=$(container_pid "$id")
    # what `exec` does: join the container's cgroup, enter its namespaces
    (
        for d in /sys/fs/cgroup/*/cryo/"$id" /sys/fs/cgroup/cryo/"$id"; do
            [ ! -d "$d" ] || echo "$BASHPID" >"$d/cgroup.procs"
        done
        exec nsenter -t "$pid" -m -u -i -n -p -C sleep 3600
    ) &
    entered=$!
    track_pid "$entered"
    wait_for 10 bash -c "[ -n \"\$(cat /proc/$entered/task/$entered/children 2>/dev/null)\" ]"
    child=$(cat "/proc/$entered/task/$entered/children" | tr -d ' ')
    track_pid "$child"

    leaks "$id"
    [ "$status" -eq 1 ]
    # the process in the pid namespace, brought in by nsenter, and nsenter itself in the cgroup
    has_leak ".kind == \"process\" and .pid == $child and .holder.pid == $entered and (.detail | contains(\"pid namespace and cgroup\"))"
    has_leak ".kind == \"process\" and .pid == $entered and (.detail | contains(\"cgroup\"))"
    has_leak ".kind == \"namespace-joined\" and .holder.pid == $child"
}

@test "leak: a container process traced from the host; even a subtree checkpoint refuses it" {
    command -v strace >/dev/null || skip "strace is not installed"
    id=$(new_id)
    b=$(leak_bundle trace)
    start_held "$id" "$b"
    pid=$(container_pid "$id")
    strace -p "$pid" -o /dev/null &
    tracer=$!
    track_pid "$tracer"
    wait_for 10 bash -c "grep -q \"^TracerPid:[[:space:]]*$tracer\$\" /proc/$pid/status"

    leaks "$id" --subtree
    [ "$status" -eq 1 ]
    has_leak ".kind == \"ptrace\" and .pid == $pid and .holder.pid == $tracer and .severity == \"error\""
    [ "$(jq -r .errors <<<"$output")" -eq 1 ]
}

@test "leak: a file lock held in the container on a file a host process holds open" {
    touch "$SHARE/lock"
    id=$(new_id)
    b=$(leak_bundle lock flock /share/lock)
    share_into "$b"
    start_held "$id" "$b"
    pid=$(container_pid "$id")
    sleep 3600 <"$SHARE/lock" &
    holder=$!
    track_pid "$holder"

    leaks "$id"
    [ "$status" -eq 1 ]
    has_leak ".kind == \"lock\" and .pid == $pid and .fd == 3 and .holder.pid == $holder and (.object | contains(\"FLOCK lock on /share/lock\"))"
}

@test "leak: a memfd received from a host process and mapped shared" {
    sender=$(host_hold memfd memfd-send "$SHARE/msock")
    id=$(new_id)
    b=$(leak_bundle memfd memfd-recv /share/msock)
    share_into "$b"
    start_held "$id" "$b"
    host_ready memfd
    pid=$(container_pid "$id")

    leaks "$id"
    [ "$status" -eq 1 ]
    has_leak ".kind == \"memory\" and .pid == $pid and .holder.pid == $sender and (.object | startswith(\"/memfd:leak-hold\"))"
    # the fd came with SCM_RIGHTS: the same open file description
    has_leak ".kind == \"file-shared\" and .pid == $pid and .holder.pid == $sender"
}

@test "leak: a container without its own network namespace (container and subtree modes)" {
    id=$(new_id)
    b=$(leak_bundle nonet)
    bundle_edit "$b" '.linux.namespaces |= map(select(.type != "network"))'
    start_held "$id" "$b"
    hostnet=$(stat -L -c %i /proc/self/ns/net)

    leaks "$id"
    [ "$status" -eq 1 ]
    has_leak ".kind == \"namespace-shared\" and .object == \"net:[$hostnet]\" and .severity == \"error\""
    has_leak '.kind == "namespace-shared" and (.detail | contains("network"))'

    leaks "$id" --subtree
    [ "$status" -eq 1 ]
    [ "$(jq -r .errors <<<"$output")" -eq 0 ]
    has_leak ".kind == \"namespace-shared\" and .severity == \"warning\""
}

@test "leak: a TCP connection to a peer in another network namespace, through a veth pair" {
    command -v ip >/dev/null || skip "iproute2 is not installed"
    n=$((RANDOM % 200 + 20))
    ns="cryo-leak-$$-$n"
    echo "$ns" >>"$BATS_TEST_TMPDIR/.netns"
    ip netns add "$ns"
    id=$(new_id)
    b=$(leak_bundle tcp tcp-connect "10.241.$n.1" 5000)
    start_held_nowait() { cryo run --detach --bundle "$1" "$id" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1; }
    start_held_nowait "$b"
    pid=$(container_pid "$id")
    ip link add "lkh$n" type veth peer name "lkc$n"
    ip link set "lkh$n" netns "$ns"
    ip link set "lkc$n" netns "$pid"
    ip -n "$ns" addr add "10.241.$n.1/24" dev "lkh$n"
    ip -n "$ns" link set "lkh$n" up
    nsenter -t "$pid" -n ip addr add "10.241.$n.2/24" dev "lkc$n"
    nsenter -t "$pid" -n ip link set "lkc$n" up
    ip netns exec "$ns" "$HOLD" --ready "$BATS_TEST_TMPDIR/ready-srv" tcp-listen "10.241.$n.1" 5000 </dev/null >/dev/null 2>&1 &
    server=$!
    track_pid "$server"
    wait_ready "$b"
    host_ready srv

    for opt in "" --tcp-established; do
        leaks "$id" $opt
        [ "$status" -eq 1 ]
        has_leak ".kind == \"tcp\" and .pid == $pid and .holder.pid == $server and (.object | test(\"^tcp 10.241.$n.2:[0-9]+ -> 10.241.$n.1:5000$\"))"
        has_leak '.kind == "tcp" and (.detail | contains("outside the container"))'
    done
}

@test "leak: a container namespace bind-mounted on the host, and one held by an outside fd" {
    id=$(new_id)
    b=$(leak_bundle nsbind)
    start_held "$id" "$b"
    pid=$(container_pid "$id")
    touch "$BATS_TEST_TMPDIR/netns-file"
    mount --bind "/proc/$pid/ns/net" "$BATS_TEST_TMPDIR/netns-file"
    echo "$BATS_TEST_TMPDIR/netns-file" >>"$BATS_TEST_TMPDIR/.mounts"
    sleep 3600 3<"/proc/$pid/ns/ipc" &
    holder=$!
    track_pid "$holder"
    wait_for 10 test -e "/proc/$holder/fd/3"

    leaks "$id"
    [ "$status" -eq 1 ]
    has_leak ".kind == \"namespace-bind\" and .holder.path == \"$BATS_TEST_TMPDIR/netns-file\""
    has_leak ".kind == \"namespace-fd\" and .holder.pid == $holder and (.object | startswith(\"ipc:\"))"
}

# A network namespace config.json joins by path is declared, as a bind mount
# is: the host holds it by design (runc hands it to CRIU as external).
@test "no leak: a network namespace the config joins by path (ip netns add), held by the host" {
    id=$(new_id)
    ns="cryo-lk-$$-$RANDOM"
    echo "$ns" >>"$BATS_TEST_TMPDIR/.netns"
    ip netns add "$ns"
    b=$(leak_bundle joinnet)
    bundle_edit "$b" "(.linux.namespaces[] | select(.type == \"network\")).path = \"/run/netns/$ns\""
    start_held "$id" "$b"
    [ "$(stat -L -c %i "/proc/$(container_pid "$id")/ns/net")" = "$(stat -L -c %i "/run/netns/$ns")" ]
    # an outside process in it too: the namespace is the host's business
    ip netns exec "$ns" sleep 3600 </dev/null >/dev/null 2>&1 &
    inside=$!
    track_pid "$inside"
    wait_for 10 bash -c "[ \"\$(stat -L -c %i /proc/$inside/ns/net)\" = \"\$(stat -L -c %i /run/netns/$ns)\" ]"
    leaks "$id"
    assert_clean
}

@test "leak: an open file description shared with a host process, an unreachable file and a host device" {
    echo data >"$BATS_TEST_TMPDIR/outside"
    id=$(new_id)
    b=$(leak_bundle fds)
    exec {fd}<"$SHARE/../outside"
    sleep 3600 <&"$fd" &
    holder=$!
    track_pid "$holder"
    cryo run --detach --bundle "$b" --preserve-fds 2 "$id" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 \
        3<&"$fd" 4</dev/kmsg
    exec {fd}<&-
    wait_ready "$b"
    pid=$(container_pid "$id")

    leaks "$id"
    [ "$status" -eq 1 ]
    has_leak ".kind == \"file-shared\" and .pid == $pid and .fd == 3 and .holder.pid == $holder"
    has_leak ".kind == \"file-unreachable\" and .fd == 3 and .object == \"$BATS_TEST_TMPDIR/outside\""
    has_leak ".kind == \"device\" and .fd == 4 and .object == \"/dev/kmsg\""
    # the same description found with kcmp(2), without the BPF iterators
    CRYO_LEAKS_NO_BPF=1 leaks "$id"
    has_leak ".kind == \"file-shared\" and .pid == $pid and .fd == 3 and .holder.pid == $holder"
}

@test "leak: a descendant of init moved out of the cgroup, and one in a namespace of its own" {
    id=$(new_id)
    b=$BATS_TEST_TMPDIR/bundle-ns
    make_bundle "$b" sh -c 'unshare -n sleep 3600 & exec /bin/leak-hold --ready /tmp/ready pipe'
    bundle_edit "$b" '.root.readonly = false | .process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"])'
    start_held "$id" "$b"
    pid=$(container_pid "$id")
    wait_for 10 bash -c "[ \$(wc -w < /proc/$pid/task/$pid/children) -ge 2 ]"
    kids=$(cat "/proc/$pid/task/$pid/children")
    for k in $kids; do
        if [ "$(cat "/proc/$k/comm")" = leak-hold ]; then moved=$k; else unshared=$k; fi
    done
    # to the root of every hierarchy (of the one tree on pure cgroup v2)
    if cgroup_v2; then
        echo "$moved" >/sys/fs/cgroup/cgroup.procs
    else
        for d in /sys/fs/cgroup/*/; do
            [ -e "$d/cgroup.procs" ] && echo "$moved" >"$d/cgroup.procs"
        done
    fi

    leaks "$id"
    [ "$status" -eq 1 ]
    has_leak ".kind == \"process-cgroup\" and .pid == $moved"
    has_leak ".kind == \"namespace-foreign\" and .pid == $unshared and (.object | startswith(\"net:\"))"
}

@test "leak: an established TCP connection inside needs --tcp-established" {
    id=$(new_id)
    b=$(leak_bundle tcploop tcp-loop 8080)
    start_held "$id" "$b"

    leaks "$id"
    [ "$status" -eq 1 ]
    [ "$(leak_count '.kind == "tcp" and (.detail | contains("--tcp-established"))')" -eq 2 ]
    [ "$(leak_count '.kind != "tcp"')" -eq 0 ]

    leaks "$id" --tcp-established
    assert_clean
}

# ------------------------------------------------- self-contained: clean

@test "clean: pipes between container processes" {
    id=$(new_id)
    b=$(leak_bundle c-pipe pipe pipe)
    start_held "$id" "$b"
    leaks "$id"
    assert_clean
    assert_no_walk "$id"
    [ "$(jq .scanned.processes <<<"$output")" -eq 3 ]
}

@test "clean: socketpairs and a unix listener with its client, inside" {
    id=$(new_id)
    b=$(leak_bundle c-sock socketpair unix-pair /tmp/inner.sock)
    start_held "$id" "$b"
    leaks "$id"
    assert_clean
    assert_no_walk "$id"
}

@test "clean: POSIX shared memory in the container's /dev/shm, mapped by two processes" {
    id=$(new_id)
    b=$(leak_bundle c-pshm posix-shm /leak-hold-shm)
    start_held "$id" "$b"
    [ -e "/proc/$(container_pid "$id")/root/dev/shm/leak-hold-shm" ]
    leaks "$id"
    assert_clean
}

@test "clean: SysV shared memory and message queues of the container's ipc namespace" {
    id=$(new_id)
    b=$(leak_bundle c-sysv sysv-shm)
    start_held "$id" "$b"
    pid=$(container_pid "$id")
    # a host process maps a segment of the host's ipc namespace meanwhile
    host_hold hostshm sysv-shm >/dev/null
    host_ready hostshm
    grep -q SYSV "/proc/$pid/maps"
    leaks "$id"
    assert_clean
}

@test "clean: POSIX message queues" {
    id=$(new_id)
    b=$(leak_bundle c-mq mqueue)
    start_held "$id" "$b"
    leaks "$id"
    assert_clean
    assert_no_walk "$id"
}

@test "clean: threads" {
    id=$(new_id)
    b=$(leak_bundle c-thr threads 8)
    start_held "$id" "$b"
    pid=$(container_pid "$id")
    [ "$(ls "/proc/$pid/task" | wc -l)" -eq 9 ]
    leaks "$id"
    assert_clean
    assert_no_walk "$id"
}

@test "clean: zombies" {
    id=$(new_id)
    b=$(leak_bundle c-zombie zombie zombie)
    start_held "$id" "$b"
    pid=$(container_pid "$id")
    wait_for 10 bash -c "for c in \$(cat /proc/$pid/task/$pid/children); do grep -q '^State:.*Z' /proc/\$c/status && exit 0; done; exit 1"
    leaks "$id"
    assert_clean
    assert_no_walk "$id"
}

@test "clean: files of a declared bind mount, also open (not shared) on the host" {
    echo data >"$SHARE/data"
    sleep 3600 <"$SHARE/data" &
    track_pid $!
    id=$(new_id)
    b=$(leak_bundle c-bind open /share/data mmap-shared /tmp/private-map)
    share_into "$b"
    start_held "$id" "$b"
    leaks "$id"
    assert_clean
}

@test "clean: stdio pipes held by the caller are the container's declared stdio" {
    id=$(new_id)
    b=$(leak_bundle c-stdio)
    exec {in}< <(exec sleep 3600)
    track_pid $!
    cryo run --detach --bundle "$b" "$id" <&"$in" > >(exec cat >/dev/null) 2>&1
    track_pid $!
    exec {in}<&-
    wait_ready "$b"
    pid=$(container_pid "$id")
    [[ "$(readlink "/proc/$pid/fd/1")" == pipe:* ]]
    leaks "$id"
    assert_clean
    assert_no_walk "$id"
}

@test "clean: the console of a terminal container, its master held by the --console-socket receiver" {
    start_console_server
    id=$(new_id)
    b=$(leak_bundle c-tty pipe)
    bundle_edit "$b" '.process.terminal = true'
    start_held "$id" "$b" --console-socket "$sock"
    pid=$(container_pid "$id")
    [[ "$(readlink "/proc/$pid/fd/0")" == /dev/pts/* ]]
    leaks "$id"
    assert_clean
    assert_no_walk "$id"
}

@test "clean: a memfd shared by two container processes, and a flock shared with a child" {
    id=$(new_id)
    b=$(leak_bundle c-memfd memfd flock-shared /tmp/lockfile)
    start_held "$id" "$b"
    leaks "$id"
    assert_clean
}

@test "clean: eventfd, epoll, timerfd, signalfd, inotify while the host holds the same kinds" {
    host_hold anon anon-fds fds 400 >/dev/null
    host_ready anon
    id=$(new_id)
    b=$(leak_bundle c-anon anon-fds)
    start_held "$id" "$b"
    leaks "$id"
    assert_clean
    assert_no_walk "$id"
}

@test "clean: a container process tracing its own child" {
    id=$(new_id)
    b=$(leak_bundle c-ptrace ptrace-child)
    start_held "$id" "$b"
    leaks "$id"
    assert_clean
    assert_no_walk "$id"
}

@test "the scan leaves a running container running and a paused one paused; the report is stable" {
    id=$(new_id)
    b=$(leak_bundle state pipe)
    start_held "$id" "$b"
    pid=$(container_pid "$id")
    nsenter -t "$pid" -n sleep 3600 &
    intruder=$!
    track_pid "$intruder"
    wait_for 10 bash -c "[ \"\$(stat -L -c %i /proc/$intruder/ns/net)\" = \"\$(stat -L -c %i /proc/$pid/ns/net)\" ]"

    run -1 cryo leaks "$id"
    first=$output
    [ "$(container_status "$id")" = running ]
    [ "$(freezer_state "$id")" = THAWED ]
    run -1 cryo leaks "$id"
    [ "$output" = "$first" ]

    cryo pause "$id"
    run -1 cryo leaks "$id"
    [ "$(container_status "$id")" = paused ]
    cryo resume "$id"

    cryo kill "$id" KILL
    wait_for_status "$id" stopped
    run -1 cryo leaks "$id"
    [[ "$output" == *"cannot look for leaks in container \`$id\`: it is stopped"* ]]
    run -1 cryo leaks nonexistent-"$id"
    [[ "$output" == *"does not exist"* ]]
}

# ------------------------------------------------------------- BPF pins

# scan_log ID [ENV...]: `cryo --debug leaks ID` (with ENV), its log in
# $BATS_TEST_TMPDIR/pin.log; the scan must find no leak.
scan_log() {
    local id=$1
    shift
    env "$@" "$CRYO_BIN" --root "$CRYO_ROOT" --debug --log "$BATS_TEST_TMPDIR/pin.log" leaks "$id" >/dev/null
    grep "BPF" "$BATS_TEST_TMPDIR/pin.log" >&2 || true
}

@test "BPF programs are pinned for the next scans; stale, broken and busy pins are handled" {
    id=$(new_id)
    b=$(leak_bundle pin pipe)
    start_held "$id" "$b"
    scan_log "$id"
    grep -q "BPF iterators loaded" "$BATS_TEST_TMPDIR/pin.log" || skip "no BPF iterators on this host"
    pins=$(grep -o '/sys/fs/bpf/cryo-[0-9a-z_]*-f[0-9a-f]*' "$BATS_TEST_TMPDIR/pin.log" | head -n1)
    [ -n "$pins" ]
    # the second scan takes the programs from the pins
    scan_log "$id"
    grep -q "reusing the programs pinned in \`$pins\`" "$BATS_TEST_TMPDIR/pin.log"

    # a stale directory (another version) goes when the pins are made again
    stale=/sys/fs/bpf/cryo-0_0_0-f0123456789abcdef
    echo "$stale" >>"$BATS_TEST_TMPDIR/.stale"
    mkdir "$stale"
    rm -r "$pins"
    scan_log "$id"
    grep -q "the programs are pinned in \`$pins\`" "$BATS_TEST_TMPDIR/pin.log"
    grep -q "removing the stale \`${stale##*/}\`" "$BATS_TEST_TMPDIR/pin.log"
    [ ! -e "$stale" ]

    # a pin that is not the program: replaced by fresh programs, same result
    rm "$pins/file" && mkdir "$pins/file"
    scan_log "$id"
    grep -q "is not the file iterator program here" "$BATS_TEST_TMPDIR/pin.log"
    grep -q "the programs are pinned in \`$pins\`" "$BATS_TEST_TMPDIR/pin.log"
    leaks "$id"
    assert_clean
    scan_log "$id"
    grep -q "reusing the programs pinned in" "$BATS_TEST_TMPDIR/pin.log"

    # held by another command: private copies, the pins left alone
    flock "$pins" "$CRYO_BIN" --root "$CRYO_ROOT" --debug --log "$BATS_TEST_TMPDIR/pin.log" leaks "$id" >/dev/null
    grep -q "is in use by another command: loading private copies" "$BATS_TEST_TMPDIR/pin.log"
    ! grep -q "the programs are pinned" "$BATS_TEST_TMPDIR/pin.log"
    [ -e "$pins/file" ]
}
