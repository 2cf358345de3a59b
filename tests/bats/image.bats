#!/usr/bin/env bats
# cryo image: inspect, verify, pack, unpack, convert.  Images come from the
# image writer through tests/unit/mkimage (with a real CRIU dump where the
# test needs processes), v1 images are made by hand, v3 images by rewriting
# the manifest of a writer's image.

load helpers

MKIMAGE=$CRYO_BUILDDIR/tests/unit/mkimage

setup() {
    if [ ! -x "$MKIMAGE" ]; then
        echo "missing $MKIMAGE: build the test programs (make check TESTS=)" >&2
        return 1
    fi
    dir=$BATS_TEST_TMPDIR
}

# mkimage PATH [options]: an image made by the writer.
mkimage() {
    "$MKIMAGE" "$@" >"$BATS_TEST_TMPDIR/mkimage.out"
}

# A version 1 image, as older cryo wrote it.
make_v1() {
    local path=$1
    mkdir -p "$path"
    cat >"$path/cryo.json" <<'JSON'
{ "format": "cryo-image", "version": 1, "cryo_version": "0.0.9", "criu_version": "4.1.1",
  "kernel": "6.1.0", "created": "2025-01-02T03:04:05Z", "container_id": "legacy", "mode": "container",
  "config": { "ociVersion": "1.0.2", "process": { "args": ["sleep", "1"] } },
  "namespaces": [ { "type": "pid", "created": true, "inode": 4026531836 } ],
  "options": { "leave_running": true },
  "tmpfs": [ { "destination": "/dev/shm", "file": "tmpfs-0.tar" } ] }
JSON
    head -c 8192 /dev/urandom >"$path/pages-1.img"
    printf 'inventory' >"$path/inventory.img"
    tar -cf "$path/tmpfs-0.tar" -C "$BATS_TEST_TMPDIR" mkimage.out 2>/dev/null || tar -cf "$path/tmpfs-0.tar" -T /dev/null
}

# sha256_of FILE: its format 3 checksum (FORMAT.md "Checksums", version 3):
# plain, or above 64 MiB the SHA-256 of its 64 MiB chunks' raw SHA-256.
sha256_of() {
    local size c
    size=$(stat -c %s "$1")
    if [ "$size" -le 67108864 ]; then
        sha256sum "$1" | cut -c1-64
        return
    fi
    mkdir "$BATS_TEST_TMPDIR/chunks"
    split -b 67108864 "$1" "$BATS_TEST_TMPDIR/chunks/c."
    for c in "$BATS_TEST_TMPDIR"/chunks/c.*; do
        sha256sum "$c" | cut -c1-64 | tr a-f A-F | basenc --base16 -d
    done | sha256sum | cut -c1-64
    rm -rf "$BATS_TEST_TMPDIR/chunks"
}

# make_v3 PATH PAGES: a version 3 image, as cryo 0.1 wrote it (SHA-256
# checksums, chunked above 64 MiB), with a config, a mount plan, a tmpfs
# tree and a pages file.
make_v3() {
    local path=$1 name sum sums='{}' chunked='{}'
    mkdir -p "$BATS_TEST_TMPDIR/shm" && head -c 20000 /dev/urandom >"$BATS_TEST_TMPDIR/shm/data"
    [ -d "$BATS_TEST_TMPDIR/bundle" ] || make_bundle "$BATS_TEST_TMPDIR/bundle"
    mkimage "$path" --pages "$2" --tmpfs "$BATS_TEST_TMPDIR/shm" --bundle "$BATS_TEST_TMPDIR/bundle"
    for name in $(jq -r '.files[].name' "$path/manifest.json"); do
        sum=$(sha256_of "$path/$name")
        sums=$(jq --arg n "$name" --arg s "$sum" '.[$n] = $s' <<<"$sums")
        [ "$(stat -c %s "$path/$name")" -le 67108864 ] ||
            chunked=$(jq --arg n "$name" '.[$n] = 67108864' <<<"$chunked")
    done
    jq --argjson s "$sums" --argjson c "$chunked" '.version = 3
        | .files |= map(del(.xxh3, .chunk_size) + {sha256: $s[.name]}
                        + (if $c[.name] then {chunk_size: $c[.name]} else {} end))
        | .config_digest = (if $s["config.json"] then "sha256:" + $s["config.json"] else null end)' \
        "$path/manifest.json" >"$BATS_TEST_TMPDIR/m3" && mv "$BATS_TEST_TMPDIR/m3" "$path/manifest.json"
}

