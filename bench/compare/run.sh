#!/usr/bin/env bash
# bench/compare: mybuild, BuildKit (Debian's docker.io) and Buildah side by side in one run, on
# the same generated inputs, with the work itself (the same copies and RUN commands on the host)
# timed in the same rotation; issue 17. Usage: bench/compare/run.sh [BUILD_DIR], as root.
# It starts what it needs (two local docker-registry instances, dockerd on a private socket,
# data-root and exec-root) and stops it on exit. Output: a table on stdout and in
# bench/results/<date>.md, one mybuild trace per workload beside it, logs under $COMPARE_KEEP.
# Knobs (env): COMPARE_QUICK=1 (a smoke check in a few minutes), COMPARE_REPS (3),
# COMPARE_SCALE (1.0: 5,000 files / ~330 MB), COMPARE_SED_MB (32), COMPARE_CPU_MB (32),
# COMPARE_BIG_MB (1024), COMPARE_MANY_FILES (50000), COMPARE_MANY_KEPT (1000),
# COMPARE_WORKLOADS ("cold push noop onefile parallel big many"),
# COMPARE_BUILDERS ("work mybuild buildkit buildah"), COMPARE_RESULTS (the .md path).
set -euo pipefail
lib=$(cd "$(dirname "$0")/lib" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-build}")
mybuild=$build/cli/mybuild
docker=/usr/bin/docker  # Debian's docker.io CLI, not another docker on PATH
if [[ ${COMPARE_QUICK:-0} == 1 ]]; then
  q_reps=1 q_scale=0.05 q_sed=2 q_cpu=2 q_big=64 q_many=5000 q_kept=200
else
  q_reps=3 q_scale=1.0 q_sed=32 q_cpu=32 q_big=1024 q_many=50000 q_kept=1000
fi
reps=${COMPARE_REPS:-$q_reps} scale=${COMPARE_SCALE:-$q_scale} sed_mb=${COMPARE_SED_MB:-$q_sed}
cpu_mb=${COMPARE_CPU_MB:-$q_cpu} big_mb=${COMPARE_BIG_MB:-$q_big}
many_files=${COMPARE_MANY_FILES:-$q_many} many_kept=${COMPARE_MANY_KEPT:-$q_kept}
export sed_mb cpu_mb big_mb many_files many_kept  # work.sh reads them
read -ra workloads <<< "${COMPARE_WORKLOADS:-cold push noop onefile parallel big many}"
read -ra builders <<< "${COMPARE_BUILDERS:-work mybuild buildkit buildah}"
stamp=$(date -u +%Y-%m-%d-%H%M)
results_md=${COMPARE_RESULTS:-$repo/bench/results/$stamp.md}
traces=${results_md%.md}-traces
"$repo/tools/install_deps.sh" "$repo/bench/deps.txt"  # the peers: not needed by `make test`
for tool in "$mybuild" "$docker" /usr/sbin/dockerd buildah /usr/bin/docker-registry busybox bc; do
  command -v "$tool" > /dev/null || { echo "bench/compare: $tool missing (bench/deps.txt)" >&2; exit 1; }
done
[[ $(id -u) == 0 ]] || { echo "bench/compare: run as root (dockerd, buildah, chroot)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/var/tmp}/compare-bench-XXXXXX")
in=$work/inputs logs=$work/logs results_tsv=$work/results.tsv
cgroups=()
source "$lib/services.sh"
source "$lib/workloads.sh"
source "$lib/builders.sh"
source "$lib/measure.sh"
trap stop_services EXIT
trap 'exit 130' INT TERM
mkdir -p "$logs" "$traces" "$(dirname "$results_md")"
mybuild_traces=0
"$mybuild" build --help | grep -q -- '--trace' && mybuild_traces=1
declare -A run_cgroups
for b in work mybuild buildah; do make_cgroup "$b" "run_cgroups[$b]"; done
buildah_args=(--root "$work/buildah/root" --runroot "$work/buildah/run" --storage-driver overlay)

# The base: busybox-static with its applets, imported by mybuild and pushed to the base registry.
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do [[ $a == busybox ]] || ln -s busybox "$work/rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$work/rootfs/etc/passwd"
echo 'root:x:0:' > "$work/rootfs/etc/group"
tar -C "$work/rootfs" -cf "$work/busybox.tar" .
start_registry base
base=127.0.0.1:$base_port/busybox:latest
"$mybuild" --root "$work/import" import "$work/busybox.tar" busybox:latest > /dev/null
"$mybuild" --root "$work/import" push busybox:latest "$base" > /dev/null
echo "bench/compare: generating inputs (scale $scale, $many_files-file context)" >&2
write_inputs "$in" "$base"
ctx_desc="$(find "$in/main/ctx" -type f | wc -l) files, $(du -sm "$in/main/ctx" | cut -f1) MB"
start_dockerd

# Each repetition runs every workload for every builder, the builders' order rotated by one per
# repetition, so a noisy minute on this shared machine hits all of them alike. `push` pushes
# what `cold` built just before, to a registry started empty for each push (a first push).
echo "bench/compare: $reps repetitions of: ${workloads[*]}" >&2
for ((rep = 1; rep <= reps; rep++)); do
  order=("${builders[@]:$(( (rep - 1) % ${#builders[@]} ))}" "${builders[@]:0:$(( (rep - 1) % ${#builders[@]} ))}")
  for w in "${workloads[@]}"; do
    ctx=$(context_of "$w")
    [[ $w != onefile ]] || echo "changed in repetition $rep" >> "$(changed_file "$in")"
    for b in "${order[@]}"; do
      if is_cold "$w"; then "${b}_forget"; fi
      if [[ $w == push ]]; then
        stop_registry push && start_registry push
        measure push "$b" "${b}_push" "bench/main:latest" "127.0.0.1:$push_port/$b/main:v$rep"
      else
        measure "$w" "$b" "${b}_build" "$w" "$in/$ctx" "bench/$ctx:latest"
      fi
    done
    echo "bench/compare: rep $rep/$reps $w done ($(date -u +%H:%M:%S))" >&2
  done
done

{
  echo "# bench/compare, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) at the end; $reps repetitions, builders interleaved."
  echo "mybuild $(git -C "$repo" rev-parse --short HEAD); $("$docker" version -f 'BuildKit in docker {{.Server.Version}}'); $(buildah --version)."
  echo
  for w in "${workloads[@]}"; do echo "- $w: $(describe "$w")"; done
  echo
  /usr/bin/python3 "$lib/report.py" "$results_tsv" "${workloads[@]}"
} | tee "$results_md"
cp "$results_tsv" "${results_md%.md}.tsv"
echo "bench/compare: wrote $results_md; traces in $traces" >&2
