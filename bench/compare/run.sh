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
# COMPARE_WORKLOADS ("cold push noop onefile parallel big many cstage cacheimport"),
# COMPARE_BUILDERS ("work mybuild buildkit buildah"), COMPARE_RESULTS (the .md path),
# COMPARE_SETTLE_S (10: seconds between a cold run's forget and its timing, lib/measure.sh),
# COMPARE_INPUTS (a folder to keep the generated inputs in between runs, for development; the
# onefile workload appends to one file of it), COMPARE_DEBIAN_TAR (BUILD_DIR/fixtures/debian-bookworm.tar, made by tools/make_debian_base.sh
# when missing: about 5 minutes, not counted in the run's 30).
# Everything it makes (cgroups, mounts, directories) is named by this run's id (its pid) and only
# those are removed, also on Ctrl-C or an error; another run's are left alone while it lives.
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
read -ra workloads <<< "${COMPARE_WORKLOADS:-cold push noop onefile parallel big many cstage cacheimport}"
read -ra builders <<< "${COMPARE_BUILDERS:-work mybuild buildkit buildah}"
stamp=$(date -u +%Y-%m-%d-%H%M) run_id=$$ started=$(date +%s) load_start=$(cut -d' ' -f1-3 /proc/loadavg)
debian_tar=${COMPARE_DEBIAN_TAR:-$build/fixtures/debian-bookworm.tar}
results_md=${COMPARE_RESULTS:-$repo/bench/results/$stamp.md}
traces=${results_md%.md}-traces
"$repo/tools/install_deps.sh" "$repo/bench/deps.txt"  # the peers: not needed by `make test`
for tool in "$mybuild" "$docker" /usr/sbin/dockerd buildah /usr/bin/docker-registry busybox bc; do
  command -v "$tool" > /dev/null || { echo "bench/compare: $tool missing (bench/deps.txt)" >&2; exit 1; }
done
[[ $(id -u) == 0 ]] || { echo "bench/compare: run as root (dockerd, buildah, chroot)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/var/tmp}/compare-bench-$run_id-XXXXXX")
# The raw runs go beside the results file as they are measured, so a run that dies keeps them.
# The builders' logs are kept (outside $work) for a failure to be read afterwards.
in=${COMPARE_INPUTS:-$work/inputs} logs=${TMPDIR:-/var/tmp}/compare-logs-$run_id
results_tsv=${results_md%.md}.tsv
cgroups=()
source "$lib/services.sh"
source "$lib/workloads.sh"
source "$lib/builders.sh"
source "$lib/measure.sh"
# Any failing command names itself and its line before the EXIT trap tears everything down.
set -E
trap 'echo "bench/compare: failed (status $?) at line $LINENO: $BASH_COMMAND" >&2' ERR
trap stop_services EXIT
trap 'exit 130' INT TERM
clean_stale_cgroups
mkdir -p "$logs" "$traces" "$(dirname "$results_md")"
: > "$results_tsv"
mybuild_traces=0
# (grep reads all of the help: with -q it may exit first, and pipefail then reads SIGPIPE as "no")
if "$mybuild" build --help 2>&1 | grep -- '--trace' > /dev/null; then mybuild_traces=1; fi
declare -A run_cgroups
for b in work mybuild buildah; do make_cgroup "$b" "run_cgroups[$b]"; done
buildah_args=(--root "$work/buildah/root" --runroot "$work/buildah/run" --storage-driver overlay)

# The base: busybox-static with its applets, imported by mybuild and pushed to the base registry.
start_base_registry
# The Debian base of the cstage workload, pushed the same way; the builders pull both from there.
debian=127.0.0.1:$base_port/debian:bookworm debian_mb=0
if [[ " ${workloads[*]} " == *" cstage "* ]]; then
  [[ -f $debian_tar ]] || "$repo/tools/make_debian_base.sh" "$debian_tar"
  debian_mb=$(( $(stat -L -c %s "$debian_tar") >> 20 ))
  "$mybuild" --root "$work/import" import "$debian_tar" debian:bookworm > /dev/null
  "$mybuild" --root "$work/import" push debian:bookworm "$debian" > /dev/null
