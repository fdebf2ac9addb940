# bench/compare: how each builder builds, pushes and forgets (sourced by run.sh). Every builder
# gets the same context folder, runs RUN steps with --network none (no RUN needs a network, and
# dockerd runs without a bridge on this shared host) and pulls its base from the local registry.
#   <builder>_build WORKLOAD CONTEXT TAG   the timed build
#   <builder>_push TAG DEST                the timed push (DEST: host:port/repo:tag)
#   <builder>_forget                       clears its build cache and images (untimed)
# "work" is the pseudo-builder of the work itself (work.sh), timed in the same rotation.

mybuild_build() {
  local extra=()
  # One trace per workload: the last repetition's (traces/ beside the results table).
  if [[ $mybuild_traces == 1 && $rep == "$reps" ]]; then extra=(--trace "$traces/$1.json"); fi
  [[ $1 != cacheimport ]] || extra+=(--cache-from "type=registry,ref=$cache_reg/mybuild/cache")
  "$mybuild" --root "$work/mybuild" build -q --network none -t "$3" "${extra[@]}" "$2"
}
mybuild_push() {
  local trace=()
  if [[ $mybuild_traces == 1 && $rep == "$reps" ]]; then trace=(--trace "$traces/push.json"); fi
  "$mybuild" --root "$work/mybuild" push "${trace[@]}" "$1" "$2"
}
mybuild_forget() { umount_under "$work/mybuild"; rm -rf "$work/mybuild"; }

buildkit_build() {
  local extra=()
  [[ $1 != cacheimport ]] || extra=(--cache-from "$cache_reg/buildkit/main:latest")
  "$docker" build -q --network none -t "$3" "${extra[@]}" "$2"
}
buildkit_push() { "$docker" tag "$1" "$2" && "$docker" push -q "$2"; }
# A fresh dockerd on an empty data-root, the way mybuild's and buildah's stores are removed.
# Not `docker builder prune -af` plus `docker image rm`: after that, BuildKit 0.8 in docker 20.10
# intermittently builds from stale state: its record of the context's last transfer (kept by
# context path, only differences are sent) no longer matches, and files or folders of the
# context are missing in its copy ("lchown ... ENOENT", "failed to stat .../buildkit-mount.../
# ctx/assets/d35: ENOENT", moby/buildkit#2103), or a base layer's snapshot is gone ("exec
# /bin/sh: no such file" in the first RUN): 2 of the 3 cacheimport runs of results/2026-12-07-1821.
buildkit_forget() { restart_dockerd; }

# Debian's default runtime, crun 1.8, refuses hybrid cgroup hosts like this one ("cgroups in
# hybrid mode not supported"); runc runs them.
buildah_args=()  # set by run.sh: --root/--runroot under $work, overlay storage
buildah_build() {
  local extra=()
  [[ $1 != cacheimport ]] || extra=(--cache-from "$cache_reg/buildah/cache")
  buildah "${buildah_args[@]}" build --runtime runc --layers --network none --tls-verify=false \
    -q -t "$3" "${extra[@]}" "$2"
}
buildah_push() { buildah "${buildah_args[@]}" push --tls-verify=false -q "$1" "docker://$2"; }
buildah_forget() {
  buildah "${buildah_args[@]}" rm -a > /dev/null
  buildah "${buildah_args[@]}" rmi -af > /dev/null 2>&1 || true  # none left is fine
}

# The cacheimport workload's other runner: each builder builds the cold workload once (untimed)
# in a store of its own and exports its cache to the cache registry ($cache_reg), the way it
# would in CI; then that store is dropped. The timed run imports it into an empty store.
mybuild_export_cache() {
  local r=$work/mybuild-export
  "$mybuild" --root "$r" build -q --network none -t bench/main:latest \
    --cache-to "type=registry,ref=$cache_reg/mybuild/cache" "$in/cacheimport"
  # The same image, for the work itself to fetch (fetch_layers.py).
  "$mybuild" --root "$r" push bench/main:latest "$cache_image"
  umount_under "$r"; rm -rf "$r"
}
buildkit_export_cache() {  # BuildKit's inline cache: the cache records ride in the image's config
  "$docker" build -q --network none --build-arg BUILDKIT_INLINE_CACHE=1 \
    -t "$cache_reg/buildkit/main:latest" "$in/cacheimport"
  "$docker" push -q "$cache_reg/buildkit/main:latest"
  buildkit_forget
}
buildah_export_cache() {  # one image per cached step in the repository --cache-to names
  buildah "${buildah_args[@]}" build --runtime runc --layers --network none --tls-verify=false \
    -q -t bench/main:latest --cache-to "$cache_reg/buildah/cache" "$in/cacheimport"
  buildah_forget
}

# The work itself keeps a host tree at $work/host, reset to the busybox base when cold.
work_build() {  # (a no-op rebuild has no work: measure records 0 s for it)
  bash "$lib/work.sh" "$1" "$in" "$work/host"
}
work_export_cache() { :; }
work_push() { bash "$lib/work.sh" push "$in" "$work/host"; }
work_forget() {
  rm -rf "$work/host" && cp -a "$work/rootfs" "$work/host"
  mkdir -p "$work/host/dev"  # the devices a builder's RUN step has and these commands use
  mknod "$work/host/dev/null" c 1 3 && mknod "$work/host/dev/zero" c 1 5
  mknod "$work/host/dev/urandom" c 1 9
}
