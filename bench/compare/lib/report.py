#!/usr/bin/python3
"""report.py RESULTS_TSV WORKLOAD...: the markdown table of bench/compare.

Rows: workload x builder. median and min of the repetitions, peak anonymous memory of the
builder's process tree (for BuildKit, dockerd's), overhead = the builder's median minus the
median of the work itself, and mybuild's ratio to each peer (peer median / mybuild median: above
1 means mybuild is faster). Failed runs are counted and left out of the figures.
"""
import collections
import statistics
import sys

runs = collections.defaultdict(list)
failed = collections.Counter()
with open(sys.argv[1]) as f:
    for line in f:
        workload, builder, _rep, seconds, peak_kib, status = line.rstrip("\n").split("\t")
        if status != "ok":
            failed[workload, builder] += 1
            continue
        runs[workload, builder].append((float(seconds), int(peak_kib)))

builders = ["mybuild", "buildkit", "buildah", "work"]
print("| workload | builder | median s | min s | peak MiB | overhead s | mybuild vs it |")
print("|---|---|---|---|---|---|---|")
for workload in sys.argv[2:]:
    work = runs.get((workload, "work"))
    work_median = statistics.median(s for s, _ in work) if work else None
    ours = runs.get((workload, "mybuild"))
    ours_median = statistics.median(s for s, _ in ours) if ours else None
    for builder in builders:
        got = runs.get((workload, builder))
        fails = f" ({failed[workload, builder]} failed)" if failed[workload, builder] else ""
        if not got:
            if fails:
                print(f"| {workload} | {builder} | failed{fails} | | | | |")
            continue
        median = statistics.median(s for s, _ in got)
        low = min(s for s, _ in got)
        peak = max(p for _, p in got) / 1024
        overhead = "" if work_median is None or builder == "work" else f"{median - work_median:+.2f}"
        ratio = ""
        if ours_median and builder not in ("mybuild", "work"):
            ratio = f"{median / ours_median:.2f}x"
        shown = "the work itself" if builder == "work" else builder
        print(f"| {workload} | {shown}{fails} | {median:.2f} | {low:.2f} | {peak:.0f} | {overhead} | {ratio} |")
