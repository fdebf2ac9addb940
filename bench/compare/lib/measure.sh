# bench/compare: timing one run (sourced by run.sh). measure WORKLOAD BUILDER COMMAND... syncs
# (a previous run's dirty pages are written back before, not during, this one), lets the memory
# settle after a cold run's forget (below), runs COMMAND in the builder's memory cgroup (for
# BuildKit the CLI runs outside: dockerd's cgroup is the one sampled), and appends "workload
# builder rep seconds peak_kib status why" to $results_tsv.
#
# Why settle: in a VM whose balloon takes free pages back (free page reporting, which starts
# about 2 s after a free and reports in slices), writing into a page the guest has not touched
# since costs a fault in the host. The forget step before a cold run frees the previous run's
# files: the work itself removed its 1 GiB /big moments before its dd and wrote into recycled
# pages, the builders into fresh ones. The `big` workload, work itself / mybuild medians (N=3-5,
# load 1-2): no settle 2.06 / 4.94 s, 3 s 2.34 / 5.18, 10 s 3.76 / 6.51; mybuild's RUN process
# (the same dd in its sandbox) took 3.5-4.0 s in all three, so the 1.3-1.6 s gap the results
# showed between "the same dd" inside and outside the sandbox was this, not the sandbox (a dd
# matrix on host, chroot, bare overlay, unshare, own memory cgroup, mybuild's sandbox with and
# without seccomp found no difference once the memory state was the same). So a cold run starts
# COMPARE_SETTLE_S (10) seconds after its forget, for every builder alike; what a builder frees
# and reuses during its own run still counts for it. Warm runs (noop, onefile, push) forget
# nothing and do not wait. Not settled by this: what a forget frees still seems to favour the
# next big write for longer than 10 s (a mybuild whose store kept its 1 GiB upper file cached,
# freed by its forget, ran the dd in 3.6-4.1 s; one that had dropped those pages, 4.7 s).

measure() {
  local workload=$1 builder=$2; shift 2
  if [[ $workload == noop && $builder == work ]]; then  # no work at all: 0 s, not bash's start-up
    printf 'noop\twork\t%s\t0\t0\tok\t\n' "$rep" >> "$results_tsv"
    return 0
  fi
  local cg=$work/none log=$logs/$workload-$builder-$rep.log sampler start end status=ok
  if [[ $builder == buildkit ]]; then cg=$dockerd_cgroup; else cg=${run_cgroups[$builder]}; fi
  if [[ ! -d $cg && $builder != buildkit ]]; then  # an empty cgroup someone else removed
    echo "bench/compare: $cg vanished (removed by someone else); made again" >&2
    mkdir -p "$cg"
  fi
  rm -f "$work/peak.ready"
  /usr/bin/python3 "$lib/peak_rss.py" "$cg" "$work/peak.ready" > "$work/peak" &
  local sampler=$!
  wait_for 10 test -e "$work/peak.ready"
  sync
  if is_cold "$workload"; then sleep "${COMPARE_SETTLE_S:-10}"; fi
  start=$(date +%s.%N)
  if [[ $builder == buildkit ]]; then
    "$@" > "$log" 2>&1 || status=failed
  else
    ( echo "$BASHPID" > "$cg/cgroup.procs" && "$@" ) > "$log" 2>&1 || status=failed
  fi
  end=$(date +%s.%N)
  kill -TERM "$sampler" 2>/dev/null || echo "bench/compare: the memory sampler had ended" >&2
  wait "$sampler" || true
  local why=""  # a failure's last log line, for the results file
  # (an empty log is a failure without a last line, not a reason to stop the run)
  [[ $status == ok ]] || why=$(grep -v '^\s*$' "$log" | tail -n 1 | tr '\t|' '  ' | cut -c1-200 || true)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$workload" "$builder" "$rep" \
    "$(echo "$end - $start" | bc)" "$(cat "$work/peak" 2>/dev/null || true)" "$status" "$why" >> "$results_tsv"
  if [[ $status != ok ]]; then
    echo "bench/compare: $builder failed $workload (rep $rep); last lines of $log:" >&2
    tail -n 5 "$log" >&2
  fi
}
