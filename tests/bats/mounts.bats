#!/usr/bin/env bats
# The container's mounts as cryo makes them from config.json: tmpcopyup
# tmpfs mounts, and the cgroup mount with and without a cgroup namespace.

load helpers
load lifecycle-helpers

@test "tmpcopyup: the tmpfs starts with the rootfs's files and their metadata; the rootfs is untouched" {
    id=$(new_id)
    # (make_bundle takes one argument per line)
    b=$(bundle_for copyup sh -c 'cd /etc/x && stat -c "%n %a %u:%g %Y" . f d d/g && cat f && readlink l && readlink out && grep " /etc/x " /proc/self/mountinfo && echo new >new && echo more >>d/g && ls -i f f2')
    x=$b/rootfs/etc/x
    mkdir -p "$x/d"
    echo hello >"$x/f"
    ln "$x/f" "$x/f2"
    echo g >"$x/d/g"
    ln -s f "$x/l"
    ln -s /etc/shadow "$x/out"
    # the container's root has no CAP_DAC_OVERRIDE: readable by its group
    chown 1234:0 "$x/f"
    chmod 0640 "$x/f"
    chmod 0710 "$x/d"
    touch -d @1000000000 "$x/f" "$x/d/g" "$x/d"
    touch -d @1000000001 "$x"
    bundle_edit "$b" '.mounts += [{"destination": "/etc/x", "type": "tmpfs", "source": "tmpfs",
        "options": ["nosuid", "nodev", "tmpcopyup"]}]'
    run cryo run --bundle "$b" "$id"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = ". 755 0:0 1000000001" ]
    [ "${lines[1]}" = "f 640 1234:0 1000000000" ]
    [ "${lines[2]}" = "d 710 0:0 1000000000" ]
    [ "${lines[3]}" = "d/g 644 0:0 1000000000" ]
    [ "${lines[4]}" = hello ]
    [ "${lines[5]}" = f ]
    [ "${lines[6]}" = /etc/shadow ]
    [[ "${lines[7]}" == *" /etc/x "*" - tmpfs "* ]]
    # hard links stay links
    read -r ino1 _ <<<"${lines[8]}"
    read -r ino2 _ <<<"${lines[9]}"
    [ "$ino1" = "$ino2" ]
    # what the container wrote went to the tmpfs
    [ ! -e "$x/new" ]
    [ "$(cat "$x/d/g")" = g ]
}

@test "tmpcopyup is refused on a bind mount" {
    id=$(new_id)
    b=$(bundle_for copyup-bind true)
    mkdir "$BATS_TEST_TMPDIR/vol"
    bundle_edit "$b" ".mounts += [{\"destination\": \"/vol\", \"type\": \"bind\",
        \"source\": \"$BATS_TEST_TMPDIR/vol\", \"options\": [\"rbind\", \"tmpcopyup\"]}]"
    run -1 cryo run --bundle "$b" "$id"
    [[ "$output" == *"tmpcopyup needs a new tmpfs mount, \`/vol\` is a bind mount"* ]]
}

# cgroup v1 only: the test reads /sys/fs/cgroup/memory.
requires_cgroup_v1_memory() {
    [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ] || skip "no cgroup v1 memory controller"
}

# One line: make_bundle takes one argument per line.
CGROUP_CHECK='grep " /sys/fs/cgroup/memory " /proc/self/mountinfo; cat /sys/fs/cgroup/memory/memory.limit_in_bytes; ls /sys/fs/cgroup/memory; echo 1 >/sys/fs/cgroup/memory/memory.limit_in_bytes'

@test "without a cgroup namespace the container sees its own cgroups, read-only" {
    requires_cgroup_v1_memory
    id=$(new_id)
    b=$(bundle_for cg-nons sh -c "$CGROUP_CHECK")
    bundle_edit "$b" '.linux.namespaces |= map(select(.type != "cgroup"))
        | .linux.resources.memory.limit = 67108864'
    run cryo run --bundle "$b" "$id"
    echo "$output"
    [ "$status" -eq 1 ]
    # the bind of /cryo/<id>, not the hierarchy's root
    [[ "${lines[0]}" == *" /cryo/$id /sys/fs/cgroup/memory ro,"*" - cgroup "* ]]
    [ "${lines[1]}" = 67108864 ]
    [[ "$output" == *memory.limit_in_bytes* ]]
    ! grep -qx cryo <<<"$output"
    [[ "$output" == *"Read-only file system"* ]]
}

