#!/usr/bin/env bats
# The security settings of a container's process, seen from inside real
# containers: capabilities, seccomp, no_new_privs, sysctls, LSM labels,
# personality.

load helpers

setup() {
    bundle="$BATS_TEST_TMPDIR/bundle"
    make_bundle "$bundle" cat /proc/self/status
}

@test "capabilities: the container has exactly the configured sets" {
    bundle_edit "$bundle" '.process.capabilities = {
        "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "effective": ["CAP_CHOWN", "CAP_KILL"],
        "permitted": ["CAP_CHOWN", "CAP_KILL"],
        "inheritable": ["CAP_KILL"],
        "ambient": ["CAP_KILL"]}'
    id=$(new_id)
    run cryo run -b "$bundle" "$id"
    [ "$status" -eq 0 ]
    # CHOWN is bit 0, KILL bit 5, NET_BIND_SERVICE bit 10
    [ "$(status_field CapBnd)" = 0000000000000421 ]
    [ "$(status_field CapEff)" = 0000000000000021 ]
    [ "$(status_field CapPrm)" = 0000000000000021 ]
    [ "$(status_field CapInh)" = 0000000000000020 ]
    [ "$(status_field CapAmb)" = 0000000000000020 ]
}

@test "capabilities: a non-root user keeps its configured capabilities through exec" {
    bundle_edit "$bundle" '.process.user = {"uid": 1000, "gid": 1000} | .process.capabilities = {
        "bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "inheritable": ["CAP_NET_BIND_SERVICE"],
        "ambient": ["CAP_NET_BIND_SERVICE"]}'
    id=$(new_id)
    run cryo run -b "$bundle" "$id"
    [ "$status" -eq 0 ]
    printf '%s\n' "$output" | grep -q "^Uid:[[:space:]]1000[[:space:]]"
    # Across execve a non-root process keeps what is ambient, nothing more.
    [ "$(status_field CapBnd)" = 0000000000000420 ]
    [ "$(status_field CapAmb)" = 0000000000000400 ]
    [ "$(status_field CapPrm)" = 0000000000000400 ]
    [ "$(status_field CapEff)" = 0000000000000400 ]
}

@test "capabilities: an unknown name fails create, naming set and capability" {
    bundle_edit "$bundle" '.process.capabilities.bounding += ["CAP_FOO"]'
    id=$(new_id)
    run cryo run -b "$bundle" "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *'process.capabilities.bounding: unknown capability `CAP_FOO`'* ]]
    [ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
    run cryo state "$id"
    [ "$status" -ne 0 ]
}

@test "seccomp: a denied syscall fails inside the container with errnoRet" {
    bundle_edit "$bundle" '.root.readonly = false
        | .process.args = ["sh", "-c", "touch /tmp/allowed && echo touched; mkdir /tmp/denied; grep ^Seccomp: /proc/self/status"]
        | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": [{"names": ["mkdir", "mkdirat", "no_such_syscall"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122}]}'
    id=$(new_id)
    run cryo run -b "$bundle" "$id"
    [ "$status" -eq 0 ]
    [[ "$output" == *touched* ]]
    # 122 is EDQUOT: nothing but the filter gives that on a tmp directory
    [[ "$output" == *"mkdir: can't create directory '/tmp/denied': Disk quota exceeded"* ]]
    [[ "$output" == *"Seccomp:"*2* ]]
}

@test "seccomp: SCMP_ACT_KILL_PROCESS kills the container's process with SIGSYS" {
    bundle_edit "$bundle" '.process.args = ["mkdir", "/tmp/x"]
        | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
    id=$(new_id)
    run cryo run -b "$bundle" "$id"
    # 128 + SIGSYS (31), as runc reports a process killed by a signal
    [ "$status" -eq 159 ]
}

@test "seccomp: without noNewPrivileges a non-root user runs under the filter (podman run --user)" {
    # Without no_new_privs loading a filter needs CAP_SYS_ADMIN, which uid
    # 1000 no longer has: the runtime must load it before the uid change.
    bundle_edit "$bundle" '.root.readonly = false | .process.noNewPrivileges = false
        | .process.user = {"uid": 1000, "gid": 1000}
        | .process.args = ["sh", "-c", "id -u; grep -E \"^(Seccomp|NoNewPrivs|CapEff):\" /proc/self/status; mkdir /tmp/denied"]
        | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122}]}'
    id=$(new_id)
    run cryo run -b "$bundle" "$id"
    echo "$output"
    assert_filtered_as_1000
}

@test "seccomp: a bad profile fails create naming the field" {
    bundle_edit "$bundle" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOPE"}]}'
    id=$(new_id)
    run cryo run -b "$bundle" "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *'linux.seccomp.syscalls[0].action: unknown action `SCMP_ACT_NOPE`'* ]]
}

