#!/usr/bin/python3
"""trace_spans.py TRACE NAME...: prints the summed duration in seconds of the spans of each NAME
prefix in a mybuild --trace file (Chrome trace events), one number per NAME, space-separated."""
import json
import sys

with open(sys.argv[1]) as f:
    data = json.load(f)
events = data if isinstance(data, list) else data.get("traceEvents", [])
totals = []
for prefix in sys.argv[2:]:
    us = sum(e.get("dur", 0) for e in events if e.get("ph") == "X" and e["name"].startswith(prefix))
    totals.append("%.2f" % (us / 1e6))
print(" ".join(totals))