# Hidden leftovers (temporary directories or files) in a directory.
leftovers() {
    find "$1" -maxdepth 1 -name '.*.tmp-*' | wc -l
}

@test "image inspect shows the process tree, threads, memory, files and sockets of a real dump" {
    requires_criu
    mkimage "$dir/img" --criu-dump
    pid=$(cat "$dir/mkimage.out")
    run cryo image inspect "$dir/img"
    [ "$status" -eq 0 ]
    [[ "$output" == *"container:  test-container (container checkpoint)"* ]]
    [[ "$output" == *"processes:  1 (2 threads)"* ]]
    [[ "$output" =~ $pid\ +0\ +2\ +[0-9]+\ +alive\ +cryo-dumpee ]]
    [[ "$output" == *"fd 10: /etc/hostname"* ]]
    [[ "$output" =~ fd\ 13:\ tcp\ 127\.0\.0\.1:[0-9]+\ LISTEN ]]
    [[ "$output" == *"network  joined /run/netns/t, inode 4026532002"* ]]

    run cryo image inspect --format json "$dir/img"
    [ "$status" -eq 0 ]
    [ "$(jq -r .version <<<"$output")" = 4 ]
    [ "$(jq -r '.criu.processes[0].pid' <<<"$output")" = "$pid" ]
    [ "$(jq -r '.criu.processes[0].comm' <<<"$output")" = cryo-dumpee ]
    [ "$(jq -r '.criu.processes[0].threads | length' <<<"$output")" = 2 ]
    # it touched 1 MiB: at least 256 pages were dumped
    [ "$(jq -r '.criu.pages >= 256' <<<"$output")" = true ]
    [ "$(jq -r '.criu.processes[0].fds[] | select(.fd == 11) | .file' <<<"$output")" = \
      "$(jq -r '.criu.processes[0].fds[] | select(.fd == 12) | .file' <<<"$output")" ]
    [ "$(jq -r '[.criu.sockets[].socket | test("^tcp 127.0.0.1:[0-9]+ LISTEN$")] | any' <<<"$output")" = true ]
    [ "$(jq -r '.options | join(",")' <<<"$output")" = "tcp-established,file-locks" ]
}

@test "image inspect shows the mount plan and works without a CRIU dump" {
    make_bundle "$dir/bundle"
    mkimage "$dir/img" --bundle "$dir/bundle"
    run cryo image inspect "$dir/img"
    [ "$status" -eq 0 ]
    [[ "$output" == *"processes:  (no CRIU dump in the image)"* ]]
    [[ "$output" =~ /proc\ +proc\ +proc ]]
    run cryo image inspect -f json "$dir/img"
    [ "$(jq -r .criu <<<"$output")" = null ]
    [ "$(jq -r '[.mounts[] | select(.kind == "mount") | .destination] | index("/dev/pts") != null' <<<"$output")" = true ]
    run cryo image inspect --format yaml "$dir/img"
    [ "$status" -eq 1 ]
    [[ "$output" == *"invalid --format \`yaml\`: use text or json"* ]]
}

@test "image verify: ok with the file count and size, exit 0" {
    mkimage "$dir/img" --pages 3000000
    run cryo image verify "$dir/img"
    [ "$status" -eq 0 ]
    n=$(jq '.files | length' "$dir/img/manifest.json")
    bytes=$(jq '[.files[].size] | add' "$dir/img/manifest.json")
    [ "$output" = "image \`$dir/img\`: ok ($n files, $bytes bytes)" ]
}

