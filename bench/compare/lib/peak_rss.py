#!/usr/bin/python3
"""peak_rss.py CGROUP_DIR READY_FILE: samples the cgroup's anonymous memory (cgroup v1 memory.stat
total_rss, v2 anon) every 20 ms until SIGTERM, then prints the peak in KiB. It creates READY_FILE once its SIGTERM handler is in place: the
caller waits for it before starting the timed command, so even a 0.1 s run is sampled and a
TERM cannot arrive before the handler (which would end it without printing).

Anonymous memory, not memory.max_usage_in_bytes: the latter counts the page cache of every file
a build writes (a 1 GiB layer would read as 1 GiB), which says nothing about the builder.
"""
import os
import signal
import sys
import time

stat = os.path.join(sys.argv[1], "memory.stat")
key = "total_rss" if os.path.exists(os.path.join(sys.argv[1], "memory.max_usage_in_bytes")) else "anon"
peak = 0
done = False


def stop(*_):
    global done
    done = True


signal.signal(signal.SIGTERM, stop)
open(sys.argv[2], "w").close()
while not done:
    try:
        with open(stat) as f:
            for line in f:
                name, value = line.split()
                if name == key:
                    peak = max(peak, int(value))
                    break
    except OSError as e:  # the cgroup gone: keep the peak so far, say so, never die silently
        print(f"peak_rss.py: {stat}: {e}", file=sys.stderr)
        time.sleep(0.2)
    time.sleep(0.02)
print(peak // 1024)
