# Shared by every bats file: the cryo binary, unique container ids, test
# bundles made from busybox-static, and a teardown that always cleans up.
#
# Every test file starts with `load helpers`.  A file that defines its own
# teardown must call cryo_teardown from it.

CRYO_TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
CRYO_BUILDDIR=${CRYO_BUILDDIR:-$CRYO_TOP/build}
CRYO_BIN=${CRYO_BIN:-$CRYO_BUILDDIR/cryo}
CRYO_ROOT=${CRYO_ROOT:-/run/cryo}
BUSYBOX=${BUSYBOX:-/bin/busybox}

# tests/run.sh's TMPDIR for the run, where cryo keeps a failure's work
# directory (bats has made its own temporary directories by now).
if [ -n "${CRYO_TESTS_TMPDIR:-}" ]; then
    export TMPDIR=$CRYO_TESTS_TMPDIR
fi

# Run cryo with the test state root.
cryo() {
    "$CRYO_BIN" --root "$CRYO_ROOT" "$@"
}

# A container id unique to this run, remembered for teardown.
# Usage: id=$(new_id) ; the id is recorded even from a subshell.
new_id() {
    local id="cryo-t${BATS_TEST_NUMBER}-$$-${RANDOM}${RANDOM}"
    echo "$id" >>"$BATS_TEST_TMPDIR/.cryo-ids"
    echo "$id"
}

# Record a host pid the test started, so teardown kills it (never by name).
track_pid() {
    echo "$1" >>"$BATS_TEST_TMPDIR/.cryo-pids"
}

# A rootfs with busybox and its applets, plus the helper programs the
# checkpoint tests run (tests/helpers, built statically).  Made once per
# run and copied: its few hundred links take seconds to make, a minute in
# a qemu guest (tests/vm/), and one copy a tenth of a second.
make_rootfs() {
    local rootfs=$1 template=${CRYO_TESTS_TMPDIR:-$BATS_RUN_TMPDIR}/rootfs-template
    if [ ! -d "$template" ]; then
        build_rootfs "$template.$$"
        mv -T "$template.$$" "$template" 2>/dev/null || rm -rf "$template.$$"
    fi
    mkdir -p "$rootfs"
    cp -a "$template/." "$rootfs/"
}

build_rootfs() {
    local rootfs=$1 applet
    mkdir -p "$rootfs"/{bin,sbin,etc,proc,sys,dev,tmp,root,run,var,usr/bin,mnt}
    cp "$BUSYBOX" "$rootfs/bin/busybox"
    for applet in $("$BUSYBOX" --list); do
        [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
    done
    if [ -d "$CRYO_BUILDDIR/tests/helpers" ]; then
        find "$CRYO_BUILDDIR/tests/helpers" -maxdepth 1 -type f -perm -u+x \
            -exec cp {} "$rootfs/bin/" \;
    fi
    echo "root:x:0:0:root:/root:/bin/sh" >"$rootfs/etc/passwd"
    echo "root:x:0:" >"$rootfs/etc/group"
    echo "nobody:x:65534:65534:nobody:/:/bin/false" >>"$rootfs/etc/passwd"
    echo "nogroup:x:65534:" >>"$rootfs/etc/group"
    chmod 1777 "$rootfs/tmp"
}

# make_bundle DIR [ARGS...]: a bundle whose process runs ARGS (default:
# sleep 3600), without a terminal, in fresh namespaces, with its own cgroup.
make_bundle() {
    local dir=$1
    shift
    local args_json
    mkdir -p "$dir"
    make_rootfs "$dir/rootfs"
    (cd "$dir" && cryo spec) || return 1
    if [ $# -eq 0 ]; then
        set -- sleep 3600
    fi
    args_json=$(printf '%s\n' "$@" | jq -R . | jq -s .)
    bundle_edit "$dir" ".process.args = $args_json | .process.terminal = false"
}

# bundle_edit DIR JQ-FILTER: edit DIR/config.json in place.
bundle_edit() {
    local dir=$1 filter=$2
    jq "$filter" "$dir/config.json" >"$dir/config.json.new" && mv "$dir/config.json.new" "$dir/config.json"
}

# The status field of `cryo state ID`.
container_status() {
    cryo state "$1" | jq -r .status
}

container_pid() {
    cryo state "$1" | jq -r .pid
}

# wait_for TIMEOUT_SECONDS COMMAND...: retry until COMMAND succeeds.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.1
    done
}

wait_for_status() {
    wait_for "${3:-10}" bash -c "[ \"\$(\"$CRYO_BIN\" --root \"$CRYO_ROOT\" state \"$1\" 2>/dev/null | jq -r .status)\" = \"$2\" ]"
}

requires_criu() {
    command -v criu >/dev/null 2>&1 || skip "criu is not installed"
}

# Remove everything the test made: its containers (killed and deleted, which
# removes their cgroups and mounts) and the host processes it recorded.
cryo_teardown() {
    local id pid
    if [ -f "$BATS_TEST_TMPDIR/.cryo-pids" ]; then
        while read -r pid; do
            kill -9 "$pid" 2>/dev/null || true
        done <"$BATS_TEST_TMPDIR/.cryo-pids"
    fi
    if [ -f "$BATS_TEST_TMPDIR/.cryo-ids" ]; then
        while read -r id; do
            cryo delete --force "$id" >/dev/null 2>&1 || true
        done <"$BATS_TEST_TMPDIR/.cryo-ids"
    fi
}

teardown() {
    cryo_teardown
}

# The hex value of a /proc/self/status field in $output.
status_field() {
    printf '%s\n' "$output" | awk -v f="$1:" '$1 == f { print $2 }'
}

# $output of `id -u; grep -E "^(Seccomp|NoNewPrivs|CapEff):" /proc/self/status;
# mkdir /tmp/denied` run as uid 1000 without noNewPrivileges under a filter
# that fails mkdir with errno 122: the filter holds, with no capabilities.
assert_filtered_as_1000() {
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = 1000 ]
    [ "$(status_field Seccomp)" = 2 ]
    [ "$(status_field NoNewPrivs)" = 0 ]
    [ "$(status_field CapEff)" = 0000000000000000 ]
    # 122 is EDQUOT: nothing but the filter gives that on a tmp directory
    [[ "$output" == *"can't create directory '/tmp/denied': Disk quota exceeded"* ]]
}

