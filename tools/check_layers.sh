#!/usr/bin/env bash
# Checks that #include lines follow the dependency arrows of STYLE.md §1:
#   cli -> builder -> image -> {snapshot, registry} -> common; builder also -> parser, sandbox
# and builder/'s folders (context/, stage/, run/, copy/) are internal: only builder/ itself
# includes them.
# (cli's debug commands may also reach the parser directly: `debug parse` is a parser tool.)
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A allowed=(
  [common]="common"
  [parser]="parser common"
  [snapshot]="snapshot common"
  [sandbox]="sandbox common"
  [registry]="registry common"
  [image]="image snapshot registry common"
  [builder]="builder image parser snapshot sandbox registry common"
  [cli]="cli builder image common"
)
status=0
for module in "${!allowed[@]}"; do
  [[ -d $module ]] || continue
  while IFS= read -r hit; do
    file=${hit%%:*}
    inc=$(sed -E 's/.*#include "([^/"]+)\/.*/\1/' <<<"${hit#*:}")
    [[ " ${allowed[$module]} " == *" $inc "* ]] && continue
    [[ $module == cli && $inc == parser && $(basename "$file") == debug_* ]] && continue
    echo "layering: $file includes $inc/..., but $module may include only: ${allowed[$module]}" >&2
    status=1
  done < <(grep -rnE '^#include "[a-z_]+/' "$module" --include='*.h' --include='*.cc' | \
           sed -E 's/^([^:]+):[0-9]+:/\1:/' | grep -vE '#include "(antlr4|generated)' || true)
done
# builder/<folder>/... is internal by placement (LevelDB's include/ against db/).
while IFS= read -r hit; do
  echo "layering: ${hit%%:*} includes ${hit#*#include }, internal to builder/" >&2
  status=1
done < <(grep -rnE '^#include "builder/[a-z_]+/' --include='*.h' --include='*.cc' \
           $(ls -d cli image parser snapshot sandbox registry common 2>/dev/null) || true)
if ((status == 0)); then echo "layering: ok"; fi
exit $status
