#!/usr/bin/env bats
# What restore rebuilds itself, each checked after two round trips in a
# row: the network namespace (an extra address and route), the hostname,
# a user namespace with its id maps, bind mounts, tmpfs contents, masks.

load helpers
load lifecycle-helpers
load checkpoint-helpers

setup() {
    requires_criu
}

# add_caps BUNDLE CAP...: give the process these capabilities too.
add_caps() {
    local b=$1 c list
    shift
    list=$(printf '"%s",' "$@")
    list="[${list%,}]"
    bundle_edit "$b" ".process.capabilities.bounding += $list | .process.capabilities.effective += $list
        | .process.capabilities.permitted += $list"
}

# round_trips ID BUNDLE: checkpoint and restore twice under the same id.
round_trips() {
    local id=$1 b=$2 round
    for round in 1 2; do
        cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img$round"
        cr_gone "$id"
        cr_restore "$id" "$BATS_TEST_TMPDIR/img$round" "$b" "r$round"
        [ "$(container_status "$id")" = running ]
    done
}

teardown() {
    cryo_teardown
    [ -z "${NETNS:-}" ] || ip netns del "$NETNS" 2>/dev/null || true
}

in_ns() {
    local pid
    pid=$(container_pid "$1")
    shift
    nsenter -t "$pid" "$@"
}

@test "network namespace: loopback, an extra address and a route survive, rebuilt by cryo" {
    id=$(new_id)
    b=$(cr_bundle net sh -c 'ip addr add 10.9.0.2/24 dev lo && ip route add 10.10.0.0/16 via 10.9.0.1 dev lo && touch /tmp/ready && exec sleep 3600')
    add_caps "$b" CAP_NET_ADMIN
    cr_run "$id" "$b"
    cr_wait_file "$b/rootfs/tmp/ready"
    round_trips "$id" "$b"
    jq -e '.addresses[] | select(.address == "10.9.0.2" and .prefixlen == 24)' "$BATS_TEST_TMPDIR/img2/network.json"
    run -0 in_ns "$id" -n ip -o addr show dev lo
    [[ "$output" == *"127.0.0.1/8"* && "$output" == *"10.9.0.2/24"* ]]
    run -0 in_ns "$id" -n ip route show
    [[ "$output" == *"10.10.0.0/16 via 10.9.0.1 dev lo"* ]]
    run -0 in_ns "$id" -n ip -o link show lo
    [[ "$output" == *"UP"* ]]
    cryo delete --force "$id"
}

# runc's "checkpoint and restore in external network namespace": a network
# namespace the config joins by path is a declared external; CRIU dumps it
# as such and the restored container is in that very namespace again.
@test "a network namespace joined by path (ip netns add): external, joined again at restore" {
    id=$(new_id)
    NETNS="cryo-cpns-$$-$RANDOM"
    ip netns add "$NETNS"
    ip -n "$NETNS" link set lo up
    ino=$(stat -L -c %i "/run/netns/$NETNS")
    b=$(cr_bundle joinnet sleep 3600)
    bundle_edit "$b" "(.linux.namespaces[] | select(.type == \"network\")).path = \"/run/netns/$NETNS\""
    cr_run "$id" "$b"
    for round in 1 2; do
        cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img$round"
        cr_gone "$id"
        jq -e '.netns == true' "$BATS_TEST_TMPDIR/img$round/externals.json"
        cr_restore "$id" "$BATS_TEST_TMPDIR/img$round" "$b" "r$round"
        [ "$(container_status "$id")" = running ]
        [ "$(stat -L -c %i "/proc/$(container_pid "$id")/ns/net")" = "$ino" ]
    done
    # the namespace itself was left alone
    ip -n "$NETNS" -o link show lo | grep -q UP
    cryo delete --force "$id"
}

