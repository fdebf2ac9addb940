# bench/compare: the workloads (sourced by run.sh and by work.sh). Each RUN command is written
# once here and used twice: in the Dockerfile the builders get, and by work.sh, which runs it on
# the host (chroot into a copy of the same busybox tree) to time the work itself. The CPU work
# is sed over many short lines: busybox sed is quadratic in one line's length (1 MiB: 35 s).

run_gen='mkdir -p /gen && i=0 && while [ $i -lt 500 ]; do echo $i > /gen/f$i; i=$((i+1)); done'
run_sed="yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c $(( sed_mb << 20 )) | sed s/a/b/g > /big && find /data > /list"
run_sum='find /data -type f | sort | head -n 100 | xargs sha256sum > /sums'
run_cpu_a="yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c $(( cpu_mb << 20 )) | sed s/a/b/g | sha256sum > /a"
run_cpu_b="yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c $(( cpu_mb << 20 )) | sed s/b/c/g | sha256sum > /b"
run_big="dd if=/dev/urandom of=/big bs=1M count=$big_mb 2>/dev/null"
run_count='find /app -type f | wc -l > /count'

# write_inputs DIR BASE_REF DEBIAN_REF: the build contexts, one folder per Dockerfile.
write_inputs() {
  local in=$1 base=$2 debian=$3
  mkdir -p "$in/main" "$in/parallel" "$in/big" "$in/cstage" "$in/cacheimport"
  [[ -d $in/main/ctx ]] || /usr/bin/python3 "$lib/gen_inputs.py" context "$in/main/ctx" "$scale"
  # cacheimport's own copy of the cold context (not hard links): onefile edits main's, and an
  # import must find the exported cache's keys unchanged.
  [[ -d $in/cacheimport/ctx ]] || cp -a "$in/main/ctx" "$in/cacheimport/ctx"
  [[ -d $in/many ]] || /usr/bin/python3 "$lib/gen_inputs.py" many "$in/many" "$many_kept" "$many_files"
  printf 'FROM %s\nCOPY ctx/ /data/\nRUN %s\nRUN %s\nRUN %s\n' "$base" "$run_gen" "$run_sed" \
    "$run_sum" > "$in/main/Dockerfile"
  cp "$in/main/Dockerfile" "$in/cacheimport/Dockerfile"
  printf 'FROM %s AS a\nRUN %s\nFROM %s AS b\nRUN %s\nFROM %s\nCOPY --from=a /a /a\nCOPY --from=b /b /b\n' \
    "$base" "$run_cpu_a" "$base" "$run_cpu_b" "$base" > "$in/parallel/Dockerfile"
  printf 'FROM %s\nRUN %s\n' "$base" "$run_big" > "$in/big/Dockerfile"
  printf 'FROM %s\nCOPY . /app\nRUN %s\n' "$base" "$run_count" > "$in/many/Dockerfile"
  # samples/multistage-c as it is, its bases from the local registry; no `# syntax=` line, which
  # would make BuildKit fetch a frontend image from Docker Hub.
  cp "$repo/samples/multistage-c/hello.c" "$in/cstage/"
  sed -e '/^# syntax=/d' -e "s|^FROM debian:bookworm|FROM $debian|" -e "s|^FROM busybox\$|FROM $base|" \
    "$repo/samples/multistage-c/Dockerfile" > "$in/cstage/Dockerfile"
}

# The sample's compile step, read from its Dockerfile so the work itself runs the same command.
cstage_run() { sed -n 's/^RUN //p' "$1/cstage/Dockerfile"; }

# The one file the `onefile` workload changes, and how: a new line each repetition. (sed reads the
# whole list: `head` would stop sort with SIGPIPE once the list outgrows a pipe, which pipefail
# takes for a failure.)
changed_file() { find "$1/main/ctx/src" -type f | sort | sed -n 1p; }

# workload -> context folder and whether its builder caches are cleared before each run.
context_of() {
  case $1 in cold|noop|onefile|push) echo main ;; *) echo "$1" ;; esac
}
is_cold() { case $1 in noop|onefile|push) return 1 ;; *) return 0 ;; esac; }

describe() {
  case $1 in
    cold) echo "cold build: COPY of the context ($ctx_desc), 3 RUN steps" ;;
    push) echo "first push of the cold image (gzip) to an empty registry" ;;
    noop) echo "no-op rebuild" ;;
    onefile) echo "one file of the context changed" ;;
    parallel) echo "two independent CPU stages (${cpu_mb} MiB through sed each)" ;;
    big) echo "RUN writing ${big_mb} MiB" ;;
    many) echo "context of $many_files files, .dockerignore keeps $many_kept (cold)" ;;
    cstage) echo "samples/multistage-c (gcc -static in a Debian bookworm stage, the binary on busybox), cold: every builder pulls the $debian_mb MB Debian base from the local registry; the work itself: tar -x of the base and the same gcc+strip in a chroot" ;;
    cacheimport) echo "a fresh runner (empty store) builds the cold workload with its cache imported from the registry (mybuild --cache-from type=registry after --cache-to type=registry from another store; BuildKit --cache-from its inline cache; buildah --cache-from its layer repository); the work itself: fetching the image's layer blobs over HTTP (fetch_layers.py)" ;;
  esac
}
