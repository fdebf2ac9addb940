#!/usr/bin/env bash
# bench/compare: the work itself, on the host. work.sh WORKLOAD INPUTS ROOT runs what WORKLOAD's
# Dockerfile asks for (the same file copies with cp -a, the same RUN commands through
# `chroot ROOT /bin/sh -c`) with no builder around it. ROOT starts as the busybox tree (run.sh
# resets it for cold workloads), so the RUN commands see the same files they do in a build.
set -euo pipefail
lib=$(dirname "$0")
repo=$(cd "$lib/../../.." && pwd)
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
  cstage)  # the base unpacked, then the sample's compile, its binary into the busybox tree
    rm -rf "$root/deb" && mkdir -p "$root/deb/src"
    tar -C "$root/deb" -xf "$debian_tar"
    cp "$in/cstage/hello.c" "$root/deb/src/"
    chroot "$root/deb" /bin/sh -c "cd /src && $(cstage_run "$in")"
    mkdir -p "$root/usr/local/bin" && cp "$root/deb/hello" "$root/usr/local/bin/hello" ;;
  cacheimport)  # what a full cache hit must at least do: fetch the image's layer blobs
    rm -rf "$root/import" && mkdir -p "$root/import"
    /usr/bin/python3 "$lib/fetch_layers.py" "$cache_image" "$root/import" ;;
  *) echo "work.sh: unknown workload $workload" >&2; exit 2 ;;
esac
