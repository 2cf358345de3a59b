# Helpers of the checkpoint*.bats files (load after helpers and
# lifecycle-helpers).

# cr_bundle NAME [ARGS...]: a bundle with a writable rootfs (the test
# programs leave their results in it); prints its path.
cr_bundle() {
    bundle_for "$@"
}

# cr_run ID BUNDLE [TAG]: run detached, stdio on files TAG.out / TAG.err.
cr_run() {
    local id=$1 bundle=$2 tag=${3:-$1}
    cryo run --detach --bundle "$bundle" "$id" </dev/null >"$BATS_TEST_TMPDIR/$tag.out" 2>"$BATS_TEST_TMPDIR/$tag.err"
}

# cr_checkpoint ID IMAGE [OPTIONS...]: checkpoint, showing CRIU's errors on failure.
cr_checkpoint() {
    local id=$1 image=$2
    shift 2
    cryo checkpoint --image-path "$image" --work-path "$BATS_TEST_TMPDIR/work-$id" "$@" "$id"
}

# cr_restore ID IMAGE BUNDLE TAG [OPTIONS...]: restore detached, stdio on TAG.out / TAG.err.
cr_restore() {
    local id=$1 image=$2 bundle=$3 tag=$4
    shift 4
    cryo restore --detach --image-path "$image" --bundle "$bundle" \
        --work-path "$BATS_TEST_TMPDIR/work-$id" "$@" "$id" \
        </dev/null >"$BATS_TEST_TMPDIR/$tag.out" 2>"$BATS_TEST_TMPDIR/$tag.err"
    local rc=$?
    [ $rc -eq 0 ] || cat "$BATS_TEST_TMPDIR/$tag.err" >&2
    return $rc
}

# cr_gone ID: the container is no more, as runc leaves it after a checkpoint
# that killed it: `state` fails, `list` does not show it, no state directory
# nor cgroup is left, and the id is free for a restore.
cr_gone() {
    local out
    if out=$(cryo state "$1" 2>&1); then
        echo "container $1 still exists: $out" >&2
        return 1
    fi
    if cryo list -q | grep -qxF "$1"; then
        echo "container $1 still listed" >&2
        return 1
    fi
    [ ! -e "$CRYO_ROOT/$1" ] && [ ! -e "/sys/fs/cgroup/memory/cryo/$1" ]
}

# A process of the container is alive and is PROGRAM (its comm).
cr_alive() {
    local pid
    pid=$(container_pid "$1") || return 1
    [ "$pid" -gt 0 ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]
}

# Nothing restore prepares on the host remains: no directory next to the
# state root, no mount of one.
cr_no_restore_remains() {
    if [ -e "$CRYO_ROOT.restore" ]; then
        echo "restore directories left: $(ls -A "$CRYO_ROOT".restore)" >&2
        return 1
    fi
    if grep -qF "$CRYO_ROOT.restore/@restore-" /proc/self/mountinfo; then
        echo "restore mounts left on the host" >&2
        return 1
    fi
}

# The image is complete and unchanged.
cr_image_ok() {
    cryo image verify "$1" >/dev/null
}

# cr_wait_file FILE [SECONDS]: wait until FILE exists.
cr_wait_file() {
    wait_for "${2:-20}" test -e "$1"
}
