# bash completion for cryo                                   -*- shell-script -*-
#
# Subcommands, their flags and the values flags take come from the binary
# itself (`cryo --help`, `cryo <command> --help`, cached per shell), so the
# completion knows every command and flag of the cryo it completes for.
# Container ids come from `cryo list -q` under the --root given on the line.
#
# Install as /usr/share/bash-completion/completions/cryo (`make install`
# does), or source this file.

# _cryo_help BIN WORDS...: `BIN WORDS... --help`, cached.
_cryo_help() {
    local key="$*"
    declare -gA _cryo_help_cache
    if [[ -z ${_cryo_help_cache[$key]+set} ]]; then
        _cryo_help_cache[$key]=$("$@" --help 2>/dev/null)
    fi
    printf '%s\n' "${_cryo_help_cache[$key]}"
}

# _cryo_options BIN WORDS...: one line per option of the Options: list,
# "FLAGS<TAB>METAVAR<TAB>HELP" where FLAGS is "--long" or "--long -s".
_cryo_options() {
    _cryo_help "$@" | awk '
        /^Options:/ { on = 1; next }
        /^[A-Za-z]/ { on = 0 }
        on && /^ +-/ {
            line = $0; sub(/^ +/, "", line)
            n = split(line, parts, /   +/)
            help = n > 1 ? parts[2] : ""
            flags = parts[1]; shortf = ""; metavar = ""
            if (flags ~ /^-[^-], /) { shortf = substr(flags, 1, 2); flags = substr(flags, 5) }
            split(flags, w, " "); longf = w[1]; metavar = w[2]
            printf "%s%s\t%s\t%s\n", longf, (shortf ? " " shortf : ""), metavar, help
        }'
}

# _cryo_commands BIN WORDS...: the names of the Commands: list.
_cryo_commands() {
    _cryo_help "$@" | awk '/^Commands:/ { on = 1; next } /^$/ { if (on) exit } on && /^  [a-z]/ { print $1 }'
}

# _cryo_usage BIN WORDS...: the Usage: line.
_cryo_usage() {
    _cryo_help "$@" | awk '/^Usage:/ { print; exit }'
}

# _cryo_option_metavar BIN WORDS... -- FLAG: the metavar of FLAG, "" for a
# flag without value, "?" for an unknown option.
_cryo_option_metavar() {
    local args=() flag
    while [[ $1 != -- ]]; do args+=("$1"); shift; done
    flag=$2
    _cryo_options "${args[@]}" | awk -F '\t' -v f="$flag" '
        { split($1, names, " "); for (i in names) if (names[i] == f) { print $2; found = 1; exit } }
        END { if (!found) print "?" }'
}

# Complete the value of an option whose metavar is $1 (help text $2).
_cryo_complete_value() {
    local metavar=$1 help=$2 cur=$3 choices
    case "$metavar" in
    *'|'*) choices=${metavar//|/ } ;;
    FORMAT) choices=$(grep -ow -e text -e json -e table <<<"$help" | sort -u | tr '\n' ' ') ;;
    DIR) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    FILE | PATH) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    NAMESPACE) choices="network" ;;
    MODE) choices="soft full strict ignore" ;;
    *) COMPREPLY=(); return ;;
    esac
    COMPREPLY=($(compgen -W "$choices" -- "$cur"))
}

_cryo_container_ids() {
    local bin=$1 root=$2
    "$bin" ${root:+--root "$root"} list -q 2>/dev/null
}

_cryo() {
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion -n = || return
    else
        cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
        words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
    fi
    local bin=${words[0]} root="" i w metavar
    local -a cmd=()   # the command words: "run", or "image pack"
    local npos=0      # positional arguments after the command

    # Walk the words before the cursor: global options, the command (and a
    # subcommand for commands that have them), its options and positionals.
    for ((i = 1; i < cword; i++)); do
        w=${words[i]}
        if [[ $w == -* && $w != -- ]]; then
            [[ $w == *=* ]] && { [[ ${w%%=*} == --root || ${w%%=*} == -root ]] && root=${w#*=}; continue; }
            metavar=$(_cryo_option_metavar "$bin" "${cmd[@]}" -- "$w")
            if [[ -n $metavar && $metavar != '?' ]]; then
                ((i++))
                [[ ${#cmd[@]} -eq 0 && ($w == --root || $w == -root) ]] && root=${words[i]}
            fi
        elif [[ ${#cmd[@]} -eq 0 ]]; then
            cmd=("$w")
        elif [[ $npos -eq 0 && -n $(_cryo_commands "$bin" "${cmd[@]}") ]]; then
            cmd+=("$w")
        else
            npos=$((npos + 1))
            # exec ID COMMAND ARGS...: the rest belongs to the command.
            if [[ ${cmd[0]} == exec && $npos -ge 2 ]]; then
                COMPREPLY=($(compgen -f -- "$cur"))
                return
            fi
        fi
    done

    # The value of an option.
    if [[ $prev == -* && $prev != *=* ]]; then
        metavar=$(_cryo_option_metavar "$bin" "${cmd[@]}" -- "$prev")
        if [[ -n $metavar && $metavar != '?' ]]; then
            local help
            help=$(_cryo_options "$bin" "${cmd[@]}" | awk -F '\t' -v f="$prev" '{ split($1, n, " "); for (i in n) if (n[i] == f) print $3 }')
            _cryo_complete_value "$metavar" "$help" "$cur"
            return
        fi
    fi
    if [[ $cur == --*=* ]]; then
        local flag=${cur%%=*}
        metavar=$(_cryo_option_metavar "$bin" "${cmd[@]}" -- "$flag")
        _cryo_complete_value "$metavar" "" "${cur#*=}"
        return
    fi

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_cryo_options "$bin" "${cmd[@]}" | cut -f1 | tr ' ' '\n') --help" -- "$cur"))
        return
    fi
    if [[ ${#cmd[@]} -eq 0 ]]; then
        COMPREPLY=($(compgen -W "$(_cryo_commands "$bin")" -- "$cur"))
        return
    fi
    local subs
    subs=$(_cryo_commands "$bin" "${cmd[@]}")
    if [[ -n $subs && $npos -eq 0 ]]; then
        COMPREPLY=($(compgen -W "$subs" -- "$cur"))
        return
    fi

    # Positionals, from the command's Usage line.
    local usage
    usage=$(_cryo_usage "$bin" "${cmd[@]}")
    if [[ $npos -eq 0 && $usage == *'<container-id>'* ]]; then
        COMPREPLY=($(compgen -W "$(_cryo_container_ids "$bin" "$root")" -- "$cur"))
    elif [[ ${cmd[0]} == kill && $npos -eq 1 ]]; then
        COMPREPLY=($(compgen -W "$(kill -l | tr -s ' \t' '\n' | grep '^SIG' | sed 's/^SIG//')" -- "${cur#SIG}"))
    elif [[ $usage == *'<path>'* || $usage == *'<file>'* ]]; then
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
} && complete -F _cryo cryo
