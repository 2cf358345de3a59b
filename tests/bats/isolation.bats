#!/usr/bin/env bats
# Isolation as seen from inside the container: namespaces, rootfs, masked
# and read-only paths, limits.

load helpers
load lifecycle-helpers

teardown() {
    cryo_teardown
    if [ -n "${NETNS:-}" ]; then
        ip netns del "$NETNS" 2>/dev/null || true
    fi
    if [ -n "${HOST_MSQ:-}" ]; then
        ipcrm -q "$HOST_MSQ" 2>/dev/null || true
    fi
}

@test "pid namespace: the process is pid 1 and no host process is visible" {
    id=$(new_id)
    b=$(bundle_for pid sh -c 'echo "self=$$"; cat /proc/1/comm; ls /proc | grep -c "^[0-9][0-9]*$"; ps -o pid,comm')
    run -0 cryo run --bundle "$b" "$id"
    echo "$output"
    [ "${lines[0]}" = self=1 ]
    [ "${lines[1]}" = sh ]
    # sh, ls, grep (and nothing of the host, which runs many more)
    [ "${lines[2]}" -le 4 ]
    [ "$(ls /proc | grep -c '^[0-9][0-9]*$')" -gt 20 ]
    ! grep -q bats <<<"$output"
}

@test "uts namespace: the configured hostname and domainname, the host's unchanged" {
    id=$(new_id)
    b=$(bundle_for uts sh -c 'hostname; cat /proc/sys/kernel/domainname')
    bundle_edit "$b" '.hostname = "cryo-box" | .domainname = "cryo.test"'
    run -0 cryo run --bundle "$b" "$id"
    [ "${lines[0]}" = cryo-box ]
    [ "${lines[1]}" = cryo.test ]
    [ "$(hostname)" != cryo-box ]
}

@test "network namespace: only lo, and it is up" {
    id=$(new_id)
    b=$(bundle_for net ip -o link)
    run -0 cryo run --bundle "$b" "$id"
    echo "$output"
    [ "${#lines[@]}" -eq 1 ]
    [[ "${lines[0]}" == "1: lo: <LOOPBACK,UP,LOWER_UP>"* ]]
}

@test "a network namespace given by path is joined" {
    NETNS="cryo-t-$$-$RANDOM"
    ip netns add "$NETNS"
    ip -n "$NETNS" link add cryoveth0 type veth peer name cryoveth1
    id=$(new_id)
    b=$(bundle_for netpath ip -o link)
    bundle_edit "$b" "(.linux.namespaces[] | select(.type == \"network\")) |= {type: \"network\", path: \"/run/netns/$NETNS\"}"
    run -0 cryo run --bundle "$b" "$id"
    echo "$output"
    grep -q cryoveth0 <<<"$output"
    grep -q cryoveth1 <<<"$output"
}

