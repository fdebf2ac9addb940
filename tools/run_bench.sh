#!/usr/bin/env bash
# Runs bench/<name>/run.sh BUILD_DIR for every benchmark, or only $BENCH.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
for run in bench/*/run.sh; do
  name=$(basename "$(dirname "$run")")
  [[ -n ${BENCH:-} && $name != "$BENCH" ]] && continue
  echo "== bench/$name"
  bash "$run" "$build"
done
