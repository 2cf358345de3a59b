#!/usr/bin/env bash
# Prepare runc 1.1.5's integration suite (Debian's source package) to run
# offline: fetch the source once into the cache, build the helper binaries
# its helpers.bash expects, and provide the busybox and debian test images
# from Debian packages already on this machine.  Sourced by run.sh.
#
# shellcheck disable=SC2154 # $cache and $src are set by run.sh
# Everything lands under $cache (kept between runs; delete it to start over):
#   $cache/*.dsc, *.tar.xz   the source package as apt-get fetched it
#   $cache/runc-1.1.5/       the unpacked tree (Debian's patches applied)
#   $cache/gopath/           a GOPATH in which the helpers build offline

RUNC_SRC_VERSION=1.1.5+ds1-1+deb12u1
RUNC_ORIG_SHA256=e936cc563c4557178b3416aa1bb9e8231c53011beb8df67adedbfbaba4eacce7
RUNC_DEBIAN_SHA256=2a273961d900d4076a9ee8760fdf60efe2a3afc0edde616c11bdd352cf03b521

# Debian packages the suite and the helper builds need.  The Go libraries
# are Debian's own (runc's source package is repacked without vendor/), so
# the helpers build in GOPATH mode with no network.
COMPAT_PKGS="bats jq gawk busybox-static build-essential bsdutils xz-utils dpkg-dev iproute2
  golang-go golang-github-containerd-console-dev golang-github-urfave-cli-dev
  golang-golang-x-sys-dev golang-github-opencontainers-specs-dev
  golang-github-sirupsen-logrus-dev golang-github-cyphar-filepath-securejoin-dev
  golang-github-seccomp-libseccomp-golang-dev libseccomp-dev"

say() { printf '# compat: %s\n' "$*"; }

