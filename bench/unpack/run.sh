#!/usr/bin/env bash
# bench/unpack: unpacking one gzip layer (a generated tree, 20,000 files, 1 GiB, half
# incompressible, made by bench/layer's generator) with mybuild's apply_layer versus
# `tar -xzf` on the same layer in the same run.
set -euo pipefail
build=${1:-build}
gen=$build/bench/layer/layer_bench
bin=$build/bench/unpack/unpack_bench
files=${LAYER_BENCH_FILES:-20000}
bytes=${LAYER_BENCH_BYTES:-1073741824}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/unpack-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
"$gen" gen "$work/tree" "$files" "$bytes"
"$gen" write "$work/tree" gzip "$work/layer.tar.gz" > /dev/null
rm -rf "$work/tree"

measure() {  # name command...
  local name=$1; shift
  rm -rf "$work/out" && mkdir "$work/out" && sync
  /usr/bin/time -f "%e %M" -o "$work/time" bash -c "$*" > /dev/null
  read -r secs rss < "$work/time"
  awk -v n="$name" -v s="$secs" -v r="$rss" -v b="$bytes" \
    'BEGIN { printf "%-22s %8.2f %10.1f %10.1f\n", n, s, b/1048576/s, r/1024 }'
}
printf "%-22s %8s %10s %10s\n" what seconds "MiB/s" "rss MiB"
measure "mybuild apply_layer" "$bin $work/layer.tar.gz $work/out"
measure "tar -xzf" "tar -xzf $work/layer.tar.gz -C $work/out"