@test "noNewPrivileges: NoNewPrivs in /proc/self/status follows the config" {
    bundle_edit "$bundle" '.process.noNewPrivileges = true'
    id=$(new_id)
    run cryo run -b "$bundle" "$id"
    [ "$status" -eq 0 ]
    [ "$(status_field NoNewPrivs)" = 1 ]

    bundle_edit "$bundle" '.process.noNewPrivileges = false'
    id=$(new_id)
    run cryo run -b "$bundle" "$id"
    [ "$status" -eq 0 ]
    [ "$(status_field NoNewPrivs)" = 0 ]
}

@test "sysctl: values are set inside the container and the host's stay" {
    local shm ttl
    shm=$(cat /proc/sys/kernel/shmmni)
    ttl=$(cat /proc/sys/net/ipv4/ip_default_ttl)
    # otherwise "untouched" would prove nothing
    [ "$shm" != 1234 ] && [ "$ttl" != 77 ]
    bundle_edit "$bundle" '.process.args = ["cat", "/proc/sys/kernel/shmmni", "/proc/sys/net/ipv4/ip_default_ttl"]
        | .linux.sysctl = {"kernel.shmmni": "1234", "net.ipv4.ip_default_ttl": "77"}'
    id=$(new_id)
    run cryo run -b "$bundle" "$id"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 1234 ]
    [ "${lines[1]}" = 77 ]
    [ "$(cat /proc/sys/kernel/shmmni)" = "$shm" ]
    [ "$(cat /proc/sys/net/ipv4/ip_default_ttl)" = "$ttl" ]
}

@test "sysctl: a key that is not namespaced is refused and the host untouched" {
    local before
    before=$(cat /proc/sys/kernel/pid_max)
    bundle_edit "$bundle" '.linux.sysctl = {"kernel.pid_max": "4242"}'
    id=$(new_id)
    run cryo run -b "$bundle" "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *'linux.sysctl: `kernel.pid_max` is not namespaced'* ]]
    [ "$(cat /proc/sys/kernel/pid_max)" = "$before" ]
}

@test "sysctl: a net key in the host's network namespace is refused" {
    bundle_edit "$bundle" '.linux.namespaces |= map(select(.type != "network"))
        | .linux.sysctl = {"net.ipv4.ip_default_ttl": "77"}'
    id=$(new_id)
    run cryo run -b "$bundle" "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *'`net.ipv4.ip_default_ttl` needs the container'"'"'s own network namespace'* ]]
}

@test "lsm: an AppArmor profile on a host without AppArmor is an error naming it" {
    if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; then
        skip "this host has AppArmor"
    fi
    bundle_edit "$bundle" '.process.apparmorProfile = "cryo-test"'
    id=$(new_id)
    run cryo run -b "$bundle" "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *'process.apparmorProfile: AppArmor is not enabled on this host'* ]]
}

@test "personality: LINUX32 makes uname report a 32-bit machine" {
    [ "$(uname -m)" = x86_64 ] || skip "needs x86_64"
    bundle_edit "$bundle" '.process.args = ["uname", "-m"] | .linux.personality = {"domain": "LINUX32"}'
    id=$(new_id)
    run cryo run -b "$bundle" "$id"
    [ "$status" -eq 0 ]
    [ "$output" = i686 ]
}

# runc's -ENOSYS stub: with a default that denies, a syscall newer than any
# the profile names fails with ENOSYS (a program probing for it falls back,
# as on an older kernel), one the profile predates not: it gets the default.
# The default ENOSYS or ALLOW needs no stub.  runc's seccomp.bats checks it.
@test "seccomp: a syscall newer than the profile fails with ENOSYS, an older one gets the default action" {
    cat >"$BATS_TEST_TMPDIR/probe.c" <<'C'
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
int main (void)
{
  long a = syscall (1000), ea = errno;
  long b = syscall (SYS_getppid), eb = errno;
  printf ("new=%ld/%ld old=%ld/%ld\n", a, ea, b, eb);
  return 0;
}
C
    gcc -static -O1 -o "$bundle/rootfs/probe" "$BATS_TEST_TMPDIR/probe.c" || skip "no static C toolchain"
    allow='["execve", "brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq", "prlimit64",
        "readlink", "readlinkat", "getrandom", "mprotect", "mmap", "munmap", "uname", "write", "exit",
        "exit_group", "newfstatat", "fstat", "ioctl", "futex", "close", "openat"]'
    bundle_edit "$bundle" ".process.args = [\"/probe\"] | .process.noNewPrivileges = true
        | .linux.seccomp = {\"defaultAction\": \"SCMP_ACT_ERRNO\",
            \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"],
            \"syscalls\": [{\"names\": $allow, \"action\": \"SCMP_ACT_ALLOW\"}]}"
    id=$(new_id)
    run -0 cryo run -b "$bundle" "$id"
    [ "$output" = "new=-1/38 old=-1/1" ]
    # the default already ENOSYS: no stub, the same answer
    bundle_edit "$bundle" '.linux.seccomp.defaultErrnoRet = 38'
    id=$(new_id)
    run -0 cryo run -b "$bundle" "$id"
    [ "$output" = "new=-1/38 old=-1/38" ]
}