fi
umount_under "$work/import"; rm -rf "$work/import"
export debian_tar
echo "bench/compare: generating inputs (scale $scale, $many_files-file context)" >&2
write_inputs "$in" "$base" "$debian"
ctx_desc="$(find "$in/main/ctx" -type f | wc -l) files, $(du -sm "$in/main/ctx" | cut -f1) MB"
start_dockerd
# cacheimport: each builder's cache, exported once by another store (untimed), in its own registry.
if [[ " ${workloads[*]} " == *" cacheimport "* ]]; then
  start_registry cache
  cache_reg=127.0.0.1:$cache_port cache_image=127.0.0.1:$cache_port/mybuild/main:latest
  export cache_image
  for b in "${builders[@]}"; do
    "${b}_export_cache" > "$logs/export-$b.log" 2>&1 ||
      { echo "bench/compare: $b's cache export failed:" >&2; tail -n 5 "$logs/export-$b.log" >&2; }
  done
fi

# Each repetition runs every workload for every builder, the builders' order rotated by one per
# repetition, so a noisy minute on this shared machine hits all of them alike. `push` pushes
# what `cold` built just before, to a registry started empty for each push (a first push).
echo "bench/compare: $reps repetitions of: ${workloads[*]}" >&2
loads=()
# COMPARE_BUDGET_MIN (30): no repetition starts that the last one's length says would end past
# the budget; the results file states the N actually run.
budget=$(( ${COMPARE_BUDGET_MIN:-30} * 60 )) reps_done=0
for ((rep = 1; rep <= reps; rep++)); do
  rep_start=$(date +%s)
  order=("${builders[@]:$(( (rep - 1) % ${#builders[@]} ))}" "${builders[@]:0:$(( (rep - 1) % ${#builders[@]} ))}")
  for w in "${workloads[@]}"; do
    ctx=$(context_of "$w")
    [[ $w != onefile ]] || echo "changed in repetition $rep" >> "$(changed_file "$in")"
    for b in "${order[@]}"; do
      if is_cold "$w"; then
        "${b}_forget" >> "$logs/forget-$b.log" 2>&1 || echo "bench/compare: $b's forget failed ($logs/forget-$b.log)" >&2
      fi
      if [[ $w == push ]]; then
        stop_registry push && start_registry push
        measure push "$b" "${b}_push" "bench/main:latest" "127.0.0.1:$push_port/$b/main:v$rep"
      else
        measure "$w" "$b" "${b}_build" "$w" "$in/$ctx" "bench/$ctx:latest"
      fi
    done
    loads+=("$(cut -d' ' -f1 /proc/loadavg)")
    echo "bench/compare: rep $rep/$reps $w done ($(date -u +%H:%M:%S), load ${loads[-1]})" >&2
  done
  reps_done=$rep now=$(date +%s)
  if (( rep < reps && now + (now - rep_start) > started + budget )); then
    echo "bench/compare: stopping after $rep repetitions: another would end past the budget" >&2
    break
  fi
done

{
  echo "# bench/compare, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Sizes: context scale $scale, sed $sed_mb MiB, CPU stages $cpu_mb MiB each, big RUN $big_mb MiB, $many_files-file context."
  echo "$(nproc) cores; load average (1/5/15 min) $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end,"
  echo "1-minute load after each workload $(printf '%s\n' "${loads[@]}" | sort -n | head -n1)-$(printf '%s\n' "${loads[@]}" | sort -n | tail -n1)"
  echo "(other developers compiling under nice; this run at normal priority)."
  echo "N = $reps_done repetitions (of $reps asked), builders interleaved (order rotated each repetition); whole run $(( ($(date +%s) - started) / 60 )) min $(( ($(date +%s) - started) % 60 )) s including setup."
  echo "mybuild: $mybuild (sha256 $(sha256sum "$mybuild" | cut -c1-12)), harness at $(git -C "$repo" rev-parse --short HEAD); $("$docker" version -f 'BuildKit in docker {{.Server.Version}}'); $(buildah --version)."
  echo
  for w in "${workloads[@]}"; do echo "- $w: $(describe "$w")"; done
  echo
  /usr/bin/python3 "$lib/report.py" "$results_tsv" "${workloads[@]}"
} | tee "$results_md"
if compgen -G "$traces/*.json" > /dev/null; then
  /usr/bin/python3 "$lib/trace_summary.py" "$traces"/*.json > "$traces/SUMMARY.md"
fi
echo "bench/compare: wrote $results_md; traces in $traces; logs in $logs" >&2
