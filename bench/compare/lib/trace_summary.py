#!/usr/bin/python3
"""trace_summary.py TRACE.json...: mybuild's --trace files as markdown, one table per trace.

Each complete span ("ph": "X") on its track, in start order, indented by nesting (a span inside
another on the same track), with its duration in ms and its share of the trace's longest span
(the whole build or push). What bench/compare keeps beside its results table, so that where
mybuild's time goes can be read without opening Perfetto.
"""
import json
import os
import sys


def spans_of(path):
    with open(path) as f:
        data = json.load(f)
    events = data["traceEvents"] if isinstance(data, dict) else data
    tracks = {e["tid"]: e["args"]["name"] for e in events
              if e.get("ph") == "M" and e.get("name") == "thread_name"}
    spans = [e for e in events if e.get("ph") == "X"]
    spans.sort(key=lambda e: (e["tid"], e["ts"], -e["dur"]))
    return tracks, spans


def summarize(path):
    tracks, spans = spans_of(path)
    total = max((e["dur"] for e in spans), default=1) or 1
    print(f"### {os.path.basename(path)}\n")
    print("| track | span | ms | share |")
    print("|---|---|---|---|")
    open_ends = {}  # tid -> end times of the spans that enclose the next one
    for e in spans:
        stack = open_ends.setdefault(e["tid"], [])
        while stack and e["ts"] >= stack[-1]:
            stack.pop()
        indent = "· " * len(stack)
        stack.append(e["ts"] + e["dur"])
        name = e["name"].replace("|", "/")
        print(f"| {tracks.get(e['tid'], e['tid'])} | {indent}{name} | {e['dur'] / 1000:.1f} "
              f"| {100 * e['dur'] / total:.0f}% |")
    print()


if __name__ == "__main__":
    for trace in sys.argv[1:]:
        summarize(trace)
