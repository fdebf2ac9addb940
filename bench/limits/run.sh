#!/usr/bin/env bash
# bench/limits: the reliability issue's memory limits. Peak RSS of `mybuild build` (GNU time's
# maximum resident set: wait4's rusage of the process and every descendant it waited for) for
#   - a Dockerfile of 500 instructions,
#   - a context of 1 GiB in 200,000 files (deterministic bytes, made in a temp dir),
#   - a RUN that writes a 4 GiB file,
# each of which must stay under 100 MiB. Prints a table; exits 1 when one is over the limit.
# Everything it makes lives in one temp dir, removed on exit.
# Measured on this 2-core machine under load (07 Dec 2026): 23 MiB, 153 MiB before the COPY
# checksum streamed in batches and 35 MiB after (200,000 files), 23 MiB.
#
# Usage: run.sh [BUILD_DIR] [--smoke]   (--smoke: the same three shapes, small, for ctest)
set -euo pipefail
build=$(realpath "${1:-build}")
mybuild=$build/cli/mybuild
instructions=500 files=200000 context_mib=1024 run_mib=4096
if [[ ${2:-} == --smoke ]]; then instructions=60 files=2000 context_mib=8 run_mib=64; fi
limit_mib=100
work=$(mktemp -d "${TMPDIR:-/var/tmp}/limits-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/busybox"
for a in sh dd cat echo; do ln -s busybox "$work/rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$work/rootfs/etc/passwd"
tar -C "$work/rootfs" -cf "$work/busybox.tar" .
root=$work/root
"$mybuild" --root "$root" import "$work/busybox.tar" busybox:latest > /dev/null

# Peak RSS in KiB of one `mybuild build` of context $1; the build's output goes to $work/log.
peak_kib() {
  local out=$work/time
  if ! /usr/bin/time -f %M -o "$out" "$mybuild" --root "$root" build -q --progress plain \
      -t "limits:$2" "$1" > "$work/log" 2>&1; then
    echo "bench/limits: the $2 build failed:" >&2
    tail -20 "$work/log" >&2
    exit 1
  fi
  tail -1 "$out"
}

# 1. Many instructions: one in five makes a layer (RUN or COPY), the rest only change config.
many=$work/many
mkdir -p "$many"
echo data > "$many/f"
{
  echo "FROM busybox"
  for i in $(seq 2 "$instructions"); do
    case $((i % 10)) in
      0) echo "RUN echo $i > /r$i" ;;
      5) echo "COPY f /c$i" ;;
      1 | 6) echo "LABEL l$i=v$i" ;;
      2 | 7) echo "WORKDIR /w/$((i % 7))" ;;
      *) echo "ENV E$i=v$i" ;;
    esac
  done
} > "$many/Dockerfile"

# 2. A large context: files of equal size in directories of 1,000, deterministic bytes.
big=$work/big
python3 - "$big" "$files" "$context_mib" <<'PY'
import os, random, sys
root, files, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
size = mib * 1024 * 1024 // files
rng = random.Random(20261207)
pool = rng.randbytes(size * 1024)  # reused at shifting offsets: incompressible enough
for i in range(files):
    d = os.path.join(root, "d%03d" % (i // 1000))
    if i % 1000 == 0:
        os.makedirs(d)
    off = (i * 7919) % (len(pool) - size)
    with open(os.path.join(d, "f%06d" % i), "wb") as f:
        f.write(pool[off:off + size])
PY
printf 'FROM busybox\nCOPY . /ctx\n' > "$big/Dockerfile"

# 3. A RUN that writes one big file.
write=$work/write
mkdir -p "$write"
printf 'FROM busybox\nRUN dd if=/dev/zero of=/big bs=1048576 count=%d\n' "$run_mib" \
  > "$write/Dockerfile"

status=0
printf '%-44s %12s %10s\n' "build" "peak RSS" "limit"
row() {
  local kib mib
  kib=$(peak_kib "$2" "$3")
  mib=$(( (kib + 1023) / 1024 ))
  local verdict=ok
  if (( mib >= limit_mib )); then verdict=OVER; status=1; fi
  printf '%-44s %8d MiB %6d MiB  %s\n' "$1" "$mib" "$limit_mib" "$verdict"
}
row "Dockerfile of $instructions instructions" "$many" many
row "context of $context_mib MiB in $files files" "$big" big
rm -rf "$big"  # a GiB less on disk before the next one
row "RUN writing a $run_mib MiB file" "$write" write
exit $status
