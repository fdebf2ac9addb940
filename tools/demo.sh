#!/usr/bin/env bash
# `make demo`: what mybuild can do today, on samples/.
# Today: parse every sample Dockerfile and print its instructions (BuildKit's dump format).
set -euo pipefail
cd "$(dirname "$0")/.."
mybuild=${1:-build/cli/mybuild}
"$mybuild" --version
for df in $(find samples -name Dockerfile -o -name '*.Dockerfile' | sort); do
  echo
  echo "== $df"
  "$mybuild" debug parse "$df"
done
