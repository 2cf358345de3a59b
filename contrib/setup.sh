#!/usr/bin/env bash
# Install everything cryo needs to build, run and be tested on Debian bookworm,
# then build cryo itself. Idempotent: a second run takes seconds.
#
#   contrib/setup.sh            install and build
#   contrib/setup.sh --no-build install only
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)

# Libraries cryo links against, and the tools to build it (clang with its
# libFuzzer and sanitizer runtimes for tests/run.sh's fuzz and ASan steps).
BUILD_PKGS="build-essential autoconf automake libtool pkg-config
  libseccomp-dev libyajl-dev libmnl-dev libcap-dev libarchive-dev libssl-dev
  clang libclang-rt-14-dev libxxhash-dev"
# CRIU 4.2.1's build dependencies (see contrib/build-criu.sh).
CRIU_PKGS="libprotobuf-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler python3-protobuf
  libnl-3-dev libnet1-dev libbsd-dev libgnutls28-dev libnftables-dev uuid-dev
  xz-utils dpkg-dev"
# What the tests, the demo and the benchmarks run: CRIU locks the network with
# iptables; busybox-static is the test rootfs; runc is the benchmark baseline;
# podman and containerd drive cryo in the ecosystem tests.
RUN_PKGS="iptables busybox-static bats iproute2 runc podman containerd
  hyperfine socat util-linux procps psmisc strace jq"
# The VM tier (tests/vm/): qemu, and what makes the guest's initramfs.  Always
# installed: 31 packages, 83 MiB, 20 s here, next to podman's and containerd's.
# The guest's kernel (70 MB) is fetched by tests/vm/vm.sh on its first run.
VM_PKGS="qemu-system-x86 kmod cpio"

missing_packages() {
    local p
    for p in $BUILD_PKGS $CRIU_PKGS $RUN_PKGS $VM_PKGS; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
            printf '%s ' "$p"
    done
}

install_packages() {
    local missing
    missing=$(missing_packages)
    [ -z "$missing" ] && return 0
    echo "setup: installing $missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

build_cryo() {
    cd "$here"
    if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
        autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
    fi
    # Out of tree: build/ is what the README, the tests and the demo use.
    mkdir -p build
    cd build
    [ -f Makefile ] || ../configure --quiet
    make -j"$(nproc)" >/dev/null
    # The unit tests and the static test helpers, built but not run here.
    make -j"$(nproc)" check TESTS= >/dev/null
}

install_packages
"$here/contrib/build-criu.sh"
[ "${1:-}" = "--no-build" ] || build_cryo
echo "setup: ready"
