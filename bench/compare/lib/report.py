#!/usr/bin/python3
"""report.py RESULTS_TSV WORKLOAD...: the markdown table of bench/compare.

Rows: workload x builder. median and min of the repetitions, peak anonymous memory of the
builder's process tree (for BuildKit, dockerd's), overhead = the builder's median minus the
median of the work itself, mybuild's ratio to each peer (peer median / mybuild median: above 1
means mybuild is faster) and mybuild's overhead as a fraction of the peer's (issue 17's target:
at most 0.25 of BuildKit's). Failed runs are counted, left out of the figures, and their last
log line listed under the table.
"""
import collections
import statistics
import sys

runs = collections.defaultdict(list)
failed = collections.Counter()
why = {}
with open(sys.argv[1]) as f:
    for line in f:
        fields = line.rstrip("\n").split("\t")
        workload, builder, _rep, seconds, peak_kib, status = fields[:6]
        if status != "ok":
            failed[workload, builder] += 1
            why[workload, builder] = fields[6] if len(fields) > 6 else ""
            continue
        runs[workload, builder].append((float(seconds), int(peak_kib or 0)))


def median_of(workload, builder):
    got = runs.get((workload, builder))
    return statistics.median(s for s, _ in got) if got else None


builders = ["mybuild", "buildkit", "buildah", "work"]
print("| workload | builder | median s | min s | peak MiB | overhead s | mybuild vs it "
      "| mybuild's overhead / its |")
print("|---|---|---|---|---|---|---|---|")
for workload in sys.argv[2:]:
    work_median = median_of(workload, "work")
    ours_median = median_of(workload, "mybuild")
    ours_overhead = None if None in (work_median, ours_median) else ours_median - work_median
    for builder in builders:
        got = runs.get((workload, builder))
        fails = f" ({failed[workload, builder]} failed)" if failed[workload, builder] else ""
        shown = "the work itself" if builder == "work" else builder
        if not got:
            if fails:
                print(f"| {workload} | {shown} | failed{fails} | | | | | |")
            continue
        median = statistics.median(s for s, _ in got)
        low = min(s for s, _ in got)
        peak = max(p for _, p in got) / 1024
        overhead, ratio, share = "", "", ""
        if work_median is not None and builder != "work":
            overhead = f"{median - work_median:+.2f}"
        if ours_median and builder not in ("mybuild", "work"):
            ratio = f"{median / ours_median:.2f}x"
            theirs = None if work_median is None else median - work_median
            if ours_overhead is not None and ours_overhead < 0:
                share = "mybuild below the work itself"
            elif ours_overhead is not None and theirs and theirs > 0:
                share = f"{ours_overhead / theirs:.2f}"
        print(f"| {workload} | {shown}{fails} | {median:.2f} | {low:.2f} | {peak:.0f} "
              f"| {overhead} | {ratio} | {share} |")
if failed:
    print()
    for (workload, builder), count in sorted(failed.items()):
        print(f"- {workload}/{builder}: {count} failed; last log line: `{why[workload, builder]}`")
