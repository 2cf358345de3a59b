#!/usr/bin/env bats
# podman's checkpoint and restore through cryo: in place, --leave-running,
# --export / --import under a new name; conmon's stdio pipes carry the
# container's output on after the restore.
#
# The same private podman set-up as podman.bats (its own containers.conf and
# storage.conf under the file's tmpdir, vfs storage, no network, cgroupfs).

load helpers

bats_require_minimum_version 1.5.0

IMAGE=localhost/cryo-test-busybox:latest

pm() {
    timeout 120 podman "$@"
}

setup_file() {
    command -v podman >/dev/null || skip "podman is not installed"
    command -v conmon >/dev/null || skip "conmon is not installed"
    command -v criu >/dev/null || skip "criu is not installed"
    export PODMAN_DIR="$BATS_FILE_TMPDIR/podman"
    mkdir -p "$PODMAN_DIR"/{storage,run,tmp,cni}
    [ -d /sys/fs/cgroup/pids/libpod_parent ] && export PODMAN_HAD_PARENT=1
    [ -e /var/lib/containers ] && export PODMAN_HAD_VARLIB=1
    [ -e /var/lib/containers/cache/blob-info-cache-v1.boltdb ] && export PODMAN_HAD_BLOBCACHE=1
    cat >"$PODMAN_DIR/containers.conf" <<EOF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$PODMAN_DIR/tmp"
volume_path = "$PODMAN_DIR/storage/volumes"
EOF
    sed -e '/^\[engine\]$/d' -e "s|/usr/local/bin/cryo|$CRYO_BIN|" \
        "$CRYO_TOP/contrib/podman/containers.conf" >>"$PODMAN_DIR/containers.conf"
    cat >>"$PODMAN_DIR/containers.conf" <<EOF

[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
netns = "none"

[network]
network_config_dir = "$PODMAN_DIR/cni"
EOF
    cat >"$PODMAN_DIR/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$PODMAN_DIR/storage"
runroot = "$PODMAN_DIR/run"
EOF
    export CONTAINERS_CONF="$PODMAN_DIR/containers.conf"
    export CONTAINERS_STORAGE_CONF="$PODMAN_DIR/storage.conf"
    make_rootfs "$PODMAN_DIR/rootfs"
    tar -C "$PODMAN_DIR/rootfs" -cf "$PODMAN_DIR/rootfs.tar" .
    pm import -q "$PODMAN_DIR/rootfs.tar" "$IMAGE" >/dev/null
}

teardown_file() {
    [ -n "${PODMAN_DIR:-}" ] || return 0
    local id mnt
    for id in $(pm ps -aq --no-trunc 2>/dev/null); do
        pm rm -f -t 0 "$id" >/dev/null 2>&1 || true
        "$CRYO_BIN" delete --force "$id" >/dev/null 2>&1 || true
    done
    pm system reset -f >/dev/null 2>&1 || true
    for mnt in $(awk -v d="$PODMAN_DIR" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
        umount -l "$mnt" 2>/dev/null || true
    done
    [ -n "${PODMAN_HAD_BLOBCACHE:-}" ] || rm -f /var/lib/containers/cache/blob-info-cache-v1.boltdb
    [ -n "${PODMAN_HAD_VARLIB:-}" ] || rmdir /var/lib/containers/cache /var/lib/containers 2>/dev/null || true
    if [ -z "${PODMAN_HAD_PARENT:-}" ]; then
        rmdir /sys/fs/cgroup/*/libpod_parent/conmon /sys/fs/cgroup/*/libpod_parent 2>/dev/null || true
    fi
    rm -rf "$PODMAN_DIR"
}

teardown() {
    local id
    for id in $(pm ps -aq --no-trunc 2>/dev/null); do
        pm rm -f -t 0 "$id" >/dev/null 2>&1 || true
    done
    cryo_teardown
}

# The last number the counting container logged.
last_count() {
    pm logs --tail 1 "$1" | tr -dc 0-9
}

counts_on() {
    local before
    before=$(last_count "$1")
    wait_for 10 bash -c "[ \"\$(podman logs --tail 1 '$1' | tr -dc 0-9)\" -gt '$before' ]"
}

start_counting() {
    pm run -d --name "$1" "$IMAGE" sh -c 'i=0; while true; do i=$((i+1)); echo $i; sleep 0.1; done' >/dev/null
    wait_for 10 bash -c "[ -n \"\$(podman logs --tail 1 '$1')\" ]"
}

@test "podman container checkpoint / restore in place, twice; the log goes on" {
    start_counting pc1
    id=$(pm inspect --format '{{.Id}}' pc1)
    for round in 1 2; do
        run -0 pm container checkpoint pc1
        [ "$(pm inspect --format '{{.State.Status}}' pc1)" = exited ]
        [ "$("$CRYO_BIN" state "$id" 2>/dev/null | jq -r .status)" != running ]
        before=$(last_count pc1)
        run -0 pm container restore pc1
        [ "$(pm inspect --format '{{.State.Status}}' pc1)" = running ]
        [ "$("$CRYO_BIN" state "$id" | jq -r .status)" = running ]
        counts_on pc1
        # the same shell: it counts on from where it was, it did not start over
        [ "$(last_count pc1)" -gt "$before" ]
    done
    pm rm -f -t 0 pc1
}

@test "podman checkpoint --leave-running, and --export / restore --import under a new name" {
    start_counting pc2
    run -0 pm container checkpoint --leave-running pc2
    [ "$(pm inspect --format '{{.State.Status}}' pc2)" = running ]
    counts_on pc2
    run -0 pm container checkpoint --export "$BATS_TEST_TMPDIR/pc2.tar.gz" pc2
    before=$(last_count pc2)
    pm rm -f -t 0 pc2
    run pm container restore --import "$BATS_TEST_TMPDIR/pc2.tar.gz" --name pc3
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(pm inspect --format '{{.State.Status}}' pc3)" = running ]
    counts_on pc3
    [ "$(last_count pc3)" -gt "$before" ]
    pm rm -f -t 0 pc3
}
