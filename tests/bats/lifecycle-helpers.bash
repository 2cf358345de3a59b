# Helpers of lifecycle.bats, isolation.bats and errors.bats (load after helpers).

bats_require_minimum_version 1.5.0

# bundle_for NAME [ARGS...]: a fresh bundle under the test's tmpdir, its
# rootfs writable (so the container can leave files the test reads); prints
# its path.
bundle_for() {
    local dir="$BATS_TEST_TMPDIR/bundle-$1"
    shift
    make_bundle "$dir" "$@" >/dev/null || return 1
    bundle_edit "$dir" '.root.readonly = false' || return 1
    echo "$dir"
}

# open_path_to DIR: o+x on DIR and every directory above it up to / or
# /tmp, so that a container's root mapped to an unprivileged host uid (a
# user namespace) can reach its bundle.
open_path_to() {
    local d=$1
    while [ "$d" != / ] && [ "$d" != /tmp ]; do
        chmod o+x "$d"
        d=$(dirname "$d")
    done
}

# wait_file_lines FILE N: wait until FILE has N lines.
wait_file_lines() {
    wait_for 10 bash -c "[ \"\$(wc -l <'$1' 2>/dev/null)\" = '$2' ]"
}

# create_detached ID BUNDLE [OPTIONS...]: `cryo create`, with the container's
# stdio on files so that nothing waits for the container to close them.
create_detached() {
    local id=$1 bundle=$2
    shift 2
    local rc=0
    cryo create --bundle "$bundle" "$@" "$id" </dev/null >"$BATS_TEST_TMPDIR/$id.out" 2>"$BATS_TEST_TMPDIR/$id.err" || rc=$?
    [ $rc -eq 0 ] || cat "$BATS_TEST_TMPDIR/$id.err" >&2
    return $rc
}

run_detached() {
    local id=$1 bundle=$2
    shift 2
    local rc=0
    cryo run --detach --bundle "$bundle" "$@" "$id" </dev/null >"$BATS_TEST_TMPDIR/$id.out" 2>"$BATS_TEST_TMPDIR/$id.err" || rc=$?
    [ $rc -eq 0 ] || cat "$BATS_TEST_TMPDIR/$id.err" >&2
    return $rc
}

# Pids whose root directory is DIR (same device and inode): the processes of
# a container with that rootfs, whatever their mount namespace.
pids_rooted_at() {
    local want p
    want=$(stat -L -c %d:%i "$1" 2>/dev/null) || return 0
    for p in /proc/[0-9]*; do
        [ "$(stat -L -c %d:%i "$p/root/" 2>/dev/null)" = "$want" ] && echo "${p#/proc/}"
    done
    return 0
}

# assert_no_leftovers ID BUNDLE: nothing of the container remains: state
# directory, cgroup directories, host mounts, processes.
assert_no_leftovers() {
    local id=$1 bundle=$2 d pids
    if [ -e "$CRYO_ROOT/$id" ]; then
        echo "state directory $CRYO_ROOT/$id left behind" >&2
        return 1
    fi
    for d in /sys/fs/cgroup/*/cryo/"$id" /sys/fs/cgroup/cryo/"$id"; do
        if [ -e "$d" ]; then
            echo "cgroup $d left behind" >&2
            return 1
        fi
    done
    if grep -qF "$bundle" /proc/self/mountinfo; then
        echo "mount of $bundle left on the host" >&2
        return 1
    fi
    pids=$(pids_rooted_at "$bundle/rootfs")
    if [ -n "$pids" ]; then
        echo "processes left in the container: $pids" >&2
        return 1
    fi
}