@test "pid and ipc namespaces of another container are joined by path" {
    id1=$(new_id)
    b1=$(bundle_for first sleep 3600)
    run_detached "$id1" "$b1"
    pid1=$(container_pid "$id1")
    id2=$(new_id)
    b2=$(bundle_for second sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; echo self=$$')
    bundle_edit "$b2" "(.linux.namespaces[] | select(.type == \"pid\")) |= {type: \"pid\", path: \"/proc/$pid1/ns/pid\"}
        | (.linux.namespaces[] | select(.type == \"ipc\")) |= {type: \"ipc\", path: \"/proc/$pid1/ns/ipc\"}"
    run -0 cryo run --bundle "$b2" "$id2"
    echo "$output"
    [ "${lines[0]}" = "sleep 3600 " ]
    [ "${lines[1]}" != self=1 ]
}

@test "ipc namespace: host SysV objects are invisible" {
    HOST_MSQ=$(ipcmk -Q | grep -o '[0-9]*$')
    [ "$(grep -c . /proc/sysvipc/msg)" -ge 2 ]
    id=$(new_id)
    b=$(bundle_for ipc cat /proc/sysvipc/msg)
    run -0 cryo run --bundle "$b" "$id"
    echo "$output"
    [ "${#lines[@]}" -eq 1 ]
}

@test "the rootfs is the bundle's" {
    id=$(new_id)
    b=$(bundle_for root sh -c 'cat /marker; test -e /etc/os-release && echo host-file-visible; true')
    echo "marker-$RANDOM$RANDOM" >"$b/rootfs/marker"
    run -0 cryo run --bundle "$b" "$id"
    [ "${lines[0]}" = "$(cat "$b/rootfs/marker")" ]
    [ -e /etc/os-release ]
    ! grep -q host-file-visible <<<"$output"
}

@test "masked and read-only paths hold, a read-only root is read-only" {
    [ -n "$(head -c 1 /proc/timer_list)" ]
    id=$(new_id)
    # one line: make_bundle splits arguments at newlines
    script='wc -c < /proc/timer_list; ls /sys/firmware | wc -l;'
    script+=' echo 1 > /proc/sys/kernel/ns_last_pid && echo sys-writable;'
    script+=' touch /newfile && echo root-writable; echo done'
    b=$(bundle_for ro sh -c "$script")
    bundle_edit "$b" '.root.readonly = true'
    run -0 cryo run --bundle "$b" "$id"
    echo "$output"
    [ "${lines[0]}" = 0 ]
    [ "${lines[1]}" = 0 ]
    ! grep -q sys-writable <<<"$output"
    ! grep -q root-writable <<<"$output"
    grep -q "Read-only file system" <<<"$output"
    [ ! -e "$b/rootfs/newfile" ]
}

@test "cgroup namespace: the container's cgroup is its root" {
    id=$(new_id)
    b=$(bundle_for cgns cat /proc/self/cgroup)
    bundle_edit "$b" '.linux.namespaces += [{"type": "cgroup"}]'
    run -0 cryo run --bundle "$b" "$id"
    echo "$output"
    if cgroup_v2; then
        [ "$output" = 0::/ ]
    else
        grep -q ":memory:/$" <<<"$output"
    fi
}

@test "user namespace: uid/gid maps written, root inside is an unprivileged uid outside" {
    id=$(new_id)
    b=$(bundle_for userns sh -c 'cat /proc/self/uid_map /proc/self/gid_map; id -u; touch /tmp/x; sleep 3600')
    chmod 1777 "$b/rootfs/tmp"
    open_path_to "$b"
    bundle_edit "$b" '.linux.namespaces += [{"type": "user"}]
        | .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
        | .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
        | .mounts |= map(select(.destination != "/sys/fs/cgroup"))'
    run_detached "$id" "$b"
    wait_for 10 test -e "$b/rootfs/tmp/x"
    out=$(cat "$BATS_TEST_TMPDIR/$id.out")
    echo "$out"
    grep -Eq '^ +0 +200000 +65536$' <<<"$out"
    [ "$(sed -n 3p <<<"$out")" = 0 ]
    [ "$(stat -c %u "$b/rootfs/tmp/x")" = 200000 ]
    pid=$(container_pid "$id")
    grep -Eq "^Uid:\s+200000\s" "/proc/$pid/status"
}

@test "time namespace: boottime and monotonic offsets" {
    read -r up _ </proc/uptime
    [ "${up%.*}" -lt 1000000 ] || skip "host uptime already above the offset"
    id=$(new_id)
    b=$(bundle_for time cat /proc/uptime)
    bundle_edit "$b" '.linux.namespaces += [{"type": "time"}]
        | .linux.timeOffsets = {"boottime": {"secs": 2000000, "nanosecs": 0},
                                "monotonic": {"secs": 1000, "nanosecs": 0}}'
    run -0 cryo run --bundle "$b" "$id"
    read -r inside _ <<<"$output"
    [ "${inside%.*}" -ge 2000000 ]
}

@test "memory limit is enforced (the container is OOM-killed)" {
    id=$(new_id)
    b=$(bundle_for mem sh -c 'x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived')
    bundle_edit "$b" '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
    run cryo run --bundle "$b" "$id"
    echo "status=$status $output"
    [ "$status" -eq 137 ]
    ! grep -q survived <<<"$output"
    assert_no_leftovers "$id" "$b"
}

@test "pids limit is enforced" {
    id=$(new_id)
    script='cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max; for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 3600 & done; echo forked'
    b=$(bundle_for pids sh -c "$script")
    bundle_edit "$b" '.linux.resources.pids = {"limit": 6}'
    run cryo run --bundle "$b" "$id"
    echo "status=$status $output"
    [ "$status" -ne 0 ]
    [ "${lines[0]}" = 6 ]
    grep -q "can't fork" <<<"$output"
    ! grep -q forked <<<"$output"
    assert_no_leftovers "$id" "$b"
}

@test "process settings: rlimits, oomScoreAdj, noNewPrivileges, sysctl in the container only" {
    id=$(new_id)
    b=$(bundle_for proc sh -c 'ulimit -n; cat /proc/self/oom_score_adj; grep NoNewPrivs /proc/self/status; cat /proc/sys/net/ipv4/ip_forward')
    bundle_edit "$b" '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 777, "hard": 888}]
        | .process.oomScoreAdj = 123 | .process.noNewPrivileges = true
        | .linux.sysctl = {"net.ipv4.ip_forward": "1"}'
    host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
    run -0 cryo run --bundle "$b" "$id"
    echo "$output"
    [ "${lines[0]}" = 777 ]
    [ "${lines[1]}" = 123 ]
    [[ "${lines[2]}" =~ NoNewPrivs:[[:space:]]+1 ]]
    [ "${lines[3]}" = 1 ]
    [ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_fwd" ]
}

@test "only the configured devices exist" {
    id=$(new_id)
    b=$(bundle_for dev sh -c 'ls /dev; test -c /dev/null && echo null-is-char')
    run -0 cryo run --bundle "$b" "$id"
    echo "$output"
    grep -q null-is-char <<<"$output"
    ! grep -Eq '^(sda|vda|nvme0n1|mem|kmsg)$' <<<"$output"
}
