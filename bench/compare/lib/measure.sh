# bench/compare: timing one run (sourced by run.sh). measure WORKLOAD BUILDER COMMAND... syncs
# (a previous run's dirty pages are written back before, not during, this one), runs COMMAND in
# the builder's memory cgroup (for BuildKit the CLI runs outside: dockerd's cgroup is the one
# sampled), and appends "workload builder rep seconds peak_kib status" to $results_tsv.

measure() {
  local workload=$1 builder=$2; shift 2
  local cg=$work/none log=$logs/$workload-$builder-$rep.log sampler start end status=ok
  if [[ $builder == buildkit ]]; then cg=$dockerd_cgroup; else cg=${run_cgroups[$builder]}; fi
  /usr/bin/python3 "$lib/peak_rss.py" "$cg" > "$work/peak" &
  local sampler=$!
  sync
  start=$(date +%s.%N)
  if [[ $builder == buildkit ]]; then
    "$@" > "$log" 2>&1 || status=failed
  else
    ( echo "$BASHPID" > "$cg/cgroup.procs" && "$@" ) > "$log" 2>&1 || status=failed
  fi
  end=$(date +%s.%N)
  kill -TERM "$sampler"; wait "$sampler" || true
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$workload" "$builder" "$rep" \
    "$(echo "$end - $start" | bc)" "$(cat "$work/peak")" "$status" >> "$results_tsv"
  if [[ $status != ok ]]; then
    echo "bench/compare: $builder failed $workload (rep $rep); last lines of $log:" >&2
    tail -n 5 "$log" >&2
  fi
}
