#!/usr/bin/env bash
# `make demo`: what mybuild can do today, on samples/.
#   1. parse every sample Dockerfile and print its instructions (BuildKit's dump format);
#   2. make an offline busybox base image with `mybuild import` (as `docker import` does) in a
#      demo state root, and show the OCI layout entry it wrote.
# The image build itself (`mybuild -t demo:v1 samples/hello`) comes with the builder issue.
set -euo pipefail
cd "$(dirname "$0")/.."
mybuild=$(realpath "${1:-build/cli/mybuild}")
"$mybuild" --version
for df in $(find samples -name Dockerfile -o -name '*.Dockerfile' | sort); do
  echo
  echo "== mybuild debug parse $df"
  "$mybuild" debug parse "$df"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs/bin"
cp /bin/busybox "$work/rootfs/bin/busybox"  # busybox-static: one static binary, a whole userland
for applet in sh ls echo cat; do ln -s busybox "$work/rootfs/bin/$applet"; done
# The rootfs tarball is the user's input here (like `docker import`'s), so any tar will do.
tar -C "$work/rootfs" -cf "$work/busybox-rootfs.tar" .
root=build/demo-root
echo
echo "== mybuild --root $root import busybox-rootfs.tar busybox:demo"
"$mybuild" --root "$root" import "$work/busybox-rootfs.tar" busybox:demo
echo "OCI layout index ($root/oci/index.json):"
cat "$root/oci/index.json"
echo
