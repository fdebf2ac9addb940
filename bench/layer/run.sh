#!/usr/bin/env bash
# bench/layer: a generated 1 GiB tree (20,000 files, half incompressible) written as a gzip and
# a zstd layer by mybuild, against `tar -c | pigz -p 2` and `tar -c | zstd -T2 -3` on the same
# tree in the same run. Prints wall time, throughput and peak RSS. Targets (issue 4): gzip at
# least as fast as tar|pigz -p2, zstd at least as fast as tar|zstd -T2, RSS under 64 MiB.
set -euo pipefail
build=${1:-build}
bin=$build/bench/layer/layer_bench
files=${LAYER_BENCH_FILES:-20000}
bytes=${LAYER_BENCH_BYTES:-1073741824}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/layer-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
"$bin" gen "$work/tree" "$files" "$bytes"
sync
tar -cf - -C "$work/tree" . > /dev/null  # warm the page cache for everyone alike

measure() {  # name command...: prints "name seconds MiB/s rss_MiB size_MiB"
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" bash -c "$*" > /dev/null
  read -r secs rss < "$work/time"
  local size; size=$(stat -c %s "$work/out")
  awk -v n="$name" -v s="$secs" -v r="$rss" -v b="$bytes" -v z="$size" \
    'BEGIN { printf "%-22s %8.2f %10.1f %10.1f %10.1f\n", n, s, b/1048576/s, r/1024, z/1048576 }'
}
printf "%-22s %8s %10s %10s %10s\n" what seconds "MiB/s" "rss MiB" "out MiB"
measure "mybuild gzip" "$bin write $work/tree gzip $work/out"
measure "tar | pigz -p 2" "tar -cf - -C $work/tree . | pigz -p 2 > $work/out"
measure "mybuild zstd" "$bin write $work/tree zstd $work/out"
measure "tar | zstd -T2 -3" "tar -cf - -C $work/tree . | zstd -q -T2 -3 > $work/out"
measure "mybuild none" "$bin write $work/tree none $work/out"
