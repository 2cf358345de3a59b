# The private podman set-up of podman.bats and checkpoint-podman.bats (load
# after helpers).
#
# podman runs with a private containers.conf and storage.conf under the
# file's tmpdir (vfs storage: no overlay mounts; no network; cgroupfs; file
# events), so nothing outside that directory is touched, and
# podman_teardown_file removes every container, the store, and any mount
# podman left there.

bats_require_minimum_version 1.5.0

IMAGE=localhost/cryo-test-busybox:latest

# podman with the private configuration (the exported CONTAINERS_* files).
pm() {
    timeout 120 podman "$@"
}

# podman_setup_file: for setup_file.  Skips the file without podman or
# conmon; writes the private configuration, exports CONTAINERS_CONF and
# CONTAINERS_STORAGE_CONF, and imports a busybox rootfs as $IMAGE.
podman_setup_file() {
    command -v podman >/dev/null || skip "podman is not installed"
    command -v conmon >/dev/null || skip "conmon is not installed"
    export PODMAN_DIR="$BATS_FILE_TMPDIR/podman"
    mkdir -p "$PODMAN_DIR"/{storage,run,tmp,cni}
    # Created by podman for conmon; removed again at the end when we made it.
    if [ -d /sys/fs/cgroup/pids/libpod_parent ]; then
        export PODMAN_HAD_PARENT=1
    fi
    # Image copies keep a blob cache there whatever the storage settings.
    [ -e /var/lib/containers ] && export PODMAN_HAD_VARLIB=1
    [ -e /var/lib/containers/cache/blob-info-cache-v1.boltdb ] && export PODMAN_HAD_BLOBCACHE=1
    # The private settings, then the runtime entry contrib/podman/containers.conf
    # ships (its [engine] keys continue ours), pointed at the binary under test.
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
# The host's hard limits are below podman's defaults (no CAP_SYS_RESOURCE).
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

# podman_teardown_file: for teardown_file; undoes podman_setup_file.
podman_teardown_file() {
    [ -n "${PODMAN_DIR:-}" ] || return 0
    local id mnt
    # podman's own cleanup first, then cryo's view of what podman made.
    for id in $(pm ps -aq --no-trunc 2>/dev/null); do
        pm rm -f -t 0 "$id" >/dev/null 2>&1 || true
        "$CRYO_BIN" delete --force "$id" >/dev/null 2>&1 || true
    done
    pm system reset -f >/dev/null 2>&1 || true
    # Mounts podman may have left under its directory (shm, storage), deepest first.
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

# podman_teardown: for teardown.  Each test removes its own containers; this
# catches those of a failed test so that the next test starts from none.
podman_teardown() {
    local id
    for id in $(pm ps -aq --no-trunc 2>/dev/null); do
        pm rm -f -t 0 "$id" >/dev/null 2>&1 || true
    done
    cryo_teardown
}
