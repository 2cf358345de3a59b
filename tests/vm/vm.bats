#!/usr/bin/env bats
# tests/vm/vm.sh itself: the guest is the host kind it claims to be, the
# command's output and status come back, and a guest past its deadline is
# killed and reported with its console.  Runs on the host, first in
# `tests/run.sh vm`.

VM=$BATS_TEST_DIRNAME/vm.sh

# The pids of processes whose command line names PATH.
pids_naming() {
    local f
    for f in /proc/[0-9]*/cmdline; do
        tr '\0' ' ' <"$f" 2>/dev/null | grep -qF "$1" && basename "$(dirname "$f")"
    done
    return 0
}

@test "vm: the command runs in a pure cgroup v2 guest with soft-dirty, in this directory; its output and status come back" {
    cd "$BATS_TEST_DIRNAME"
    run "$VM" run 'pwd; stat -f -c %T /sys/fs/cgroup; grep -c cgroup /proc/mounts
        cat /sys/fs/cgroup/cgroup.subtree_control; criu check --feature mem_dirty_track
        echo to-stderr >&2; exit 7'
    [ "$status" -eq 7 ]
    [ "${lines[0]}" = "$BATS_TEST_DIRNAME" ]
    [ "${lines[1]}" = cgroup2fs ]
    [ "${lines[2]}" = 1 ]
    [[ "${lines[3]}" == *memory*pids* ]]
    [[ "$output" == *"mem_dirty_track is supported"* ]]
    [[ "$output" == *to-stderr* ]]
}

@test "vm: a command past the deadline is killed with its guest, and the console's tail says so" {
    # long enough for the command to start: a boot takes 6 s, 25 s on a busy host
    CRYO_VM_TIMEOUT=60 run "$VM" run 'echo started; sleep 600'
    [ "$status" -eq 124 ]
    [[ "$output" == *started* ]]
    [[ "$output" == *"no result within the deadline of 60s: the guest was killed"* ]]
    run_dir=$(printf '%s\n' "$output" | sed -n 's/.*all of it in \(.*\)\/console\.log.*/\1/p')
    [ -d "$run_dir" ]
    [ -z "$(pids_naming "$run_dir")" ]
    rm -rf "$run_dir"
}