install_packages() {
    local p missing=
    for p in $COMPAT_PKGS; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
            missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    say "installing$missing"
    # shellcheck disable=SC2086 # the list is meant to split
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# runc 1.1.5 is bookworm's; the deb-src entries apt needs for it may be
# missing (contrib/build-criu.sh adds only sid's).
add_bookworm_source() {
    local src=/etc/apt/sources.list.d/cryo-bookworm-src.sources
    [ -f "$src" ] && return 0
    local keyring
    keyring=$(awk '/^Signed-By:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
    keyring=${keyring:-/usr/share/keyrings/debian-archive-keyring.gpg}
    printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: %s\n\n' \
        "$keyring" >"$src"
    printf 'Types: deb-src\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nSigned-By: %s\n' \
        "$keyring" >>"$src"
    apt-get update -qq
}

fetch_source() {
    local orig=$cache/runc_1.1.5+ds1.orig.tar.xz deb=$cache/runc_$RUNC_SRC_VERSION.debian.tar.xz
    mkdir -p "$cache"
    if [ ! -f "$orig" ] || [ ! -f "$deb" ]; then
        add_bookworm_source
        (cd "$cache" && apt-get source --download-only "runc=$RUNC_SRC_VERSION" >/dev/null 2>&1)
    fi
    printf '%s  %s\n%s  %s\n' "$RUNC_ORIG_SHA256" "$orig" "$RUNC_DEBIAN_SHA256" "$deb" |
        sha256sum -c --quiet - || { say "runc $RUNC_SRC_VERSION source missing or corrupt in $cache"; return 1; }
    if [ ! -f "$src/tests/integration/helpers.bash" ]; then
        rm -rf "$src"
        (cd "$cache" && dpkg-source --no-check -x "runc_$RUNC_SRC_VERSION.dsc" runc-1.1.5 >/dev/null) ||
            { say "dpkg-source -x failed in $cache"; return 1; }
    fi
}

# Build one helper into the place helpers.bash looks for it; on failure the
# reason goes to $helpers_missing (the tests that need it then fail on both
# runtimes and are reported as such).
build_helper() {
    local name=$1 tags=$2 out=$src/contrib/cmd/$1/$1
    [ -x "$out" ] && return 0
    local gopath=$cache/gopath
    mkdir -p "$gopath/src/github.com/opencontainers"
    ln -sfn "$src" "$gopath/src/github.com/opencontainers/runc"
    if ! (cd "$gopath/src/github.com/opencontainers/runc" &&
        GOPATH=$gopath:/usr/share/gocode GO111MODULE=off GOPROXY=off GOFLAGS="" \
            GOCACHE=$gopath/cache go build -tags "$tags" -o "$out" "./contrib/cmd/$name") \
        >"$cache/build-$name.log" 2>&1; then
        helpers_missing="$helpers_missing $name (see $cache/build-$name.log)"
        say "could not build $name: $(tail -n 1 "$cache/build-$name.log")"
    fi
}

build_helpers() {
    helpers_missing=
    build_helper recvtty ""
    build_helper seccompagent seccomp
    # sd-helper drives systemd-managed cgroups: used only with
    # RUNC_USE_SYSTEMD, which this runner does not set.
}

# runc's suite wants the docker-library busybox image: the same shape
# (every applet in /bin, docker's /etc/passwd and /etc/group) made from
# Debian's busybox-static.
make_busybox_image() {
    local out=$1 root applet
    [ -f "$out" ] && return 0
    root=$(mktemp -d)
    # No /proc or /sys, as in docker's image: mask.bats replaces them with symlinks.
    mkdir -p "$root"/{bin,dev,etc,home,root,tmp,usr/sbin,var/spool/mail,var/www}
    chmod 1777 "$root/tmp"
    chmod 700 "$root/root"
    cp /bin/busybox "$root/bin/busybox"
    for applet in $("$root/bin/busybox" --list); do
        [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
    done
    cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
EOF
    printf '%s\n' root:x:0: daemon:x:1: bin:x:2: sys:x:3: adm:x:4: tty:x:5: disk:x:6: \
        lp:x:7: mail:x:8: kmem:x:9: wheel:x:10:root floppy:x:19: audio:x:29: \
        www-data:x:33: operator:x:37: staff:x:50: users:x:100: nogroup:x:65534: \
        >"$root/etc/group"
    chmod 755 "$root"
    tar --numeric-owner --owner=0 --group=0 -C "$root" -cJf "$out" .
    rm -rf "$root"
}

# The debian image is used by hooks.bats only (sh, ldconfig, grep and the
# C library): copied from this Debian system's own packages.
make_debian_image() {
    local out=$1 root f
    [ -f "$out" ] && return 0
    root=$(mktemp -d)
    mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{dev,etc,proc,root,sys,tmp,var}
    chmod 1777 "$root/tmp"
    ln -s usr/bin "$root/bin"
    ln -s usr/sbin "$root/sbin"
    ln -s usr/lib "$root/lib"
    ln -s usr/lib64 "$root/lib64"
    for f in $(dpkg -L libc6 libc-bin dash grep libpcre2-8-0 coreutils sed \
        libacl1 libattr1 libselinux1 libgmp10 2>/dev/null); do
        if [ -d "$f" ] || { [ ! -f "$f" ] && [ ! -L "$f" ]; }; then continue; fi
        case "$f" in /usr/share/*) continue ;; esac
        mkdir -p "$root$(dirname "$f")"
        cp -a "$f" "$root$f"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
        >"$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
    chmod 755 "$root"
    tar --numeric-owner --owner=0 --group=0 -C "$root" -cJf "$out" .
    rm -rf "$root"
}

make_images() {
    local arch
    arch=$(go env GOARCH)
    make_busybox_image "$src/tests/integration/testdata/busybox-$arch.tar.xz"
    make_debian_image "$src/tests/integration/testdata/debian-$arch.tar.xz"
}

prepare_suite() {
    install_packages || return 1
    fetch_source || return 1
    build_helpers
    make_images
}
