#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, two at a time (one per core).
# Corpora grow in fuzz-corpus/<target>/ (not committed); crashes land in fuzz-artifacts/.
# A crash fails the run; keep the input as a regression test beside the code it broke.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzz}
seconds=${2:-300}
mkdir -p fuzz-corpus fuzz-artifacts
export LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
pids=()
status=0
for exe in "$build"/fuzz/fuzz_*; do
  [[ -x $exe ]] || continue
  name=$(basename "$exe"); what=${name#fuzz_}
  corpus=fuzz-corpus/$what; mkdir -p "$corpus"
  seeds=()
  [[ -d fuzz/seeds/$what ]] && seeds+=("fuzz/seeds/$what")
  if [[ -f fuzz/seeds/$what.dirs ]]; then
    while IFS= read -r d; do [[ -n $d && -d $d ]] && seeds+=("$d"); done < "fuzz/seeds/$what.dirs"
  fi
  echo "fuzz: $name for ${seconds}s (seeds: ${seeds[*]:-none})"
  "$exe" -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=10 \
    -artifact_prefix="fuzz-artifacts/$what-" "$corpus" "${seeds[@]}" \
    > "fuzz-artifacts/$what.log" 2>&1 &
  pids+=($!)
  if ((${#pids[@]} >= $(nproc))); then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
for log in fuzz-artifacts/*.log; do
  [[ -f $log ]] || continue
  echo "== $log"; grep -E "^(Done|#[0-9]+.*DONE)|ERROR|SUMMARY" "$log" | tail -3 || true
done
exit $status
