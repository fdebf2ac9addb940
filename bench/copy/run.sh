#!/usr/bin/env bash
# bench/copy: issue 17's COPY targets. The bench/compare context (5,000 files / 327 MB, half of
# the bytes incompressible, made by bench/compare/lib/gen_inputs.py) and `COPY ctx/ /data/` on
# a busybox base. Times, from mybuild's own --trace, the COPY instruction cold (fresh store, so
# nothing memoized: hash, copy, diff) and after a one-file change of the context (warm store),
# with the spans inside it; beside them, in the same run, the work itself: `cp -a` of the tree
# and `tar | sha256sum` of it. Targets: cold COPY < 1.0 s, one-file change < 0.4 s.
#   bench/copy/run.sh [BUILD_DIR]      COPY_BENCH_SCALE=0.2 for a smaller context
#   COPY_BENCH_KEEP=DIR keeps the traces (one per run) in DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(realpath "${1:-build}")
mybuild=$build/cli/mybuild
scale=${COPY_BENCH_SCALE:-1.0}
runs=${COPY_BENCH_RUNS:-3}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/copy-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/busybox"
ln -s busybox "$work/rootfs/bin/sh"
echo 'root:x:0:0:root:/root:/bin/sh' > "$work/rootfs/etc/passwd"
tar -C "$work/rootfs" -cf "$work/busybox.tar" .

ctx=$work/ctx
python3 "$here/../compare/lib/gen_inputs.py" context "$ctx/ctx" "$scale"
printf 'FROM busybox\nCOPY ctx/ /data/\n' > "$ctx/Dockerfile"
nfiles=$(find "$ctx/ctx" -type f | wc -l)
mbytes=$(du -sm --apparent-size "$ctx/ctx" | cut -f1)
tar -cf - -C "$ctx" ctx > /dev/null  # page cache warm for every run alike

# Each run gets its own new root, and nothing is deleted until the end: ext4 without a journal
# (this machine's disk) skips inodes freed in the last minute when it allocates new ones, and
# that scan (recently_deleted, seen in perf) made file creation after an `rm -rf` of the last
# run's 5,000 files several times slower than on a quiet disk.
fresh_root() {
  root=$work/root$1
  "$mybuild" --root "$root" import "$work/busybox.tar" busybox:latest > /dev/null
}
# build TRACE [flags]: one build; the disk is synced first so no run pays the last one's writes.
build() {
  local trace=$1; shift
  sync
  /usr/bin/time -o "$trace.time" -f "%U %S" \
    "$mybuild" --root "$root" build -q -t bench:copy --trace "$trace" "$@" "$ctx" > /dev/null
}
# spans TRACE: "copy_total checksum copy unmount diff commit cpu" in seconds, from the COPY
# span; cpu is user+system time of the whole build (on a loaded machine, wall times wander).
spans() {
  python3 - "$1" <<'PY'
import json, sys
text = open(sys.argv[1]).read().rstrip().rstrip(",")
events = json.loads(text if text.endswith("]") else text + "]")
copy = [e for e in events if e.get("ph") == "X" and e["name"].startswith("COPY (line")][0]
inside = [e for e in events if e.get("ph") == "X" and e["tid"] == copy["tid"]
          and copy["ts"] <= e["ts"] <= copy["ts"] + copy["dur"]]
def total(prefix):
    return sum(e["dur"] for e in inside if e["name"].startswith(prefix)) / 1e6
user, system = open(sys.argv[1] + ".time").read().split()[-2:]
print("%.3f %.3f %.3f %.3f %.3f %.3f %.3f" % (copy["dur"] / 1e6,
      total("plan, sources, context checksums"), total("COPY: copy files"),
      total("unmount"), total("diff:"), total("commit snapshot"), float(user) + float(system)))
PY
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }
# seconds CMD...: wall time of a shell command
seconds() {
  local start end
  sync
  start=$(date +%s.%N)
  bash -c "$*" > /dev/null
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

declare -a cold one
for i in $(seq 1 "$runs"); do
  fresh_root "$i"
  build "$work/cold$i.json"
  cold+=("$(spans "$work/cold$i.json")")
  echo "changed $i" >> "$ctx/ctx/src/d00/f00000"
  build "$work/one$i.json"
  one+=("$(spans "$work/one$i.json")")
done
declare -a cp_a tar_sha
for i in $(seq 1 "$runs"); do  # after the builds, and kept: see fresh_root
  cp_a+=("$(seconds "cp -a '$ctx/ctx' '$work/cp$i'")")
  tar_sha+=("$(seconds "tar -cf - -C '$ctx' ctx | sha256sum")")
done

# column N of a set of span lines, median
col() {
  local n=$1; shift
  median $(printf '%s\n' "$@" | awk -v n="$n" '{print $n}')
}
printf 'context: %s files, %s MiB; medians of %s runs (seconds)\n' "$nfiles" "$mbytes" "$runs"
printf '%-22s %7s %9s %7s %8s %7s %7s %7s %9s\n' "" COPY checksum copy unmount diff commit target \
  "build cpu"
for what in cold one; do
  declare -n rows=$what
  label=$([[ $what == cold ]] && echo "cold COPY" || echo "one file changed")
  target=$([[ $what == cold ]] && echo "<1.0" || echo "<0.4")
  printf '%-22s %7.3f %9.3f %7.3f %8.3f %7.3f %7.3f %7s %9.3f\n' "$label" \
    "$(col 1 "${rows[@]}")" "$(col 2 "${rows[@]}")" "$(col 3 "${rows[@]}")" \
    "$(col 4 "${rows[@]}")" "$(col 5 "${rows[@]}")" "$(col 6 "${rows[@]}")" "$target" \
    "$(col 7 "${rows[@]}")"
done
printf '%-22s %7.3f\n' "cp -a (the work)" "$(median "${cp_a[@]}")"
printf '%-22s %7.3f\n' "tar | sha256sum" "$(median "${tar_sha[@]}")"
if [[ -n ${COPY_BENCH_KEEP:-} ]]; then
  mkdir -p "$COPY_BENCH_KEEP"
  cp "$work"/*.json "$work"/*.time "$COPY_BENCH_KEEP/"
fi
