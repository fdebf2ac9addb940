#!/usr/bin/env bash
# bench/push: issue 17's first push and layer commit, before and after, beside the work itself.
# Usage: bench/push/run.sh [BUILD_DIR] [BASELINE_MYBUILD], as root. BASELINE_MYBUILD (default
# /work/main/build/cli/mybuild when present) is timed on the same inputs in the same run.
#   push:   bench/compare's cold image (its generated 5,000-file / ~327 MB context, COPY + three
#           RUN steps on a busybox base from a local registry) built cold, then pushed (gzip) to
#           an empty docker-registry; the work itself: `igzip -1 -T2` of the stored layer tar.
#   commit: `RUN dd ... 1 GiB`; the layer commit is the trace's diff + snapshot commit spans;
#           the work itself: the same dd on the host. Peak RSS of the build (GNU time).
# Knobs: PUSH_BENCH_REPS (3), PUSH_BENCH_SCALE (1.0), PUSH_BENCH_BIG_MB (1024),
# PUSH_BENCH_INPUTS (a directory to keep the generated context in between runs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
lib=$repo/bench/compare/lib  # the inputs and RUN commands of bench/compare, read, not changed
build=$(realpath "${1:-build}")
after=$build/cli/mybuild
before=${2:-/work/main/build/cli/mybuild}
reps=${PUSH_BENCH_REPS:-3} scale=${PUSH_BENCH_SCALE:-1.0}
sed_mb=32 cpu_mb=32 big_mb=${PUSH_BENCH_BIG_MB:-1024}
[[ $(id -u) == 0 ]] || { echo "bench/push: run as root" >&2; exit 1; }
for tool in "$after" /usr/bin/docker-registry busybox igzip bc /usr/bin/time; do
  command -v "$tool" > /dev/null || { echo "bench/push: $tool missing" >&2; exit 1; }
done
binaries=(after)
[[ -x $before ]] && binaries=(before after)

work=$(mktemp -d "${TMPDIR:-/var/tmp}/push-bench-XXXXXX")
cgroups=()
source "$lib/services.sh"   # start_base_registry/start_registry/stop_registry/umount_under/stop_services
source "$lib/workloads.sh"  # run_gen, run_sed, run_sum, run_big: the same RUN commands
trap stop_services EXIT
trap 'exit 130' INT TERM
inputs=${PUSH_BENCH_INPUTS:-$work/inputs}
mkdir -p "$inputs/main" "$work/big"
[[ -d $inputs/main/ctx ]] || /usr/bin/python3 "$lib/gen_inputs.py" context "$inputs/main/ctx" "$scale"

mybuild=$after start_base_registry  # the busybox base, as bench/compare makes it; sets $base
printf 'FROM %s\nCOPY ctx/ /data/\nRUN %s\nRUN %s\nRUN %s\n' "$base" "$run_gen" "$run_sed" \
  "$run_sum" > "$inputs/main/Dockerfile"
printf 'FROM %s\nRUN %s\n' "$base" "$run_big" > "$work/big/Dockerfile"

secs() { echo "$2 - $1" | bc; }
now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
results=$work/results  # lines: what binary seconds [rss_mib]

for ((rep = 1; rep <= reps; rep++)); do
  # The order alternates per repetition: the dd of whichever build ran second of a pair was up
  # to 2.4 s slower (the first one's gigabyte still being written back), whatever the binary.
  order=("${binaries[@]}")
  if (( rep % 2 == 0 )); then order=(); for ((i = ${#binaries[@]} - 1; i >= 0; i--)); do order+=("${binaries[$i]}"); done; fi
  for b in "${order[@]}"; do
    bin=${!b} root=$work/root-$b
    umount_under "$root"; rm -rf "$root"
    # push: a cold build, then a first push to an empty registry.
    "$bin" --root "$root" build -q --network none -t bench/main:latest "$inputs/main" > /dev/null
    stop_registry push && start_registry push
    sync; t0=$(now)
    "$bin" --root "$root" push --trace "$work/push-$b.json" bench/main:latest \
      "127.0.0.1:$push_port/$b/main:v$rep" > "$work/push-$b.log"
    echo "push $b $(secs "$t0" "$(now)")" >> "$results"
    # commit: RUN writing 1 GiB, timed whole and by its trace spans.
    sync
    /usr/bin/time -f %M -o "$work/rss" "$bin" --root "$root" build -q --network none \
      --trace "$work/big-$b.json" -t bench/big:latest "$work/big" > /dev/null
    read -r diff commit < <(/usr/bin/python3 "$here/trace_spans.py" "$work/big-$b.json" \
      "diff:" "commit snapshot")
    read -r run < <(/usr/bin/python3 "$here/trace_spans.py" "$work/big-$b.json" "RUN: mounts")
    echo "commit $b $(echo "$diff + $commit" | bc) $(( $(cat "$work/rss") / 1024 ))" >> "$results"
    echo "run $b $run" >> "$results"
  done
  # The work itself: igzip of the largest stored layer tar, and the dd on the host.
  layer=$(find "$work/root-after" -path '*blobs/sha256/*' -type f -printf '%s %p\n' | sort -n |
    tail -n 1 | cut -d' ' -f2)  # the context's layer tar: larger than its gzip
  sync; t0=$(now)
  igzip -1 -T2 -c "$layer" > /dev/null
  echo "push work $(secs "$t0" "$(now)")" >> "$results"
  sync; t0=$(now)
  dd if=/dev/urandom of="$work/big.dd" bs=1M count="$big_mb" 2> /dev/null
  echo "commit work $(secs "$t0" "$(now)")" >> "$results"
  rm -f "$work/big.dd"
  echo "bench/push: rep $rep/$reps done" >&2
done

row() {  # row WHAT BINARY: median seconds (and max RSS for commit) over the repetitions
  local v rss
  v=$(awk -v w="$1" -v b="$2" '$1 == w && $2 == b { print $3 }' "$results" | median)
  rss=$(awk -v w="$1" -v b="$2" '$1 == w && $2 == b && NF > 3 { print $4 }' "$results" | sort -n | tail -n 1)
  if [[ -n $v ]]; then v=$(printf %.2f "$v"); else v=n/a; fi
  printf '| %s | %s | %s | %s |\n' "$1" "$2" "$v" "${rss:-}"
}
echo "| measure | who | median s ($reps reps) | peak RSS MiB |"
echo "|---|---|---|---|"
for w in push commit; do
  for b in "${binaries[@]}" work; do row "$w" "$b"; done
done
for b in "${binaries[@]}"; do row run "$b"; done
echo
echo "push: mybuild push of the cold image to an empty registry vs igzip -1 -T2 of its layer tar;"
echo "commit: the RUN's diff + snapshot commit spans (--trace) vs the dd alone; run: the RUN itself."
