#!/usr/bin/env bash
# Run a command as root in a fresh throw-away guest that is the host kind most
# users have: pure cgroup v2 and a kernel with soft-dirty (Debian's stock
# linux-image-amd64), under qemu.  The guest's root is the host's, shared
# read-only over virtio-9p under a tmpfs overlay: it sees this checkout, its
# build, CRIU and bats at the same paths, and what it writes vanishes with it.
#
#   tests/vm/vm.sh build            fetch the kernel, make the initramfs (cached)
#   tests/vm/vm.sh run 'COMMAND'    boot a guest (building first if needed), run
#                                   `bash -c COMMAND` there in the current
#                                   directory, print its output (stdout and
#                                   stderr merged), exit with its status
#
# A guest that does not boot, or a command that outlives the deadline, is
# killed (only the qemu this script started) and the run exits 124 after
# printing the tail of the guest's console; 125 when the guest stopped
# without an exit status.
#
# Environment: CRYO_VM_CACHE (/var/tmp/cryo-vm), CRYO_VM_TIMEOUT (seconds,
# 1800), CRYO_VM_MEM (MiB, 3072), CRYO_VM_CPUS (2).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${CRYO_VM_CACHE:-/var/tmp/cryo-vm}
deadline=${CRYO_VM_TIMEOUT:-1800}
mem=${CRYO_VM_MEM:-3072}
cpus=${CRYO_VM_CPUS:-2}
# What the first stage needs to reach the host's root.
initrd_modules="virtio_pci 9pnet_virtio 9p overlay"

die() {
    echo "vm: $*" >&2
    exit 2
}

# The kernel package Debian's linux-image-amd64 points at now.
kernel_package() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}

