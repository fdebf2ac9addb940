# bench/compare: the services a run starts and stops itself (sourced by run.sh).
# Everything lives under $work: registries' storage, dockerd's socket, data-root and exec-root,
# buildah's root and runroot. stop_services (run.sh's EXIT trap) stops each process by its pid and
# unmounts whatever the builders left mounted under $work, so nothing outlives the run.

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_for() {  # wait_for SECONDS COMMAND...: polls until COMMAND succeeds
  local tries=$(( $1 * 10 )); shift
  for _ in $(seq 1 "$tries"); do "$@" > /dev/null 2>&1 && return 0; sleep 0.1; done
  echo "bench/compare: gave up waiting for: $*" >&2
  return 1
}

# start_registry NAME: a docker-registry with empty storage under $work/NAME; sets NAME_port/pid.
start_registry() {
  local name=$1 port dir=$work/$1
  port=$(free_port)
  rm -rf "$dir" && mkdir -p "$dir"
  cat > "$dir/config.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $dir/storage}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port}
YML
  /usr/bin/docker-registry serve "$dir/config.yml" > "$dir/log" 2>&1 &
  printf -v "${name}_pid" %s $!
  printf -v "${name}_port" %s "$port"
  wait_for 10 curl -sf "http://127.0.0.1:$port/v2/"
}

stop_registry() {
  local pid_var=${1}_pid
  if [[ -n ${!pid_var:-} ]]; then  # (wait returns the killed one's 143: not a failure here)
    kill "${!pid_var}" 2>/dev/null; wait "${!pid_var}" 2>/dev/null || true
  fi
  printf -v "$pid_var" %s ""
}

# start_base_registry: the busybox base (busybox-static with its applets) in $work/rootfs,
# imported by mybuild and pushed to a registry started for it; sets base to its reference.
start_base_registry() {
  mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp"
  cp /bin/busybox "$work/rootfs/bin/busybox"
  local a
  for a in $(/bin/busybox --list); do [[ $a == busybox ]] || ln -s busybox "$work/rootfs/bin/$a"; done
  echo 'root:x:0:0:root:/root:/bin/sh' > "$work/rootfs/etc/passwd"
  echo 'root:x:0:' > "$work/rootfs/etc/group"
  tar -C "$work/rootfs" -cf "$work/busybox.tar" .
  start_registry base
  base=127.0.0.1:$base_port/busybox:latest
  "$mybuild" --root "$work/import" import "$work/busybox.tar" busybox:latest > /dev/null
  "$mybuild" --root "$work/import" push busybox:latest "$base" > /dev/null
}

# dockerd on a private socket, data-root and exec-root, in its own memory cgroup (the daemon's
# tree is what BuildKit's peak memory means). No bridge and no iptables: the host is shared, and
# every builder runs RUN steps with --network none anyway. It starts its own containerd under
# the exec-root when no system one listens on /run/containerd/containerd.sock.
start_dockerd() {
  local d=$work/docker
  # An empty client config: buildah also reads DOCKER_CONFIG (as its authfile) and wants it there.
  mkdir -p "$d/cli" && echo '{}' > "$d/cli/config.json"
  make_cgroup dockerd dockerd_cgroup
  sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$dockerd_cgroup" \
    /usr/sbin/dockerd --host "unix://$d/docker.sock" --data-root "$d/data" --exec-root "$d/exec" \
    --pidfile "$d/docker.pid" --bridge none --iptables=false --ip-masq=false --ip-forward=false \
    --storage-driver overlay2 > "$d/log" 2>&1 &
  dockerd_pid=$!
  export DOCKER_HOST=unix://$d/docker.sock DOCKER_BUILDKIT=1 DOCKER_CONFIG=$d/cli
  wait_for 60 "$docker" info
}

restart_dockerd() {  # an empty data-root: nothing of earlier builds left
  stop_dockerd
  kill_cgroup "$dockerd_cgroup"  # its containerd and shims, if the daemon left them
  umount_under "$work/docker"
  rm -rf "$work/docker/data" "$work/docker/exec"
  start_dockerd
}

stop_dockerd() {
  [[ -n ${dockerd_pid:-} ]] || return 0
  kill "$dockerd_pid" 2>/dev/null
  for _ in $(seq 1 150); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$dockerd_pid" 2>/dev/null
  wait "$dockerd_pid" 2>/dev/null
  dockerd_pid=
}

# Per-run memory cgroups (v1 on this host, v2 elsewhere), children of our own cgroup.
cgroup_parent() {
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
    echo "/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)"
  else
    echo "/sys/fs/cgroup/memory$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)"
  fi
}

# Every cgroup a run makes is named bench-compare-<run id>-<name>, the run id being run.sh's pid:
# stop_services removes only its own, and clean_stale_cgroups removes another run's only when that
# run's process is gone and nothing is left inside (a live run's cgroups are never touched).
make_cgroup() {  # make_cgroup NAME VAR: makes the cgroup, sets VAR to its directory
  local dir
  dir=$(cgroup_parent)/bench-compare-$run_id-$1
  mkdir -p "$dir"
  [[ " ${cgroups[*]} " == *" $dir "* ]] || cgroups+=("$dir")  # dockerd's is made at each restart
  printf -v "$2" %s "$dir"
}

clean_stale_cgroups() {
  local dir id
  for dir in "$(cgroup_parent)"/bench-compare-*-*; do
    [[ -d $dir ]] || continue
    id=${dir##*/bench-compare-} id=${id%%-*}
    [[ $id =~ ^[0-9]+$ && $id != "$run_id" ]] || continue
    kill -0 "$id" 2>/dev/null && continue  # that run is alive: its cgroups are its own
    [[ -s $dir/cgroup.procs ]] || rmdir "$dir" 2>/dev/null || true
  done
}

# kill_cgroup DIR: what this run started and is still inside one of its own cgroups (dockerd's
# containerd and shims, a builder's stray child) is stopped; nothing outside is looked at.
kill_cgroup() {
  local pid
  [[ -f $1/cgroup.procs ]] || return 0
  for _ in 1 2 3; do
    [[ -s $1/cgroup.procs ]] || return 0
    while read -r pid; do kill -9 "$pid" 2>/dev/null; done < "$1/cgroup.procs"
    sleep 0.2
  done
}

umount_under() {  # deepest first, so a mount below another goes before it
  awk -v p="$1/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

stop_services() {
  set +e  # tear down everything even if one part fails (wait returns the killed one's 143)
  trap - ERR
  stop_dockerd
  stop_registry base
  stop_registry push
  stop_registry cache
  umount_under "$work"
  local cg
  for cg in "${cgroups[@]}"; do
    kill_cgroup "$cg"
    rmdir "$cg" 2>/dev/null || echo "bench/compare: could not remove $cg" >&2
  done
  rm -rf "$work"
}
