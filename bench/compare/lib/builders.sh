# bench/compare: how each builder builds, pushes and forgets (sourced by run.sh). Every builder
# gets the same context folder, runs RUN steps with --network none (no RUN needs a network, and
# dockerd runs without a bridge on this shared host) and pulls its base from the local registry.
#   <builder>_build WORKLOAD CONTEXT TAG   the timed build
#   <builder>_push TAG DEST                the timed push (DEST: host:port/repo:tag)
#   <builder>_forget                       clears its build cache and images (untimed)
# "work" is the pseudo-builder of the work itself (work.sh), timed in the same rotation.

mybuild_build() {
  local trace=()
  # One trace per workload: the last repetition's (traces/ beside the results table).
  if [[ $mybuild_traces == 1 && $rep == "$reps" ]]; then trace=(--trace "$traces/$1.json"); fi
  "$mybuild" --root "$work/mybuild" build -q --network none -t "$3" "${trace[@]}" "$2"
}
mybuild_push() {
  local trace=()
  if [[ $mybuild_traces == 1 && $rep == "$reps" ]]; then trace=(--trace "$traces/push.json"); fi
  "$mybuild" --root "$work/mybuild" push "${trace[@]}" "$1" "$2"
}
mybuild_forget() { umount_under "$work/mybuild"; rm -rf "$work/mybuild"; }

buildkit_build() { "$docker" build -q --network none -t "$3" "$2"; }
buildkit_push() { "$docker" tag "$1" "$2" && "$docker" push -q "$2"; }
buildkit_forget() {
  local images
  images=$("$docker" images -aq)
  [[ -z $images ]] || "$docker" image rm -f $images > /dev/null
  "$docker" builder prune -af > /dev/null
}

# Debian's default runtime, crun 1.8, refuses hybrid cgroup hosts like this one ("cgroups in
# hybrid mode not supported"); runc runs them.
buildah_args=()  # set by run.sh: --root/--runroot under $work, overlay storage
buildah_build() {
  buildah "${buildah_args[@]}" build --runtime runc --layers --network none --tls-verify=false -q -t "$3" "$2"
}
buildah_push() { buildah "${buildah_args[@]}" push --tls-verify=false -q "$1" "docker://$2"; }
buildah_forget() {
  buildah "${buildah_args[@]}" rm -a > /dev/null
  buildah "${buildah_args[@]}" rmi -af > /dev/null 2>&1 || true  # none left is fine
}

# The work itself keeps a host tree at $work/host, reset to the busybox base when cold.
work_build() {  # a no-op rebuild has no work: timing bash's start-up would only add noise
  if [[ $1 == noop ]]; then return 0; fi
  bash "$lib/work.sh" "$1" "$in" "$work/host"
}
work_push() { bash "$lib/work.sh" push "$in" "$work/host"; }
work_forget() {
  rm -rf "$work/host" && cp -a "$work/rootfs" "$work/host"
  mkdir -p "$work/host/dev"  # the devices a builder's RUN step has and these commands use
  mknod "$work/host/dev/null" c 1 3 && mknod "$work/host/dev/zero" c 1 5
  mknod "$work/host/dev/urandom" c 1 9
}
