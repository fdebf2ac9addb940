#!/usr/bin/env bash
# Checks that the tracked C++ sources of the modules and tests are clang-formatted (.clang-format):
# lists each unformatted file and exits 1. `make format` fixes them.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files -- '*.h' '*.cc' | \
  grep -E '^(cli|builder|image|parser|snapshot|sandbox|registry|common|tests)/' | \
  while IFS= read -r f; do [[ -f $f ]] && echo "$f"; done)  # skip deletions not yet staged
# One clang-format for all files (one per file costs minutes); it names each file it would change
# in "path:line:col: error: code should be clang-formatted" lines.
set +e
report=$(clang-format --dry-run --Werror "${files[@]}" 2>&1)
rc=$?
set -e
[[ $rc -eq 0 ]] && exit 0
bad=$(grep -oE '^[^:]+:[0-9]+:[0-9]+: error' <<<"$report" | cut -d: -f1 | sort -u)
if [[ -z $bad ]]; then
  echo "$report" >&2  # clang-format failed for another reason: show it
  exit 1
fi
while IFS= read -r f; do
  echo "format: $f is not clang-formatted (clang-format -i $f, or make format)" >&2
done <<<"$bad"
exit 1
