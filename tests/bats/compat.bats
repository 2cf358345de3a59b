#!/usr/bin/env bats
# What engines read from cryo as from runc: `features`, the state JSON, the
# error texts containerd's shim matches on, the JSON log lines it parses and
# the flag spellings go-runc and conmon pass.

load helpers

bats_require_minimum_version 1.5.0

@test "features: the runtime-spec document with runc's annotations" {
    run -0 cryo features
    jq -e . <<<"$output" >/dev/null
    [ "$(jq -r .ociVersionMin <<<"$output")" = 1.0.0 ]
    jq -e '.hooks | index("prestart") and index("poststop")' <<<"$output" >/dev/null
    jq -e '.linux.namespaces | index("pid") and index("user") and index("cgroup")' <<<"$output" >/dev/null
    jq -e '.linux.capabilities | index("CAP_SYS_ADMIN")' <<<"$output" >/dev/null
    jq -e '.linux.seccomp.enabled == true' <<<"$output" >/dev/null
    jq -e '.linux.cgroup.v1 == true and .linux.cgroup.v2 == true' <<<"$output" >/dev/null
    jq -e '.mountOptions | index("rbind") and index("ro")' <<<"$output" >/dev/null
    # The key engines (and crun) use to say "this runtime can checkpoint".
    [ "$(jq -r '.annotations["org.opencontainers.runc.checkpoint.enabled"]' <<<"$output")" = true ]
    [ "$(jq -r '.annotations["io.cryo.version"]' <<<"$output")" = "$("$CRYO_BIN" --version | awk 'NR == 1 { print $3 }')" ]
    jq -r '.annotations["io.github.seccomp.libseccomp.version"]' <<<"$output" | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+$'
}

@test "state: runc's fields, pid 0 once stopped" {
    id=$(new_id)
    make_bundle "$BATS_TEST_TMPDIR/bundle"
    cryo run -d --bundle "$BATS_TEST_TMPDIR/bundle" "$id" </dev/null >/dev/null 2>&1
    run -0 cryo state "$id"
    [ "$(jq -r '[keys[]] | sort | join(",")' <<<"$output")" = "bundle,created,id,ociVersion,owner,pid,rootfs,status" ]
    [ "$(jq -r .status <<<"$output")" = running ]
    [ "$(jq -r .rootfs <<<"$output")" = "$BATS_TEST_TMPDIR/bundle/rootfs" ]
    jq -r .created <<<"$output" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$'
    cryo kill "$id" KILL
    wait_for_status "$id" stopped
    [ "$(container_pid "$id")" = 0 ]
}

@test "error texts containerd's shim matches: 'container not running', 'does not exist'" {
    id=$(new_id)
    make_bundle "$BATS_TEST_TMPDIR/bundle" true
    cryo create --bundle "$BATS_TEST_TMPDIR/bundle" "$id" </dev/null >/dev/null 2>&1
    cryo start "$id"
    wait_for_status "$id" stopped
    # The shim turns these into "process already finished" / ignores them.
    run -1 cryo kill "$id" KILL
    [[ "$output" == *"container not running"* ]]
    cryo delete "$id"
    run -1 cryo delete "$id"
    [[ "$output" == *"does not exist"* ]]
    run -0 cryo delete --force "$id"
}

@test "--log-format json: one JSON line per message, the error last, as runc writes" {
    log="$BATS_TEST_TMPDIR/log.json"
    run -1 "$CRYO_BIN" --root "$CRYO_ROOT" --log "$log" --log-format json state no-such-container-$$
    [[ "$output" == *"does not exist"* ]]
    run -0 tail -n 1 "$log"
    [ "$(jq -r .level <<<"$output")" = error ]
    [[ "$(jq -r .msg <<<"$output")" == *"no-such-container-$$"*"does not exist"* ]]
    jq -r .time <<<"$output" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T'
    # Every line of the file is JSON.
    jq -e . "$log" >/dev/null
}

# runc's --debug writes logrus lines (time="..." level=debug msg="..."), on
# stderr or to --log in text format; runc's exec.bats looks for level=debug.
@test "--debug: runc's text log lines, on stderr and in --log" {
    id=$(new_id)
    make_bundle "$BATS_TEST_TMPDIR/bundle" sleep 100
    cryo run -d --bundle "$BATS_TEST_TMPDIR/bundle" "$id" </dev/null >/dev/null 2>&1
    run -0 cryo --debug exec "$id" true
    [[ "$output" == *'level=debug msg="exec: process '*' runs `true` in container `'"$id"'`"'* ]]
    grep -Eq '^time="[0-9]{4}-[0-9]{2}-[0-9]{2}T[^"]*" level=debug msg="' <<<"$output"
    run -0 cryo --debug --log "$BATS_TEST_TMPDIR/log.txt" exec "$id" true
    grep -q 'level=debug msg="exec: process ' "$BATS_TEST_TMPDIR/log.txt"
    cryo delete --force "$id"
}

@test "flag spellings engines pass: -flag, --flag=value, --flag value" {
    log="$BATS_TEST_TMPDIR/log.json"
    # conmon: --log-format=json; go-runc: --log FILE --log-format json; urfave/cli: -root.
    "$CRYO_BIN" -root "$CRYO_ROOT" --log="$log" --log-format=json list -q >/dev/null
    "$CRYO_BIN" --root="$CRYO_ROOT" --log "$log" --log-format json list --format=json >/dev/null
    id=$(new_id)
    make_bundle "$BATS_TEST_TMPDIR/bundle"
    cryo create -bundle "$BATS_TEST_TMPDIR/bundle" -pid-file "$BATS_TEST_TMPDIR/pid" "$id" </dev/null >/dev/null 2>&1
    [ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$(container_pid "$id")" ]
    cryo delete -force "$id"
}
