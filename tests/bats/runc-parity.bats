#!/usr/bin/env bats
# Bundles and command sequences that runc 1.1.5 runs, which cryo must run the
# same way (issue 10): each test says what runc does with them.

load helpers

bats_require_minimum_version 1.5.0

@test "capabilities: runc spec's own config runs, ambient capabilities not inheritable are left out" {
    command -v runc >/dev/null || skip "runc is not installed"
    bundle="$BATS_TEST_TMPDIR/bundle"
    mkdir -p "$bundle"
    make_rootfs "$bundle/rootfs"
    (cd "$bundle" && runc spec)
    # runc's config: ambient AUDIT_WRITE, KILL, NET_BIND_SERVICE and no inheritable set.
    jq -e '.process.capabilities.ambient | length == 3' "$bundle/config.json" >/dev/null
    jq -e '.process.capabilities | has("inheritable") | not' "$bundle/config.json" >/dev/null
    bundle_edit "$bundle" '.process.terminal = false | .process.args = ["cat", "/proc/self/status"]'
    id=$(new_id)
    run -0 cryo run -b "$bundle" "$id"
    # AUDIT_WRITE is bit 29, KILL bit 5, NET_BIND_SERVICE bit 10: what runc gives.
    [ "$(status_field CapBnd)" = 0000000020000420 ]
    [ "$(status_field CapPrm)" = 0000000020000420 ]
    [ "$(status_field CapEff)" = 0000000020000420 ]
    [ "$(status_field CapInh)" = 0000000000000000 ]
    [ "$(status_field CapAmb)" = 0000000000000000 ]
}

@test "capabilities: an ambient capability also inheritable is raised, the others are left out" {
    bundle="$BATS_TEST_TMPDIR/bundle"
    make_bundle "$bundle" cat /proc/self/status
    bundle_edit "$bundle" '.process.capabilities = {
        "bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "inheritable": ["CAP_NET_BIND_SERVICE"],
        "ambient": ["CAP_KILL", "CAP_NET_BIND_SERVICE"]}'
    id=$(new_id)
    run -0 cryo run -b "$bundle" "$id"
    [ "$(status_field CapInh)" = 0000000000000400 ]
    [ "$(status_field CapAmb)" = 0000000000000400 ]
}
