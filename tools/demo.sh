#!/usr/bin/env bash
# `make demo`: mybuild's main job on a sample, offline.
#   1. make a busybox base image with `mybuild import` (busybox-static: one static binary, a
#      whole userland), as `docker import` would;
#   2. build samples/hello with `mybuild -t demo:v1 samples/hello` (plain progress);
#   3. build it again: every step comes from the cache;
#   4. list the image, run it in the sandbox, and export it as an OCI tar with -o type=oci.
set -euo pipefail
cd "$(dirname "$0")/.."
mybuild=$(realpath "${1:-build/cli/mybuild}")
root=$(realpath -m build/demo-root)
"$mybuild" --version

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/busybox"
for applet in $("$work/rootfs/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$work/rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
  > "$work/rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$work/rootfs/etc/group"
chmod 1777 "$work/rootfs/tmp"
tar --numeric-owner -C "$work/rootfs" -cf "$work/busybox-rootfs.tar" .

step() { echo; echo "== $*"; }
step "mybuild --root $root import busybox-rootfs.tar busybox:latest"
"$mybuild" --root "$root" import "$work/busybox-rootfs.tar" busybox:latest

step "mybuild --root $root -t demo:v1 samples/hello"
"$mybuild" --root "$root" -t demo:v1 --progress plain samples/hello

step "again: every step is cached"
"$mybuild" --root "$root" -t demo:v1 --progress plain samples/hello

step "mybuild --root $root images"
"$mybuild" --root "$root" images

step "mybuild --root $root run demo:v1 reader"
"$mybuild" --root "$root" run demo:v1 reader

step "mybuild --root $root -t demo:v1 -o type=oci,dest=build/demo-v1.oci.tar samples/hello"
"$mybuild" --root "$root" -t demo:v1 --progress plain -o type=oci,dest=build/demo-v1.oci.tar samples/hello
ls -l build/demo-v1.oci.tar
tar -tf build/demo-v1.oci.tar | head -n 8
