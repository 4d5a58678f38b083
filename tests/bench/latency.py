#!/usr/bin/env python3
"""latency.py - end-to-end alert latency of window | detect at a paced rate.

Feeds `gen --eps RATE` (wall-clock timestamps, chaos on, so exfiltration
alerts fire every window) into `window | detect --seed-alerts` (an alert per
matching window, not one per incident), notes the wall time at which
each event is written into window, and the time each alert leaves detect.
An alert for a window ending at W can only come out once the watermark
reaches W - 1, i.e. once an event with timestamp >= W + bound has arrived;
its latency is measured from the write of the first such event.

The reference is the same stream through `cat | cat`: the latency of a line
through two pipes and two processes, measured the same way.

usage: latency.py BINDIR RATE SECONDS
"""
import os
import subprocess
import sys
import threading
import time

BOUND_MS = 5000


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100.0 * len(v)))] if v else float("nan")


def ts_ms(line):
    i = line.find(b'"timestamp":')
    if i < 0:
        return None
    j = i + 12
    k = j
    while k < len(line) and 48 <= line[k] <= 57:
        k += 1
    return int(line[j:k]) * 1000 if k > j else None


def run(bindir, rate, secs, chain):
    gen = subprocess.Popen([os.path.join(bindir, "gen"), "--eps", str(rate),
                            "--duration", "%ds" % secs],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           env=dict(os.environ, CHAOS_MODE="true"))
    sink = subprocess.Popen(chain, shell=True, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    first_at = {}       # event timestamp (ms) -> wall time of first write
    seen = {}           # reference mode: event_id-less line -> write time
    lat = []
    done = threading.Event()

    def reader():
        for line in sink.stdout:
            now = time.monotonic()
            if chain.startswith("cat"):
                t = seen.pop(line.rstrip(b"\n"), None)
                if t is not None:
                    lat.append((now - t) * 1000.0)
                continue
            i = line.find(b'"window_end":')
            if i < 0:
                continue
            we = int(line[i + 13:line.index(b",", i)])
            # the first event at or past we + bound closes the window
            cands = [t for ts, t in first_at.items() if ts >= we + BOUND_MS]
            if cands:
                lat.append((now - min(cands)) * 1000.0)
        done.set()

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    buf = b""
    maxts = -1
    n = 0
    while True:
        chunk = gen.stdout.read1(65536)
        if not chunk:
            break
        buf += chunk
        lines = buf.split(b"\n")
        buf = lines.pop()
        out = b"\n".join(lines) + b"\n"
        now = time.monotonic()
        for ln in lines:
            n += 1
            t = ts_ms(ln)
            if t is not None and t > maxts:
                maxts = t
                first_at[t] = now
            if chain.startswith("cat") and n % 100 == 0:
                seen[ln] = now
        sink.stdin.write(out)
        sink.stdin.flush()
    sink.stdin.close()
    done.wait(60)
    gen.wait()
    sink.wait()
    return n, lat


def main():
    bindir, rate, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    n, lat = run(bindir, rate, secs,
                 "%s/window --key src_ip | %s/detect --seed-alerts"
                 % (bindir, bindir))
    rn, rlat = run(bindir, rate, min(secs, 10), "cat | cat")
    row = "%-44s %16s %16s %8s"
    print(row % ("alert latency p50, ms (ref: cat|cat line)",
                 "%.1f" % pct(lat, 50), "%.1f" % pct(rlat, 50), "-"))
    print(row % ("alert latency p99, ms (%d alerts, %d ev/s)" % (len(lat), rate),
                 "%.1f" % pct(lat, 99), "%.1f" % pct(rlat, 99), "-"))


if __name__ == "__main__":
    main()