@test "hostname and domainname set inside the container survive" {
    id=$(new_id)
    b=$(cr_bundle uts sh -c 'hostname inner-name && echo inner.domain > /proc/sys/kernel/domainname && touch /tmp/ready && exec sleep 3600')
    add_caps "$b" CAP_SYS_ADMIN
    bundle_edit "$b" '.linux.readonlyPaths = [] | .linux.maskedPaths = []'
    cr_run "$id" "$b"
    cr_wait_file "$b/rootfs/tmp/ready"
    round_trips "$id" "$b"
    [ "$(in_ns "$id" -u hostname)" = inner-name ]
    [ "$(in_ns "$id" -u cat /proc/sys/kernel/domainname)" = inner.domain ]
    [ "$(jq -r .hostname "$BATS_TEST_TMPDIR/img2/namespaces.json")" = inner-name ]
    cryo delete --force "$id"
}

@test "user namespace: id maps, ownership and the network come back" {
    id=$(new_id)
    b=$(cr_bundle user sh -c 'echo x > /tmp/owned && touch /tmp/ready && exec sleep 3600')
    bundle_edit "$b" '.linux.namespaces += [{"type": "user"}]
        | .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
        | .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
        | .mounts |= map(select(.type != "cgroup"))'
    chown -R 200000:200000 "$b/rootfs/tmp"
    open_path_to "$b"
    cr_run "$id" "$b"
    cr_wait_file "$b/rootfs/tmp/ready"
    in_ns "$id" -n ip addr add 10.7.0.1/24 dev lo
    round_trips "$id" "$b"
    pid=$(container_pid "$id")
    [ "$(awk '{print $1, $2, $3}' "/proc/$pid/uid_map")" = "0 200000 65536" ]
    [ "$(awk '{print $1, $2, $3}' "/proc/$pid/gid_map")" = "0 200000 65536" ]
    [ "$(stat -c %u "/proc/$pid")" = 200000 ]
    run -0 in_ns "$id" -n ip -o addr show dev lo
    [[ "$output" == *"10.7.0.1/24"* ]]
    cryo delete --force "$id"
}

@test "bind mounts: restored from the bundle's source, written before and after" {
    id=$(new_id)
    mkdir -p "$BATS_TEST_TMPDIR/data"
    b=$(cr_bundle bind sh -c 'echo before > /data/f; touch /tmp/ready; while [ ! -e /data/go ]; do sleep 0.1; done; echo after >> /data/f; exec sleep 3600')
    bundle_edit "$b" ".mounts += [{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/data\", \"options\": [\"rbind\", \"rw\"]}]"
    cr_run "$id" "$b"
    cr_wait_file "$b/rootfs/tmp/ready"
    round_trips "$id" "$b"
    touch "$BATS_TEST_TMPDIR/data/go"
    wait_for 10 grep -q after "$BATS_TEST_TMPDIR/data/f"
    [ "$(cat "$BATS_TEST_TMPDIR/data/f")" = "$(printf 'before\nafter')" ]
    jq -e '.mounts[] | select(.kind == "bind" and .destination == "/data")' "$BATS_TEST_TMPDIR/img1/externals.json"
    cryo delete --force "$id"
}

# runc's "checkpoint and restore (bind mount, destination is symlink)": the
# bind lands where the symlink leads, and mountinfo shows that path.
@test "a bind mount whose destination is a symlink in the rootfs: declared at the resolved path" {
    id=$(new_id)
    mkdir -p "$BATS_TEST_TMPDIR/data"
    echo hello >"$BATS_TEST_TMPDIR/data/f"
    b=$(cr_bundle symbind sleep 3600)
    mkdir -p "$b/rootfs/real/conf"
    ln -s /real/conf "$b/rootfs/conf"
    bundle_edit "$b" ".mounts += [{\"destination\": \"/conf\", \"source\": \"$BATS_TEST_TMPDIR/data\", \"options\": [\"bind\"]}]"
    cr_run "$id" "$b"
    grep -q " /real/conf " "/proc/$(container_pid "$id")/mountinfo"
    round_trips "$id" "$b"
    [ "$(in_ns "$id" -m cat /conf/f)" = hello ]
    [ "$(in_ns "$id" -m cat /real/conf/f)" = hello ]
    jq -e '.mounts[] | select(.kind == "bind" and .destination == "/real/conf")' "$BATS_TEST_TMPDIR/img2/externals.json"
    cryo delete --force "$id"
}