# fetch_kernel DIR PACKAGE: the package's files in DIR/root, modules indexed.
fetch_kernel() {
    local dir=$1 pkg=$2 kver
    rm -rf "$dir" && mkdir -p "$dir/deb"
    (cd "$dir/deb" && apt-get download -q -o APT::Sandbox::User=root "$pkg") >&2
    dpkg-deb -x "$dir"/deb/*.deb "$dir/root"
    rm -rf "$dir/deb"
    kver=$(ls "$dir/root/lib/modules")
    depmod -b "$dir/root" "$kver"
    grep -q '^CONFIG_MEM_SOFT_DIRTY=y' "$dir/root/boot/config-$kver" ||
        echo "vm: warning: $pkg has no soft-dirty tracking" >&2
    echo "$kver" >"$dir/kver"
}

# make_initrd DIR: busybox, the first stage and its modules, in load order.
make_initrd() {
    local dir=$1 kver tree ko
    kver=$(cat "$dir/kver")
    tree=$(mktemp -d)
    mkdir -p "$tree"/{bin,dev,proc,sys,lower,rw,newroot,modules}
    cp /bin/busybox "$tree/bin/busybox"
    cp "$here/initramfs-init" "$tree/init"
    # shellcheck disable=SC2086 # the module list is split on purpose
    modprobe -d "$dir/root" -S "$kver" --show-depends -a $initrd_modules |
        awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
        while read -r ko; do
            cp "$ko" "$tree/modules/"
            basename "$ko" >>"$tree/modules/order"
        done
    (cd "$tree" && find . | cpio -o -H newc --quiet | gzip -1) >"$dir/initrd.gz.new"
    rm -rf "$tree"
    mv "$dir/initrd.gz.new" "$dir/initrd.gz"
    sha256sum "$here/initramfs-init" >"$dir/initrd.sum"
}

# build: print the directory of a ready guest (kernel, modules, initramfs),
# building what is missing or stale; one build at a time.
build() {
    local pkg dir
    command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86 is not installed: run contrib/setup.sh"
    pkg=$(kernel_package)
    [ -n "$pkg" ] || die "no kernel package behind linux-image-amd64 (apt-get update?)"
    dir=$cache/$pkg
    mkdir -p "$cache"
    exec 9>"$cache/lock"
    flock 9
    if [ ! -f "$dir/kver" ]; then
        # the kernel Debian replaced (about 470 MB unpacked) goes
        find "$cache" -mindepth 1 -maxdepth 1 -name 'linux-image-*' -exec rm -rf {} +
        fetch_kernel "$dir" "$pkg"
    fi
    sha256sum --status -c "$dir/initrd.sum" 2>/dev/null || make_initrd "$dir"
    exec 9>&-
    echo "$dir"
}

# The qemu this script started; killed by pid (never by name) on any exit.
qpid=
stop_qemu() {
    [ -n "$qpid" ] || return 0
    if kill "$qpid" 2>/dev/null; then
        sleep 1
        kill -9 "$qpid" 2>/dev/null || true
    fi
    wait "$qpid" 2>/dev/null || true
    qpid=
}

# boot DIR RUNDIR: start the guest in the background, its console in RUNDIR.
boot() {
    local dir=$1 run=$2 kver
    kver=$(cat "$dir/kver")
    qemu-system-x86_64 -name cryo-vm -m "$mem" -smp "$cpus" \
        -accel tcg,thread=multi -cpu max \
        -nographic -nodefaults -no-reboot -serial "file:$run/console.log" \
        -kernel "$dir/root/boot/vmlinuz-$kver" -initrd "$dir/initrd.gz" \
        -append "console=ttyS0 quiet panic=-1 cgroup_no_v1=all rdinit=/init" \
        -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
        -virtfs "local,path=$run,mount_tag=run,security_model=none,multidevs=remap" \
        -device virtio-rng-pci >"$run/qemu.log" 2>&1 &
    qpid=$!
}

# wait_guest RUNDIR: stream the command's output until the guest ends or
# the deadline passes; fail on the deadline.
wait_guest() {
    local run=$1 end=$((SECONDS + deadline)) tailpid=
    while kill -0 "$qpid" 2>/dev/null; do
        if [ -z "$tailpid" ] && [ -e "$run/out" ]; then
            tail -n +1 -s 0.5 -f --pid="$qpid" "$run/out" &
            tailpid=$!
        fi
        [ "$SECONDS" -lt "$end" ] || break
        sleep 0.5
    done
    if kill -0 "$qpid" 2>/dev/null; then
        stop_qemu
        [ -z "$tailpid" ] || wait "$tailpid"
        return 1
    fi
    wait "$qpid" || true
    qpid=
    if [ -n "$tailpid" ]; then
        wait "$tailpid"
    elif [ -e "$run/out" ]; then
        cat "$run/out"
    fi
}

report_console() {
    local run=$1
    echo "vm: $2; the guest's console (all of it in $run/console.log) ends with:" >&2
    tail -n 25 "$run/console.log" >&2
    cat "$run/qemu.log" >&2
}

run() {
    local dir run start rc
    [ $# -eq 1 ] || die "usage: vm.sh run 'COMMAND'"
    dir=$(build)
    mkdir -p "$cache/runs"
    # a failed run's directory is kept for a day, for its console log
    find "$cache/runs" -mindepth 1 -maxdepth 1 -mtime +0 -exec rm -rf {} +
    run=$(mktemp -d "$cache/runs/XXXXXX")
    cp "$here/guest-init" "$run/init"
    echo "$dir/root/lib/modules/$(cat "$dir/kver")" >"$run/modules"
    printf 'cd %q || exit 125\n%s\n' "$PWD" "$1" >"$run/cmd"
    trap stop_qemu EXIT
    trap 'stop_qemu; exit 143' INT TERM
    start=$SECONDS
    boot "$dir" "$run"
    if ! wait_guest "$run"; then
        report_console "$run" "no result within the deadline of ${deadline}s: the guest was killed"
        exit 124
    fi
    if [ ! -f "$run/rc" ]; then
        report_console "$run" "the guest stopped without an exit status"
        exit 125
    fi
    echo "# vm: $((SECONDS - start)) s, the command started $(cat "$run/booted") s after boot" >&2
    rc=$(cat "$run/rc")
    rm -rf "$run"
    exit "$rc"
}

case "${1:-}" in
build) build >/dev/null ;;
run)
    shift
    run "$@"
    ;;
*) die "usage: vm.sh build | vm.sh run 'COMMAND'" ;;
esac
