#!/bin/sh
# make_debian_base.sh OUT.tar: a Debian 12 (bookworm) minbase root filesystem with gcc and
# libc6-dev, as one reproducible tar for `mybuild import OUT.tar debian:bookworm --root R`.
#
# gcc and libc6-dev are installed here, not by the sample's RUN, so that building
# samples/multistage-c needs no network and no apt (apt-get in a RUN would pay apt-get update and
# the downloads in every uncached build).
#
# Measured on the 2-core development machine while others built (load average ~9): cold (no
# package cache) 4 min 54 s wall, 89 s CPU; warm package cache 5 min 40 s wall, 87 s CPU; warm
# cache with the unsafe-io second stage below 5 min 15 s wall, 85 s CPU. Most of the wall time is
# dpkg unpacking and configuring ~130 packages; the 82 MB of .debs are cached in
# $DEBOOTSTRAP_CACHE across runs, the tar in the build tree (below).
#
# Cache: if OUT.tar exists and is newer than this script, nothing is done; CI calls it with OUT
# in the build tree (build/fixtures/debian-bookworm.tar) so it is made once per run.
#
# Environment: MIRROR (default http://deb.debian.org/debian), SUITE (default bookworm),
# INCLUDE (default gcc,libc6-dev), SOURCE_DATE_EPOCH (mtime clamp, default 1700000000).
# Needs root and debootstrap (deps/differential.txt).
set -eu

if [ $# -ne 1 ]; then
  echo "usage: $0 OUT.tar" >&2
  exit 2
fi
out=$1
script=$(readlink -f "$0")

if [ -f "$out" ] && [ "$out" -nt "$script" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "$0: debootstrap needs root" >&2
  exit 1
fi
command -v debootstrap >/dev/null || {
  echo "$0: debootstrap not installed (apt-get install debootstrap)" >&2
  exit 1
}

mirror=${MIRROR:-http://deb.debian.org/debian}
suite=${SUITE:-bookworm}
include=${INCLUDE:-gcc,libc6-dev}
epoch=${SOURCE_DATE_EPOCH:-1700000000}

out_dir=$(dirname "$out")
mkdir -p "$out_dir"
# The work dir sits beside OUT (same filesystem: the final rename is atomic) and goes whatever
# happens; debootstrap may leave /proc etc. mounted inside it when it fails half way.
work=$(mktemp -d "$out_dir/.debian-base.XXXXXX")
cleanup() {
  for m in proc sys dev/pts dev; do
    mountpoint -q "$work/root/$m" 2>/dev/null && umount -l "$work/root/$m" || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The host's apt cache is reused when it holds the same .debs (debootstrap verifies them
# against the suite's Packages file); this is what makes a second machine-local run fast.
cache=${DEBOOTSTRAP_CACHE:-/var/cache/mybuild/debootstrap}
mkdir -p "$cache"
# Two build trees may make their base at once (make test and a developer's run): one at a time
# writes the shared cache.
exec 9>"$cache/.lock"
flock 9
if [ -f "$out" ] && [ "$out" -nt "$script" ]; then
  exit 0  # made by the run we waited for
fi

fail() {
  tail -n 30 "$work/debootstrap.log" >&2
  echo "$0: debootstrap failed (log above)" >&2
  exit 1
}
# Two stages with dpkg's fsyncs turned off in between: the second stage (dpkg unpacking and
# configuring ~130 packages) is most of the time, and a throw-away build root needs no
# crash-safety. force-unsafe-io is dropped again before the tar is made.
debootstrap --foreign --variant=minbase --include="$include" --cache-dir="$cache" \
  "$suite" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 || fail
mkdir -p "$work/root/etc/dpkg/dpkg.cfg.d"
echo force-unsafe-io >"$work/root/etc/dpkg/dpkg.cfg.d/mybuild-unsafe-io"
chroot "$work/root" /debootstrap/debootstrap --second-stage >>"$work/debootstrap.log" 2>&1 || fail
rm -f "$work/root/etc/dpkg/dpkg.cfg.d/mybuild-unsafe-io"

# What makes two runs differ without being part of the system, or is the host's (as
# debuerreotype does for Docker's debian images): apt lists and caches, logs, the ldconfig aux
# cache, the machine id, the host's hostname and resolv.conf (left as empty files, the mount
# points a runtime binds over), and the device nodes debootstrap made in /dev (a runtime mounts
# its own /dev; a rootless build could not extract them).
r=$work/root
rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb \
  "$r"/var/cache/ldconfig/aux-cache "$r"/var/log/* "$r"/tmp/* "$r"/var/tmp/* \
  "$r"/debootstrap "$r"/run/* "$r"/dev/* 2>/dev/null || true
for f in etc/machine-id etc/hostname etc/resolv.conf; do
  rm -f "$r/$f"
  : >"$r/$f"
done

# Reproducible tar: sorted names, numeric owners, xattrs kept, mtimes clamped to the epoch,
# no atime/ctime in pax headers.
tar --create --file="$work/out.tar" --directory="$r" \
  --sort=name --numeric-owner --xattrs --xattrs-include='*' \
  --mtime="@$epoch" --clamp-mtime \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  --format=posix .
mv "$work/out.tar" "$out"
