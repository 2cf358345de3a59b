#!/usr/bin/env bash
# Read the per-runtime TAP of runc's suite and compare the runtimes test by
# test.  Sourced by run.sh; uses $logs, $here and the runtimes "runc" and
# "cryo".  A test is named "file.bats:test name".
# shellcheck disable=SC2154 # $logs, $here and $binary are set by run.sh

declare -A result reason na_reason

# The tests of a file, as bats names them.
tests_of() {
    sed -n 's/^@test "\(.*\)" {$/\1/p' "$1"
}

# One line explaining a failure, from bats' diagnostics of that test: the
# assertion that failed, and the last runtime command that failed with its
# first line of output (else the last command, else the last line).
failure_line() {
    local line cmd='' block='' failed='' last='' assertion='' picked
    while IFS= read -r line; do
        line=${line#\#}
        line=${line# }
        case "$line" in
        *" (status="[0-9]*"):")
            cmd=$line
            block=$line
            ;;
        "  \`"*"' failed"*) [ -n "$assertion" ] || assertion=${line#  } ;;
        "") ;;
        *)
            last=$line
            if [ -n "$cmd" ]; then
                block="$cmd $line"
                case "$cmd" in *"(status=0):") ;; *) failed=$block ;; esac
                cmd=''
            fi
            ;;
        esac
    done
    picked=${failed:-${block:-$last}}
    [ -n "$assertion" ] && picked="$assertion; $picked"
    # A test's own directory reads as $ROOT, as in runc's helpers.bash.
    picked=$(sed -E 's#/tmp/cryo-compat\.[^/]+/[^/]+/bats-run-[^/]+/runc\.[^/ ]+#$ROOT#g' <<<"$picked")
    printf '%s' "${picked:0:300}"
}

# Fill result[rt,key] (pass, fail, skip) and reason[rt,key] from one file's TAP.
read_tap() {
    local rt=$1 file=$2 tap=$3 line key='' diag='' name
    [ -f "$tap" ] || return 0
    flush() {
        if [ -n "$key" ] && [ "${result[$rt,$key]}" = fail ] && [ -z "${reason[$rt,$key]:-}" ]; then
            reason[$rt,$key]=$(failure_line <<<"$diag")
        fi
        diag=
    }
    while IFS= read -r line; do
        line=${line%$'\r'}
        case "$line" in
        "ok "* | "not ok "*)
            flush
            name=${line#not }
            name=${name#ok }
            name=${name#* }
            key=$file:${name%% # *}
            case "$line" in
            "ok "*"# skip"*)
                result[$rt,$key]=skip
                reason[$rt,$key]=${line#*# skip}
                reason[$rt,$key]=${reason[$rt,$key]# }
                ;;
            "ok "*) result[$rt,$key]=pass ;;
            *"# timeout after"*)
                result[$rt,$key]=fail
                reason[$rt,$key]="timed out (${line##*# timeout after })"
                ;;
            *) result[$rt,$key]=fail ;;
            esac
            ;;
        "#"*) diag+=$line$'\n' ;;
        esac
    done <"$tap"
    flush
}

# not-applicable.txt: "file.bats:test name | reason" (or "file.bats:* | reason").
read_not_applicable() {
    local line pat why
    while IFS= read -r line; do
        case "$line" in "#"* | "") continue ;; esac
        pat=${line%% | *}
        why=${line#* | }
        na_reason[$pat]=$why
    done <"$here/not-applicable.txt"
}

not_applicable() {
    local key=$1
    if [ -n "${na_reason[$key]:-}" ]; then
        printf '%s' "${na_reason[$key]}"
    elif [ -n "${na_reason[${key%%:*}:*]:-}" ]; then
        printf '%s' "${na_reason[${key%%:*}:*]}"
    else
        return 1
    fi
}

report() {
    local f file key rt why keys=() p s x n=0
    local -A pass fail skip
    read_not_applicable
    for f in "$@"; do
        file=$(basename "$f")
        for rt in runc cryo; do read_tap "$rt" "$file" "$logs/$rt/$file.tap"; done
        while IFS= read -r x; do
            key=$file:$x
            keys+=("$key")
            for rt in runc cryo; do
                if [ -z "${result[$rt,$key]:-}" ] && [ -f "$logs/$rt/$file.tap" ]; then
                    result[$rt,$key]=fail
                    reason[$rt,$key]="not run (the file stopped or timed out)"
                fi
            done
        done < <(tests_of "$f")
    done
    for rt in runc cryo; do
        pass[$rt]=0 fail[$rt]=0 skip[$rt]=0
        for key in "${keys[@]}"; do
            case "${result[$rt,$key]:-}" in
            pass) pass[$rt]=$((pass[$rt] + 1)) ;;
            fail) fail[$rt]=$((fail[$rt] + 1)) ;;
            skip) skip[$rt]=$((skip[$rt] + 1)) ;;
            esac
        done
        echo "# $rt (${binary[$rt]}): ${pass[$rt]} passed, ${fail[$rt]} failed, ${skip[$rt]} skipped of ${#keys[@]}; $(cat "$logs/$rt/seconds" 2>/dev/null || echo '?') s"
    done
    echo "# runc passes, cryo fails:"
    for key in "${keys[@]}"; do
        if [ "${result[runc,$key]:-}" != pass ] || [ "${result[cryo,$key]:-}" != fail ]; then continue; fi
        why=$(not_applicable "$key") && why=" [not applicable: $why]"
        echo "#   $key -- ${reason[cryo,$key]:-}${why:-}"
        why=
    done
    echo "# cryo passes, runc fails:"
    for key in "${keys[@]}"; do
        [ "${result[cryo,$key]:-}" = pass ] && [ "${result[runc,$key]:-}" = fail ] &&
            echo "#   $key -- runc: ${reason[runc,$key]:-}"
    done
    echo "# not applicable (tests/compat/not-applicable.txt):"
    for key in "${keys[@]}"; do
        why=$(not_applicable "$key") || continue
        echo "#   $key -- $why (runc: ${result[runc,$key]:-?}, cryo: ${result[cryo,$key]:-?})"
    done
    echo "# both fail, and not listed as not applicable:"
    for key in "${keys[@]}"; do
        not_applicable "$key" >/dev/null && continue
        [ "${result[runc,$key]:-}" = fail ] && [ "${result[cryo,$key]:-}" = fail ] &&
            echo "#   $key -- runc: ${reason[runc,$key]:-}"
    done

    # The TAP stream over the applicable tests: a failure is a test runc
    # passes (or was not run with) and cryo fails.
    local applicable=()
    for key in "${keys[@]}"; do
        not_applicable "$key" >/dev/null || applicable+=("$key")
    done
    p=0 x=0 s=0
    echo "1..${#applicable[@]}"
    for key in "${applicable[@]}"; do
        n=$((n + 1))
        case "${result[cryo,$key]:-}:${result[runc,$key]:-}" in
        pass:*) echo "ok $n - $key"; p=$((p + 1)) ;;
        skip:*) echo "ok $n - $key # skip ${reason[cryo,$key]}"; s=$((s + 1)) ;;
        fail:fail) echo "ok $n - $key # skip runc fails it too"; s=$((s + 1)) ;;
        fail:skip) echo "ok $n - $key # skip runc skips it"; s=$((s + 1)) ;;
        :*) echo "ok $n - $key # skip not run with cryo"; s=$((s + 1)) ;;
        *) echo "not ok $n - $key -- ${reason[cryo,$key]:-}"; x=$((x + 1)) ;;
        esac
    done
    echo "$p passed, $x failed, $s skipped"
}
