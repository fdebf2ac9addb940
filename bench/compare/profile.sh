#!/usr/bin/env bash
# bench/compare/profile.sh [BUILD_DIR]: where mybuild's time goes on bench/compare's inputs, for
# the "Targets and where the time goes" section of a results file (issue 17). mybuild alone (no
# peers), the same generated context, Dockerfiles and RUN commands (lib/workloads.sh), a busybox
# base in a local registry. For each of cold, noop, onefile, big and push: one run with --trace,
# one under `perf record -g` (CPU profile: the top symbols) and one under `strace -c -f` (system
# calls: count and time). Writes PROFILE_OUT (default /var/tmp/mybuild-profile-<pid>) and prints
# a markdown summary (`profile.sh --summary DIR` prints it again). Knobs: PROFILE_SCALE (1.0), PROFILE_BIG_MB (1024), PROFILE_SED_MB (32).
set -euo pipefail
lib=$(cd "$(dirname "$0")/lib" && pwd)
summarize() {  # summarize DIR: the markdown summary of a profile directory
  local name
  for name in cold noop onefile big push; do
    echo "### $name: $(cat "$1/$name.time")"
    echo
    echo '```'
    echo "perf: CPU samples by process and library, then mybuild's own top symbols"
    perf report -i "$1/$name.perf" --no-children --sort comm,dso --stdio -g none 2>/dev/null |
      grep -v '^#' | grep -v '^$' | head -n 8 | sed 's/  */ /g' || true
    echo "--"
    perf report -i "$1/$name.perf" --comm mybuild --no-children --sort dso,symbol --stdio \
      -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 8 |
      sed 's/ *- *- *$//; s/  */ /g' || true
    echo
    echo "strace -c -f (mybuild's system calls; the waits are time blocked, not CPU):"
    head -n 14 "$1/$name.strace"; tail -n 1 "$1/$name.strace"
    echo '```'
    echo
    /usr/bin/python3 "$lib/trace_summary.py" "$1/$name.json" | grep -v '^###'
  done
}
if [[ ${1:-} == --summary ]]; then summarize "$2"; exit 0; fi  # again, from a kept directory
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-build}")
mybuild=$build/cli/mybuild
scale=${PROFILE_SCALE:-1.0} big_mb=${PROFILE_BIG_MB:-1024} sed_mb=${PROFILE_SED_MB:-32}
cpu_mb=2 many_files=0 many_kept=0
out=${PROFILE_OUT:-/var/tmp/mybuild-profile-$$}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/compare-profile-$$-XXXXXX")
in=$work/inputs root=$work/root
run_id=$$ cgroups=()
source "$lib/services.sh"
source "$lib/workloads.sh"
trap stop_services EXIT
trap 'exit 130' INT TERM
mkdir -p "$out"
start_base_registry
mkdir -p "$in/main"
/usr/bin/python3 "$lib/gen_inputs.py" context "$in/main/ctx" "$scale"
printf 'FROM %s\nCOPY ctx/ /data/\nRUN %s\nRUN %s\nRUN %s\n' "$base" "$run_gen" "$run_sed" \
  "$run_sum" > "$in/main/Dockerfile"
mkdir -p "$in/big" && printf 'FROM %s\nRUN %s\n' "$base" "$run_big" > "$in/big/Dockerfile"

# profiled NAME TAIL COMMAND...: COMMAND plus TAIL (its last arguments, one string, expanded at
# each run: a reset may change the push registry's port) three times:
# with --trace (and /usr/bin/time), under perf record -g, under strace -c -f; "$reset" between.
profiled() {
  local name=$1 tail_words=$2 tail=(); shift 2
  eval "tail=($tail_words)"
  sync
  /usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KiB max RSS" -o "$out/$name.time" \
    "$@" --trace "$out/$name.json" "${tail[@]}" > /dev/null
  "$reset"; sync; eval "tail=($tail_words)"
  perf record -q -g -o "$out/$name.perf" -- "$@" "${tail[@]}" > /dev/null 2>&1
  "$reset"; sync; eval "tail=($tail_words)"
  strace -c -f -o "$out/$name.strace" "$@" "${tail[@]}" > /dev/null
  "$reset"
}
build=("$mybuild" --root "$root" build -q --network none)
cold_reset() { umount_under "$root"; rm -rf "$root"; }
keep() { :; }
edit() { echo "changed $RANDOM" >> "$(changed_file "$in")"; }
# A first push converts (gzip) the layers; the store remembers conversions, so each push
# starts from a fresh cold build and an empty registry.
push_reset() {
  cold_reset; "${build[@]}" -t bench/main:latest "$in/main" > /dev/null
  stop_registry push; start_registry push
}
reset=cold_reset; profiled cold '-t bench/main:latest $in/main' "${build[@]}"
"${build[@]}" -t bench/main:latest "$in/main" > /dev/null
reset=keep; profiled noop "-t bench/main:latest $in/main" "${build[@]}"
reset=edit; edit; profiled onefile "-t bench/main:latest $in/main" "${build[@]}"
cold_reset; reset=cold_reset; profiled big "-t bench/big:latest $in/big" "${build[@]}"
"${build[@]}" -t bench/main:latest "$in/main" > /dev/null
start_registry push
reset=push_reset
profiled push 'bench/main:latest 127.0.0.1:$push_port/main:v1' "$mybuild" --root "$root" push

summarize "$out" | tee "$out/SUMMARY.md"
