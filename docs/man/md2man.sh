#!/usr/bin/env bash
# md2man.sh CRYO PAGE.md: print the roff manual page for PAGE.md.
# (mkman.sh runs it for cryo(8) and for every command `cryo --help` lists.)
#
# One source per page: the prose is docs/man/<page>.md, and everything the
# binary knows comes from the binary itself, so the page cannot drift from
# the code: NAME from the command list of `cryo --help`, SYNOPSIS from the
# Usage line of `cryo <command> --help`, and each `@OPTIONS [words...]@` line
# becomes the option list of `cryo [words...] --help` (no words: the page's
# own command), `@COMMANDS [words...]@` its list of commands.  cryo.md is cryo(8) (global options, command list);
# cryo-<command>.md is cryo-<command>(8).
#
# Markdown subset: "## SECTION", "### Subsection", paragraphs, "- " items,
# ``` fenced blocks ```, `code` (bold) and *emphasis* (italic).  A command
# without its .md yet still gets a page: name, synopsis and options.
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 CRYO PAGE.md" >&2
    exit 2
fi
cryo=$1 src=$2
page=$(basename "$src" .md)

cmd=
[ "$page" = cryo ] || cmd=${page#cryo-}
version=$("$cryo" --version | awk 'NR == 1 { print $3 }')
global_help=$("$cryo" --help)

# The summary of a command, from the Commands: list of `cryo --help`.
summary_of() {
    awk -v c="$1" '/^Commands:/ { on = 1; next } on && $1 == c { $1 = ""; sub(/^ +/, ""); print; exit }' \
        <<<"$global_help"
}

# roff-escape text: backslashes, dashes, and a leading dot or quote.
roff_escape() {
    sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
}

# The "Options:" (or with KIND Commands, the "Commands:") list of
# `cryo WORDS... --help`, as .TP entries.
options_of() {
    local kind=$1 help
    shift
    if ! help=$("$cryo" "$@" --help 2>&1); then
        echo "md2man.sh: \`cryo $* --help\` failed: $help" >&2
        return 1
    fi
    awk -v want="$kind:" '
        /^(Options|Commands):/ { mode = ($1 == want) ? $1 : ""; next }
        /^$/ { if (mode == "Commands:") mode = ""; next }
        mode == "Options:" && /^ +-/ {
            line = $0; sub(/^ +/, "", line)
            # "-b, --bundle DIR   help": split at the first run of 2+ spaces.
            split(line, parts, /   +/)
            flags = parts[1]; help = substr(line, length(flags) + 1); sub(/^ +/, "", help)
            n = split(flags, words, " ")
            out = ""
            for (i = 1; i <= n; i++) {
                w = words[i]
                if (w ~ /^-/) { comma = sub(/,$/, "", w); out = out (out ? " " : "") "\\fB" w "\\fR" (comma ? "," : "") }
                else out = out " \\fI" w "\\fR"
            }
            printf ".TP\n%s\n%s\n", out, help
        }
        mode == "Commands:" && /^  [a-z]/ {
            name = $1; line = $0; sub(/^ +[^ ]+ +/, "", line)
            printf ".TP\n\\fB%s\\fR\n%s\n", name, line
        }' < <(sed 's/\\/\\e/g' <<<"$help") | sed -e 's/-/\\-/g' -e 's/`\([^`]*\)`/\\fB\1\\fR/g'
}

synopsis() {
    local usage
    usage=$("$cryo" ${cmd:+"$cmd"} --help | awk '/^Usage:/ { sub(/^Usage: +/, ""); print; exit }')
    printf '.SH SYNOPSIS\n\\fB%s\\fR\n' "$(sed 's/  */ /g' <<<"$usage" | roff_escape)"
}

header() {
    local upper summary
    upper=$(tr '[:lower:]' '[:upper:]' <<<"$page")
    if [ -n "$cmd" ]; then
        summary=$(summary_of "$cmd")
        [ -n "$summary" ] || { echo "md2man.sh: \`cryo --help\` lists no command \`$cmd\`" >&2; return 1; }
    else
        summary="an OCI container runtime built for checkpoint/restore"
    fi
    printf '.TH %s 8 "" "cryo %s" "cryo manual"\n' "$upper" "$version"
    printf '.SH NAME\n%s \\- %s\n' "$page" "$(roff_escape <<<"${summary,}")"
    synopsis
}

# The markdown body, with @OPTIONS@ lines expanded.
body() {
    local line kind in_code=0
    while IFS= read -r line || [ -n "$line" ]; do
        if [[ "$line" == '```'* ]]; then
            if [ $in_code -eq 0 ]; then printf '.PP\n.RS 4\n.nf\n'; in_code=1
            else printf '.fi\n.RE\n'; in_code=0; fi
        elif [ $in_code -eq 1 ]; then
            roff_escape <<<"$line"
        elif [[ "$line" =~ ^@(OPTIONS|COMMANDS)(\ (.*))?@$ ]]; then
            kind=Options
            [ "${BASH_REMATCH[1]}" = OPTIONS ] || kind=Commands
            # shellcheck disable=SC2086
            options_of "$kind" ${BASH_REMATCH[3]:-$cmd}
        elif [[ "$line" == '## '* ]]; then
            printf '.SH %s\n' "${line#\#\# }"
        elif [[ "$line" == '### '* ]]; then
            printf '.SS %s\n' "$(inline <<<"${line#\#\#\# }")"
        elif [ -z "$line" ]; then
            printf '.PP\n'
        elif [[ "$line" == '- '* ]]; then
            printf '.IP \\(bu 2\n'
            inline <<<"${line#- }"
        else
            inline <<<"$line"
        fi
    done < <(if [ -f "$src" ]; then cat "$src"; else printf '## OPTIONS\n@OPTIONS@\n'; fi)
}

# `code` -> bold, *text* -> italic, after escaping.
inline() {
    roff_escape | sed -e 's/`\([^`]*\)`/\\fB\1\\fR/g' -e 's/\*\([^* ][^*]*\)\*/\\fI\1\\fR/g'
}

see_also() {
    local c refs=()
    printf '.SH SEE ALSO\n'
    if [ -n "$cmd" ]; then
        printf '\\fBcryo\\fR(8), \\fBrunc\\fR(8)\n'
        return
    fi
    for c in $(awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' <<<"$global_help"); do
        refs+=("\\fBcryo\\-$c\\fR(8)")
    done
    printf '%s, ' "${refs[@]}"
    printf '\\fBrunc\\fR(8), \\fBcriu\\fR(8)\n'
}

header
body | sed -e '/^\.PP$/{N;/^\.PP\n\.\(PP\|SH\|SS\|TP\|IP\)/D;}'
see_also