@test "image verify names a flipped byte, a truncated, a missing and an extra file" {
    mkimage "$dir/img" --pages 8192
    cp -a "$dir/img" "$dir/pristine"

    printf '\xff' | dd of="$dir/img/criu/pages-1000.img" bs=1 seek=4000 conv=notrunc status=none
    run cryo image verify "$dir/img"
    [ "$status" -eq 1 ]
    [ "$output" = "cryo: image \`$dir/img\`: criu/pages-1000.img: checksum mismatch (file corrupt)" ]

    rm -rf "$dir/img" && cp -a "$dir/pristine" "$dir/img"
    truncate -s 4096 "$dir/img/criu/pages-1000.img"
    run cryo image verify "$dir/img"
    [ "$status" -eq 1 ]
    [ "$output" = "cryo: image \`$dir/img\`: criu/pages-1000.img: truncated: 4096 of 8192 bytes" ]

    rm -rf "$dir/img" && cp -a "$dir/pristine" "$dir/img"
    rm "$dir/img/criu/pages-1000.img"
    run cryo image verify "$dir/img"
    [ "$status" -eq 1 ]
    [ "$output" = "cryo: image \`$dir/img\`: criu/pages-1000.img: missing" ]

    rm -rf "$dir/img" && cp -a "$dir/pristine" "$dir/img"
    echo extra >"$dir/img/criu/extra.img"
    run cryo image verify "$dir/img"
    [ "$status" -eq 1 ]
    [ "$output" = "cryo: image \`$dir/img\`: criu/extra.img: not in the manifest (unexpected file)" ]

    run cryo image verify "$dir/pristine"
    [ "$status" -eq 0 ]
}

@test "image verify refuses what is not an image: a temporary directory, a plain directory, a bad manifest" {
    mkimage "$dir/img"
    cp -a "$dir/img" "$dir/.img.tmp-AbC123"
    run cryo image verify "$dir/.img.tmp-AbC123"
    [ "$status" -eq 1 ]
    [[ "$output" == *"an unfinished image (the temporary directory of an interrupted write): remove it" ]]
    mkdir "$dir/plain"
    run cryo image verify "$dir/plain"
    [ "$status" -eq 1 ]
    [[ "$output" == *"no manifest.json (not a cryo image, or an unfinished one)" ]]
    cp "$dir/img/manifest.json" "$dir/manifest.orig"
    jq '.version = 7' "$dir/manifest.orig" >"$dir/img/manifest.json"
    run cryo image verify "$dir/img"
    [ "$status" -eq 1 ]
    [[ "$output" == *"format version 7 is newer than this cryo reads (4): upgrade cryo" ]]
    jq 'del(.container_id)' "$dir/manifest.orig" >"$dir/img/manifest.json"
    run cryo image verify "$dir/img"
    [ "$status" -eq 1 ]
    [[ "$output" == *"manifest.json: missing field \`container_id\`" ]]
    run cryo image verify "$dir/nonexistent"
    [ "$status" -eq 1 ]
}

@test "image pack and unpack round trip with zstd, gzip and no compression" {
    mkimage "$dir/img" --pages 2000000 --tmpfs "$BATS_TEST_DIRNAME"
    for c in zstd gzip none; do
        run cryo image pack --compress "$c" "$dir/img" "$dir/img.$c"
        [ "$status" -eq 0 ]
        case $c in
        zstd) [ "$(od -An -tx1 -N4 "$dir/img.$c" | tr -d ' ')" = 28b52ffd ] ;;
        gzip) [ "$(od -An -tx1 -N2 "$dir/img.$c" | tr -d ' ')" = 1f8b ] ;;
        none) [ "$(dd if="$dir/img.$c" bs=1 skip=257 count=5 status=none)" = ustar ] ;;
        esac
        run cryo image unpack "$dir/img.$c" "$dir/out-$c"
        [ "$status" -eq 0 ]
        run cryo image verify "$dir/out-$c"
        [ "$status" -eq 0 ]
        diff -r "$dir/img" "$dir/out-$c"
    done
    # the default is zstd
    cryo image pack "$dir/img" "$dir/default"
    [ "$(od -An -tx1 -N4 "$dir/default" | tr -d ' ')" = 28b52ffd ]
    [ "$(leftovers "$dir")" -eq 0 ]
}

@test "image pack refuses a corrupt image and an existing file, and leaves nothing" {
    mkimage "$dir/img" --pages 100000
    echo old >"$dir/exists"
    run cryo image pack "$dir/img" "$dir/exists"
    [ "$status" -eq 1 ]
    [[ "$output" == *"\`$dir/exists\` already exists"* ]]
    [ "$(cat "$dir/exists")" = old ]
    printf '\x00' | dd of="$dir/img/criu/pages-1000.img" bs=1 seek=50000 conv=notrunc status=none
    run cryo image pack "$dir/img" "$dir/img.tar.zst"
    [ "$status" -eq 1 ]
    [[ "$output" == *"criu/pages-1000.img: checksum mismatch (file corrupt)" ]]
    [ ! -e "$dir/img.tar.zst" ]
    [ "$(leftovers "$dir")" -eq 0 ]
    run cryo image pack --compress xz "$dir/img" "$dir/img.tar.xz"
    [ "$status" -eq 1 ]
    [[ "$output" == *"unknown compression \`xz\` (use zstd, gzip or none)" ]]
}

