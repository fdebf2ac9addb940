#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, two at a time (one per core).
# Seeds: fuzz/make_seeds.py writes one small input per conformance vector into
# BUILD_DIR/fuzz/seeds/<target>/; flags (-max_len) come from fuzz/<target>.options.
# Corpora grow in fuzz-corpus/<target>/ (not committed); crashes land in fuzz-artifacts/.
# A crash fails the run; keep the input in fuzz/regressions/<target>/ (replayed by ctest) and
# fix the code it broke.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzz}
seconds=${2:-300}
mkdir -p fuzz-corpus fuzz-artifacts
python3 fuzz/make_seeds.py "$build/fuzz/seeds" > /dev/null
# UBSan findings stop the run like ASan ones (the build lets UBSan recover by default).
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
pids=()
status=0
for exe in "$build"/fuzz/fuzz_*; do
  [[ -x $exe ]] || continue
  name=$(basename "$exe"); what=${name#fuzz_}
  corpus=fuzz-corpus/$what; mkdir -p "$corpus"
  seeds=()
  [[ -d $build/fuzz/seeds/$what ]] && seeds+=("$build/fuzz/seeds/$what")
  flags=()
  if [[ -f fuzz/$what.options ]]; then  # OSS-Fuzz's format: "[libfuzzer]" then "name = value"
    while IFS= read -r line; do
      [[ $line =~ ^([a-z_]+)\ *=\ *(.*)$ ]] && flags+=("-${BASH_REMATCH[1]}=${BASH_REMATCH[2]}")
    done < "fuzz/$what.options"
  fi
  echo "fuzz: $name for ${seconds}s (seeds: ${seeds[*]:-none}; flags: ${flags[*]:-none})"
  "$exe" "${flags[@]}" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
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
