#!/usr/bin/env bash
# bench/registry: push and pull a 1 GiB, 8-layer image to a local docker-registry (Debian's CNCF
# distribution, plain HTTP on loopback, temp storage), cold and warm (everything already there),
# with mybuild and with `skopeo copy` in the same run. Target (issue 5): mybuild at least as fast
# as skopeo cold, a warm push or pull under 0.3 s.
set -euo pipefail
build=$(realpath "${1:-build}")
mybuild=$build/cli/mybuild
mb=${REGISTRY_BENCH_MB:-1024}
layers=8
work=$(mktemp -d "${TMPDIR:-/var/tmp}/registry-bench-XXXXXX")
cleanup() { [[ -n ${reg_pid:-} ]] && kill "$reg_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/config.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
YML
/usr/bin/docker-registry serve "$work/config.yml" > "$work/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/v2/" > /dev/null && break; sleep 0.1; done

# The image: busybox plus 8 layers of incompressible data, built by mybuild itself.
mkdir -p "$work/rootfs/bin"
cp /bin/busybox "$work/rootfs/bin/busybox"
for a in sh head; do ln -s busybox "$work/rootfs/bin/$a"; done
tar -C "$work/rootfs" -cf "$work/busybox.tar" .
root=$work/store
"$mybuild" --root "$root" import "$work/busybox.tar" busybox:latest > /dev/null
per=$(( mb / layers ))
mkdir -p "$work/ctx"
{
  echo "FROM busybox"
  for i in $(seq 1 $((layers - 1))); do echo "RUN head -c $((per * 1024 * 1024)) /dev/urandom > /data$i"; done
} > "$work/ctx/Dockerfile"
"$mybuild" --root "$root" build -q -t bench:v1 "$work/ctx" > /dev/null

# Each timed command starts from a quiet disk (sync first): otherwise the gigabyte the build or
# the previous command wrote is flushed during the next one, and which tool pays is luck.
t() { local s e; sync; s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
ref=127.0.0.1:$port
push_cold=$(t "$mybuild" --root "$root" push bench:v1 "$ref/mb/bench:v1")
push_warm=$(t "$mybuild" --root "$root" push bench:v1 "$ref/mb/bench:v1")
pull_cold=$(t "$mybuild" --root "$work/store2" pull "$ref/mb/bench:v1")
pull_warm=$(t "$mybuild" --root "$work/store2" pull "$ref/mb/bench:v1")
sk_push_cold=$(t skopeo copy --dest-tls-verify=false "oci:$root/oci:bench:v1" "docker://$ref/sk/bench:v1")
sk_push_warm=$(t skopeo copy --dest-tls-verify=false "oci:$root/oci:bench:v1" "docker://$ref/sk/bench:v1")
sk_pull_cold=$(t skopeo copy --src-tls-verify=false "docker://$ref/sk/bench:v1" "oci:$work/sk-pull:bench")
sk_pull_warm=$(t skopeo copy --src-tls-verify=false "docker://$ref/sk/bench:v1" "oci:$work/sk-pull:bench")

printf '%-34s %10s %10s %8s\n' "registry (${mb} MiB, $layers layers)" mybuild skopeo ratio
for row in "push cold:$push_cold:$sk_push_cold" "push warm:$push_warm:$sk_push_warm" \
           "pull cold:$pull_cold:$sk_pull_cold" "pull warm:$pull_warm:$sk_pull_warm"; do
  IFS=: read -r name ours theirs <<< "$row"
  printf '%-34s %9.2fs %9.2fs %7.2fx\n' "$name" "$ours" "$theirs" "$(echo "$theirs / $ours" | bc -l)"
done
echo "(ratio = skopeo time / mybuild time: above 1 means mybuild is faster; warm target < 0.3 s)"
