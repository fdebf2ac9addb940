#!/usr/bin/env bash
# bench/isolation: the same builds in each --isolation mode (issue 15: "memory stays bounded in
# every mode"; Kaniko's full-filesystem snapshots are what OOM-killed it). For each mode, wall
# time and peak RSS (GNU time's maximum resident set of mybuild and every descendant it waited
# for) of
#   - a RUN that writes a 1 GiB file (`yes | head -c`: no /dev/zero needed, so the same command
#     runs in chroot mode without mounts),
#   - a COPY of a context of FILES small files.
# Modes: namespaces (root), chroot (root under tests/isolation's no_namespaces: Docker's default
# capabilities and a seccomp filter refusing namespaces and mounts), rootless (the user
# mybuild-rootless of tests/rootless/ensure_users.sh, through setpriv). Needs root.
#
# Measured on this 2-core machine under load (load average ~10, 07 Dec 2026), FILES=50000:
#   namespaces  RUN 1 GiB 51 s 24 MiB   COPY 50k files 35 s 26 MiB
#   chroot      RUN 1 GiB 32 s 24 MiB   COPY 50k files 26 s 27 MiB  (native snapshotter, no mounts)
#   rootless    RUN 1 GiB 57 s 21 MiB   COPY 50k files 82 s 23 MiB
# Peak RSS is flat in every mode: layers and tree diffs stream (no full-filesystem snapshot in
# memory, Kaniko's OOM); the wall times are dominated by the load, not the mode.
#
# Usage: run.sh [BUILD_DIR] [FILES]    (default build, 200000)
set -euo pipefail
build=$(realpath "${1:-build}")
files=${2:-200000}
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/var/tmp}/isolation-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
mkdir -p "$work/bin"
cp "$build/cli/mybuild" "$build/tests/isolation/no_namespaces" "$work/bin/"

mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/busybox"
for a in sh yes head cat echo; do ln -s busybox "$work/rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$work/rootfs/etc/passwd"
tar -C "$work/rootfs" -cf "$work/busybox.tar" .

mkdir -p "$work/write"
printf 'FROM busybox\nRUN yes 0123456789abcdef | head -c 1073741824 > /big\n' \
  > "$work/write/Dockerfile"
python3 - "$work/copy" "$files" <<'PY'
import os, sys
root, files = sys.argv[1], int(sys.argv[2])
for i in range(files):
    d = os.path.join(root, "d%03d" % (i // 1000))
    if i % 1000 == 0:
        os.makedirs(d)
    with open(os.path.join(d, "f%06d" % i), "w") as f:
        f.write("file %d\n" % i * 64)
PY
printf 'FROM busybox\nCOPY . /ctx\n' > "$work/copy/Dockerfile"
chmod -R a+rX "$work"

sh "$src/tests/rootless/ensure_users.sh"
mkdir -p "$work/home"
chown mybuild-rootless: "$work/home"

# prefix for each mode: how mybuild is started.
mode_prefix() {
  case $1 in
    namespaces) echo "" ;;
    chroot) echo "$work/bin/no_namespaces --" ;;
    rootless) echo "setpriv --reuid=mybuild-rootless --regid=mybuild-rootless --init-groups --reset-env --" ;;
  esac
}

printf '%-11s %-34s %10s %10s  %s\n' mode build "wall" "peak RSS" "isolation line"
for mode in namespaces chroot rootless; do
  root=$work/home/$mode
  prefix=$(mode_prefix "$mode")
  # shellcheck disable=SC2086
  $prefix "$work/bin/mybuild" --root "$root" import --compression none "$work/busybox.tar" \
    busybox:latest > /dev/null
  for shape in write copy; do
    # shellcheck disable=SC2086
    if ! /usr/bin/time -f '%e %M' -o "$work/time" $prefix "$work/bin/mybuild" --root "$root" \
        build --progress plain -t "b:$shape" "$work/$shape" > "$work/log" 2>&1; then
      echo "bench/isolation: $mode $shape failed:" >&2
      tail -20 "$work/log" >&2
      exit 1
    fi
    read -r wall kib < <(tail -1 "$work/time")
    label=$([[ $shape == write ]] && echo "RUN writing 1 GiB" || echo "COPY of $files files")
    printf '%-11s %-34s %8ss %6d MiB  %s\n' "$mode" "$label" "$wall" $(((kib + 1023) / 1024)) \
      "$(head -1 "$work/log" | cut -c1-60)"
  done
  rm -rf "$root"
done