@test "in a user namespace without a cgroup namespace the cgroups are bound, not mounted" {
    requires_cgroup_v1_memory
    id=$(new_id)
    b=$(bundle_for cg-userns sh -c "cat /proc/self/uid_map; $CGROUP_CHECK")
    open_path_to "$b"
    bundle_edit "$b" '.linux.namespaces |= map(select(.type != "cgroup"))
        | .linux.namespaces += [{"type": "user"}]
        | .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
        | .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
        | .linux.resources.memory.limit = 67108864'
    run cryo run --bundle "$b" "$id"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "${lines[0]}" =~ ^\ +0\ +200000\ +65536$ ]]
    [[ "${lines[1]}" == *" /cryo/$id /sys/fs/cgroup/memory ro,"*" - cgroup "* ]]
    [ "${lines[2]}" = 67108864 ]
    ! grep -qx cryo <<<"$output"
}

@test "with a cgroup namespace the cgroup mount is cgroup file systems rooted at the container's cgroup" {
    requires_cgroup_v1_memory
    id=$(new_id)
    b=$(bundle_for cg-ns sh -c "$CGROUP_CHECK")
    bundle_edit "$b" '.linux.resources.memory.limit = 67108864 | .linux.namespaces += [{"type": "cgroup"}]'
    run cryo run --bundle "$b" "$id"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "${lines[0]}" == *" / /sys/fs/cgroup/memory ro,"*" - cgroup "* ]]
    [ "${lines[1]}" = 67108864 ]
    ! grep -qx cryo <<<"$output"
}

@test "proc and sysfs are never mounted through a symlink the rootfs put at /proc or /sys (runc's mask.bats)" {
    for dir in proc sys; do
        id=$(new_id)
        b=$(bundle_for "link-$dir" true)
        rmdir "$b/rootfs/$dir"
        ln -s /symlink "$b/rootfs/$dir"
        run -1 cryo run --bundle "$b" "$id"
        echo "$output"
        [[ "$output" == *"must be mounted on ordinary directory"* ]]
        # nothing was made where the link points
        [ ! -e "$b/rootfs/symlink" ]
    done
}

@test "in a user namespace a bind source only the runtime can reach is opened by it (runc's userns.bats)" {
    id=$(new_id)
    b=$(bundle_for bind-userns sh -c 'cat /m1/foo.txt /m2/foo.txt; id -u')
    open_path_to "$b"
    mkdir "$b/rootfs/m1" "$b/rootfs/m2"
    for n in 1 2; do
        mkdir -p "$BATS_TEST_TMPDIR/src-$n/dir"
        echo "secret-$n" >"$BATS_TEST_TMPDIR/src-$n/dir/foo.txt"
        chmod 644 "$BATS_TEST_TMPDIR/src-$n/dir/foo.txt"
        chmod 700 "$BATS_TEST_TMPDIR/src-$n"
    done
    bundle_edit "$b" '.linux.namespaces += [{"type": "user"}]
        | .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
        | .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
        | .mounts |= map(select(.destination != "/sys/fs/cgroup"))
        | .mounts += [{"source": "'"$BATS_TEST_TMPDIR"'/src-1/dir", "destination": "/m1", "options": ["bind"]},
                      {"source": "'"$BATS_TEST_TMPDIR"'/src-2/dir", "destination": "/m2", "options": ["bind"]}]'
    run cryo run --bundle "$b" "$id"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = secret-1 ]
    [ "${lines[1]}" = secret-2 ]
    [ "${lines[2]}" = 0 ]
}

@test "a read-only /dev gets its devices, pts and shm first, then turns read-only (runc's mounts.bats)" {
    for how in option readonlyPaths; do
        id=$(new_id)
        b=$(bundle_for "ro-dev-$how" sh -c 'grep "^tmpfs /dev " /proc/mounts | tail -n 1; echo x >/dev/null && echo null-ok; grep -q "^devpts /dev/pts " /proc/mounts && echo pts-ok; touch /dev/new 2>/dev/null || echo dev-ro')
        if [ "$how" = option ]; then
            bundle_edit "$b" '.mounts |= map((select(.destination == "/dev") | .options += ["ro"]) // .)'
        else
            bundle_edit "$b" '.linux.readonlyPaths += ["/dev"]'
        fi
        run cryo run --bundle "$b" "$id"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == *" ro,"* ]]
        [ "${lines[1]}" = null-ok ]
        [ "${lines[2]}" = pts-ok ]
        [ "${lines[3]}" = dev-ro ]
    done
}

# runc's exec.bats "exec --cgroup sub-cgroups [v1]" drops "ro" from the
# cgroup mount (set_cgroup_mount_writable) and makes sub-cgroups inside.
@test "without a cgroup namespace and without ro the container's cgroups are writable, as with runc" {
    requires_cgroup_v1_memory
    id=$(new_id)
    b=$(bundle_for cg-rw sh -c 'mkdir /sys/fs/cgroup/memory/sub && echo made; rmdir /sys/fs/cgroup/memory/sub')
    bundle_edit "$b" '.linux.namespaces |= map(select(.type != "cgroup"))
        | .mounts |= map((select(.type == "cgroup") | .options -= ["ro"]) // .)'
    run -0 cryo run --bundle "$b" "$id"
    [ "$output" = made ]
}
