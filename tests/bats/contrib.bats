#!/usr/bin/env bats
# What contrib/ and docs/ give users: the bash completion, the manual pages
# (generated from docs/man/*.md and the binary's --help) and `make install`.

load helpers

bats_require_minimum_version 1.5.0

# The commands of `cryo --help`.
commands() {
    "$CRYO_BIN" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }'
}

# complete WORD...: the completions bash offers for the line WORD... (the
# last word is the one being completed), one per line, sorted.
complete_words() {
    bash -c '
        source "$1/contrib/completions/cryo.bash"
        shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        _cryo
        printf "%s\n" "${COMPREPLY[@]}"' _ "$CRYO_TOP" "$@" | sort
}

@test "completion: every command of cryo --help, and the flags of a command" {
    run -0 complete_words "$CRYO_BIN" ""
    [ "$output" = "$(commands | sort)" ]
    run -0 complete_words "$CRYO_BIN" ch
    [[ "$output" == *check* ]]
    [[ "$output" != *run* ]]
    run -0 complete_words "$CRYO_BIN" run --
    for flag in --bundle --pid-file --console-socket --detach --keep --preserve-fds --help; do
        grep -qx -- "$flag" <<<"$output"
    done
    # Global options before the command; their values.
    run -0 complete_words "$CRYO_BIN" --
    grep -qx -- --root <<<"$output"
    grep -qx -- --log-format <<<"$output"
    run -0 complete_words "$CRYO_BIN" --log-format ""
    [ "$output" = "$(printf 'json\ntext')" ]
}

@test "completion: option values, subcommands, container ids and signals" {
    run -0 complete_words "$CRYO_BIN" list --format ""
    [ "$output" = "$(printf 'json\ntable')" ]
    run -0 complete_words "$CRYO_BIN" image ""
    [ "$output" = "$(printf 'convert\ninspect\npack\nunpack\nverify')" ]
    run -0 complete_words "$CRYO_BIN" image pack --compress ""
    [ "$output" = "$(printf 'gzip\nnone\nzstd')" ]
    mkdir -p "$BATS_TEST_TMPDIR/dir-a"
    run -0 complete_words "$CRYO_BIN" run --bundle "$BATS_TEST_TMPDIR/dir-"
    [ "$output" = "$BATS_TEST_TMPDIR/dir-a" ]

    # Container ids under the --root given on the line.
    id=$(new_id)
    make_bundle "$BATS_TEST_TMPDIR/bundle"
    cryo create --bundle "$BATS_TEST_TMPDIR/bundle" "$id" </dev/null >/dev/null 2>&1
    run -0 complete_words "$CRYO_BIN" --root "$CRYO_ROOT" kill ""
    grep -qx -- "$id" <<<"$output"
    run -0 complete_words "$CRYO_BIN" --root="$CRYO_ROOT" delete --force "${id:0:12}"
    grep -qx -- "$id" <<<"$output"
    run -0 complete_words "$CRYO_BIN" --root "$CRYO_ROOT" kill "$id" TE
    [ "$output" = TERM ]
}

@test "man pages: one per command, with its prose and every option of its --help" {
    out="$BATS_TEST_TMPDIR/man"
    run -0 "$CRYO_TOP/docs/man/mkman.sh" "$CRYO_BIN" "$CRYO_TOP/docs/man" "$out"
    # No command goes without its hand-written description.
    [[ "$output" != *warning* ]]
    [ -f "$out/cryo.8" ]
    for c in $(commands); do
        page="$out/cryo-$c.8"
        [ -f "$page" ]
        grep -q '^\.SH DESCRIPTION' "$page"
        # groff finds nothing to warn about.
        run -0 groff -man -Tutf8 -ww -z "$page"
        [ -z "$output" ]
        # Every long option of the command is documented on its page.
        for opt in $("$CRYO_BIN" "$c" --help | awk '/^Options:/ { on = 1; next } on' |
            sed -n 's/^ *\(-., \)\{0,1\}\(--[a-z0-9-]*\).*/\2/p'); do
            grep -qF -- "\\fB${opt//-/\\-}\\fR" "$page" || { echo "cryo-$c(8) lacks $opt" >&2; return 1; }
        done
    done
    # cryo(8) lists the global options and links every command's page.
    for c in $(commands); do
        grep -qF "\\fBcryo\\-$c\\fR(8)" "$out/cryo.8"
    done
    grep -qF '\fB\-\-root\fR' "$out/cryo.8"
    run -0 man -l "$out/cryo-run.8"
    [[ "$output" == *"Create and start container"* ]]
}

@test "make install puts cryo, the man pages and the completion in place" {
    [ -f "$CRYO_BUILDDIR/Makefile" ] || skip "no Makefile in $CRYO_BUILDDIR"
    dest="$BATS_TEST_TMPDIR/dest"
    make -s -C "$CRYO_BUILDDIR" install DESTDIR="$dest" prefix=/usr >/dev/null
    [ -x "$dest/usr/bin/cryo" ]
    [ -f "$dest/usr/share/bash-completion/completions/cryo" ]
    [ -f "$dest/usr/share/man/man8/cryo.8" ]
    for c in $(commands); do
        [ -f "$dest/usr/share/man/man8/cryo-$c.8" ]
    done
    make -s -C "$CRYO_BUILDDIR" uninstall DESTDIR="$dest" prefix=/usr >/dev/null
    [ -z "$(find "$dest" -type f)" ]
}

# The README's first command ends in contrib/demo.sh: it must say what it
# shows, in order (the value at the freeze, the same value a second later,
# then the count going on from there), and fail when the count restarts.
@test "demo: the count stops at the checkpoint and carries on after the restore" {
    run -0 env CRYO_BIN="$CRYO_BIN" bash "$CRYO_TOP/contrib/demo.sh"
    frozen=$(sed -n 's/^the counter.s last value, written just before the freeze: //p' <<<"$output")
    [ -n "$frozen" ]
    grep -qx "one second later the file still says $frozen: nothing runs" <<<"$output"
    first=$(sed -n 's/^first value after the restore: \([0-9]*\),.*/\1/p' <<<"$output")
    [ "$first" -gt "$frozen" ] && [ "$first" -le $((frozen + 2)) ]
    grep -qx "the container carried on from where it was frozen" <<<"$output"
}