# runc's "checkpoint and restore with nested bind mounts": the mountpoint of
# the inner bind is in the outer bind's source; removed after the
# checkpoint, restore makes it again there.  The outer source is relative
# to the bundle, as in runc's test.
@test "nested bind mounts: the inner mountpoint is made again in the outer bind's source" {
    id=$(new_id)
    b=$(cr_bundle nested sleep 3600)
    mkdir -p "$b/outer" "$BATS_TEST_TMPDIR/inner"
    echo in >"$BATS_TEST_TMPDIR/inner/f"
    bundle_edit "$b" ".mounts += [{\"destination\": \"/test\", \"type\": \"bind\", \"source\": \"outer\", \"options\": [\"rw\", \"bind\"]},
        {\"destination\": \"/test/for/nested\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/inner\", \"options\": [\"rw\", \"bind\"]}]"
    cr_run "$id" "$b"
    [ -d "$b/outer/for/nested" ]
    for round in 1 2; do
        cr_checkpoint "$id" "$BATS_TEST_TMPDIR/img$round"
        cr_gone "$id"
        rm -rf "${b:?}/outer/for"
        cr_restore "$id" "$BATS_TEST_TMPDIR/img$round" "$b" "r$round"
        [ "$(container_status "$id")" = running ]
        [ "$(in_ns "$id" -m cat /test/for/nested/f)" = in ]
    done
    [ -d "$b/outer/for/nested" ]
    [ ! -e "$b/rootfs/test/for" ]
    cryo delete --force "$id"
}

@test "tmpfs contents (a config tmpfs and /dev/shm) come back from cryo's archive" {
    id=$(new_id)
    b=$(cr_bundle tmpfs sh -c 'mkdir /scratch/d && echo hello > /scratch/d/f && chmod 640 /scratch/d/f && ln -s d/f /scratch/l && echo shm > /dev/shm/seg && touch /tmp/ready && exec sleep 3600')
    bundle_edit "$b" '.mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "size=1m", "mode=700"]}]'
    cr_run "$id" "$b"
    cr_wait_file "$b/rootfs/tmp/ready"
    round_trips "$id" "$b"
    [ "$(in_ns "$id" -m cat /scratch/d/f)" = hello ]
    [ "$(in_ns "$id" -m stat -c %a /scratch/d/f)" = 640 ]
    [ "$(in_ns "$id" -m stat -c %a /scratch)" = 700 ]
    [ "$(in_ns "$id" -m readlink /scratch/l)" = d/f ]
    [ "$(in_ns "$id" -m cat /dev/shm/seg)" = shm ]
    # the size option came back too
    run -0 grep " /scratch " "/proc/$(container_pid "$id")/mountinfo"
    [[ "$output" == *"size=1024k"* ]]
    # the image has cryo's archives, CRIU did not tar them
    jq -e '.tmpfs[] | select(.destination == "/scratch")' "$BATS_TEST_TMPDIR/img2/manifest.json"
    ! compgen -G "$BATS_TEST_TMPDIR/img2/criu/tmpfs-dev-*"
    cryo delete --force "$id"
}

@test "masked and read-only paths stay masked and read-only" {
    id=$(new_id)
    b=$(cr_bundle mask sleep 3600)
    cr_run "$id" "$b"
    round_trips "$id" "$b"
    [ -z "$(in_ns "$id" -m cat /proc/keys)" ]
    [ -z "$(in_ns "$id" -m ls /proc/acpi)" ]
    run in_ns "$id" -m touch /proc/sys/kernel/x
    [ "$status" -ne 0 ]
    run -0 grep " /proc/sys " "/proc/$(container_pid "$id")/mountinfo"
    [[ "$output" == *" ro,"* ]]
    cryo delete --force "$id"
}