# start_console_server: a --console-socket receiver (console-server.py) at
# $sock, logging what the console says to $BATS_TEST_TMPDIR/console.log.
# It does not hold bats' fd 3, so bats never waits for it.
start_console_server() {
    sock="$BATS_TEST_TMPDIR/console.sock"
    python3 "$BATS_TEST_DIRNAME/console-server.py" "$sock" "$BATS_TEST_TMPDIR/console.log" 3>&- &
    track_pid $!
    wait_for 10 test -S "$sock"
}

# Cgroups on either layout: one hierarchy per controller (v1, the
# controllers' own directories under /sys/fs/cgroup) or the one cgroup2
# tree at /sys/fs/cgroup (pure v2, what current distributions run).
cgroup_v2() {
    [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]
}

# cgroup_dir ID CONTROLLER [PATH]: the directory holding CONTROLLER's files
# of container ID's cgroup (PATH, default cryo's own /cryo/ID), whether or
# not it exists.
cgroup_dir() {
    local path=${3:-/cryo/$1}
    if cgroup_v2; then
        echo "/sys/fs/cgroup$path"
    else
        echo "/sys/fs/cgroup/$2$path"
    fi
}

# cgroup_of PID CONTROLLER: the cgroup path of process PID for CONTROLLER,
# from the v1 line naming it or else the cgroup2 line of /proc/PID/cgroup.
cgroup_of() {
    awk -F: -v c="$2" '
        { n = split($2, names, ",")
          for (i = 1; i <= n; i++) if (names[i] == c) { print $3; found = 1; exit } }
        $1 == 0 && $2 == "" { v2 = $3 }
        END { if (!found && v2 != "") print v2 }' "/proc/$1/cgroup"
}

# memory_limit DIR, memory_reservation DIR: the hard and soft memory limits
# in bytes of the cgroup directory DIR (v1 or v2 file names).
memory_limit() {
    cat "$1/memory.limit_in_bytes" 2>/dev/null || cat "$1/memory.max"
}

memory_reservation() {
    cat "$1/memory.soft_limit_in_bytes" 2>/dev/null || cat "$1/memory.low"
}

# freezer_state ID: FROZEN or THAWED, container ID's cgroup freezer (v1
# freezer.state, or "frozen 1" / "frozen 0" in the cgroup2 cgroup.events).
freezer_state() {
    local dir
    dir=$(cgroup_dir "$1" freezer)
    if [ -f "$dir/freezer.state" ]; then
        cat "$dir/freezer.state"
    else
        awk '$1 == "frozen" { print $2 == 1 ? "FROZEN" : "THAWED" }' "$dir/cgroup.events"
    fi
}