@test "image unpack rejects a truncated or corrupt archive and leaves nothing" {
    mkimage "$dir/img" --pages 3000000
    cryo image pack --compress none "$dir/img" "$dir/img.tar"
    cryo image pack "$dir/img" "$dir/img.tar.zst"
    size=$(stat -c %s "$dir/img.tar")

    head -c $((size / 2)) "$dir/img.tar" >"$dir/half.tar"
    run cryo image unpack "$dir/half.tar" "$dir/out"
    [ "$status" -eq 1 ]
    [[ "$output" == *"\`$dir/half.tar\`: corrupt or truncated archive"* ]]
    [ ! -e "$dir/out" ]

    head -c 100000 "$dir/img.tar.zst" >"$dir/half.tar.zst"
    run cryo image unpack "$dir/half.tar.zst" "$dir/out"
    [ "$status" -eq 1 ]
    [[ "$output" == *"corrupt or truncated archive"* ]]
    [ ! -e "$dir/out" ]

    cp "$dir/img.tar" "$dir/flipped.tar"
    printf '\x01' | dd of="$dir/flipped.tar" bs=1 seek=$((size / 2)) conv=notrunc status=none
    run cryo image unpack "$dir/flipped.tar" "$dir/out"
    [ "$status" -eq 1 ]
    [[ "$output" == *"criu/pages-1000.img: checksum mismatch (file corrupt)" ]]
    [ ! -e "$dir/out" ]

    echo "not an archive" >"$dir/junk"
    run cryo image unpack "$dir/junk" "$dir/out"
    [ "$status" -eq 1 ]
    [ ! -e "$dir/out" ]
    [ "$(leftovers "$dir")" -eq 0 ]

    # and an existing target is never touched
    mkdir "$dir/taken"
    run cryo image unpack "$dir/img.tar.zst" "$dir/taken"
    [ "$status" -eq 1 ]
    [[ "$output" == *"already exists"* ]]
    [ -z "$(ls -A "$dir/taken")" ]
}

@test "image pack and unpack keep a real CRIU dump readable" {
    requires_criu
    mkimage "$dir/img" --criu-dump
    cryo image pack "$dir/img" "$dir/img.tar.zst"
    cryo image unpack "$dir/img.tar.zst" "$dir/copy"
    diff <(cryo image inspect -f json "$dir/img" | jq -S 'del(.path)') \
         <(cryo image inspect -f json "$dir/copy" | jq -S 'del(.path)')
}

@test "image convert upgrades a version 1 image in place" {
    make_v1 "$dir/old"
    ino=$(stat -c %i "$dir/old/pages-1.img")
    run cryo image verify "$dir/old"
    [ "$status" -eq 1 ]
    [[ "$output" == *"format version 1 is older than this cryo reads (4): upgrade it with \`cryo image convert $dir/old\`" ]]

    run cryo image convert "$dir/old"
    [ "$status" -eq 0 ]
    [ "$output" = "image \`$dir/old\`: converted from format version 1 to 4" ]
    run cryo image verify "$dir/old"
    [ "$status" -eq 0 ]
    [ "$(jq -r .container_id "$dir/old/manifest.json")" = legacy ]
    [ "$(jq -r .created "$dir/old/manifest.json")" = 2025-01-02T03:04:05Z ]
    [ "$(jq -r .options.leave_running "$dir/old/manifest.json")" = true ]
    [ "$(jq -r '.tmpfs[0].file' "$dir/old/manifest.json")" = tmpfs/0.tree ]
    [ "$(jq -r .process.args[0] "$dir/old/config.json")" = sleep ]
    [ ! -e "$dir/old/cryo.json" ]
    # CRIU's images were moved by hard link, not copied
    [ "$(stat -c %i "$dir/old/criu/pages-1.img")" = "$ino" ]
    [ "$(leftovers "$dir")" -eq 0 ]

    run cryo image convert "$dir/old"
    [ "$status" -eq 0 ]
    [ "$output" = "image \`$dir/old\`: already format version 4" ]
    run cryo image convert --to 1 "$dir/old"
    [ "$status" -eq 1 ]
    [[ "$output" == *"cannot convert to format version 1: this cryo writes version 4 only" ]]
}

