#!/usr/bin/env python3
"""detect_eval.py TRUTH ALERTS [NAME] - score alerts against gen's ground truth.

An alert matches an episode when rule == kind, key_field and key are equal
and the alert's window [window_start, window_end) overlaps the episode's
[start, end] (docs/contracts.md, "Ground truth").  Prints precision, recall
and detection delay (event time: the first matching alert's window_end minus
the episode's start) per episode; exits 0 only when every episode is found
and every alert matches one.
"""
import json
import sys


def load(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                out.append(json.loads(line))
    return out


def matches(a, e):
    return (a["rule"] == e["kind"] and a["key_field"] == e["key_field"]
            and a["key"] == e["key"] and a["window_start"] <= e["end"]
            and a["window_end"] > e["start"])


def main():
    truth = load(sys.argv[1])
    alerts = [a for a in load(sys.argv[2]) if a.get("type") == "alert"]
    name = sys.argv[3] if len(sys.argv) > 3 else sys.argv[1]
    false_pos = [a for a in alerts if not any(matches(a, e) for e in truth)]
    found, delays = 0, []
    for e in truth:
        hits = [a for a in alerts if matches(a, e)]
        if hits:
            found += 1
            d = (min(a["window_end"] for a in hits) - e["start"]) / 1000.0
            delays.append(d)
            print("  found  %-18s %-7s %-15s delay %6.1fs  alerts %d"
                  % (e["kind"], e["key_field"], e["key"], d, len(hits)))
        else:
            print("  MISSED %-18s %-7s %-15s" % (e["kind"], e["key_field"], e["key"]))
    for a in false_pos[:10]:
        print("  FALSE  %-18s %-7s %-15s window_end %d value %s"
              % (a["rule"], a["key_field"], a["key"], a["window_end"], a["value"]))
    precision = (len(alerts) - len(false_pos)) / len(alerts) if alerts else 1.0
    recall = found / len(truth) if truth else 1.0
    print("%s: episodes %d alerts %d precision %.3f recall %.3f delay "
          "min/mean/max %s" % (
              name, len(truth), len(alerts), precision, recall,
              "%.1f/%.1f/%.1fs" % (min(delays), sum(delays) / len(delays),
                                   max(delays)) if delays else "-"))
    return 0 if not false_pos and found == len(truth) else 1


if __name__ == "__main__":
    sys.exit(main())
