#!/usr/bin/env bash
# The layering of src/, checked over the #include lines (TAP, one test per
# folder).  A folder may include its own headers and those of the folders
# in lower layers, never those above or beside it (CONTRIBUTING.md, "The
# map"):
#
#   cli -> cr -> container -> {image, engine, leak} -> {ns, cgroup} -> spec -> lib
#
# Today's exceptions are listed, with their reason, in exceptions.txt beside
# this script ("FILE INCLUDE reason"); an exception that no longer occurs
# fails too, so the list only shrinks.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=${1:-$here/../../src}
exceptions=$here/exceptions.txt

declare -A rank=([lib]=0 [spec]=1 [ns]=2 [cgroup]=2 [image]=3 [engine]=3 [leak]=3
    [container]=4 [cr]=5 [cli]=6)

is_exception() {
    grep -q "^$1 $2 " "$exceptions"
}

# Every include of FOLDER/...h in src/*/*.[ch], as "file folder/header".
edges() {
    (cd "$src" && grep -o '^#include "[a-z]*/[^"]*"' -- */*.[ch]) |
        sed 's|^\([^:]*\):#include "\(.*\)"$|\1 \2|'
}

n=0 failed=0
folders=$(cd "$src" && ls -d */ | tr -d /)
echo "1..$(($(wc -w <<<"$folders") + 1))"
for d in $folders; do
    n=$((n + 1))
    if [ -z "${rank[$d]:-}" ]; then
        echo "not ok $n - src/$d: not in the layer table of $0"
        failed=1
        continue
    fi
    bad=$(edges | while read -r file inc; do
        from=${file%%/*} to=${inc%%/*}
        [ "$from" = "$d" ] && [ "$to" != "$d" ] || continue
        [ -n "${rank[$to]:-}" ] && [ "${rank[$to]}" -lt "${rank[$d]}" ] && continue
        is_exception "$file" "$inc" || echo "src/$file includes $inc"
    done)
    if [ -n "$bad" ]; then
        echo "not ok $n - src/$d includes only lower layers"
        sed 's/^/# /' <<<"$bad"
        failed=1
    else
        echo "ok $n - src/$d includes only lower layers"
    fi
done

n=$((n + 1))
stale=$(grep -v '^#' "$exceptions" | while read -r file inc _; do
    [ -n "$file" ] || continue
    grep -q "^#include \"$inc\"" "$src/$file" 2>/dev/null || echo "$file $inc"
done)
if [ -n "$stale" ]; then
    echo "not ok $n - every listed exception still occurs (remove these from exceptions.txt)"
    sed 's/^/# /' <<<"$stale"
    failed=1
else
    echo "ok $n - every listed exception still occurs"
fi
exit $failed
