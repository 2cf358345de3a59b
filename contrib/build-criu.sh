#!/usr/bin/env bash
# Build and install CRIU 4.2.1 (with libcriu) from Debian's source tarball.
#
# Why from source: bookworm's criu 3.17 cannot parse the vDSO of kernel 6.18,
# 4.1 cannot dump TCP sockets there, and the 4.2 binary packages need a newer
# glibc. Only the source tarball is taken from sid; an apt pin at priority 100
# keeps every sid binary out of this system.
#
# Idempotent: exits at once when a CRIU >= 4.2 with libcriu is installed, and
# keeps the built tree in $CRIU_CACHE so a second install on the same machine
# skips the compile.
set -euo pipefail

CRIU_VERSION=4.2.1
CRIU_DEB_REVISION=1
CRIU_TARBALL_MD5=15af4ed4460591e31fc5be6cab994ac9
CRIU_CACHE=${CRIU_CACHE:-/var/cache/cryo/criu-$CRIU_VERSION}
PREFIX=${PREFIX:-/usr/local}

say() { printf 'build-criu: %s\n' "$*"; }

criu_is_recent() {
    local v
    command -v criu >/dev/null 2>&1 || return 1
    pkg-config --exists criu 2>/dev/null || return 1
    v=$(criu --version 2>/dev/null | sed -n 's/^Version: *//p')
    [ -n "$v" ] || return 1
    # sort -V puts the smaller first: 4.2 must come first (or be equal).
    [ "$(printf '%s\n4.2\n' "$v" | sort -V | head -n 1)" = "4.2" ]
}

add_sid_source() {
    local src=/etc/apt/sources.list.d/cryo-sid-src.sources
    local pin=/etc/apt/preferences.d/cryo-sid
    [ -f "$src" ] && [ -f "$pin" ] && return 0
    local uris keyring
    uris=$(awk '/^URIs:/ && /debian\/?$/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    keyring=$(awk '/^Signed-By:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    uris=${uris:-http://deb.debian.org/debian}
    keyring=${keyring:-/usr/share/keyrings/debian-archive-keyring.gpg}
    printf 'Types: deb-src\nURIs: %s\nSuites: sid\nComponents: main\nSigned-By: %s\n' \
        "$uris" "$keyring" >"$src"
    printf 'Package: *\nPin: release n=sid\nPin-Priority: 100\n' >"$pin"
    apt-get update -qq
}

fetch_tarball() {
    local dir=$1 tarball=criu_$CRIU_VERSION.orig.tar.xz
    mkdir -p "$dir"
    if [ ! -f "$dir/$tarball" ]; then
        add_sid_source
        # The .debian.tar.xz may 404 on this mirror; only the orig tarball matters.
        (cd "$dir" && apt-get source --download-only "criu=$CRIU_VERSION-$CRIU_DEB_REVISION" >/dev/null 2>&1) || true
    fi
    [ -f "$dir/$tarball" ] || { say "could not download $tarball from Debian sid"; exit 1; }
    echo "$CRIU_TARBALL_MD5  $dir/$tarball" | md5sum -c --quiet - ||
        { say "checksum mismatch for $tarball"; rm -f "$dir/$tarball"; exit 1; }
}

build_tree() {
    local dir=$1 tree=$1/criu-$CRIU_VERSION
    if [ ! -f "$tree/.cryo-built" ]; then
        rm -rf "$tree"
        tar -C "$dir" -xf "$dir/criu_$CRIU_VERSION.orig.tar.xz"
        say "compiling CRIU $CRIU_VERSION (1 to 3 minutes)"
        make -C "$tree" -j"$(nproc)" criu lib >"$dir/build.log" 2>&1 ||
            { tail -n 30 "$dir/build.log"; say "build failed, full log in $dir/build.log"; exit 1; }
        touch "$tree/.cryo-built"
    fi
}

install_tree() {
    local tree=$1/criu-$CRIU_VERSION
    make -C "$tree" install-criu PREFIX="$PREFIX" >/dev/null
    # install-lib ends with a python/pip step that fails here, after the C
    # library, header and pkg-config file are in place; tolerate only that.
    make -C "$tree" install-lib PREFIX="$PREFIX" >/dev/null 2>&1 || true
    ldconfig
    pkg-config --exists criu || { say "libcriu was not installed (no criu.pc)"; exit 1; }
}

main() {
    if criu_is_recent; then
        say "CRIU $(criu --version | sed -n 's/^Version: *//p') with libcriu already installed"
        return 0
    fi
    fetch_tarball "$CRIU_CACHE"
    build_tree "$CRIU_CACHE"
    install_tree "$CRIU_CACHE"
    criu_is_recent || { say "installed CRIU is not >= 4.2"; exit 1; }
    say "installed $(criu --version | head -n 1)"
}

main "$@"
