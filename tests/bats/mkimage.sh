#!/usr/bin/env bash
# mkimage.sh ROOTFS OUTPUT.tar NAME[:TAG]: pack the directory ROOTFS as a
# one-layer OCI image archive (an OCI image layout in a tar), offline, for
# `ctr image import` and `podman load`.  The image runs /bin/sh by default.
set -euo pipefail

if [ $# -ne 3 ]; then
    echo "usage: $0 ROOTFS OUTPUT.tar NAME[:TAG]" >&2
    exit 2
fi
rootfs=$1 output=$2 name=$3
[ -d "$rootfs" ] || { echo "mkimage.sh: no directory \`$rootfs\`" >&2; exit 1; }
case "$name" in *:*) ;; *) name=$name:latest ;; esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
blobs=$work/blobs/sha256
mkdir -p "$blobs"

# put_blob FILE: move FILE into blobs/sha256/<digest>; prints "digest size".
put_blob() {
    local digest size
    digest=$(sha256sum "$1" | cut -d' ' -f1)
    size=$(stat -c %s "$1")
    mv "$1" "$blobs/$digest"
    echo "$digest $size"
}

# Reproducible layer: fixed owner and times, sorted entries.
tar -C "$rootfs" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
    -cf "$work/layer" .
read -r layer_digest layer_size < <(put_blob "$work/layer")

jq -n --arg diff "sha256:$layer_digest" '{
    architecture: "amd64", os: "linux",
    config: { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
              Cmd: ["/bin/sh"], WorkingDir: "/" },
    rootfs: { type: "layers", diff_ids: [$diff] } }' >"$work/config"
read -r config_digest config_size < <(put_blob "$work/config")

jq -n --arg cd "sha256:$config_digest" --argjson cs "$config_size" \
    --arg ld "sha256:$layer_digest" --argjson ls "$layer_size" '{
    schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs },
    layers: [ { mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $ld, size: $ls } ] }' \
    >"$work/manifest"
read -r manifest_digest manifest_size < <(put_blob "$work/manifest")

jq -n --arg md "sha256:$manifest_digest" --argjson ms "$manifest_size" --arg name "$name" '{
    schemaVersion: 2,
    manifests: [ { mediaType: "application/vnd.oci.image.manifest.v1+json",
                   digest: $md, size: $ms,
                   annotations: { "io.containerd.image.name": $name,
                                  "org.opencontainers.image.ref.name": ($name | sub(".*:"; "")) } } ] }' \
    >"$work/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"

tar -C "$work" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
    -cf "$output" oci-layout index.json blobs
