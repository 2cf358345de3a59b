#!/usr/bin/env bash
# mkman.sh CRYO SRCDIR OUTDIR: write cryo.8 and cryo-<command>.8 for every
# command of `CRYO --help` into OUTDIR, from SRCDIR/*.md (see md2man.sh).
# A command without its page's prose gets a warning and a generated page.
set -euo pipefail

if [ $# -ne 3 ]; then
    echo "usage: $0 CRYO SRCDIR OUTDIR" >&2
    exit 2
fi
cryo=$1 srcdir=$2 outdir=$3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$outdir"
rm -f "$outdir"/cryo.8 "$outdir"/cryo-*.8

pages=(cryo)
for c in $("$cryo" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }'); do
    pages+=("cryo-$c")
done
for p in "${pages[@]}"; do
    [ -f "$srcdir/$p.md" ] || echo "mkman.sh: warning: no $srcdir/$p.md: $p(8) has only the options" >&2
    bash "$here/md2man.sh" "$cryo" "$srcdir/$p.md" >"$outdir/$p.8.tmp"
    mv "$outdir/$p.8.tmp" "$outdir/$p.8"
done
