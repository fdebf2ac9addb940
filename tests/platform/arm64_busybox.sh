#!/bin/sh
# Puts Debian's busybox-static for arm64 at $1/bin/busybox (an offline arm64 base for the
# multi-platform tests): adds the arm64 architecture to dpkg and refreshes the package lists only
# when apt does not know the package yet, downloads the .deb once into $2 (a cache dir kept in the
# build tree), and unpacks it with dpkg-deb. Exits non-zero with the reason when it cannot.
set -eu
root=$1 cache=$2
mkdir -p "$cache" "$root"
deb=$(ls "$cache"/busybox-static_*_arm64.deb 2>/dev/null | head -n 1 || true)
if [ -z "$deb" ]; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then dpkg --add-architecture arm64; fi
  if ! apt-cache show busybox-static:arm64 >/dev/null 2>&1; then apt-get update -qq; fi
  # apt's _apt user must be able to write the download directory.
  tmp=$(mktemp -d) && chmod 0777 "$tmp"
  (cd "$tmp" && apt-get download -qq busybox-static:arm64)
  mv "$tmp"/busybox-static_*_arm64.deb "$cache"/ && rmdir "$tmp"
  deb=$(ls "$cache"/busybox-static_*_arm64.deb | head -n 1)
fi
dpkg-deb -x "$deb" "$root/deb"
mkdir -p "$root/bin"
cp "$root/deb/bin/busybox" "$root/bin/busybox"
rm -rf "$root/deb"