@test "image convert upgrades a version 3 image to XXH3 checksums, and refuses a flipped byte or a truncated file" {
    make_v3 "$dir/v3" $((64 * 1048576 + 5000))
    [ "$(jq -r '.files[] | select(.name == "criu/pages-1000.img") | .chunk_size' "$dir/v3/manifest.json")" = 67108864 ]
    cp -a "$dir/v3" "$dir/flipped" && cp -a "$dir/v3" "$dir/short"
    ino=$(stat -c %i "$dir/v3/criu/pages-1000.img")
    run cryo image verify "$dir/v3"
    [ "$status" -eq 1 ]
    [[ "$output" == *"format version 3 is older than this cryo reads (4): upgrade it with \`cryo image convert $dir/v3\`" ]]
    run cryo image convert "$dir/v3"
    [ "$status" -eq 0 ]
    [ "$output" = "image \`$dir/v3\`: converted from format version 3 to 4" ]
    run cryo image verify "$dir/v3"
    [ "$status" -eq 0 ]
    # every file now carries a 128-bit XXH3 and no SHA-256; the tree is kept
    [ "$(jq '[.files[] | select((.xxh3 | test("^[0-9a-f]{32}$")) and .sha256 == null)] | length' "$dir/v3/manifest.json")" = \
      "$(jq '.files | length' "$dir/v3/manifest.json")" ]
    [[ "$(jq -r .config_digest "$dir/v3/manifest.json")" == xxh3:* ]]
    [ "$(jq -r '.tmpfs[0].file' "$dir/v3/manifest.json")" = tmpfs/0.tree ]
    [ "$(stat -c %i "$dir/v3/criu/pages-1000.img")" = "$ino" ]
    [ "$(leftovers "$dir")" -eq 0 ]

    # A byte flipped in the second chunk, a file cut short: the old checksums
    # catch both, and the image stays as it was.
    printf '\x5a' | dd of="$dir/flipped/criu/pages-1000.img" bs=1 seek=$((64 * 1048576 + 10)) conv=notrunc status=none
    truncate -s 4096 "$dir/short/tmpfs/0.tree"
    for bad in flipped short; do
        before=$(cd "$dir/$bad" && find . -type f | sort | xargs sha256sum)
        run cryo image convert "$dir/$bad"
        [ "$status" -eq 1 ]
        [[ "$output" == *"checksum mismatch (file corrupt)" ]]
        [ "$(jq -r .version "$dir/$bad/manifest.json")" = 3 ]
        [ "$(cd "$dir/$bad" && find . -type f | sort | xargs sha256sum)" = "$before" ]
    done
    [ "$(leftovers "$dir")" -eq 0 ]
}

@test "image convert leaves a broken version 1 image as it was" {
    make_v1 "$dir/old"
    jq 'del(.config)' "$dir/old/cryo.json" >"$dir/c" && mv "$dir/c" "$dir/old/cryo.json"
    before=$(cd "$dir/old" && find . -type f | sort | xargs sha256sum)
    run cryo image convert "$dir/old"
    [ "$status" -eq 1 ]
    [[ "$output" == *"cryo.json: field \`config\`: missing" ]]
    [ "$(cd "$dir/old" && find . -type f | sort | xargs sha256sum)" = "$before" ]
    [ "$(leftovers "$dir")" -eq 0 ]
}

@test "image: usage errors" {
    run cryo image
    [ "$status" -eq 1 ]
    [[ "$output" == *"needs a command: inspect, verify, pack, unpack or convert" ]]
    run cryo image frobnicate x
    [ "$status" -eq 1 ]
    [[ "$output" == *"unknown image command \`frobnicate\`"* ]]
    run cryo image verify
    [ "$status" -eq 1 ]
    run cryo image pack only-one
    [ "$status" -eq 1 ]
    run cryo image --help
    [ "$status" -eq 0 ]
    [[ "$output" == *"convert"* ]]
}
