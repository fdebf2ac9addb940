#!/usr/bin/env bash
# bench/compare: the work itself, on the host. work.sh WORKLOAD INPUTS ROOT runs what WORKLOAD's
# Dockerfile asks for (the same file copies with cp -a, the same RUN commands through
# `chroot ROOT /bin/sh -c`) with no builder around it. ROOT starts as the busybox tree (run.sh
# resets it for cold workloads), so the RUN commands see the same files they do in a build.
set -euo pipefail
lib=$(dirname "$0")
workload=$1 in=$2 root=$3
source "$lib/workloads.sh"
sh_in() { chroot "$root" /bin/sh -c "$1"; }
case $workload in
  cold)
    cp -a "$in/main/ctx" "$root/data"
    sh_in "$run_gen"; sh_in "$run_sed"; sh_in "$run_sum" ;;
  noop) ;;
  onefile)
    f=$(changed_file "$in")
    cp -a "$f" "$root/data/${f#"$in/main/ctx/"}"
    sh_in "$run_gen"; sh_in "$run_sed"; sh_in "$run_sum" ;;
  push)  # the floor of a gzip push: the image's files through the fastest gzip on every core
    if command -v igzip > /dev/null; then gz=(igzip -1 -T "$(nproc)" -c); else gz=(pigz -1 -c); fi
    tar -C "$root" -cf - . | "${gz[@]}" > /dev/null ;;
  parallel)
    sh_in "$run_cpu_a" & a=$!
    sh_in "$run_cpu_b" & b=$!
    wait "$a"; wait "$b" ;;
  big) sh_in "$run_big" ;;
  many)
    mkdir -p "$root/app"
    cp -a "$in/many/src" "$in/many/Dockerfile" "$in/many/.dockerignore" "$root/app/"
    sh_in "$run_count" ;;
  *) echo "work.sh: unknown workload $workload" >&2; exit 2 ;;
esac
